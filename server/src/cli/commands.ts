/**
 * The CLI: the same engine as the server, reached through the protocol in process. Each command prints for a
 * person on a terminal, plain lines in a pipe, and JSON lines with `--output json`.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type {
  DevModeContainer,
  DevModePhase,
  ListDevModeSessionsResult,
  OnSyncRun,
  StartDevModeResult,
  WorkDoneProgressValue,
} from '@devmode/protocol';
import type { MessageConnection } from 'vscode-jsonrpc';
import { DevConfigError, loadDevConfigFile } from '../engine/devConfig.js';
import { devConfigSchema } from '../engine/devConfigSchema.js';
import { flag, parseArgs, UsageError, type ParsedArgs } from './args.js';
import { connectInProcess } from './inProcess.js';
import { Output } from './output.js';
import { parseWorkload } from './targets.js';

export const cliUsage = `DevMode commands:
  devmode start <kind>/<name> [-n NS] [--context C] [-c CONTAINER] [--dir DIR] [--duplicate] [--timeout S]
                                 start DevMode and stay attached; Ctrl-C asks whether to end it
  devmode stop <kind>/<name> [-n NS] [--take-over]
                                 end DevMode and restore the workload; --take-over ends another running
                                 devmode's session (that devmode is told)
  devmode reset <kind>/<name> [-n NS]     restore from the cluster's record (after a crash, from any machine)
  devmode list [-n NS]                    workloads in DevMode
  devmode logs <pod> [-n NS] [-c C] [-f] [--tail N] [--since S] [--timestamps] [--previous]
  devmode exec <pod> [-n NS] [-c C] -- COMMAND...
  devmode port-forward <kind>/<name>|<pod> LOCAL:REMOTE [-n NS] [--address A]
  devmode config validate [--dir DIR]     check devmode.yaml (file, line and field of any fault)
  devmode config schema                   print the JSON Schema of devmode.yaml
Common options: --output json (one JSON object per line), --context C, -n/--namespace NS.
Kinds: deploy, sts, ds, job, cj, pod (or their full names). Exit codes: 0 success, 1 failure, 2 usage error;
exec exits with the remote command's code.`;

const common = {
  values: ['namespace', 'context', 'output', 'container', 'dir', 'timeout', 'tail', 'since', 'address'],
  booleans: ['duplicate', 'follow', 'timestamps', 'previous', 'take-over', 'help'],
  aliases: { n: 'namespace', c: 'container', f: 'follow', h: 'help' },
};

interface Context {
  args: ParsedArgs;
  out: Output;
}

type Command = (context: Context) => Promise<number>;

const commands: Record<string, Command> = {
  start: startCommand,
  stop: (context) => simpleRequest(context, 'devMode/stop', 'restored'),
  reset: (context) => simpleRequest(context, 'devMode/reset', 'reset'),
  list: listCommand,
  logs: logsCommand,
  exec: execCommand,
  'port-forward': portForwardCommand,
  config: configCommand,
};

export function isCliCommand(name: string | undefined): boolean {
  return name !== undefined && Object.hasOwn(commands, name);
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (command === undefined) return 2;
  let out = new Output('text');
  try {
    const args = parseArgs(rest, common);
    const format = flag(args, 'output') ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--output must be text or json, not "${format}"`);
    out = new Output(format);
    if (args.flags.get('help') === true) {
      process.stdout.write(`${cliUsage}\n`);
      return 0;
    }
    return await command({ args, out });
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(`devmode ${name}: ${error.message}`);
      process.stderr.write(`Run 'devmode ${name} --help' for usage.\n`);
      return 2;
    }
    const failure = error as { message: string; code?: number; data?: Record<string, unknown> };
    out.error(failure.message, {
      ...(failure.code !== undefined ? { code: failure.code } : {}),
      ...(failure.data ?? {}),
    });
    return 1;
  }
}

function namespaceOf(args: ParsedArgs): string {
  return flag(args, 'namespace') ?? 'default';
}

function workloadArg(args: ParsedArgs) {
  return {
    ...parseWorkload(args.positional[0], namespaceOf(args), flag(args, 'context')),
    ...(flag(args, 'container') !== undefined ? { container: flag(args, 'container') } : {}),
  };
}

/** A named pod as a target, with the context and container the flags give (as `workloadArg` for workloads). */
function podArg(args: ParsedArgs, pod: string) {
  const context = flag(args, 'context');
  const container = flag(args, 'container');
  return {
    namespace: namespaceOf(args),
    pod,
    ...(context !== undefined ? { context } : {}),
    ...(container !== undefined ? { container } : {}),
  };
}

async function withServer<T>(out: Output, body: (rpc: MessageConnection) => Promise<T>): Promise<T> {
  const connection = await connectInProcess((line) => {
    if (process.env.DEVMODE_DEBUG !== undefined) process.stderr.write(`${line}\n`);
  });
  try {
    return await body(connection.rpc);
  } finally {
    await connection.close().catch(() => undefined);
    void out;
  }
}

/** A notification field as text: strings as they are, anything else as JSON. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Listens to every notification, with its params as a plain object. */
function onNotify(rpc: MessageConnection, handler: (method: string, params: Record<string, unknown>) => void): void {
  rpc.onNotification((method: string, params: unknown) => handler(method, (params ?? {}) as Record<string, unknown>));
}

function showProgress(rpc: MessageConnection, out: Output): void {
  let phase: DevModePhase | undefined;
  rpc.onUnhandledProgress((progress) => {
    const value = progress.value as WorkDoneProgressValue;
    if (value.kind !== 'end' && value.phase !== undefined && value.phase !== phase) {
      phase = value.phase;
      out.heading(phaseTitles[value.phase]);
    }
    if (value.message !== undefined) out.status(value.message, { phase: phase ?? '' });
  });
}

const phaseTitles: Record<DevModePhase, string> = {
  loadConfig: 'Reading the workload and the dev config',
  replaceImage: '1. Replace image',
  restartPod: '2. Replace container and restart the pod',
  waitPod: '2. Waiting for the dev pod',
  portForward: '3. Port-forwarding',
  sync: '4. File synchronization',
  terminal: '5. Terminal',
  restoreWorkload: 'Restoring the workload',
};

async function startCommand({ args, out }: Context): Promise<number> {
  const target = workloadArg(args);
  const timeout = flag(args, 'timeout');
  return withServer(out, async (rpc) => {
    showProgress(rpc, out);
    const reportedRuns = new Map<number, number>();
    let onSyncStream: string | undefined;
    onNotify(rpc, (method, params) => {
      if (method === 'sync/didChangeState' && Array.isArray(params.onSyncRuns)) {
        for (const run of params.onSyncRuns as OnSyncRun[]) {
          if (run.state !== 'running' && reportedRuns.get(run.rule) !== run.run) {
            reportedRuns.set(run.rule, run.run);
            out.event('onSync', `  onSync: ${describeRun(run)}`, { ...run });
          }
        }
      } else if (method === 'logs/didAppend' && params.streamId === onSyncStream) {
        for (const line of params.lines as { text: string }[]) out.event('onSyncOutput', `  | ${line.text}`, line);
      } else if (method === 'portForward/didChangeState' || method === 'sync/didChangeState') {
        out.event(
          method,
          `  ${method.split('/')[0] ?? ''}: ${text(params.state)}${params.message !== undefined ? ` (${text(params.message)})` : ''}`,
          params,
        );
      }
    });
    const started = await rpc.sendRequest<StartDevModeResult>('devMode/start', {
      target,
      localDir: resolve(flag(args, 'dir') ?? '.'),
      mode: args.flags.get('duplicate') === true ? 'duplicate' : 'replace',
      workDoneToken: 'cli-start',
      ...(timeout !== undefined ? { timeoutSeconds: Number(timeout) } : {}),
    });
    const names = started.containers.map((entry) => entry.container);
    out.success(`DevMode is running: pod ${started.pod}, container${names.length > 1 ? 's' : ''} ${names.join(', ')}`, {
      ...started,
    });
    if (started.containers.length > 1) {
      for (const entry of started.containers) out.event('container', `  ${describeContainer(entry)}`, { ...entry });
    }
    for (const warning of started.warnings ?? [])
      out.event('warning', `  warning: ${warning.message}\n  hint: ${warning.hint}`, { ...warning });
    for (const entry of started.containers) {
      if (entry.debug === undefined) continue;
      const { debug } = entry;
      out.event(
        'debug',
        `  attach a ${debug.kind} debugger to ${debug.address}:${debug.localPort} (container ${entry.container}), ` +
          `remote root ${debug.remoteRoot}, local root ${debug.localRoot}`,
        { container: entry.container, ...debug },
      );
    }
    // The output of the target container's onSync runs is shown as it comes.
    if (started.sync?.onSyncRuns !== undefined) {
      const stream = await rpc.sendRequest<{ streamId: string }>('logs/open', {
        target: { sessionId: started.sessionId, source: 'onSync' },
        follow: true,
      });
      onSyncStream = stream.streamId;
    }
    const shells = names.map((name) => `devmode exec ${started.pod} -n ${target.namespace} -c ${name} -- sh`);
    out.event('hint', `  open a shell: ${shells.join('\n            or: ')}\n  press Ctrl-C to end`);
    out.result(started);
    const end = await waitForInterrupt();
    const stop = end === 'terminate' || (await askToEnd(target.kind, target.name));
    if (!stop) {
      out.event(
        'kept',
        `DevMode stays on in the cluster; end it later with: devmode stop ${args.positional[0] ?? ''} -n ${target.namespace}`,
      );
      return 0;
    }
    const stopped = await rpc.sendRequest<{ podsNotReady?: string }>('devMode/stop', {
      sessionId: started.sessionId,
      workDoneToken: 'cli-stop',
    });
    out.success(`${target.kind} ${target.name} restored${podsNotReadyNote(stopped)}`);
    return 0;
  });
}

/** An onSync run's result on one line. */
function describeRun(run: OnSyncRun): string {
  const what = run.action === 'restart' ? 'restart of the dev command' : 'command';
  const after = run.durationMs !== undefined ? ` after ${run.durationMs} ms` : '';
  const result =
    run.error !== undefined
      ? `failed (${run.error.codeName}: ${run.error.message})`
      : run.state === 'succeeded'
        ? 'succeeded'
        : `failed with exit code ${String(run.exitCode)}`;
  return `rule ${run.rule} ${what}, run ${run.run}, ${result}${after}${run.pending ? '; runs again for the changes since' : ''}`;
}

/** One container of a session on one line: where its files go from and its port-forwards. */
function describeContainer(entry: DevModeContainer): string {
  const files =
    entry.localDir !== undefined
      ? `${entry.localDir} -> ${entry.workDir} (${entry.sync?.mode ?? 'send'})`
      : `${entry.workDir}, no file sync`;
  const forwards = entry.portForwards.map(
    (forward) => `${forward.address}:${forward.localPort} -> ${forward.remotePort}`,
  );
  return `${entry.container}: ${files}${forwards.length > 0 ? `, forwarding ${forwards.join(', ')}` : ''}`;
}

/** Waits for Ctrl-C (SIGINT) or SIGTERM, keeping the process alive meanwhile. */
function waitForInterrupt(): Promise<'interrupt' | 'terminate'> {
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise((resolveWait) => {
    const done = (how: 'interrupt' | 'terminate'): void => {
      clearInterval(keepAlive);
      resolveWait(how);
    };
    process.once('SIGINT', () => done('interrupt'));
    process.once('SIGTERM', () => done('terminate'));
  });
}

async function askToEnd(kind: string, name: string): Promise<boolean> {
  if (!process.stdin.isTTY) return true;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(`\nEnd DevMode and restore ${kind} ${name}? [Y/n] `);
    return !/^n/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** ", pods not ready: <why>" when a stop or reset restored the workload but its pods cannot run. */
function podsNotReadyNote(result: { podsNotReady?: string }): string {
  return result.podsNotReady !== undefined ? `, pods not ready: ${result.podsNotReady}` : '';
}

async function simpleRequest({ args, out }: Context, method: string, verb: string): Promise<number> {
  const target = workloadArg(args);
  return withServer(out, async (rpc) => {
    showProgress(rpc, out);
    const takeOver = method === 'devMode/stop' && args.flags.get('take-over') === true;
    const result = await rpc.sendRequest<{ podsNotReady?: string }>(method, {
      target,
      workDoneToken: `cli-${verb}`,
      ...(takeOver ? { takeOver } : {}),
    });
    out.success(`${target.kind} ${target.name} ${verb}${podsNotReadyNote(result)}`, { target });
    out.result(result);
    return 0;
  });
}

async function listCommand({ args, out }: Context): Promise<number> {
  return withServer(out, async (rpc) => {
    const namespace = flag(args, 'namespace');
    const result = await rpc.sendRequest<ListDevModeSessionsResult>('devMode/list', {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(flag(args, 'context') !== undefined ? { context: flag(args, 'context') } : {}),
    });
    if (out.format === 'json') {
      out.result(result);
      return 0;
    }
    if (result.sessions.length === 0) {
      out.event('empty', 'No workload is in DevMode.');
      return 0;
    }
    const widths = [16, 32, 10, 10, 28, 0];
    const row = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('');
    out.event('row', row(['NAMESPACE', 'WORKLOAD', 'MODE', 'STATE', 'OWNER', 'STARTED']));
    for (const s of result.sessions) {
      const cells = [
        s.target.namespace,
        `${s.target.kind}/${s.target.name}`,
        s.mode,
        s.state,
        s.mine ? 'you' : (s.owner ?? '?'),
        s.startedAt ?? '',
      ];
      out.event('row', row(cells));
    }
    // A stale session says who left it and since when, and how to get the workload back.
    for (const s of result.sessions) {
      if (s.stale === undefined) continue;
      const workload = `${s.target.kind.toLowerCase()}/${s.target.name}`;
      const silent = s.stale.heartbeat ? 'silent since' : 'no heartbeat since it started at';
      out.event(
        'stale',
        `${workload} is stale: ${s.stale.user}@${s.stale.machine} ${silent} ${s.stale.since}; reset it with: devmode reset ${workload} -n ${s.target.namespace}`,
        { target: s.target, stale: s.stale },
      );
    }
    return 0;
  });
}

async function logsCommand({ args, out }: Context): Promise<number> {
  const pod = args.positional[0];
  if (pod === undefined) throw new UsageError('logs needs a pod name');
  const tail = flag(args, 'tail');
  const since = flag(args, 'since');
  return withServer(out, async (rpc) => {
    let ended: (reason: string) => void = () => undefined;
    const done = new Promise<string>((resolveDone) => (ended = resolveDone));
    onNotify(rpc, (method, params) => {
      if (method === 'logs/didAppend') {
        for (const line of params.lines as { text: string; container: string }[]) out.event('log', line.text, line);
      } else if (method === 'logs/didEnd') {
        ended(String(params.reason));
      }
    });
    const stream = await rpc.sendRequest<{ streamId: string }>('logs/open', {
      target: podArg(args, pod),
      follow: args.flags.get('follow') === true,
      timestamps: args.flags.get('timestamps') === true,
      previous: args.flags.get('previous') === true,
      ...(tail !== undefined ? { tailLines: Number(tail) } : {}),
      ...(since !== undefined ? { sinceSeconds: Number(since) } : {}),
    });
    process.once(
      'SIGINT',
      () => void rpc.sendRequest('logs/close', { streamId: stream.streamId }).catch(() => undefined),
    );
    await done;
    return 0;
  });
}

async function execCommand({ args, out }: Context): Promise<number> {
  const pod = args.positional[0];
  if (pod === undefined || args.rest.length === 0) throw new UsageError('exec needs a pod and a command after --');
  return withServer(out, async (rpc) => {
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolveExit) => (exited = resolveExit));
    onNotify(rpc, (method, params) => {
      if (method === 'terminal/didOutput') process.stdout.write(String(params.data));
      if (method === 'terminal/didExit') exited(Number(params.exitCode));
    });
    const tty = process.stdin.isTTY && process.stdout.isTTY;
    const terminal = await rpc.sendRequest<{ terminalId: string }>('terminal/open', {
      target: podArg(args, pod),
      command: args.rest,
      cols: process.stdout.columns ?? 80,
      rows: process.stdout.rows ?? 24,
    });
    if (tty) {
      process.stdin.setRawMode(true);
      process.stdin.on(
        'data',
        (data: Buffer) =>
          void rpc.sendNotification('terminal/input', { terminalId: terminal.terminalId, data: data.toString('utf8') }),
      );
      process.stdout.on(
        'resize',
        () =>
          void rpc.sendNotification('terminal/resize', {
            terminalId: terminal.terminalId,
            cols: process.stdout.columns,
            rows: process.stdout.rows,
          }),
      );
    }
    const code = await exit;
    if (tty) process.stdin.setRawMode(false);
    process.stdin.pause();
    return code;
  });
}

async function portForwardCommand({ args, out }: Context): Promise<number> {
  const [what, ports] = args.positional;
  const match = /^(\d+)(?::(\d+))?$/.exec(ports ?? '');
  if (what === undefined || match?.[1] === undefined)
    throw new UsageError('port-forward needs a target and LOCAL:REMOTE');
  const local = Number(match[1]);
  const remote = Number(match[2] ?? match[1]);
  const target = what.includes('/') ? workloadArg(args) : podArg(args, what);
  return withServer(out, async (rpc) => {
    onNotify(rpc, (method, params) => {
      if (method === 'portForward/didChangeState')
        out.event(
          'state',
          `  ${text(params.state)}${params.error !== undefined ? `: ${text(params.error)}` : ''}`,
          params,
        );
    });
    const forward = await rpc.sendRequest<{ id: string; localPort: number }>('portForward/start', {
      target,
      remotePort: remote,
      localPort: local,
      ...(flag(args, 'address') !== undefined ? { address: flag(args, 'address') } : {}),
    });
    out.success(
      `Forwarding ${flag(args, 'address') ?? '127.0.0.1'}:${forward.localPort} -> ${remote}; Ctrl-C to stop`,
      forward,
    );
    await waitForInterrupt();
    await rpc.sendRequest('portForward/stop', { id: forward.id });
    return 0;
  });
}

function configCommand({ args, out }: Context): Promise<number> {
  const [sub] = args.positional;
  if (sub === 'schema') {
    process.stdout.write(`${JSON.stringify(devConfigSchema, null, 2)}\n`);
    return Promise.resolve(0);
  }
  if (sub !== 'validate') throw new UsageError('config takes validate or schema');
  const dir = resolve(flag(args, 'dir') ?? '.');
  try {
    const loaded = loadDevConfigFile(dir);
    if (loaded === undefined) {
      out.error(`no devmode.yaml in ${dir}`, { hint: 'Create one; `devmode config schema` describes every field.' });
      return Promise.resolve(1);
    }
    out.success(`${loaded.file} is valid`, { file: loaded.file });
    return Promise.resolve(0);
  } catch (error) {
    if (!(error instanceof DevConfigError)) throw error;
    out.error(error.message, { file: error.file, line: error.line, field: error.field });
    return Promise.resolve(1);
  }
}

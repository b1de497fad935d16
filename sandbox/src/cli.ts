/**
 * `sandbox start|serve|stop|status`: runs the sandbox as a background daemon and manages it through the files
 * in its state directory (pid file, sandbox.json, kubeconfig, log).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureCredentials } from './api/credentials.js';
import { runSandbox, sandboxPaths, type SandboxInfo } from './daemon.js';
import { runNodeHelper } from './kubelet/relay.js';
import { findTools, SandboxUnavailableError } from './kubelet/sandbox.js';
import { HELPER_SUBCOMMAND } from './locations.js';
import { isAlive, listProcesses, processFamily, stillRunning, type ProcessInfo } from './processes.js';

export interface SelfCommand {
  /** The executable that runs this program (usually `process.execPath`). */
  command: string;
  /** Arguments placed before `sandbox serve …` (usually the entry script). */
  args: string[];
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
/** How long pod processes get to follow the daemon out before they count as left behind. */
const LEFTOVER_GRACE_MS = 5_000;
/** `sandbox status` exit code when no sandbox runs, as LSB init scripts report it. */
const EXIT_NOT_RUNNING = 3;

const USAGE = `usage: sandbox <command> [--state-dir DIR]
  start [--port N]   start the sandbox cluster in the background and wait until its API answers
  serve [--port N]   run the sandbox in the foreground (SIGTERM or Ctrl-C stops it)
  stop               stop the sandbox and every pod process
  status             tell whether the sandbox runs, and where
DIR defaults to ~/.devmode/sandbox.`;

interface Flags {
  command: string;
  stateDir: string;
  port: number | undefined;
}

class UsageError extends Error {}

function parseFlags(argv: string[]): Flags {
  const args = argv[0] === 'sandbox' ? argv.slice(1) : [...argv];
  const command = args.shift() ?? '';
  let stateDir = join(homedir(), '.devmode', 'sandbox');
  let port: number | undefined;
  while (args.length > 0) {
    const arg = args.shift() ?? '';
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = (): string => {
      const next = inline ?? args.shift();
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--state-dir') stateDir = resolve(value());
    else if (flag === '--port') {
      const text = value();
      port = Number(text);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be a port number, not "${text}"`);
    } else throw new UsageError(`unknown option "${arg}"`);
  }
  return { command, stateDir, port };
}

/** Checks that pods can be made here (util-linux, namespaces); returns a message saying how to fix it if not. */
export function sandboxProblem(): string | undefined {
  try {
    findTools();
    return undefined;
  } catch (error) {
    if (error instanceof SandboxUnavailableError) return error.message;
    throw error;
  }
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function readInfo(path: string): Promise<SandboxInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SandboxInfo;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` runs `sandbox serve`. A pid file can outlive its process (a crash, a reboot) and the pid can be
 * reused by something else, which must never get our signals.
 */
function isSandboxDaemon(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('sandbox') && argv.includes('serve');
  } catch {
    return false;
  }
}

/** The pid of the running daemon; a pid file naming a dead process is removed. */
async function runningPid(stateDir: string, out: (line: string) => void): Promise<number | undefined> {
  const paths = sandboxPaths(stateDir);
  const pid = await readPid(paths.pid);
  if (pid === undefined) return undefined;
  if (isAlive(pid) && isSandboxDaemon(pid)) return pid;
  await rm(paths.pid, { force: true });
  await rm(paths.info, { force: true });
  out(`removed a stale pid file (process ${pid} is not a running sandbox)`);
  const leftovers = leftoverPodProcesses(pid, stateDir);
  for (const p of leftovers) signalQuietly(p.pid, 'SIGKILL');
  if (leftovers.length > 0) {
    out(
      `killed ${leftovers.length} pod process(es) the stopped sandbox left running: ${leftovers.map((p) => p.pid).join(', ')}`,
    );
  }
  return undefined;
}

/**
 * Pod processes of a daemon that died without stopping them (killed while it was starting a container, before the
 * container's sandbox could tie itself to the daemon). The daemon led its own session, and every pod process names
 * the state directory on its command line; both must match, so no unrelated process is ever signalled.
 */
function leftoverPodProcesses(daemonPid: number, stateDir: string): ProcessInfo[] {
  return listProcesses().filter((p) => {
    if (p.sid !== daemonPid || p.pid === daemonPid) return false;
    try {
      return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8')
        .split('\0')
        .some((arg) => arg.startsWith(`${stateDir}/`));
    } catch {
      return false;
    }
  });
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // It ended on its own meanwhile.
  }
}

/** GETs `path` from the sandbox's API with its token and CA; resolves with the status code and body. */
export async function apiGet(stateDir: string, url: string, path: string): Promise<{ status: number; body: string }> {
  const credentials = await ensureCredentials(stateDir);
  return new Promise((resolveRequest, reject) => {
    const req = request(
      new URL(path, url),
      { ca: credentials.caCert, headers: { Authorization: `Bearer ${credentials.token}` }, timeout: 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolveRequest({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function logTail(path: string, lines = 20): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function start(flags: Flags, self: SelfCommand, out: (line: string) => void): Promise<number> {
  const paths = sandboxPaths(flags.stateDir);
  const running = await runningPid(flags.stateDir, out);
  if (running !== undefined) {
    const info = await readInfo(paths.info);
    out(`the sandbox is already running (pid ${running}${info ? `, API ${info.url}` : ''})`);
    out(`kubeconfig: ${paths.kubeconfig}`);
    return 0;
  }
  const problem = sandboxProblem();
  if (problem !== undefined) {
    out(`cannot start the sandbox: ${problem}`);
    return 1;
  }
  await ensureCredentials(flags.stateDir);
  await rm(paths.info, { force: true });
  const logFd = openSync(paths.log, 'a', 0o600);
  const args = [...self.args, 'sandbox', 'serve', '--state-dir', flags.stateDir];
  if (flags.port !== undefined) args.push('--port', String(flags.port));
  const child = spawn(self.command, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited: number | null | undefined;
  child.on('exit', (code, signal) => (exited = code ?? (signal ? 128 : 1)));
  child.on('error', () => (exited = 127));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      out(`the sandbox daemon exited (code ${exited}) before its API answered; last lines of ${paths.log}:`);
      out(await logTail(paths.log));
      return 1;
    }
    const info = await readInfo(paths.info);
    if (info !== undefined && info.pid === child.pid) {
      const ready = await apiGet(flags.stateDir, info.url, '/readyz').catch(() => undefined);
      if (ready?.status === 200) {
        out(`sandbox started (pid ${info.pid}), API ${info.url}`);
        out(`kubeconfig: ${paths.kubeconfig}`);
        out(`try: kubectl --kubeconfig ${paths.kubeconfig} get nodes`);
        return 0;
      }
    }
    await sleep(100);
  }
  if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  out(`the sandbox did not answer within ${START_TIMEOUT_MS / 1000} s; last lines of ${paths.log}:`);
  out(await logTail(paths.log));
  return 1;
}

async function serve(flags: Flags, out: (line: string) => void): Promise<number> {
  const paths = sandboxPaths(flags.stateDir);
  const running = await runningPid(flags.stateDir, out);
  if (running !== undefined && running !== process.pid) {
    out(`the sandbox is already running (pid ${running}); stop it first`);
    return 1;
  }
  const problem = sandboxProblem();
  if (problem !== undefined) {
    out(`cannot start the sandbox: ${problem}`);
    return 1;
  }
  const log = (line: string): void => out(`${new Date().toISOString()} ${line}`);
  // A bug in one request or stream must not take every pod down with the daemon: log it and carry on.
  process.on('uncaughtException', (error) => log(`unexpected error: ${error.stack ?? String(error)}`));
  process.on('unhandledRejection', (reason) =>
    log(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`),
  );
  await writeFile(paths.pid, `${process.pid}\n`, { mode: 0o600 });
  let sandbox;
  try {
    sandbox = await runSandbox({ stateDir: flags.stateDir, port: flags.port, log });
  } catch (error) {
    await rm(paths.pid, { force: true });
    out(`the sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
    setTimeout(() => process.exit(1), 1_000).unref();
    return 1;
  }
  await new Promise<void>((resolveSignal) => {
    process.once('SIGTERM', () => resolveSignal());
    process.once('SIGINT', () => resolveSignal());
  });
  log('stopping');
  await sandbox.stop();
  await rm(paths.pid, { force: true });
  // Everything is stopped and saved; a timer some part left behind must not keep the daemon alive.
  setTimeout(() => process.exit(0), 1_000).unref();
  return 0;
}

async function stop(flags: Flags, out: (line: string) => void): Promise<number> {
  const paths = sandboxPaths(flags.stateDir);
  const pid = await runningPid(flags.stateDir, out);
  if (pid === undefined) {
    out('the sandbox is not running');
    return 0;
  }
  const family = processFamily(pid);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    out(`the sandbox did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`);
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  // Pod processes die with the daemon, which takes the kernel a moment on a busy machine; anything still
  // there after that is killed and reported.
  const others = family.filter((p) => p.pid !== pid);
  const settled = Date.now() + LEFTOVER_GRACE_MS;
  while (stillRunning(others).length > 0 && Date.now() < settled) await sleep(100);
  const leftover = stillRunning(others);
  for (const p of leftover) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // It ended on its own meanwhile.
    }
  }
  await rm(paths.pid, { force: true });
  await rm(paths.info, { force: true });
  if (leftover.length > 0) {
    out(
      `the sandbox stopped, but ${leftover.length} process(es) outlived it and were killed: ${leftover.map((p) => `${p.pid} (${p.command})`).join(', ')}`,
    );
    return 1;
  }
  out(`sandbox stopped (pid ${pid})`);
  return 0;
}

async function status(flags: Flags, out: (line: string) => void): Promise<number> {
  const paths = sandboxPaths(flags.stateDir);
  const pid = await runningPid(flags.stateDir, out);
  if (pid === undefined) {
    out(`the sandbox is not running (state directory ${flags.stateDir})`);
    return EXIT_NOT_RUNNING;
  }
  const info = await readInfo(paths.info);
  out(`the sandbox is running (pid ${pid})`);
  if (info === undefined) {
    out('its API is not ready yet');
    return 0;
  }
  out(`API: ${info.url}`);
  out(`kubeconfig: ${paths.kubeconfig}`);
  const pods = await apiGet(flags.stateDir, info.url, '/api/v1/pods').catch(() => undefined);
  if (pods?.status === 200) out(`pods: ${(JSON.parse(pods.body) as { items: unknown[] }).items.length}`);
  else out('pods: unknown (the API did not answer)');
  return 0;
}

/** Runs `sandbox <command>`; resolves with the process exit code. `argv` may start with `sandbox`. */
export async function sandboxCommand(
  argv: string[],
  self: SelfCommand,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const helper = argv[0] === 'sandbox' ? argv.slice(1) : argv;
  if (helper[0] === HELPER_SUBCOMMAND) return runNodeHelper(helper[1] ?? '', helper.slice(2));
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out(`${error.message}\n${USAGE}`);
    return 2;
  }
  switch (flags.command) {
    case 'start':
      return start(flags, self, out);
    case 'serve':
      return serve(flags, out);
    case 'stop':
      return stop(flags, out);
    case 'status':
      return status(flags, out);
    default:
      out(flags.command === '' || flags.command === 'help' ? USAGE : `unknown command "${flags.command}"\n${USAGE}`);
      return flags.command === '' || flags.command === 'help' ? 0 : 2;
  }
}

/**
 * Interactive terminals: a command with a TTY in a container (exec), or a local shell through node-pty. Output is
 * UTF-8 text that never splits a character; the exit code (or why there is none) is reported once.
 */
import type { DidExitTerminalParams } from '@devmode/protocol';
import { statSync } from 'node:fs';
import { execInPod, type ExecOptions, type ExecTarget, type RemoteProcess } from '../kube/exec.js';
import type { Clusters } from './clusters.js';
import { KubeError } from '../kube/errors.js';
import type { ObjectClient } from '../kube/objects.js';
import {
  defaultContainer,
  isNamedPod,
  resolvePodSelection,
  waitForReadyPod,
  type PodsTarget,
  type PodWaitOptions,
} from './podTargets.js';
import { TextOutput } from './textOutput.js';
import { EngineError } from './engineError.js';

export interface TerminalCluster {
  objects: ObjectClient;
  exec(target: ExecTarget, command: string[], options: ExecOptions): Promise<RemoteProcess>;
}

/** The clusters of a server, as the terminal engine uses them. */
export function terminalClusters(clusters: Clusters): (context: string | undefined) => Promise<TerminalCluster> {
  return async (context) => {
    const client = await clusters.client(context);
    return { objects: client.objects, exec: (target, command, options) => execInPod(client, target, command, options) };
  };
}

export interface LocalShellTarget {
  local: { cwd?: string; shell?: string };
}

export interface OpenTerminalOptions {
  target: PodsTarget | LocalShellTarget;
  command?: string[];
  cols: number;
  rows: number;
  /** How a workload target waits for a ready pod while its pod is being replaced. */
  podWait?: PodWaitOptions;
}

export interface TerminalEvents {
  output(terminalId: string, data: string): Promise<void> | void;
  exit(params: DidExitTerminalParams): void;
}

/** The image has none of the shells tried. */
export class MissingShellError extends EngineError {
  public constructor(
    public readonly tried: string[],
    where: string,
  ) {
    super('MissingTool', `The ${where} has no shell: tried ${tried.join(', ')}`, {
      tool: tried.join(' or '),
      hint: 'Use an image that has a shell (bash or sh), or pass the command to run.',
    });
    this.name = 'MissingShellError';
  }
}

/** The working directory of a local terminal does not exist. */
export class LocalDirectoryError extends EngineError {
  public constructor(public readonly path: string) {
    super('LocalDirInvalid', `Local directory ${path} is not a directory`, { field: 'target.local.cwd' });
    this.name = 'LocalDirectoryError';
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export class UnknownTerminalError extends EngineError {
  public constructor(id: string) {
    super('UnknownId', `no open terminal has id "${id}"`, { field: 'terminalId' });
    this.name = 'UnknownTerminalError';
  }
}

/** What a terminal runs, local or remote. */
interface TerminalProcess {
  /** Where a terminal in a pod runs: the pod picked for a workload target, and its container. */
  runsIn?: { pod: string; container?: string };
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Ends the command; the exit handler still runs. */
  kill(): void;
}

/** Shells tried, in order, when no command is given. */
const shells = ['bash', 'sh'];

/** Exit codes a shell gives when the command it was asked to run cannot be found or executed. */
const notRunnable = new Set([126, 127]);

export class Terminals {
  private readonly terminals = new Map<string, { process: TerminalProcess; closedByClient: boolean; ended: boolean }>();
  private nextId = 1;

  public constructor(
    private readonly cluster: (context: string | undefined) => Promise<TerminalCluster>,
    private readonly events: TerminalEvents,
    /** The directory a local terminal starts in when none is given. */
    private readonly defaultCwd: () => string | undefined = () => undefined,
  ) {}

  /** Opens a terminal; one in a pod also says which pod and container it runs in. */
  public async open(
    options: OpenTerminalOptions,
  ): Promise<{ terminalId: string; runsIn?: { pod: string; container?: string } }> {
    const id = `t-${this.nextId++}`;
    const output = new TextOutput((text) => this.events.output(id, text));
    const entry = { process: undefined as unknown as TerminalProcess, closedByClient: false, ended: false };
    const finish = async (exitCode: number | null, reason?: string): Promise<void> => {
      entry.ended = true;
      await output.end();
      this.terminals.delete(id);
      const why = entry.closedByClient ? 'the terminal was closed' : reason;
      this.events.exit({ terminalId: id, exitCode, ...(why !== undefined ? { reason: why } : {}) });
    };
    entry.process =
      'local' in options.target
        ? await this.openLocal(options.target.local, options, output, finish)
        : await this.openRemote(options.target, options, output, finish);
    // A command that ended at once has already reported its exit.
    if (!entry.ended) this.terminals.set(id, entry);
    return { terminalId: id, ...(entry.process.runsIn !== undefined ? { runsIn: entry.process.runsIn } : {}) };
  }

  /** Sends keyboard input; input for an unknown or ended terminal is dropped. */
  public input(id: string, data: string): boolean {
    const terminal = this.terminals.get(id);
    terminal?.process.write(data);
    return terminal !== undefined;
  }

  public resize(id: string, cols: number, rows: number): boolean {
    const terminal = this.terminals.get(id);
    terminal?.process.resize(cols, rows);
    return terminal !== undefined;
  }

  public close(id: string): void {
    const terminal = this.terminals.get(id);
    if (terminal === undefined) throw new UnknownTerminalError(id);
    terminal.closedByClient = true;
    terminal.process.kill();
  }

  public dispose(): void {
    for (const terminal of this.terminals.values()) {
      terminal.closedByClient = true;
      terminal.process.kill();
    }
  }

  private async openRemote(
    target: PodsTarget,
    options: OpenTerminalOptions,
    output: TextOutput,
    finish: (exitCode: number | null, reason?: string) => Promise<void>,
  ): Promise<TerminalProcess> {
    const cluster = await this.cluster(target.context);
    const execTarget = await this.execTarget(cluster.objects, target, options.podWait);
    const command = options.command ?? [await this.pickShell(cluster, execTarget)];
    const remote = await cluster.exec(execTarget, command, {
      tty: true,
      stdin: true,
      cols: options.cols,
      rows: options.rows,
    });
    remote.stdout.on('data', (chunk: Buffer) => {
      if (!output.write(chunk)) {
        remote.stdout.pause();
        output.onDrain(() => remote.stdout.resume());
      }
    });
    remote.exit.then(
      (status) => void finish(status.exitCode),
      (error: unknown) => void finish(null, error instanceof Error ? error.message : String(error)),
    );
    return {
      runsIn: {
        pod: execTarget.pod,
        ...(execTarget.container !== undefined ? { container: execTarget.container } : {}),
      },
      write: (data) => {
        if (!remote.stdin.writableEnded) remote.stdin.write(Buffer.from(data, 'utf8'));
      },
      resize: (cols, rows) => remote.resize(cols, rows),
      kill: () => remote.close(),
    };
  }

  /** The pod (the workload's newest ready one) and container a terminal runs in. */
  private async execTarget(objects: ObjectClient, target: PodsTarget, podWait?: PodWaitOptions): Promise<ExecTarget> {
    const selection = await resolvePodSelection(objects, target);
    let pod;
    if (isNamedPod(target) || selection.singlePod) {
      const name = isNamedPod(target) ? target.pod : target.name;
      pod = await objects.get({ apiVersion: 'v1', kind: 'Pod', namespace: target.namespace, name });
    } else {
      pod = await waitForReadyPod(objects, selection, podWait);
    }
    const container = pod === undefined ? target.container : defaultContainer(pod, target.container);
    return {
      namespace: target.namespace,
      pod: pod?.metadata.name ?? (isNamedPod(target) ? target.pod : target.name),
      ...(container !== undefined ? { container } : {}),
    };
  }

  /**
   * Finds the first shell the image has by running it once without a terminal: a missing program shows as exit
   * code 126/127 or as an exec error, and the person never sees that attempt.
   */
  private async pickShell(cluster: TerminalCluster, target: ExecTarget): Promise<string> {
    for (const shell of shells) {
      try {
        const probe = await cluster.exec(target, [shell, '-c', 'exit 0'], {});
        probe.stdout.resume();
        probe.stderr.resume();
        const status = await probe.exit;
        if (status.exitCode === 0) return shell;
        if (!notRunnable.has(status.exitCode)) return shell;
      } catch (error) {
        // The pod or the connection failing is not a missing shell.
        if (!(error instanceof KubeError) || error.status === 0 || error.status === 404 || error.status === 403)
          throw error;
        if (error.status === 400 && !/not found|no such file|executable/i.test(error.message)) throw error;
      }
    }
    throw new MissingShellError(shells, `container ${target.container ?? ''} of pod ${target.namespace}/${target.pod}`);
  }

  private async openLocal(
    local: LocalShellTarget['local'],
    options: OpenTerminalOptions,
    output: TextOutput,
    finish: (exitCode: number | null, reason?: string) => Promise<void>,
  ): Promise<TerminalProcess> {
    // node-pty is a native module: load it only when a local terminal is asked for.
    const pty = await import('@lydell/node-pty');
    const file = options.command?.[0] ?? local.shell ?? process.env.SHELL ?? '/bin/sh';
    const args = options.command?.slice(1) ?? [];
    const cwd = local.cwd ?? this.defaultCwd() ?? process.cwd();
    if (!isDirectory(cwd)) throw new LocalDirectoryError(cwd);
    let exited = false;
    const child = pty.spawn(file, args, {
      name: 'xterm-256color',
      cols: options.cols,
      rows: options.rows,
      cwd,
      env: process.env,
      encoding: null,
    });
    child.onData((data: string | Buffer) => {
      output.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    });
    child.onExit(({ exitCode, signal }) => {
      exited = true;
      void finish(
        signal !== undefined && signal !== 0 ? null : exitCode,
        signal ? `ended by signal ${signal}` : undefined,
      );
    });
    return {
      write: (data) => child.write(data),
      resize: (cols, rows) => {
        if (cols > 0 && rows > 0) child.resize(cols, rows);
      },
      kill: () => {
        child.kill('SIGHUP');
        setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 2000).unref();
      },
    };
  }
}

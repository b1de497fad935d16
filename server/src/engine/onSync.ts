/**
 * Run on sync: after a sync batch lands, each `onSync` rule whose patterns match a changed path runs its command in
 * the dev container (`exec`) or restarts the dev command (`restart`, through the supervisor of devCommand.ts).
 *
 * A rule runs once at a time. Batches that land while it runs set one flag, so however many there were, exactly
 * one more run follows the current one: the later run sees every change, and a slow build is never queued behind
 * itself. Each run's output is kept (bounded) and offered to log streams; each rule's latest run (state, exit code,
 * duration, error by name) is reported through `onChange`.
 */
import { DevModeErrorCodes, type OnSyncRun, type OnSyncRunError } from '@devmode/protocol';
import ignoreModule, { type Ignore } from 'ignore';
import type { RemoteProcess } from '../kube/exec.js';
import { NamedError } from '../namedError.js';
import type { OnSyncRule } from './devConfig.js';
import { inWorkDir, restartCommand } from './devCommand.js';
import { failpoint } from './failpoints.js';
import { LineSplitter } from './logLines.js';
import type { LandedBatch } from './sync/types.js';

// The package is CommonJS; its `default` property is the factory whichever way it is loaded.
const ignore = (ignoreModule as unknown as { default: () => Ignore }).default;

/** One line of a run's output, or a line devmode adds (the command, the result). */
export interface OnSyncOutputLine {
  rule: number;
  run: number;
  pod: string;
  text: string;
  /** When the line was read, as an RFC 3339 timestamp. */
  timestamp: string;
}

export interface OnSyncTarget {
  pod: string;
  /** Starts `argv` in the dev container of `pod`. */
  exec: (argv: string[]) => Promise<RemoteProcess>;
}

export interface OnSyncRunnerOptions {
  rules: OnSyncRule[];
  /** The dev container the rules run in. */
  container: string;
  workDir: string;
  /** The current dev pod and a way to run a command in its dev container. */
  target: () => Promise<OnSyncTarget>;
  /** Called whenever a rule's latest run changes (started, ended, or a batch is pending behind it). */
  onChange: (runs: OnSyncRun[]) => void;
  log: (line: string) => void;
}

/** How many output lines are kept for a stream opened after the runs. */
const keptLines = 2000;

/** How much of a run's error output is kept to tell why it failed. */
const keptErrorBytes = 4096;

interface RuleState {
  index: number;
  rule: OnSyncRule;
  matcher: Ignore | undefined;
  active: boolean;
  pending: boolean;
  runs: number;
  latest: OnSyncRun | undefined;
  process: RemoteProcess | undefined;
  /** What triggered the latest run (or the pending one). */
  trigger: 'batch' | 'fullSync';
}

export class OnSyncRunner {
  private readonly rules: RuleState[];
  private readonly history: OnSyncOutputLine[] = [];
  private readonly listeners = new Set<(line: OnSyncOutputLine) => void>();
  private readonly endListeners = new Set<() => void>();
  private disposed = false;
  private readonly idleWaiters: (() => void)[] = [];

  public constructor(private readonly options: OnSyncRunnerOptions) {
    this.rules = options.rules.map((rule, index) => ({
      index,
      rule,
      matcher: rule.match.length === 0 ? undefined : ignore().add(rule.match),
      active: false,
      pending: false,
      runs: 0,
      latest: undefined,
      process: undefined,
      trigger: 'batch',
    }));
  }

  /**
   * Changes landed in the container. A batch triggers the rules whose patterns match one of its paths (a folder
   * compared whole may hold any path, so it triggers every rule). A full sync (the first one, or after a new pod)
   * triggers the restart rules only: the dev command started before the files arrived.
   */
  public batchLanded(batch: LandedBatch): void {
    if (this.disposed) return;
    for (const state of this.rules) {
      const triggered = batch.full
        ? 'restart' in state.rule
        : batch.rescanned.length > 0 || batch.paths.some((path) => matches(state.matcher, path));
      if (!triggered) continue;
      state.trigger = batch.full ? 'fullSync' : 'batch';
      if (state.active) {
        if (!state.pending && state.latest !== undefined) {
          state.pending = true;
          state.latest = { ...state.latest, pending: true };
          this.changed();
        }
        continue;
      }
      void this.runRule(state);
    }
  }

  /** The latest run of each rule that has run. */
  public runs(): OnSyncRun[] {
    return this.rules.flatMap((state) => (state.latest === undefined ? [] : [state.latest]));
  }

  /** The output kept so far, oldest first. */
  public output(): readonly OnSyncOutputLine[] {
    return this.history;
  }

  /** Subscribes to new output lines and to the end of the runner; returns the unsubscribe function. */
  public subscribe(onLine: (line: OnSyncOutputLine) => void, onEnd: () => void): () => void {
    this.listeners.add(onLine);
    this.endListeners.add(onEnd);
    return () => {
      this.listeners.delete(onLine);
      this.endListeners.delete(onEnd);
    };
  }

  public get container(): string {
    return this.options.container;
  }

  public get ended(): boolean {
    return this.disposed;
  }

  /** Resolves once no rule runs or waits to run. */
  public idle(): Promise<void> {
    if (this.rules.every((state) => !state.active)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops every run in progress and ends the streams (the session ended). */
  public dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const state of this.rules) state.process?.close();
    for (const listener of this.endListeners) listener();
    this.listeners.clear();
    this.endListeners.clear();
  }

  private async runRule(state: RuleState): Promise<void> {
    state.active = true;
    try {
      do {
        state.pending = false;
        await this.runOnce(state);
      } while (state.pending && !this.disposed);
    } finally {
      state.active = false;
      state.pending = false;
      if (this.rules.every((rule) => !rule.active)) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }

  private async runOnce(state: RuleState): Promise<void> {
    const run = ++state.runs;
    const started = Date.now();
    const action = 'restart' in state.rule ? 'restart' : 'exec';
    state.latest = {
      rule: state.index,
      action,
      run,
      state: 'running',
      startedAt: new Date(started).toISOString(),
      pending: false,
    };
    this.changed();
    let pod = '';
    const end = (result: { exitCode?: number; error?: OnSyncRunError }): void => {
      const durationMs = Date.now() - started;
      const failed = result.error !== undefined || result.exitCode !== 0;
      state.latest = {
        ...(state.latest as OnSyncRun),
        state: failed ? 'failed' : 'succeeded',
        durationMs,
        ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
        ...(result.error !== undefined ? { error: result.error } : {}),
        pending: state.pending,
      };
      const outcome =
        result.error !== undefined ? `failed: ${result.error.message}` : `exited with code ${String(result.exitCode)}`;
      this.emit(
        state,
        run,
        pod,
        `devmode: ${action === 'restart' ? 'restart' : 'command'} ${outcome} after ${durationMs} ms`,
      );
      this.changed();
    };
    try {
      const target = await this.options.target();
      pod = target.pod;
      const argv = 'exec' in state.rule ? state.rule.exec : undefined;
      this.emit(
        state,
        run,
        pod,
        argv === undefined
          ? 'devmode: restarting the dev command'
          : `devmode: $ ${argv.map(quoteForDisplay).join(' ')}`,
      );
      const process = await target.exec(argv === undefined ? restartCommand() : inWorkDir(this.options.workDir, argv));
      state.process = process;
      if (action === 'restart' && state.trigger === 'batch') failpoint('onSync:duringRestart');
      const { exitCode, errorOutput } = await this.pump(state, run, pod, process);
      // 127 is the shell's "command not found"; a runtime that cannot start sh at all says so in its message.
      const missing =
        runtimeMissing(errorOutput) ??
        (exitCode === 127 ? (shellMissing(errorOutput) ?? (argv === undefined ? 'sh' : argv[0])) : undefined);
      end(missing !== undefined ? { exitCode, error: missingTool(missing, exitCode) } : { exitCode });
    } catch (error) {
      const missing = runtimeMissing((error as Error).message);
      end({ error: missing !== undefined ? missingTool(missing, undefined) : runError(error) });
    } finally {
      state.process = undefined;
    }
  }

  /** Reads a run's output to its end; resolves with the exit code and the start of its output (to tell why it failed). */
  private async pump(
    state: RuleState,
    run: number,
    pod: string,
    process: RemoteProcess,
  ): Promise<{ exitCode: number; errorOutput: string }> {
    let errorOutput = '';
    const read = (stream: NodeJS.ReadableStream): Promise<void> =>
      new Promise((resolve) => {
        const splitter = new LineSplitter();
        stream.on('data', (chunk: Buffer) => {
          if (errorOutput.length < keptErrorBytes) errorOutput += chunk.toString('utf8');
          for (const line of splitter.push(chunk)) this.emit(state, run, pod, line);
        });
        const done = (): void => {
          const rest = splitter.end();
          if (rest !== undefined) this.emit(state, run, pod, rest);
          resolve();
        };
        stream.once('end', done);
        stream.once('close', done);
        stream.once('error', done);
      });
    const reading = Promise.all([read(process.stdout), read(process.stderr)]);
    const status = await process.exit;
    // The exit status can arrive before the last output: let the readers finish, but not wait on a stuck stream.
    await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    return { exitCode: status.exitCode, errorOutput };
  }

  private emit(state: RuleState, run: number, pod: string, text: string): void {
    const line: OnSyncOutputLine = { rule: state.index, run, pod, text, timestamp: new Date().toISOString() };
    this.history.push(line);
    if (this.history.length > keptLines) this.history.splice(0, this.history.length - keptLines);
    for (const listener of this.listeners) listener(line);
  }

  private changed(): void {
    if (this.disposed) return;
    try {
      this.options.onChange(this.runs());
    } catch (error) {
      this.options.log(`onSync listener failed: ${(error as Error).message}`);
    }
  }
}

function matches(matcher: Ignore | undefined, path: string): boolean {
  if (matcher === undefined) return true;
  try {
    return matcher.ignores(path);
  } catch {
    return false;
  }
}

/** The program a container runtime could not find, from its message (`exec: "sh": executable file not found`). */
function runtimeMissing(text: string): string | undefined {
  return /exec: "([^"]+)": executable file not found/.exec(text)?.[1];
}

/** The program a shell could not find (`sh: 1: exec: npm: not found`, `sh: npm: not found`). */
function shellMissing(text: string): string | undefined {
  return /(?:exec: |^[^:\n]+: (?:\d+: )?)([^\s:]+): not found/m.exec(text)?.[1];
}

function missingTool(program: string, exitCode: number | undefined): OnSyncRunError {
  const needsShell = program === 'sh';
  return {
    code: DevModeErrorCodes.MissingTool,
    codeName: 'MissingTool',
    message: `${program} is not in the dev container${exitCode !== undefined ? ` (exit code ${exitCode})` : ''}`,
    hint: needsShell
      ? 'onSync runs its commands through sh: use a dev image that has sh (busybox, alpine and debian images do).'
      : `Install ${program} in the dev image, or change the onSync command.`,
  };
}

function runError(error: unknown): OnSyncRunError {
  if (error instanceof NamedError) {
    return {
      code: DevModeErrorCodes[error.code],
      codeName: error.code,
      message: error.message,
      ...(typeof error.data.hint === 'string' ? { hint: error.data.hint } : {}),
    };
  }
  return {
    code: DevModeErrorCodes.ContainerNotRunning,
    codeName: 'ContainerNotRunning',
    message: `the command could not run in the dev container: ${(error as Error).message}`,
    hint: 'Check that the dev pod is running (devMode/list); the next sync runs the rule again.',
  };
}

/** An argument as a person would type it, for the line that shows the command. */
function quoteForDisplay(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}

/**
 * One DevMode session's file sync: watches the local folder, keeps one agent running in the container, sends each
 * burst of changes as one batch, and (in two-way mode) brings container changes back. It reports where it stands
 * through `onState`, pauses and resumes, reconnects when the pod is replaced, and offers `flush`, a barrier that
 * resolves once every local change made before the call is visible in the container.
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { OnSyncRun, SyncMode, SyncState } from '@devmode/protocol';
import { AgentStartError, SyncAgent } from './agent.js';
import { syncAgentCommand } from './agentScript.js';
import { EngineError } from '../engineError.js';
import { LocalDirError, SyncDisconnectedError, SyncTimeoutError } from './errors.js';
import { IgnoreRules } from './ignore.js';
import { WATCH_LIMIT_CODE } from './issues.js';
import { parentRel, type RelPath } from './paths.js';
import { describeBytes, Replica, type ProgressReport, type TransferCounts } from './replica.js';
import { StateReporter, type SyncStateChange } from './stateReporter.js';
import type { SyncProgress, SyncSessionOptions, SyncSnapshot } from './types.js';
import { FolderWatcher, WatchLimitError } from './watcher.js';

export type { SyncConfig, SyncProgress, SyncSessionOptions, SyncSnapshot } from './types.js';
export type { SyncStateChange };

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** How often the folder is read when the watcher hit the system's limit. */
const WATCH_LIMIT_SCAN_MS = 2000;

export class SyncSession {
  public readonly localDir: string;
  public readonly workDir: string;
  public readonly mode: SyncMode;
  private readonly rules: IgnoreRules;
  private readonly replica: Replica;
  private readonly log: (line: string) => void;
  private readonly reporter: StateReporter;
  private watcher: FolderWatcher | undefined;
  private agent: SyncAgent | undefined;
  private state: SyncState = 'idle';
  private message: string | undefined;
  private started = false;
  private stopped = false;
  private paused = false;
  private dirty = new Set<RelPath>();
  private rescans = new Set<RelPath>();
  private inFlight = 0;
  private lastSyncAt: Date | undefined;
  private busy: Promise<unknown> = Promise.resolve();
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private burstTimer: NodeJS.Timeout | undefined;
  private burstStarted = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: number;
  private reconnecting = false;
  private waiters: Waiter[] = [];
  private scanTimer: NodeJS.Timeout | undefined;
  private pollDelay: number;
  /** Set by `podChanged`: the next connection is to a new container, whose files say nothing about the old one. */
  private podReplaced = false;
  private watchLimit: string | undefined;
  /** Files sent, deleted or brought back since the session started. */
  private transferred = 0;
  /** The latest run of each onSync rule, shown with the status; undefined when the session has no rules. */
  private onSyncRuns: OnSyncRun[] | undefined;

  public constructor(private readonly options: SyncSessionOptions) {
    this.localDir = options.localDir.replace(/\/+$/, '') || '/';
    this.workDir = options.workDir.replace(/\/+$/, '');
    this.mode = options.config.mode;
    this.log = options.log ?? (() => undefined);
    this.rules = new IgnoreRules(this.localDir, options.config);
    this.replica = new Replica(this.localDir, this.workDir, this.mode, this.rules, this.log);
    this.reconnectDelay = options.reconnectMs ?? 250;
    this.pollDelay = options.remotePollMs ?? 1000;
    this.reporter = new StateReporter(
      () => ({ state: this.state, message: this.message, pendingFiles: this.pendingFiles }),
      this.replica.issues,
      this.log,
    );
    if (options.onState !== undefined) this.reporter.subscribe(options.onState);
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  public onDidChangeState(listener: (change: SyncStateChange) => void): () => void {
    return this.reporter.subscribe(listener);
  }

  /** Starts watching, connects to the container and resolves once the initial sync is done. */
  public async start(): Promise<TransferCounts> {
    if (this.started) throw new Error('the sync session was already started');
    if (!isAbsolute(this.workDir) || this.workDir === '') {
      throw new LocalDirError(
        this.localDir,
        `cannot be synced to "${this.options.workDir}": the work directory must be absolute`,
      );
    }
    try {
      if (!statSync(this.localDir).isDirectory()) throw new LocalDirError(this.localDir, 'is not a directory');
    } catch (error) {
      if (error instanceof LocalDirError) throw error;
      throw new LocalDirError(this.localDir, 'does not exist');
    }
    this.started = true;
    this.watcher = new FolderWatcher(this.localDir, this.rules, {
      onChange: (rel, _isDir, rescan) => this.noteChange(rel, rescan),
      onError: (error) => this.onWatchError(error),
    });
    try {
      await this.connect();
      this.setState('scanning');
      const counts = await this.exclusive(() =>
        this.replica.fullSync(this.agent!, { forgetRemote: true, onProgress: (p) => this.progress('initial', p) }),
      );
      this.lastSyncAt = new Date();
      this.setState('idle');
      this.schedulePoll();
      this.fullSyncLanded(counts);
      // The watcher reads the whole tree before it is ready, so it starts once the first sync no longer needs the
      // CPU; what changed meanwhile is found by one more scan when it is ready.
      const watcher = this.watcher;
      void watcher.start().then(
        () => this.catchUp(),
        (error: unknown) => this.onWatchError(error as Error),
      );
      return counts;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Finds the changes made while the watcher was still starting, which it does not report. */
  private catchUp(): void {
    if (this.stopped) return;
    void this.exclusive(() => {
      for (const path of this.replica.localDifferences()) this.dirty.add(path);
      return Promise.resolve();
    }).then(() => this.pump());
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.burstTimer);
    clearTimeout(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    this.reporter.dispose();
    clearInterval(this.scanTimer);
    this.agent?.close();
    this.agent = undefined;
    this.rejectWaiters(new SyncDisconnectedError('The sync was stopped'));
    await this.watcher?.close();
    this.watcher = undefined;
  }

  /**
   * Resolves once every local change made before the call is in the container, including changes the watcher has
   * not reported yet: the folder is compared with what was last sent, then the differences are sent.
   */
  public async flush(timeoutMs = 30_000): Promise<{ filesTransferred: number }> {
    this.assertConnected();
    const before = this.transferred;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SyncTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      await Promise.race([
        (async () => {
          // The scan waits its turn so that it never races a batch that is being applied.
          await this.exclusive(() => {
            for (const path of this.replica.localDifferences()) this.dirty.add(path);
            return Promise.resolve();
          });
          await this.drain();
        })(),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
    return { filesTransferred: this.transferred - before };
  }

  public pause(): void {
    if (this.paused) return;
    this.paused = true;
    clearTimeout(this.burstTimer);
    this.rejectWaiters(new SyncDisconnectedError('The sync is paused'));
    if (this.state !== 'disconnected' && this.state !== 'error') this.setState('paused');
  }

  public resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // A resync cancelled while paused left the sync without a connection: reconnecting sends the folder.
    if (this.agent === undefined && this.started && !this.stopped) this.scheduleReconnect(0);
    if (this.state === 'paused') this.setState(this.agent === undefined ? 'disconnected' : 'idle');
    for (const path of this.replica.localDifferences()) this.dirty.add(path);
    void this.pump();
    this.schedulePoll();
  }

  /** Compares the whole folder with the container and transfers every difference. */
  public async resync(onProgress?: (progress: SyncProgress) => void): Promise<TransferCounts> {
    this.assertConnected();
    const counts = await this.exclusive(async () => {
      this.setState('scanning');
      try {
        return await this.replica.fullSync(this.agent!, {
          forgetRemote: false,
          onProgress: (p) => {
            this.progress('resync', p);
            onProgress?.({ operation: 'resync', ...p });
          },
        });
      } catch (error) {
        this.failed(error);
        throw error instanceof SyncDisconnectedError ? error : new SyncDisconnectedError((error as Error).message);
      }
    });
    this.lastSyncAt = new Date();
    this.settle();
    return counts;
  }

  /** The dev pod was replaced: reconnect to the new one and send what differs. */
  public podChanged(): void {
    if (!this.started || this.stopped) return;
    this.podReplaced = true;
    this.disconnect('The dev pod was replaced; reconnecting', 0);
  }

  /**
   * The container's version of a file in conflict, so that a person can compare it with the local one. Only a path
   * the sync lists as a conflict is read, and at most `maxBytes` of it.
   */
  public async conflictContent(
    localPath: string,
    maxBytes = 8 * 1024 * 1024,
  ): Promise<{ remotePath: string; content: Buffer; truncated: boolean }> {
    const conflict = [...this.replica.issues.conflicts.values()].find((candidate) => candidate.localPath === localPath);
    if (conflict === undefined) {
      throw new EngineError('NotFound', `${localPath} is not in conflict in this session`, {
        field: 'localPath',
        hint: 'sync/status lists the files in conflict',
      });
    }
    if (!this.started || this.stopped) throw new SyncDisconnectedError('The sync is not running');
    // The path is an argument of its own, never part of a shell line.
    const remote = await this.options.openRemote(['cat', '--', conflict.remotePath]);
    remote.stdin.end();
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    remote.stderr.resume();
    for await (const chunk of remote.stdout as AsyncIterable<Buffer>) {
      const room = maxBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        truncated = true;
        remote.close();
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    const status = await remote.exit.catch(() => ({ exitCode: null }));
    if (!truncated && status.exitCode !== 0) {
      throw new EngineError('NotFound', `${conflict.remotePath} cannot be read in the container`, {
        field: 'localPath',
      });
    }
    return { remotePath: conflict.remotePath, content: Buffer.concat(chunks), truncated };
  }

  public status(): SyncSnapshot {
    return {
      state: this.state,
      localDir: this.localDir,
      remoteDir: this.workDir,
      mode: this.mode,
      pendingFiles: this.pendingFiles,
      ...(this.lastSyncAt !== undefined ? { lastSyncAt: this.lastSyncAt.toISOString() } : {}),
      errors: [...this.replica.issues.errors.values()],
      conflicts: [...this.replica.issues.conflicts.values()],
      ...(this.message !== undefined ? { message: this.message } : {}),
      ...(this.onSyncRuns !== undefined ? { onSyncRuns: this.onSyncRuns } : {}),
    };
  }

  /**
   * The latest runs of the onSync rules that follow this sync's batches (run by their owner, onSync.ts): shown
   * with the status from now on, and announced to the state listeners unless `announce` is false.
   */
  public noteOnSyncRuns(runs: OnSyncRun[], announce = true): void {
    this.onSyncRuns = runs;
    if (announce && !this.stopped) this.reporter.announce({ onSyncRuns: runs });
  }

  private get pendingFiles(): number {
    return this.dirty.size + this.rescans.size + this.inFlight;
  }

  private noteChange(rel: RelPath, rescan: boolean): void {
    if (rel.endsWith('.gitignore')) {
      this.rules.forget(rel);
      this.rescans.add(parentRel(rel));
    }
    if (rescan) this.rescans.add(rel);
    else this.dirty.add(rel);
    this.scheduleBurst();
  }

  /** Waits a few ms for the burst to end (never longer than the cap), then sends it. */
  private scheduleBurst(): void {
    if (!this.canTransfer()) return;
    const now = Date.now();
    if (this.burstTimer === undefined) this.burstStarted = now;
    clearTimeout(this.burstTimer);
    const wait = Math.max(
      0,
      Math.min(this.options.coalesceMs ?? 3, this.burstStarted + (this.options.maxCoalesceMs ?? 25) - now),
    );
    this.burstTimer = setTimeout(() => {
      this.burstTimer = undefined;
      void this.pump();
    }, wait);
  }

  private canTransfer(): boolean {
    return this.started && !this.stopped && !this.paused && this.agent?.alive === true && !this.reconnecting;
  }

  private pump(): Promise<void> {
    if (this.pumping !== undefined) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      // Yield first, so that `pumping` is set before the loop can finish and clear it.
      await Promise.resolve();
      try {
        do {
          this.pumpAgain = false;
          while ((this.dirty.size > 0 || this.rescans.size > 0) && this.canTransfer()) {
            await this.exclusive(() => this.runBatch());
          }
        } while (this.pumpAgain && this.canTransfer());
      } catch (error) {
        this.failed(error);
      } finally {
        this.pumping = undefined;
        this.settle();
      }
    })();
    return this.pumping;
  }

  private async runBatch(): Promise<void> {
    const paths = [...this.dirty];
    const rescans = [...this.rescans];
    this.dirty.clear();
    this.rescans.clear();
    if (paths.length === 0 && rescans.length === 0) return;
    this.inFlight = paths.length;
    this.setState('syncing');
    this.pollDelay = this.options.remotePollMs ?? 1000;
    try {
      const sent = await this.replica.sendChanges(this.agent!, paths, rescans);
      this.transferred += sent.landed;
      this.lastSyncAt = new Date();
      if (sent.landed > 0) {
        this.options.onBatch?.({ paths: [...new Set([...paths, ...sent.paths])], rescanned: rescans, full: false });
      }
    } catch (error) {
      // Nothing of a failed batch is lost: its paths are checked again once the channel is back.
      for (const path of paths) this.dirty.add(path);
      for (const dir of rescans) this.rescans.add(dir);
      throw error;
    } finally {
      this.inFlight = 0;
    }
  }

  /**
   * A full sync that changed the container is a batch of the whole folder: a dev command that started before the
   * files arrived (a new pod) may restart now that they are there.
   */
  private fullSyncLanded(counts: TransferCounts): void {
    if (counts.filesTransferred + counts.filesDeleted > 0)
      this.options.onBatch?.({ paths: [], rescanned: [], full: true });
  }

  /** Resolves when nothing is pending any more; rejects when the sync disconnects, pauses or stops first. */
  private drain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      void this.pump();
    });
  }

  private settle(): void {
    if (this.pumping !== undefined || !this.canTransfer()) {
      this.report();
      return;
    }
    if (this.dirty.size > 0 || this.rescans.size > 0) {
      void this.pump();
      return;
    }
    if (this.state === 'syncing' || this.state === 'scanning') this.setState('idle');
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
    this.report();
  }

  private schedulePoll(): void {
    if (this.mode !== 'both' || this.stopped) return;
    clearTimeout(this.pollTimer);
    const base = this.options.remotePollMs ?? 1000;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      if (!this.canTransfer()) return;
      void this.exclusive(async () => {
        if (!this.canTransfer()) return;
        const pulled = await this.replica.pullRemoteChanges(this.agent!);
        this.transferred += pulled;
        // A quiet container is looked at less often, up to four times the interval; any change resets it.
        this.pollDelay = pulled > 0 ? base : Math.min(this.pollDelay * 1.5, base * 4);
      })
        .catch((error: unknown) => this.failed(error))
        .finally(() => {
          this.report();
          this.schedulePoll();
        });
    }, this.pollDelay);
  }

  private async connect(): Promise<void> {
    const process = await this.options.openRemote(syncAgentCommand(this.workDir));
    const agent = await SyncAgent.start(process, this.workDir, {
      onStderr: (text) => this.log(`sync agent: ${text.trimEnd()}`),
      compress: this.options.compress,
      ...(this.options.compressMinRttMs !== undefined ? { compressMinRttMs: this.options.compressMinRttMs } : {}),
    });
    if (this.stopped) {
      agent.close();
      throw new SyncDisconnectedError('The sync was stopped');
    }
    // Listing measures the round trip that compression depends on; without listing it is measured on its own.
    if (!agent.canList && agent.decompressor !== undefined) await agent.ping();
    this.agent = agent;
    void agent.ended.then(() => {
      if (this.agent === agent && !this.stopped)
        this.disconnect('The connection to the container closed; reconnecting', this.reconnectDelay);
    });
  }

  private disconnect(message: string, delay: number): void {
    this.agent?.close();
    this.agent = undefined;
    clearTimeout(this.burstTimer);
    this.burstTimer = undefined;
    this.setState('disconnected', message);
    this.rejectWaiters(new SyncDisconnectedError(message));
    this.scheduleReconnect(delay);
  }

  private scheduleReconnect(delay: number): void {
    if (this.stopped || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delay);
  }

  private async reconnect(): Promise<void> {
    if (this.stopped || this.agent?.alive === true) return;
    this.reconnecting = true;
    try {
      await this.connect();
      const forgetRemote = this.podReplaced;
      // After a lost connection (most often a restarted dev pod) the whole folder is compared again, which can
      // take a while: the person sees it as background work and may cancel it, which pauses the sync until
      // sync/resume. A sync paused meanwhile waits for sync/resume too.
      const work = this.options.events?.work(RESYNC_TITLE, () => this.pause());
      await work?.started;
      if (this.paused) {
        work?.done('Cancelled: the sync is paused until it is resumed');
        this.agent?.close();
        this.agent = undefined;
        this.reconnecting = false;
        this.setState('paused', 'The resync was cancelled; resume the sync to send the folder');
        return;
      }
      this.setState('scanning');
      try {
        const counts = await this.exclusive(() =>
          this.replica.fullSync(this.agent!, {
            forgetRemote,
            onProgress: (p) => work?.report(`${p.files} of ${p.totalFiles} files`, percentOf(p.bytes, p.totalBytes)),
          }),
        );
        work?.done(
          `${counts.filesTransferred} files copied (${describeBytes(counts)}), ${counts.filesDeleted} deleted`,
        );
        this.fullSyncLanded(counts);
      } catch (error) {
        work?.done(`The resync failed: ${(error as Error).message}`);
        throw error;
      }
      this.podReplaced = false;
      this.reconnecting = false;
      this.reconnectDelay = this.options.reconnectMs ?? 250;
      this.lastSyncAt = new Date();
      this.setState(this.paused ? 'paused' : 'idle');
      this.schedulePoll();
      void this.pump();
    } catch (error) {
      this.reconnecting = false;
      if (this.stopped) return;
      this.agent?.close();
      this.agent = undefined;
      const missingTool = error instanceof AgentStartError && error.reason === 'tar';
      this.setState(missingTool ? 'error' : 'disconnected', `${(error as Error).message}; retrying`);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, 5000);
      this.scheduleReconnect(this.reconnectDelay);
    }
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    const message = (error as Error).message;
    this.log(`sync failed: ${message}`);
    // After a failure in the middle of a command the channel may be out of step: start over on a fresh one.
    this.disconnect(`The sync was interrupted (${message}); reconnecting`, this.reconnectDelay);
  }

  private onWatchError(error: Error): void {
    this.log(`file watcher: ${error.message}`);
    if (!(error instanceof WatchLimitError) || this.watchLimit !== undefined) return;
    this.watchLimit = error.message;
    // Listed with the folder's errors too, with its code, so that a client can tell this failure from others.
    this.replica.issues.addError('', error.message, WATCH_LIMIT_CODE);
    this.setState(this.state, this.message);
    // Without a complete watcher, changes are found by reading the folder every few seconds.
    this.scanTimer = setInterval(() => {
      if (!this.canTransfer()) return;
      void this.exclusive(() => {
        for (const path of this.replica.localDifferences()) this.dirty.add(path);
        return Promise.resolve();
      }).then(() => this.pump());
    }, WATCH_LIMIT_SCAN_MS);
  }

  private assertConnected(): void {
    if (!this.started || this.stopped) throw new SyncDisconnectedError('The sync is not running');
    if (this.paused) throw new SyncDisconnectedError('The sync is paused; resume it first');
    if (this.agent?.alive !== true || this.reconnecting) {
      throw new SyncDisconnectedError(this.message ?? 'The sync is not connected to the container');
    }
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.busy.then(task, task);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private progress(operation: SyncProgress['operation'], report: ProgressReport): void {
    this.options.onProgress?.({ operation, ...report });
  }

  private setState(state: SyncState, message?: string): void {
    // Past the watch limit, transfers still work (the folder is scanned instead), but the person must know.
    if (this.watchLimit !== undefined && (state === 'idle' || state === 'syncing' || state === 'scanning')) {
      this.state = 'error';
      this.message = this.watchLimit;
    } else {
      this.state = state;
      this.message = message;
    }
    this.report();
  }

  private report(): void {
    this.reporter.report();
  }
}

const RESYNC_TITLE = 'Resyncing files after reconnecting to the dev container';

function percentOf(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, Math.floor((100 * part) / whole)) : 100;
}

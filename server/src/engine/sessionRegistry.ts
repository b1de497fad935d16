/**
 * The one owner of this server's DevMode sessions. A `DevSession` is the whole of a session: its state and phase,
 * the workload it rewrote (whose record in the cluster says how to undo it), its dev pod, the port-forwards and the
 * file sync it started. Handlers ask the registry, never the parts.
 *
 * `start` runs one list of phase steps (the cluster steps of devMode.ts, then the port-forwards and the sync) and
 * reports each phase as data; a failure or a cancellation rolls back what ran. `stop` during a start cancels the
 * start, waits for its rollback, and answers once the workload is restored. A running session watches its record:
 * when someone else restores the workload, the session stops its own parts and says so.
 */
import { randomUUID } from 'node:crypto';
import type {
  DebugAttachInfo,
  DevModeContainer,
  DevModeMode,
  DevModePhase,
  DevModeState,
  PortForward,
} from '@devmode/protocol';
import type { Clusters } from './clusters.js';
import {
  sameWorkload,
  type DevModeEngine,
  type DevModeReporter,
  type DevModeStateChange,
  type ResetOutcome,
  type StartedWorkload,
  type StartRequest,
  type WorkloadStart,
  type WorkloadTarget,
} from './devMode.js';
import type { DevModeRecord } from './devModePatch.js';
import { execInPod, type RemoteProcess } from '../kube/exec.js';
import type { KubeObject } from '../kube/objects.js';
import { isPodStarted } from './podTargets.js';
import type { PortForwards } from './portForward.js';
import { sessionLabel } from './objects.js';
import { runPhases, type PhaseStep } from './phases.js';
import { SyncSession, type SyncSnapshot } from './sync/session.js';
import { OnSyncRunner } from './onSync.js';
import { describeBytes, type TransferCounts } from './sync/replica.js';
import type { SyncSessions } from './sync/sessions.js';
import { EngineError } from './engineError.js';
import { silentUserEvents, type UserEvents } from './userEvents.js';

/** One container of a session in DevMode, with the port-forwards its config started and its file sync. */
export interface DevSessionContainer {
  container: string;
  workDir: string;
  /** The local folder synced into it; undefined when it syncs nothing. */
  localDir: string | undefined;
  forwards: PortForward[];
  sync: SyncSession | undefined;
  /** Runs its dev config's onSync rules after each batch of its sync; undefined without rules. */
  onSync: OnSyncRunner | undefined;
  /** How a debugger attaches to its dev command, when its dev config asks for debug. */
  debug: DebugAttachInfo | undefined;
}

/** One DevMode session of this server, from the moment `devMode/start` is received until it has stopped. */
export class DevSession {
  public state: DevModeState = 'starting';
  public phase: DevModePhase | undefined;
  /** Set once the start has succeeded. */
  public started: StartedWorkload | undefined;
  /**
   * The containers in DevMode, the target container first, once the start has reached its port-forwards: each
   * holds the forwards and the sync this session started for it (a client's own `portForward/start` forwards are
   * not among them).
   */
  public containers: DevSessionContainer[] = [];
  /** Fires when the start must stop: the client cancelled it or sent `devMode/stop`. */
  public readonly cancel = new AbortController();
  /** True when the start was cancelled by a `devMode/stop` rather than by the client cancelling the request. */
  public stopRequested = false;
  /** Settles when the start has finished, successfully or after its rollback. */
  public startDone: Promise<void> = Promise.resolve();
  public unwatchRecord: (() => void) | undefined;

  public constructor(
    public readonly sessionId: string,
    public readonly target: WorkloadTarget,
    public readonly mode: DevModeMode,
    public readonly localDir: string,
  ) {}

  /** Every port-forward the session started, for all its containers. */
  public get forwards(): PortForward[] {
    return this.containers.flatMap((container) => container.forwards);
  }

  /** How a debugger attaches: to the target container, or the first container with debug. */
  public get debug(): DebugAttachInfo | undefined {
    return this.containers.find((container) => container.debug !== undefined)?.debug;
  }

  /** The target container's file sync. */
  public get sync(): SyncSession | undefined {
    return this.containers[0]?.sync;
  }

  /** A container in DevMode by name; the target container when no name is given. */
  public container(name?: string): DevSessionContainer | undefined {
    return name === undefined ? this.containers[0] : this.containers.find((entry) => entry.container === name);
  }

  /** The containers as the protocol shows them, with the state of each sync. */
  public containerStates(): DevModeContainer[] {
    return this.containers.map((entry) => ({
      container: entry.container,
      workDir: entry.workDir,
      ...(entry.localDir !== undefined ? { localDir: entry.localDir } : {}),
      ...(entry.sync !== undefined
        ? { sync: { sessionId: this.sessionId, container: entry.container, ...entry.sync.status() } }
        : {}),
      portForwards: entry.forwards,
      ...(entry.debug !== undefined ? { debug: entry.debug } : {}),
    }));
  }
}

/** What `stop` did: the workload it restored, and why its pods are not ready when they are not. */
export interface StopOutcome {
  target: WorkloadTarget;
  podsNotReady?: string;
}

export interface StartedDevSession {
  session: DevSession & { started: StartedWorkload };
  portForwards: PortForward[];
  sync?: SyncSnapshot & { sessionId: string; container: string };
  containers: DevModeContainer[];
  debug?: DebugAttachInfo;
}

/** A workload in DevMode as `devMode/list` shows it: this server's sessions, then the cluster's other records. */
export interface ListedSession {
  session?: DevSession;
  record?: DevModeRecord;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, DevSession>();

  public constructor(
    private readonly engine: DevModeEngine,
    private readonly clusters: Clusters,
    private readonly forwards: PortForwards,
    private readonly syncs: SyncSessions,
    private readonly onStateChange: (change: DevModeStateChange) => void,
    private readonly log: (line: string) => void,
    private readonly events: UserEvents = silentUserEvents,
  ) {}

  public get(sessionId: string): DevSession | undefined {
    return this.sessions.get(sessionId);
  }

  public all(): DevSession[] {
    return [...this.sessions.values()];
  }

  /** The sync of a session of this server into one of its containers (the target container when none is named). */
  public syncOf(sessionId: string, container?: string): SyncSession | undefined {
    return this.sessions.get(sessionId)?.container(container)?.sync;
  }

  /** The onSync runs of a session of this server in one container (the target container when none is named). */
  public onSyncOf(sessionId: string, container?: string): OnSyncRunner | undefined {
    return this.sessions.get(sessionId)?.container(container)?.onSync;
  }

  /** The target container of a session of this server. */
  public targetContainer(sessionId: string): string | undefined {
    return this.sessions.get(sessionId)?.container()?.container;
  }

  public async start(
    request: StartRequest,
    reporter: DevModeReporter,
    signal: AbortSignal,
  ): Promise<StartedDevSession> {
    const session = new DevSession(randomUUID(), request.target, request.mode, request.localDir);
    // Registered before the first await, so that a devMode/stop sent right after the start finds it.
    this.sessions.set(session.sessionId, session);
    const onClientCancel = (): void => session.cancel.abort();
    if (signal.aborted) onClientCancel();
    signal.addEventListener('abort', onClientCancel);
    let settle: () => void = () => undefined;
    session.startDone = new Promise((resolve) => (settle = resolve));
    const start: WorkloadStart = { request, sessionId: session.sessionId, reporter, signal: session.cancel.signal };
    const steps: PhaseStep[] = [
      ...this.engine.startSteps(start),
      {
        phase: 'portForward',
        run: async () => {
          session.started = start.result;
          session.containers = (start.result?.devContainers ?? []).map((entry) => ({
            container: entry.config.container,
            workDir: entry.config.workDir,
            localDir: entry.localDir,
            forwards: [],
            sync: undefined,
            onSync: undefined,
            debug: undefined,
          }));
          for (const container of session.containers) await this.startForwards(session, container, reporter);
        },
        undo: async () => this.endLocalParts(session),
      },
      {
        phase: 'sync',
        run: async () => {
          for (const container of session.containers) await this.startSync(session, container, reporter);
        },
        undo: async () => this.endLocalParts(session),
      },
    ];
    let undoFailure: unknown;
    try {
      await runPhases(steps, {
        signal: session.cancel.signal,
        onPhase: (phase) => {
          session.phase = phase;
          this.onStateChange({ sessionId: session.sessionId, target: request.target, state: 'starting', phase });
        },
        cancelled: () =>
          new EngineError(
            'RequestCancelled',
            session.stopRequested
              ? 'DevMode start was cancelled by devMode/stop; the workload was restored'
              : 'DevMode start was cancelled; the workload was restored',
          ),
        onRollback: (error) => {
          session.phase = 'restoreWorkload';
          this.onStateChange({
            sessionId: session.sessionId,
            target: request.target,
            state: 'stopping',
            phase: 'restoreWorkload',
          });
          reporter.progress(
            'restoreWorkload',
            `Start did not finish (${(error as Error).message}); restoring ${request.target.kind} ${request.target.name}`,
          );
        },
        onUndoFailed: (phase, error) => {
          undoFailure ??= error;
          this.log(`undoing the ${phase} step of a failed start failed: ${(error as Error).stack ?? String(error)}`);
        },
      });
    } catch (error) {
      session.state = 'failed';
      this.sessions.delete(session.sessionId);
      if (undoFailure !== undefined && error instanceof EngineError) {
        const message = (undoFailure as Error).message;
        error.data.restoreError = message;
        error.data.hint = `The workload could not be restored automatically (${message}); run devMode/reset.`;
      }
      // A cancelled start whose rollback finished left the workload as it was: the session ended, it did not fail.
      const cancelledCleanly =
        undoFailure === undefined && error instanceof EngineError && error.code === 'RequestCancelled';
      this.onStateChange({
        sessionId: session.sessionId,
        target: request.target,
        state: cancelledCleanly ? 'stopped' : 'failed',
        message: (error as Error).message,
        ...(error instanceof EngineError ? { error } : {}),
      });
      throw error;
    } finally {
      signal.removeEventListener('abort', onClientCancel);
      settle();
    }
    const started = session.started as StartedWorkload;
    session.state = 'running';
    session.phase = undefined;
    this.onStateChange({
      sessionId: session.sessionId,
      target: started.target,
      state: 'running',
      message: `pod ${started.pod}`,
    });
    // The watch is set up in the background: the session is running whether or not it is in place yet.
    void this.watchRecord(session, started);
    const target = session.containerStates()[0];
    return {
      session: session as DevSession & { started: StartedWorkload },
      portForwards: session.forwards,
      ...(target?.sync !== undefined ? { sync: { ...target.sync, container: target.container } } : {}),
      containers: session.containerStates(),
      ...(session.debug !== undefined ? { debug: session.debug } : {}),
    };
  }

  /**
   * Ends a session of this server and restores its workload. A session still starting is cancelled and its
   * rollback awaited. Without a session of this server on the target, only an abandoned session of this user is
   * stopped, unless `takeOver` says to stop another server's session too.
   */
  public async stop(
    selector: { sessionId: string } | { target: WorkloadTarget; takeOver?: boolean },
    reporter: DevModeReporter,
  ): Promise<StopOutcome> {
    const session =
      'sessionId' in selector
        ? this.sessions.get(selector.sessionId)
        : this.all().find((candidate) => sameWorkload(candidate.target, selector.target));
    if (session === undefined) {
      if ('sessionId' in selector) {
        throw new EngineError('UnknownId', `No DevMode session has the id ${selector.sessionId}`, {
          field: 'sessionId',
          hint: 'devMode/list shows the sessions; devMode/reset restores a workload from the cluster alone.',
        });
      }
      const target = selector.target;
      const plan = await this.engine.stoppable(target, { takeOver: selector.takeOver === true });
      this.onStateChange({ target, state: 'stopping', phase: 'restoreWorkload' });
      const podsNotReady = await this.engine.stop(target, plan, reporter);
      this.onStateChange({ target, state: 'stopped' });
      return { target, ...(podsNotReady !== undefined ? { podsNotReady } : {}) };
    }
    if (session.state === 'starting') return this.stopStarting(session, reporter);
    if (session.state === 'stopping') {
      throw new EngineError('WorkloadConflict', `DevMode session ${session.sessionId} is already stopping`, {
        hint: 'Wait for devMode/didChangeState to say stopped.',
      });
    }
    const target = session.started?.target ?? session.target;
    // A refusal (someone else changed the workload) leaves the session running, for devMode/reset to end.
    const plan = await this.engine.stoppable(target, { sessionId: session.sessionId });
    session.state = 'stopping';
    session.phase = 'restoreWorkload';
    this.onStateChange({ sessionId: session.sessionId, target, state: 'stopping', phase: 'restoreWorkload' });
    // The sync is stopped first so that nothing writes into a container that is going away.
    await this.endLocalParts(session);
    let podsNotReady: string | undefined;
    try {
      podsNotReady = await this.engine.stop(target, plan, reporter);
    } finally {
      this.sessions.delete(session.sessionId);
    }
    session.state = 'stopped';
    this.onStateChange({ sessionId: session.sessionId, target, state: 'stopped' });
    return { target, ...(podsNotReady !== undefined ? { podsNotReady } : {}) };
  }

  /** A stop during a start: cancels the start, waits for its rollback, then for the workload to be back. */
  private async stopStarting(session: DevSession, reporter: DevModeReporter): Promise<StopOutcome> {
    session.stopRequested = true;
    session.cancel.abort();
    await session.startDone;
    if (session.state === 'running') {
      // The start finished before it saw the cancellation: stop it as any running session.
      return this.stop({ sessionId: session.sessionId }, reporter);
    }
    const podsNotReady = await this.engine.waitUntilRestored(session.target, session.sessionId, reporter);
    this.onStateChange({ sessionId: session.sessionId, target: session.target, state: 'stopped' });
    return { target: session.target, ...(podsNotReady !== undefined ? { podsNotReady } : {}) };
  }

  public async reset(target: WorkloadTarget, reporter: DevModeReporter): Promise<ResetOutcome> {
    const local = this.all().filter((session) => sameWorkload(session.target, target));
    for (const session of local) {
      if (session.state === 'starting') {
        session.cancel.abort();
        await session.startDone;
      }
      session.state = 'stopping';
      await this.endLocalParts(session);
    }
    try {
      return await this.engine.reset(target, reporter);
    } finally {
      for (const session of local) {
        session.state = 'stopped';
        this.sessions.delete(session.sessionId);
      }
    }
  }

  /** Ends every session's local parts (shutdown); DevMode stays on in the cluster. */
  public async dispose(): Promise<void> {
    const sessions = this.all();
    this.sessions.clear();
    for (const session of sessions) session.cancel.abort();
    await Promise.all(sessions.map((session) => session.startDone));
    await Promise.all(sessions.map((session) => this.endLocalParts(session)));
  }

  /** Stops what the session started locally: its record watch, port-forwards and sync. */
  private async endLocalParts(session: DevSession): Promise<void> {
    session.unwatchRecord?.();
    session.unwatchRecord = undefined;
    const stopping: Promise<void>[] = [];
    for (const container of session.containers) {
      for (const forward of container.forwards) this.forwards.stop(forward.id);
      container.forwards = [];
      container.onSync?.dispose();
      const sync = container.sync;
      container.sync = undefined;
      if (sync !== undefined) {
        this.syncs.remove(session.sessionId, container.container);
        stopping.push(sync.stop());
      }
    }
    await Promise.all(stopping);
  }

  /** When someone else restores the workload, the session's forwards and sync have nothing left to serve. */
  private async watchRecord(session: DevSession, started: StartedWorkload): Promise<void> {
    try {
      const unwatch = await this.engine.watchRecord(
        started.devWorkload,
        session.sessionId,
        started.observedAt,
        (reason) => {
          if (session.state !== 'running') return;
          session.state = 'stopped';
          this.sessions.delete(session.sessionId);
          const message = `DevMode of ${started.target.kind} ${started.target.name} was ended outside this session: ${reason}. Its port-forwards and file sync were stopped.`;
          void this.endLocalParts(session).finally(() => {
            this.onStateChange({ sessionId: session.sessionId, target: started.target, state: 'stopped', message });
            this.events.show('warning', message);
          });
        },
      );
      // The session may have stopped while the watch was being set up.
      if (session.state === 'running') session.unwatchRecord = unwatch;
      else unwatch();
    } catch (error) {
      this.log(`cannot watch the DevMode record of session ${session.sessionId}: ${(error as Error).message}`);
    }
  }

  /** Starts the port-forwards of one container's config; they reach the pod, whose containers share its network. */
  private async startForwards(
    session: DevSession,
    container: DevSessionContainer,
    reporter: DevModeReporter,
  ): Promise<void> {
    const started = session.started as StartedWorkload;
    const config = started.devContainers.find((entry) => entry.config.container === container.container)?.config;
    if (config === undefined) return;
    const debug = config.debug;
    // The debug port is forwarded like any other, unless the config already forwards it.
    const specs =
      debug === undefined || config.portForward.some((spec) => spec.remote === debug.port)
        ? config.portForward
        : [...config.portForward, { local: debug.port, remote: debug.port }];
    if (specs.length === 0) return;
    const of = session.containers.length > 1 ? ` of container ${container.container}` : '';
    reporter.progress(
      'portForward',
      `Forwarding ${specs.map((spec) => `127.0.0.1:${spec.local} -> ${spec.remote}`).join(', ')}${of}`,
      80,
    );
    const forwards = await this.forwards.startForSession(session.sessionId, started.devWorkload, specs);
    container.forwards = forwards;
    for (const forward of forwards) {
      const moved =
        forward.localPort !== specs.find((spec) => spec.remote === forward.remotePort)?.local
          ? ' (the configured port was taken)'
          : '';
      reporter.progress(
        'portForward',
        `Port-forward ${forward.address}:${forward.localPort} -> ${forward.remotePort} is active${moved}`,
      );
    }
    const debugForward = forwards.find((forward) => forward.remotePort === debug?.port);
    if (debug !== undefined && debugForward !== undefined) {
      const localRoot = container.localDir ?? session.localDir;
      container.debug = {
        kind: debug.kind,
        address: debugForward.address,
        localPort: debugForward.localPort,
        remotePort: debug.port,
        remoteRoot: config.workDir,
        localRoot,
      };
      reporter.progress(
        'portForward',
        `Debugger (${debug.kind}) at ${debugForward.address}:${debugForward.localPort}${of}, sources ${localRoot} -> ${config.workDir}`,
      );
    }
  }

  /** Starts the file sync of one container, when it has a local folder to sync. */
  private async startSync(
    session: DevSession,
    container: DevSessionContainer,
    reporter: DevModeReporter,
  ): Promise<void> {
    const started = session.started as StartedWorkload;
    const config = started.devContainers.find((entry) => entry.config.container === container.container)?.config;
    const localDir = container.localDir;
    if (config === undefined || localDir === undefined) return;
    const into = session.containers.length > 1 ? `${container.container}:` : '';
    reporter.progress('sync', `Synchronizing ${localDir} -> ${into}${config.workDir} (${config.sync.mode})`, 85);
    const execIn = async (pod: string, command: string[], stdin: boolean): Promise<RemoteProcess> => {
      const cluster = await this.clusters.client(started.devWorkload.context);
      const target = { namespace: started.target.namespace, pod, container: container.container };
      return execInPod(cluster, target, command, { stdin });
    };
    // The start has just seen this pod running: the first connection goes there without asking the cluster again.
    let startedPod: string | undefined = started.pod;
    const sync = new SyncSession({
      localDir,
      workDir: config.workDir,
      config: config.sync,
      openRemote: async (command) => {
        const known = startedPod;
        startedPod = undefined;
        return execIn(known ?? (await this.devPod(session.sessionId, started)), command, true);
      },
      ...(config.onSync.length > 0 ? { onBatch: (batch) => container.onSync?.batchLanded(batch) } : {}),
      onProgress: (progress) => {
        if (progress.operation !== 'initial') return;
        reporter.progress(
          'sync',
          `${progress.files}/${progress.totalFiles} files, ${formatBytes(progress.bytes)} of ${formatBytes(progress.totalBytes)}`,
        );
      },
      log: this.log,
      events: this.events,
    });
    if (config.onSync.length > 0) {
      // The runner follows the sync's batches, and the sync shows its runs with its status.
      container.onSync = new OnSyncRunner({
        rules: config.onSync,
        container: container.container,
        workDir: config.workDir,
        target: async () => {
          const pod = await this.devPod(session.sessionId, started);
          return { pod, exec: (argv) => execIn(pod, argv, false) };
        },
        onChange: (runs) => sync.noteOnSyncRuns(runs),
        log: this.log,
      });
      sync.noteOnSyncRuns([], false);
    }
    let sent: TransferCounts;
    try {
      sent = await sync.start();
    } catch (error) {
      await sync.stop();
      throw error;
    }
    container.sync = sync;
    this.syncs.add(session.sessionId, sync, container.container);
    reporter.progress(
      'sync',
      `File sync${into === '' ? '' : ` into ${container.container}`} started (${describeCounts(sent)})`,
      95,
    );
  }

  /** The session's current dev pod: it changes when the pod is replaced, and the sync reconnects to the new one. */
  private async devPod(sessionId: string, started: StartedWorkload): Promise<string> {
    const cluster = await this.clusters.client(started.devWorkload.context);
    const pods = await cluster.objects.list('v1', 'Pod', started.target.namespace);
    const mine = pods
      .filter((pod) => sessionOf(pod) === sessionId && isPodStarted(pod))
      .sort((a, b) =>
        String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')),
      );
    const pod = mine[0];
    if (pod === undefined)
      throw new EngineError('ContainerNotRunning', `No running dev pod of session ${sessionId}`, {
        retryable: true,
      });
    return pod.metadata.name;
  }
}

function sessionOf(pod: KubeObject): string | undefined {
  return pod.metadata.labels?.[sessionLabel] ?? pod.metadata.annotations?.[sessionLabel];
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function describeCounts(counts: TransferCounts): string {
  if (counts.filesTransferred === 0 && counts.filesDeleted === 0) return 'the container was already in step';
  return `${counts.filesTransferred} file(s) sent (${describeBytes(counts)}), ${counts.filesDeleted} removed`;
}

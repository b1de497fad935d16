/**
 * Port-forwards that outlive their pods. Each forward owns a local listener that stays bound for its whole life;
 * every local connection is carried to the pod that currently backs the forward. When that pod goes away, new
 * connections wait (bounded) while the forward follows the workload to its next ready pod.
 */
import type { DidChangePortForwardStateParams, PortForward, PortForwardState } from '@devmode/protocol';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeError } from '../kube/errors.js';
import type { KubeObject, ObjectClient } from '../kube/objects.js';
import { podPortForwarder, type PortForwarder } from '../kube/portForward.js';
import type { Clusters } from './clusters.js';
import { backoffDelay, sleep } from './backoff.js';
import { ForwardedConnection } from './forwardedConnection.js';
import {
  isPodReady,
  isPodRunning,
  isPodStarted,
  PodWatcher,
  resolvePodSelection,
  type PodsTarget,
} from './podTargets.js';
import { EngineError } from './engineError.js';

/** What the engine needs from a cluster. */
export interface ForwardCluster {
  objects: ObjectClient;
  forwarder: PortForwarder;
}

/** The clusters of a server, as the port-forward engine uses them. */
export function forwardClusters(clusters: Clusters): (context: string | undefined) => Promise<ForwardCluster> {
  return async (context) => {
    const client = await clusters.client(context);
    return { objects: client.objects, forwarder: podPortForwarder(client) };
  };
}

export interface StartForwardOptions {
  target: PodsTarget;
  remotePort: number;
  /** `remotePort` when absent; 0 for any free port. */
  localPort?: number;
  address?: string;
  allowNextFreePort?: boolean;
  sessionId?: string;
}

export interface PortForwardOptions {
  /** How long a new local connection waits for a ready pod before it is closed. */
  connectionWaitMs: number;
  /** How many ports above the requested one `allowNextFreePort` tries. */
  nextFreePortAttempts: number;
}

const defaultOptions: PortForwardOptions = { connectionWaitMs: 10_000, nextFreePortAttempts: 100 };

/** A change of a forward's warning alone is reported at most this often, so refused connections cause no storm. */
const WARNING_INTERVAL_MS = 2000;

/** The local port is taken (and the request did not allow another). */
export class PortInUseError extends EngineError {
  public constructor(
    public readonly address: string,
    public readonly port: number,
  ) {
    super('PortInUse', `Local port ${port} on ${address} is already in use`, {
      field: 'localPort',
      port,
      hint: 'Pick another localPort, set allowNextFreePort to take the next free one, or stop what listens there.',
    });
    this.name = 'PortInUseError';
  }
}

export class UnknownForwardError extends EngineError {
  public constructor(id: string) {
    super('UnknownId', `no port-forward has id "${id}"`, { field: 'id' });
    this.name = 'UnknownForwardError';
  }
}

export class PortForwards {
  private readonly forwards = new Map<string, Forward>();
  private nextId = 1;

  public constructor(
    private readonly cluster: (context: string | undefined) => Promise<ForwardCluster>,
    private readonly onStateChange: (change: DidChangePortForwardStateParams) => void,
    private readonly options: PortForwardOptions = defaultOptions,
  ) {}

  /** Starts a forward; resolves once the local port listens. */
  public async start(request: StartForwardOptions): Promise<PortForward> {
    const cluster = await this.cluster(request.target.context);
    const selection = await resolvePodSelection(cluster.objects, request.target);
    const address = request.address ?? '127.0.0.1';
    const server = await listen(
      address,
      request.localPort ?? request.remotePort,
      request.allowNextFreePort === true ? this.options.nextFreePortAttempts : 0,
    );
    const id = `pf-${this.nextId++}`;
    const forward = new Forward(
      id,
      request,
      address,
      server,
      new PodWatcher(cluster.objects, selection),
      cluster.forwarder,
      this.options,
      (change) => {
        if (change.state === 'stopped') this.forwards.delete(id);
        this.onStateChange(change);
      },
    );
    this.forwards.set(id, forward);
    await forward.ready();
    return forward.info();
  }

  public stop(id: string): void {
    const forward = this.forwards.get(id);
    if (forward === undefined) throw new UnknownForwardError(id);
    forward.stop();
  }

  /**
   * Starts the forwards of a DevMode session's dev config (`local:remote` pairs) to its target. A forward whose local
   * port is taken moves to the next free port rather than failing the session; the result says where each listens.
   */
  public async startForSession(
    sessionId: string,
    target: PodsTarget,
    specs: { local: number; remote: number }[],
  ): Promise<PortForward[]> {
    const started: PortForward[] = [];
    try {
      for (const spec of specs) {
        started.push(
          await this.start({
            target,
            remotePort: spec.remote,
            localPort: spec.local,
            allowNextFreePort: true,
            sessionId,
          }),
        );
      }
    } catch (error) {
      this.stopSession(sessionId);
      throw error;
    }
    return started;
  }

  /** Stops the forwards a DevMode session started. */
  public stopSession(sessionId: string): void {
    for (const forward of [...this.forwards.values()]) if (forward.sessionId === sessionId) forward.stop();
  }

  public list(sessionId?: string): PortForward[] {
    return [...this.forwards.values()]
      .filter((forward) => sessionId === undefined || forward.sessionId === sessionId)
      .map((forward) => forward.info());
  }

  public dispose(): void {
    for (const forward of [...this.forwards.values()]) forward.stop();
  }
}

/** Listens on `port`, or on one of the next `extraAttempts` ports when it is taken. */
async function listen(address: string, port: number, extraAttempts: number): Promise<Server> {
  for (let candidate = port; ; candidate++) {
    try {
      return await listenOnce(address, candidate);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const canTryNext = port !== 0 && candidate < port + extraAttempts && candidate < 65535;
      if ((code === 'EADDRINUSE' || code === 'EACCES') && canTryNext) continue;
      if (code === 'EADDRINUSE') throw new PortInUseError(address, port);
      throw error;
    }
  }
}

function listenOnce(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({
      noDelay: true,
      allowHalfOpen: true,
      pauseOnConnect: true,
      highWaterMark: 256 * 1024,
    });
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

class Forward {
  public readonly sessionId: string | undefined;
  private state: PortForwardState = 'reconnecting';
  private pod: string | undefined;
  private error: string | undefined;
  private failedDials = 0;
  /** Set while the API server does not answer; the watch clears it when it reaches it again. */
  private apiServerDown = false;
  /** The warning last reported, and the one to report when the interval allows. */
  private warning: string | undefined;
  private nextWarning: string | undefined;
  private warningTimer: NodeJS.Timeout | undefined;
  private warningReportedAt = 0;
  /** Connections the pod refused since one was last answered. */
  private refusedConnections = 0;
  private readonly connections = new Set<ForwardedConnection>();
  /** Local connections waiting for the forward to become active. */
  private readonly stateWaiters = new Set<() => void>();
  private readonly stopPodWatch: () => void;
  private readonly stopConnectionWatch: () => void;

  public constructor(
    private readonly id: string,
    private readonly request: StartForwardOptions,
    private readonly address: string,
    private readonly server: Server,
    private readonly watcher: PodWatcher,
    private readonly forwarder: PortForwarder,
    private readonly options: PortForwardOptions,
    private readonly emit: (change: DidChangePortForwardStateParams) => void,
  ) {
    this.sessionId = request.sessionId;
    server.on('connection', (socket: Socket) => void this.accept(socket));
    server.on('error', (error) => this.fail(`the local listener failed: ${error.message}`));
    this.stopPodWatch = watcher.onChange(() => this.followPods());
    this.stopConnectionWatch = watcher.onConnectionChange((error) => this.apiServerChanged(error));
  }

  /** Resolves once the pods are known, so that the first state reported is a real one. */
  public async ready(): Promise<void> {
    await this.watcher.whenSynced();
    this.followPods();
    if (this.watcher.connectionError !== undefined) this.apiServerChanged(this.watcher.connectionError);
    if (this.pod === undefined && this.state === 'reconnecting' && this.error === undefined) {
      this.error = `no ready pod for ${this.watcher.selection.description} yet`;
    }
  }

  public info(): PortForward {
    const port = (this.server.address() as { port: number } | null)?.port ?? this.request.localPort ?? 0;
    return {
      id: this.id,
      target: this.request.target,
      ...(this.pod !== undefined ? { pod: this.pod } : {}),
      address: this.address,
      localPort: port,
      remotePort: this.request.remotePort,
      state: this.state,
      ...(this.sessionId !== undefined ? { sessionId: this.sessionId } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.warning !== undefined ? { warning: this.warning } : {}),
    };
  }

  public stop(): void {
    if (this.state === 'stopped') return;
    this.close();
    this.setState('stopped', undefined, undefined);
  }

  /**
   * Picks the pod to forward to: the newest ready pod, or while none is ready, the newest whose containers run (its
   * server may already listen; a refused connection is dialled again). A usable pod is only left for a ready one.
   */
  private followPods(): void {
    // While the API server does not answer, what the watch knows is stale: the forward waits for it.
    if (this.ended() || this.apiServerDown) return;
    const selection = this.watcher.selection;
    const current = this.pod === undefined ? undefined : this.watcher.pod(this.pod);
    if (this.pod !== undefined && (current === undefined || !this.usable(current))) {
      const phase = (current?.status as { phase?: string } | undefined)?.phase;
      const deleted = current === undefined || current.metadata.deletionTimestamp !== undefined;
      const ended = deleted || phase === 'Succeeded' || phase === 'Failed';
      const why = deleted
        ? `pod ${this.pod} was deleted`
        : ended
          ? `pod ${this.pod} has ended (phase ${phase})`
          : `pod ${this.pod} is not running`;
      // A named pod is never replaced: once it is gone, so is the forward.
      if (selection.singlePod && ended) {
        this.fail(why);
        return;
      }
      this.setState('reconnecting', undefined, why);
    }
    const best = selection.singlePod
      ? this.watcher.pods().find((pod) => this.usable(pod))
      : (this.watcher.newestReady() ?? this.watcher.newestStarted());
    if (best === undefined || best.metadata.name === this.pod) return;
    const keepCurrent =
      this.state === 'active' &&
      current !== undefined &&
      this.usable(current) &&
      (isPodReady(current) || !isPodReady(best));
    if (keepCurrent) return;
    this.failedDials = 0;
    this.setState('active', best.metadata.name, undefined);
  }

  private accept(local: Socket): void {
    local.on('error', () => undefined);
    const deadline = Date.now() + this.options.connectionWaitMs;
    let dialedPod: string | undefined;
    let refusals = 0;
    const connection = new ForwardedConnection(local, {
      dial: async () => {
        if (refusals > 0) await sleep(Math.min(backoffDelay(refusals - 1), Math.max(0, deadline - Date.now())));
        const dialed = await this.dial(local, deadline);
        dialedPod = dialed?.pod;
        return dialed?.remote;
      },
      refused: (error) => {
        refusals++;
        this.connectionRefused(dialedPod, error);
        // A pod that is not ready yet may still be starting its server: the connection is tried again until the
        // deadline. A ready pod that refuses has nothing listening on the port: the connection ends at once.
        const pod = dialedPod === undefined ? undefined : this.watcher.pod(dialedPod);
        return pod !== undefined && !isPodReady(pod) && Date.now() < deadline;
      },
      answered: () => this.connectionAnswered(),
    });
    this.connections.add(connection);
    local.once('close', () => this.connections.delete(connection));
    void connection.start();
  }

  /** Connects to the active pod, waiting for one and retrying with back-off until `deadline`. */
  private async dial(local: Socket, deadline: number): Promise<{ pod: string; remote: Duplex } | undefined> {
    while (!local.destroyed && !this.ended()) {
      const pod = await this.activePod(Math.max(0, deadline - Date.now()));
      if (pod === undefined || local.destroyed) return undefined;
      try {
        const remote = await this.forwarder.connect(
          { namespace: this.watcher.selection.namespace, pod },
          this.request.remotePort,
        );
        if (local.destroyed || this.ended()) {
          remote.destroy();
          return undefined;
        }
        this.dialSucceeded();
        return { pod, remote };
      } catch (error) {
        this.dialFailed(pod, error);
        if (Date.now() >= deadline) return undefined;
        await sleep(Math.min(backoffDelay(this.failedDials - 1), Math.max(0, deadline - Date.now())));
      }
    }
    return undefined;
  }

  /** The pod to connect to once the forward is active, or undefined after `timeoutMs`. */
  private activePod(timeoutMs: number): Promise<string | undefined> {
    if (this.state === 'active' && this.pod !== undefined) return Promise.resolve(this.pod);
    if (this.ended()) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (this.ended()) finish(undefined);
        else if (this.state === 'active' && this.pod !== undefined) finish(this.pod);
      };
      const finish = (pod: string | undefined): void => {
        clearTimeout(timer);
        this.stateWaiters.delete(waiter);
        resolve(pod);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.stateWaiters.add(waiter);
    });
  }

  /** A named pod only needs to run; a workload's pod needs its containers started (ready ones are preferred). */
  private usable(pod: KubeObject): boolean {
    return this.watcher.selection.singlePod ? isPodRunning(pod) : isPodReady(pod) || isPodStarted(pod);
  }

  private ended(): boolean {
    return this.state === 'stopped' || this.state === 'failed';
  }

  private dialSucceeded(): void {
    this.failedDials = 0;
    if (this.state === 'reconnecting' && this.pod !== undefined) this.setState('active', this.pod, undefined);
  }

  private dialFailed(pod: string, error: unknown): void {
    this.failedDials++;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof KubeError && error.status === 0) {
      // No answer from the API server at all: the forward waits for its watch to reach it again.
      this.apiServerChanged(error);
      return;
    }
    // The API server no longer knows the pod, or it stopped: wait for the watch to name the next one.
    const podGone = error instanceof KubeError && (error.status === 404 || error.status === 400);
    if (this.pod === pod && this.state === 'active') {
      this.setState('reconnecting', podGone ? undefined : pod, `cannot connect to pod ${pod}: ${message}`);
      if (!podGone) {
        // The pod may only have blinked: try it again after the back-off.
        setTimeout(
          () => {
            if (this.state === 'reconnecting' && this.pod === pod && !this.apiServerDown) {
              this.setState('active', pod, undefined);
            }
          },
          backoffDelay(this.failedDials - 1),
        ).unref();
      } else {
        setImmediate(() => this.followPods());
      }
    }
  }

  /**
   * The API server stopped answering (with the reason) or answers again (undefined). While it does not, the forward
   * says so as `reconnecting` and stays there: nothing else can tell whether the pod is still there.
   */
  private apiServerChanged(error: Error | undefined): void {
    if (this.ended()) return;
    if (error !== undefined) {
      if (this.state === 'active' || this.state === 'reconnecting') {
        this.apiServerDown = true;
        this.setState('reconnecting', this.pod, `cannot reach the API server: ${error.message}`);
      }
      return;
    }
    if (!this.apiServerDown) return;
    this.apiServerDown = false;
    const current = this.pod === undefined ? undefined : this.watcher.pod(this.pod);
    if (current !== undefined && this.usable(current)) this.setState('active', this.pod, undefined);
    else this.setState('reconnecting', undefined, `no ready pod for ${this.watcher.selection.description} yet`);
    this.followPods();
  }

  /** The pod refused a local connection: said once in the forward's warning, updated at most every few seconds. */
  private connectionRefused(pod: string | undefined, error: Error): void {
    this.refusedConnections++;
    const where = pod === undefined ? '' : ` of pod ${pod}`;
    const count = this.refusedConnections === 1 ? 'a connection' : `${this.refusedConnections} connections`;
    this.setWarning(
      `port ${this.request.remotePort}${where} refused ${count} (is anything listening on it?): ${error.message}`,
    );
  }

  private connectionAnswered(): void {
    this.refusedConnections = 0;
    if (this.nextWarning !== undefined) this.setWarning(undefined);
  }

  private setWarning(warning: string | undefined): void {
    this.nextWarning = warning;
    if (this.warningTimer !== undefined || this.ended()) return;
    const wait = this.warningReportedAt + WARNING_INTERVAL_MS - Date.now();
    const report = (): void => {
      this.warningTimer = undefined;
      if (this.ended() || this.nextWarning === this.warning) return;
      this.warning = this.nextWarning;
      this.warningReportedAt = Date.now();
      this.emitState();
    };
    if (wait <= 0) report();
    else this.warningTimer = setTimeout(report, wait);
  }

  private fail(reason: string): void {
    this.close();
    this.setState('failed', undefined, reason);
  }

  private close(): void {
    clearTimeout(this.warningTimer);
    this.warningTimer = undefined;
    this.stopPodWatch();
    this.stopConnectionWatch();
    this.watcher.stop();
    this.server.close();
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
  }

  private setState(state: PortForwardState, pod: string | undefined, error: string | undefined): void {
    if (state === this.state && pod === this.pod && error === this.error) return;
    const podChanged = pod !== undefined && pod !== this.pod;
    this.state = state;
    this.pod = pod;
    this.error = error;
    for (const waiter of [...this.stateWaiters]) waiter();
    this.emitState(podChanged);
  }

  private emitState(podChanged = false): void {
    const { state, pod, error, warning } = this;
    this.emit({
      id: this.id,
      state,
      ...(error !== undefined ? { error } : {}),
      ...(warning !== undefined && (state === 'active' || state === 'reconnecting') ? { warning } : {}),
      ...(podChanged || (state === 'active' && pod !== undefined) ? { pod } : {}),
    });
  }
}

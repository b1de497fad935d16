/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * One pod on the node: its infra process (the pod's network namespace), the relay that connects into it, its
 * volumes, init containers run in order, then its containers; and the pod status a real kubelet reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ApiError, type KubeObject, type Store } from '../contracts.js';
import type { EventRecorder } from '../controllers/events.js';
import { now } from '../controllers/util.js';
import { ContainerRunner, type PodContext } from './container.js';
import { relayConnect, relaySocketPath, startRelay } from './relay.js';
import {
  infraCommand,
  networkPrefix,
  signal,
  waitForChild,
  waitForProgram,
  type Mount,
  type Tools,
} from './sandbox.js';
import { containerMounts, prepareVolumes, readOnlyVolumeNames, VolumeError } from './volumes.js';

export interface NodeContext {
  store: Store;
  tools: Tools;
  events: EventRecorder;
  stateDir: string;
  imagesDir: string | undefined;
  backOffBaseMs: number;
  backOffMaxMs: number;
  maxGraceSeconds: number;
}

/**
 * Every pod reports 127.0.0.1 as its IP: each pod has its own network namespace with only a loopback device,
 * so there is no pod network; clients reach a pod through port-forward (the relay), not by address.
 */
const POD_IP = '127.0.0.1';

export class PodWorker {
  public pod: KubeObject;
  public readonly containers: ContainerRunner[];
  public readonly initContainers: ContainerRunner[];
  private readonly podDir: string;
  private readonly socketPath: string;
  private infra: ChildProcess | undefined;
  private infraPid: number | undefined;
  private relay: ChildProcess | undefined;
  private volumes = new Map<string, string>();
  private readonly readOnly: Set<string>;
  private initIndex = 0;
  private initialized = false;
  private sandboxReady = false;
  private startTime: string | undefined;
  private readonly transitions = new Map<string, { status: string; time: string }>();
  private syncScheduled = false;
  private terminating: Promise<void> | undefined;
  private finished = false;
  private deleting = false;
  private timer: NodeJS.Timeout | undefined;

  public constructor(
    pod: KubeObject,
    private readonly node: NodeContext,
  ) {
    this.pod = pod;
    const uid = pod.metadata.uid ?? '';
    this.podDir = join(node.stateDir, 'pods', uid);
    this.socketPath = relaySocketPath(node.stateDir, uid);
    this.readOnly = readOnlyVolumeNames(pod);
    const ctx: PodContext = {
      store: node.store,
      tools: node.tools,
      events: node.events,
      podDir: this.podDir,
      backOffBaseMs: node.backOffBaseMs,
      backOffMaxMs: node.backOffMaxMs,
      imagesDir: node.imagesDir,
      pod: () => this.pod,
      infraPid: () => this.infraPid,
      mounts: (container) => this.mounts(container),
      connect: (port) => this.connect(port),
      changed: () => this.scheduleSync(),
      exited: (runner, code) => this.onContainerExit(runner, code),
    };
    this.initContainers = ((pod.spec?.initContainers ?? []) as Record<string, unknown>[]).map(
      (c) => new ContainerRunner(c, ctx, true),
    );
    this.containers = ((pod.spec?.containers ?? []) as Record<string, unknown>[]).map(
      (c) => new ContainerRunner(c, ctx, false),
    );
  }

  public get uid(): string {
    return this.pod.metadata.uid ?? '';
  }

  public get isRunning(): boolean {
    return this.sandboxReady && !this.finished && this.terminating === undefined;
  }

  private mounts(container: Record<string, unknown>): Mount[] {
    return containerMounts(container, this.volumes, this.readOnly);
  }

  /** Sets up the pod's sandbox and starts its containers. */
  public async start(): Promise<void> {
    this.startTime = now();
    this.scheduleSync();
    mkdirSync(this.podDir, { recursive: true });
    const hostNetwork = this.pod.spec?.hostNetwork === true;
    const [file, args] = infraCommand(this.node.tools, hostNetwork, this.podDir);
    this.infra = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let problem = '';
    this.infra.stderr?.on('data', (chunk: Buffer) => (problem += chunk.toString()));
    this.infra.once('error', () => undefined);
    this.infraPid = await waitForChild(this.infra.pid ?? -1);
    // The infra process runs `sleep` once the pod's network is ready (its loopback device up).
    if (this.infraPid === undefined || !(await waitForProgram(this.infraPid, 'sleep'))) {
      throw new Error(`the pod sandbox did not start${problem ? `: ${problem.trim()}` : ''}`);
    }
    this.relay = await startRelay(networkPrefix(this.node.tools, this.infraPid, hostNetwork), this.socketPath);
    if (this.terminating !== undefined) {
      // Stopped while starting: teardown ran before the relay existed.
      signal(this.relay.pid, 'SIGKILL');
      return;
    }
    this.sandboxReady = true;
    this.setUpVolumes();
  }

  private setUpVolumes(): void {
    if (this.terminating !== undefined) return;
    try {
      this.volumes = prepareVolumes(this.node.store, this.pod, this.podDir, this.node.stateDir);
    } catch (error) {
      // Any failure here (a missing config map, a bad item path, a full disk) leaves the pod waiting and retried.
      const volume = error instanceof VolumeError ? error.volume : '';
      const message = error instanceof Error ? error.message : String(error);
      this.node.events.emit(
        this.pod,
        'Warning',
        'FailedMount',
        `MountVolume.SetUp failed for volume "${volume}" : ${message}`,
      );
      this.timer = setTimeout(() => this.setUpVolumes(), 2000);
      return;
    }
    this.scheduleSync();
    this.nextInit();
  }

  private nextInit(): void {
    const runner = this.initContainers[this.initIndex];
    if (runner !== undefined) {
      runner.start();
      return;
    }
    this.initialized = true;
    for (const container of this.containers) container.start();
  }

  private onContainerExit(runner: ContainerRunner, code: number): void {
    if (runner.init && code === 0 && this.terminating === undefined) {
      this.initIndex++;
      this.nextInit();
    }
    this.scheduleSync();
  }

  /** Takes a newer version of the pod; a deletionTimestamp starts graceful termination. */
  public update(pod: KubeObject): void {
    this.pod = pod;
    const specs = [
      ...((pod.spec?.initContainers ?? []) as { name: string; image?: string }[]),
      ...((pod.spec?.containers ?? []) as { name: string; image?: string }[]),
    ];
    for (const runner of [...this.initContainers, ...this.containers]) {
      const image = specs.find((c) => c.name === runner.name)?.image;
      if (image !== undefined && this.deleting === false) runner.changeImage(image);
    }
    if (pod.metadata.deletionTimestamp !== undefined && !this.deleting) {
      this.deleting = true;
      const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
      void this.terminate(Math.min(grace, this.node.maxGraceSeconds)).then(() => this.removeFromStore());
    }
  }

  /** The host processes this pod started (its sandbox, relay and containers); their descendants are the pod's. */
  public processRoots(): number[] {
    const pids = [
      this.infra?.pid,
      this.relay?.pid,
      ...[...this.initContainers, ...this.containers].map((c) => c.hostPid),
    ];
    return pids.filter((pid): pid is number => pid !== undefined);
  }

  /** Stops every container (SIGTERM, then SIGKILL after `graceSeconds`) and the sandbox. */
  public terminate(graceSeconds: number): Promise<void> {
    if (this.terminating !== undefined && graceSeconds === 0) {
      // A graceful termination is under way; an immediate one (kubelet stop) must not wait out its grace period.
      for (const container of [...this.initContainers, ...this.containers]) container.forceKill();
    }
    this.terminating ??= (async () => {
      if (this.timer !== undefined) clearTimeout(this.timer);
      await Promise.all([...this.initContainers, ...this.containers].map((c) => c.stop(graceSeconds)));
      await this.teardown();
    })();
    return this.terminating;
  }

  private removeFromStore(): void {
    const current = this.node.store.get('pods', this.pod.metadata.namespace, this.pod.metadata.name);
    if (current?.metadata.uid !== this.uid) return;
    try {
      this.node.store.delete('pods', this.pod.metadata.namespace, this.pod.metadata.name);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
  }

  /** Removes the pod's files (logs, emptyDirs, container roots); claim data lives elsewhere and stays. */
  public removeFiles(): void {
    rmSync(this.podDir, { recursive: true, force: true });
  }

  private async teardown(): Promise<void> {
    this.sandboxReady = false;
    const exits: Promise<void>[] = [];
    for (const child of [this.relay, this.infra]) {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
      signal(child.pid, 'SIGKILL');
    }
    await Promise.all(exits);
    rmSync(this.socketPath, { force: true });
  }

  public connect(port: number): Promise<Duplex> {
    return relayConnect(this.socketPath, port);
  }

  private scheduleSync(): void {
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      this.sync();
    });
  }

  private sync(): void {
    const status = this.status();
    if ((status.phase === 'Succeeded' || status.phase === 'Failed') && !this.finished) {
      // A finished pod keeps its status and logs but no longer needs its sandbox.
      this.finished = true;
      void this.terminate(0);
    }
    const current = this.node.store.get('pods', this.pod.metadata.namespace, this.pod.metadata.name);
    if (current?.metadata.uid !== this.uid) return;
    current.status = status;
    delete current.metadata.resourceVersion;
    try {
      this.pod = this.node.store.update('pods', current, { subresource: 'status' });
    } catch (error) {
      // Gone or refused (a namespace being deleted): the next change writes the status again.
      if (!(error instanceof ApiError)) throw error;
    }
  }

  private phase(): string {
    if (this.finished) return String(this.pod.status?.phase);
    const policy = String(this.pod.spec?.restartPolicy ?? 'Always');
    if (!this.initialized) {
      const failedInit = this.initContainers.find((c) => 'terminated' in c.state && c.state.terminated.exitCode !== 0);
      return failedInit !== undefined && policy === 'Never' ? 'Failed' : 'Pending';
    }
    let running = 0;
    let waiting = 0;
    let stopped = 0;
    let succeeded = 0;
    for (const c of this.containers) {
      if ('running' in c.state) running++;
      else if ('terminated' in c.state) {
        stopped++;
        if (c.state.terminated.exitCode === 0) succeeded++;
      } else if ('terminated' in c.lastState) stopped++;
      else waiting++;
    }
    if (waiting > 0) return 'Pending';
    if (running > 0) return 'Running';
    if (stopped > 0) {
      const restarting = this.containers.some((c) => 'waiting' in c.state);
      if (policy === 'Always' || restarting) return 'Running';
      if (policy === 'OnFailure') return stopped === succeeded ? 'Succeeded' : 'Running';
      return stopped === succeeded ? 'Succeeded' : 'Failed';
    }
    return 'Pending';
  }

  private condition(type: string, ok: boolean, reason?: string): Record<string, unknown> {
    const status = ok ? 'True' : 'False';
    let entry = this.transitions.get(type);
    if (entry === undefined || entry.status !== status) {
      entry = { status, time: now() };
      this.transitions.set(type, entry);
    }
    return { type, status, lastProbeTime: null, lastTransitionTime: entry.time, ...(reason && !ok ? { reason } : {}) };
  }

  /** The pod status as a real kubelet writes it. */
  public status(): Record<string, unknown> & { phase: string } {
    const phase = this.phase();
    const done = phase === 'Succeeded' || phase === 'Failed';
    const allReady = this.initialized && this.containers.every((c) => c.ready);
    const reason = done ? 'PodCompleted' : this.initialized ? 'ContainersNotReady' : 'ContainersNotInitialized';
    const conditions = [
      this.condition('PodReadyToStartContainers', this.sandboxReady || (done && this.startTime !== undefined)),
      this.condition('Initialized', this.initialized, done ? 'PodCompleted' : 'ContainersNotInitialized'),
      this.condition('Ready', allReady && !done, reason),
      this.condition('ContainersReady', allReady && !done, reason),
      this.condition('PodScheduled', true),
    ];
    return {
      phase,
      conditions,
      hostIP: POD_IP,
      hostIPs: [{ ip: POD_IP }],
      podIP: POD_IP,
      podIPs: [{ ip: POD_IP }],
      ...(this.startTime ? { startTime: this.startTime } : {}),
      ...(this.initContainers.length > 0 ? { initContainerStatuses: this.initContainers.map((c) => c.status()) } : {}),
      containerStatuses: this.containers.map((c) => c.status()),
      qosClass: 'BestEffort',
    };
  }
}

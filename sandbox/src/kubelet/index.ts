/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The sandbox's kubelet: binds pending pods to the one node, runs each pod as namespace-isolated processes,
 * reports pod status, stops pods gracefully when the API server marks them for deletion, and serves exec,
 * attach, port-forward connections and logs to the streaming endpoints.
 */
import { descendantsOf, stillRunning } from '../processes.js';
import { mkdirSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import {
  ApiError,
  type ContainerProcess,
  type ExecOptions,
  type KubeObject,
  type LogOptions,
  type PodRuntime,
  type Store,
  type WatchEvent,
} from '../contracts.js';
import { EventRecorder } from '../controllers/events.js';
import type { ContainerRunner } from './container.js';
import { readLog } from './logs.js';
import { PodWorker } from './pod.js';
import { findTools } from './sandbox.js';

export { SandboxUnavailableError } from './sandbox.js';

export interface KubeletOptions {
  store: Store;
  stateDir: string;
  nodeName: string;
  /** Where local images live; defaults to the package's `images/`. */
  imagesDir?: string;
  /** First restart back-off (default 10 s); it doubles per crash up to `backOffMaxMs` (default 5 min). */
  backOffBaseMs?: number;
  backOffMaxMs?: number;
  /** Upper bound on a pod's termination grace period, in seconds (default 30). */
  maxGraceSeconds?: number;
}

export class Kubelet implements PodRuntime {
  private readonly workers = new Map<string, PodWorker>();
  private readonly events: EventRecorder;
  private readonly scheduler: EventRecorder;
  private unwatch: (() => void) | undefined;
  private stopped = false;

  public constructor(private readonly options: KubeletOptions) {
    this.events = new EventRecorder(options.store, { component: 'kubelet', host: options.nodeName });
    this.scheduler = new EventRecorder(options.store, { component: 'default-scheduler' });
  }

  /** Checks that pods can run here (throws `SandboxUnavailableError` if not) and starts taking pods. */
  public start(): Promise<void> {
    const tools = findTools();
    mkdirSync(this.options.stateDir, { recursive: true });
    const node = {
      store: this.options.store,
      tools,
      events: this.events,
      stateDir: this.options.stateDir,
      imagesDir: this.options.imagesDir,
      backOffBaseMs: this.options.backOffBaseMs ?? 10_000,
      backOffMaxMs: this.options.backOffMaxMs ?? 300_000,
      maxGraceSeconds: this.options.maxGraceSeconds ?? 30,
    };
    const store = this.options.store;
    const { items, resourceVersion } = store.list('pods', undefined);
    this.unwatch = store.watch('pods', undefined, resourceVersion, (event) => this.handle(event, node));
    for (const pod of items) this.handle({ type: 'ADDED', object: pod }, node);
    return Promise.resolve();
  }

  /** Stops every pod process at once and waits until none is left. */
  public async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    const workers = [...this.workers.values()];
    const podProcesses = descendantsOf(workers.flatMap((worker) => worker.processRoots()));
    await Promise.all(workers.map((worker) => worker.terminate(0)));
    // A killed sandbox takes its PID namespace down with it, but the kernel finishes that a moment later; stop()
    // promises that nothing is left, so it waits (bounded) until the last of them is gone.
    const deadline = Date.now() + 5000;
    while (stillRunning(podProcesses).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private handle(event: WatchEvent, node: ConstructorParameters<typeof PodWorker>[1]): void {
    if (this.stopped) return;
    const pod = event.object;
    const uid = pod.metadata.uid ?? '';
    const worker = this.workers.get(uid);
    if (event.type === 'DELETED') {
      if (worker === undefined) return;
      this.workers.delete(uid);
      void worker.terminate(0).then(() => worker.removeFiles());
      return;
    }
    if (!pod.spec?.nodeName) {
      if (pod.metadata.deletionTimestamp === undefined) this.bind(pod);
      return;
    }
    if (pod.spec.nodeName !== this.options.nodeName) return;
    if (worker !== undefined) {
      worker.update(pod);
      return;
    }
    const phase = pod.status?.phase as string | undefined;
    if (pod.metadata.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed') {
      // Nothing runs for it here (it finished before this kubelet started): only deletion is left to do.
      if (pod.metadata.deletionTimestamp !== undefined) this.deleteNow(pod);
      return;
    }
    const created = new PodWorker(pod, node);
    this.workers.set(uid, created);
    created.start().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      this.events.emit(created.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
    });
  }

  private deleteNow(pod: KubeObject): void {
    try {
      this.options.store.delete('pods', pod.metadata.namespace, pod.metadata.name);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }

  /** The scheduler's job on a one-node cluster: every pod goes to this node. */
  private bind(pod: KubeObject): void {
    const current = this.options.store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (current === undefined || current.spec?.nodeName) return;
    current.spec.nodeName = this.options.nodeName;
    delete current.metadata.resourceVersion;
    const bound = this.options.store.update('pods', current);
    this.scheduler.emit(
      bound,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${this.options.nodeName}`,
    );
  }

  private find(namespace: string, name: string): { pod: KubeObject; worker: PodWorker | undefined } {
    const pod = this.options.store.get('pods', namespace, name);
    if (pod === undefined) throw new ApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    return { pod, worker: this.workers.get(pod.metadata.uid ?? '') };
  }

  private container(
    pod: KubeObject,
    worker: PodWorker | undefined,
    name: string | undefined,
  ): ContainerRunner | undefined {
    const wanted =
      name ||
      pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ||
      (pod.spec?.containers?.[0]?.name as string | undefined);
    const declared = [
      ...((pod.spec?.containers ?? []) as { name: string }[]),
      ...((pod.spec?.initContainers ?? []) as { name: string }[]),
    ];
    if (!declared.some((c) => c.name === wanted)) {
      throw new ApiError(400, 'BadRequest', `container ${wanted ?? ''} is not valid for pod ${pod.metadata.name}`);
    }
    return worker === undefined
      ? undefined
      : [...worker.containers, ...worker.initContainers].find((c) => c.name === wanted);
  }

  private running(namespace: string, name: string, container: string | undefined): ContainerRunner {
    const { pod, worker } = this.find(namespace, name);
    const phase = String(pod.status?.phase ?? 'Pending');
    if (phase === 'Succeeded' || phase === 'Failed') {
      throw new ApiError(
        400,
        'BadRequest',
        `cannot exec into a container in a completed pod; current phase is ${phase}`,
      );
    }
    const runner = this.container(pod, worker, container);
    if (runner === undefined || !runner.running || worker === undefined || !worker.isRunning) {
      const reason = runner && 'waiting' in runner.state ? runner.state.waiting.reason : 'ContainerCreating';
      throw new ApiError(
        400,
        'BadRequest',
        `container ${runner?.name ?? container ?? ''} in pod ${name} is not running: ${reason}`,
      );
    }
    return runner;
  }

  public exec(
    namespace: string,
    pod: string,
    container: string | undefined,
    command: string[],
    options: ExecOptions,
  ): ContainerProcess {
    if (command.length === 0)
      throw new ApiError(400, 'BadRequest', 'you must specify at least one command for the container');
    return this.running(namespace, pod, container).exec(command, options);
  }

  public attach(namespace: string, pod: string, container: string | undefined, options: ExecOptions): ContainerProcess {
    return this.running(namespace, pod, container).attach(options);
  }

  public async connect(namespace: string, pod: string, port: number): Promise<Duplex> {
    const { pod: object, worker } = this.find(namespace, pod);
    if (worker === undefined || !worker.isRunning || object.status?.phase !== 'Running') {
      throw new ApiError(
        400,
        'BadRequest',
        `pod ${pod} is not running: current phase is ${String(object.status?.phase ?? 'Pending')}`,
      );
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ApiError(400, 'BadRequest', `invalid port ${port}`);
    return worker.connect(port);
  }

  public logs(namespace: string, pod: string, container: string | undefined, options: LogOptions): Readable {
    const { pod: object, worker } = this.find(namespace, pod);
    const runner = this.container(object, worker, container);
    const cname = runner?.name ?? container ?? '';
    if (options.previous) {
      const file = runner?.logFile(true);
      if (file === undefined) {
        throw new ApiError(400, 'BadRequest', `previous terminated container "${cname}" in pod "${pod}" not found`);
      }
      return readLog(file, { ...options, follow: false });
    }
    const file = runner?.logFile(false);
    if (runner === undefined || file === undefined) {
      const reason = runner && 'waiting' in runner.state ? runner.state.waiting.reason : 'ContainerCreating';
      throw new ApiError(400, 'BadRequest', `container "${cname}" in pod "${pod}" is waiting to start: ${reason}`);
    }
    return readLog(file, options, runner.logWriter);
  }
}

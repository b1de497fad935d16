/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * One container of a pod: pulls its image, creates its root, starts it in its own namespaces inside the pod's
 * network namespace (sandbox.ts), keeps its log, tees its output to attached clients, runs its probes and restarts it per the
 * pod's restartPolicy with exponential back-off.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ContainerProcess, ExecOptions, KubeObject, Store } from '../contracts.js';
import type { EventRecorder } from '../controllers/events.js';
import { now, type Loose } from '../controllers/util.js';
import { ContainerConfigError, resolveLaunch, type ContainerLaunch } from './env.js';
import { resolveImage, type ResolvedImage } from './images.js';
import { LogWriter } from './logs.js';
import { ProbeWorker, type Probe } from './probes.js';
import { pathSegment } from './volumes.js';
import { attachTo, spawnInstance, type Instance } from './instance.js';
import { spawnProcess } from './process.js';
import { isSingleExecutable } from '../locations.js';
import {
  childrenOf,
  containerCommand,
  execArgs,
  killTree,
  prepareRoot,
  projectNodeMounts,
  signal,
  waitForChild,
  waitForProgram,
  INIT_NAME,
  type Mount,
  type Tools,
} from './sandbox.js';

/** How long a killed container may take to be seen ended before its output pipes are closed from this side. */
const SETTLE_MS = 3000;

/** What a container needs from its pod. */
export interface PodContext {
  store: Store;
  tools: Tools;
  events: EventRecorder;
  podDir: string;
  backOffBaseMs: number;
  backOffMaxMs: number;
  imagesDir: string | undefined;
  pod(): KubeObject;
  infraPid(): number | undefined;
  mounts(container: Record<string, unknown>): Mount[];
  connect(port: number): Promise<Duplex>;
  /** Something in this container's status changed. */
  changed(): void;
  /** The container ended and will not be restarted (or is about to be). */
  exited(runner: ContainerRunner, exitCode: number): void;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt: string;
        finishedAt: string;
        containerID: string;
      };
    };

export class ContainerRunner {
  public state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  public lastState: ContainerState | Record<string, never> = {};
  public restartCount = 0;
  public ready = false;
  public started = false;
  public image: ResolvedImage | undefined;
  private instance: Instance | undefined;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private crashes = 0;
  private pullFailures = 0;
  private probes: ProbeWorker[] = [];
  private logFiles: string[] = [];
  private redefined = false;
  /** start() was called: the pod got as far as this container. */
  private begun = false;

  public constructor(
    public readonly spec: Loose,
    private readonly ctx: PodContext,
    public readonly init: boolean,
  ) {}

  public get name(): string {
    return String(this.spec.name);
  }

  private get fieldPath(): string {
    return `spec.${this.init ? 'initContainers' : 'containers'}{${this.name}}`;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.events.emit(this.ctx.pod(), type, reason, message, this.fieldPath);
  }

  /**
   * The log file `kubectl logs` reads. As on a real node, a container waiting to restart shows its last run,
   * and `previous` means the instance recorded in lastState.
   */
  public logFile(previous: boolean): string | undefined {
    const last = this.logFiles[this.logFiles.length - 1];
    if (!previous) return last;
    if (!('terminated' in this.lastState)) return undefined;
    return 'waiting' in this.state ? last : this.logFiles[this.logFiles.length - 2];
  }

  public get logWriter(): LogWriter | undefined {
    return this.instance?.log;
  }

  public get running(): boolean {
    return 'running' in this.state && this.instance !== undefined;
  }

  /** Pulls the image (with back-off on failure), then starts the container. */
  public start(): void {
    if (this.stopping) return;
    this.begun = true;
    if (this.image === undefined) {
      this.pull();
      return;
    }
    this.event('Normal', 'Pulled', `Container image "${String(this.spec.image)}" already present on machine`);
    this.launchSafely();
  }

  /** Starts the container; a failure to create it is the runtime's CreateContainerError, retried with back-off. */
  private launchSafely(): void {
    this.launch().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      this.state = { waiting: { reason: 'CreateContainerError', message } };
      this.event('Warning', 'Failed', `Error: ${message}`);
      this.ctx.changed();
      if (!this.stopping) this.timer = setTimeout(() => this.start(), Math.max(1000, this.ctx.backOffBaseMs));
    });
  }

  private pull(): void {
    const imageName = String(this.spec.image ?? '');
    this.event('Normal', 'Pulling', `Pulling image "${imageName}"`);
    try {
      this.image = resolveImage(imageName, this.ctx.imagesDir);
      this.pullFailures = 0;
      this.event(
        'Normal',
        'Pulled',
        `Successfully pulled image "${imageName}" in 1ms (1ms including waiting). Image size: 0 bytes.`,
      );
      this.launchSafely();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.pullFailures++;
      this.event('Warning', 'Failed', `Failed to pull image "${imageName}": ${message}`);
      this.event('Warning', 'Failed', 'Error: ErrImagePull');
      this.state = { waiting: { reason: 'ErrImagePull', message } };
      this.ctx.changed();
      const delay = this.backOff(this.pullFailures);
      // The pull error shows for a moment, then the back-off, as on a real node.
      this.timer = setTimeout(
        () => {
          if (this.stopping) return;
          this.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${imageName}"` } };
          this.event('Normal', 'BackOff', `Back-off pulling image "${imageName}"`);
          this.event('Warning', 'Failed', 'Error: ImagePullBackOff');
          this.ctx.changed();
          this.timer = setTimeout(() => this.start(), delay);
        },
        Math.min(1000, delay),
      );
    }
  }

  private backOff(failures: number): number {
    return Math.min(this.ctx.backOffBaseMs * 2 ** Math.max(0, failures - 1), this.ctx.backOffMaxMs);
  }

  private async launch(): Promise<void> {
    const pod = this.ctx.pod();
    const infraPid = this.ctx.infraPid();
    if (this.stopping || this.image === undefined || infraPid === undefined) return;
    let launch: ContainerLaunch;
    let mounts: Mount[];
    try {
      launch = resolveLaunch(this.ctx.store, pod, this.spec as Record<string, unknown>, this.image.config);
      mounts = this.ctx.mounts(this.spec as Record<string, unknown>);
      if (this.image.config.projectNode === true)
        mounts.push(...projectNodeMounts(this.ctx.podDir, isSingleExecutable()));
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      this.state = { waiting: { reason: 'CreateContainerConfigError', message: error.message } };
      this.event('Warning', 'Failed', `Error: ${error.message}`);
      this.ctx.changed();
      this.timer = setTimeout(() => this.start(), Math.max(1000, this.ctx.backOffBaseMs));
      return;
    }
    const rootDir = join(this.ctx.podDir, 'containers', pathSegment(this.name), 'root');
    if (!existsSync(rootDir)) {
      mkdirSync(rootDir, { recursive: true });
      if (this.image.rootfs) cpSync(this.image.rootfs, rootDir, { recursive: true });
    }
    prepareRoot(rootDir);
    mkdirSync(join(rootDir, launch.workingDir), { recursive: true });
    for (const mount of mounts) mkdirSync(join(rootDir, mount.target), { recursive: true });
    const containerID = `devmode://${randomBytes(32).toString('hex')}`;
    const logDir = join(this.ctx.podDir, 'logs', pathSegment(this.name));
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `${this.restartCount}.log`);
    this.logFiles.push(logFile);
    const log = new LogWriter(logFile);
    const [file, argv] = containerCommand(
      this.ctx.tools,
      {
        rootDir,
        mounts,
        hostname: pod.metadata.name,
        workingDir: launch.workingDir,
        infraPid,
        hostNetwork: pod.spec?.hostNetwork === true,
      },
      launch.argv,
    );
    // setpriv --pdeathsig ties the container to this process: if the kubelet dies, its pods die too.
    this.event('Normal', 'Created', `Created container ${this.name}`);
    const startedAt = now();
    const instance = spawnInstance({
      file,
      argv,
      launch,
      log,
      containerID,
      startedAt,
      tty: this.spec.tty === true,
      stdin: this.spec.stdin === true,
    });
    this.instance = instance;
    this.ready = false;
    void instance.exit.then((code) => this.onExit(instance, code));
    // The container counts as running once its PID 1 has finished the setup and starts the command, so exec enters
    // the container's root and working directory.
    instance.initPid = await waitForChild(instance.pid);
    const rooted = instance.initPid !== undefined && (await waitForProgram(instance.initPid, INIT_NAME));
    if (!rooted) instance.initPid = undefined;
    if (instance.initPid !== undefined) this.event('Normal', 'Started', `Started container ${this.name}`);
    if (this.instance !== instance || this.stopping) return;
    this.state = { running: { startedAt } };
    this.started = this.spec.startupProbe === undefined;
    this.ctx.changed();
    this.startProbes(instance);
  }

  private startProbes(instance: Instance): void {
    const ports = new Map<string, number>();
    for (const port of (this.spec.ports ?? []) as { name?: string; containerPort: number }[]) {
      if (port.name) ports.set(port.name, port.containerPort);
    }
    const target = {
      ports,
      connect: (port: number) => this.ctx.connect(port),
      exec: async (argv: string[], timeoutMs: number) => {
        const proc = this.exec(argv, { stdin: false, tty: false });
        let output = '';
        proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => proc.kill(), timeoutMs);
        const code = await proc.exited;
        clearTimeout(timer);
        return { code, output };
      },
    };
    const readiness = this.spec.readinessProbe as Probe | undefined;
    const liveness = this.spec.livenessProbe as Probe | undefined;
    const startup = this.spec.startupProbe as Probe | undefined;
    const current = (): boolean => this.instance === instance && !this.stopping;
    const startMain = (): void => {
      if (readiness) {
        const worker = new ProbeWorker(
          readiness,
          target,
          false,
          (ok) => {
            if (!current()) return;
            this.ready = ok;
            this.ctx.changed();
          },
          (message) => current() && this.event('Warning', 'Unhealthy', `Readiness probe failed: ${message}`),
        );
        this.probes.push(worker);
        worker.start();
      } else {
        this.ready = true;
        this.ctx.changed();
      }
      if (liveness) {
        const worker = new ProbeWorker(
          liveness,
          target,
          true,
          (ok) => {
            if (!ok && current()) this.restartUnhealthy(instance, 'liveness');
          },
          (message) => current() && this.event('Warning', 'Unhealthy', `Liveness probe failed: ${message}`),
        );
        this.probes.push(worker);
        worker.start();
      }
    };
    if (startup) {
      const worker = new ProbeWorker(
        startup,
        target,
        false,
        (ok) => {
          if (!current()) return;
          if (ok) {
            worker.stop();
            this.started = true;
            this.ctx.changed();
            startMain();
          } else {
            this.restartUnhealthy(instance, 'startup');
          }
        },
        (message) => current() && this.event('Warning', 'Unhealthy', `Startup probe failed: ${message}`),
      );
      this.probes.push(worker);
      worker.start();
    } else {
      startMain();
    }
  }

  private restartUnhealthy(instance: Instance, probe: string): void {
    this.event('Normal', 'Killing', `Container ${this.name} failed ${probe} probe, will be restarted`);
    this.stopProbes();
    void this.killInstance(instance, this.graceSeconds());
  }

  private graceSeconds(): number {
    return Math.min(Number(this.ctx.pod().spec?.terminationGracePeriodSeconds ?? 30), 30);
  }

  private stopProbes(): void {
    for (const probe of this.probes) probe.stop();
    this.probes = [];
  }

  private onExit(instance: Instance, code: number): void {
    instance.log.close();
    for (const client of instance.attached) {
      client.stdout.end();
      client.stderr?.end();
    }
    if (this.instance === instance) this.instance = undefined;
    this.stopProbes();
    this.ready = false;
    const finishedAt = now();
    if (instance.startError !== undefined) this.event('Warning', 'Failed', `Error: ${instance.startError}`);
    const terminated: ContainerState = {
      terminated: {
        exitCode: instance.startError !== undefined ? 128 : code,
        reason: instance.startError !== undefined ? 'StartError' : code === 0 ? 'Completed' : 'Error',
        ...(instance.startError !== undefined ? { message: instance.startError } : {}),
        startedAt: instance.startedAt,
        finishedAt,
        containerID: instance.containerID,
      },
    };
    this.state = terminated;
    this.ctx.changed();
    const policy = String(this.ctx.pod().spec?.restartPolicy ?? 'Always');
    const restart =
      !this.stopping && !this.init
        ? policy === 'Always' || (policy === 'OnFailure' && code !== 0)
        : !this.stopping && code !== 0 && policy !== 'Never';
    // A container that ran well for a while starts over with the shortest back-off.
    if (Date.now() - Date.parse(instance.startedAt) > 2 * this.ctx.backOffMaxMs) this.crashes = 0;
    this.ctx.exited(this, code);
    if (!restart) return;
    if (this.redefined) {
      // Stopped for a new image, not a crash: it starts again at once.
      this.redefined = false;
      this.lastState = terminated;
      this.restartCount++;
      this.start();
      return;
    }
    this.crashes++;
    const delay = this.crashes === 1 ? 0 : this.backOff(this.crashes - 1);
    const pod = this.ctx.pod();
    const restartNow = (): void => {
      if (this.stopping) return;
      this.lastState = terminated;
      this.restartCount++;
      this.start();
    };
    if (delay === 0) {
      restartNow();
      return;
    }
    const seconds = Math.max(1, Math.round(delay / 1000));
    const who = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
    this.lastState = terminated;
    this.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${seconds}s restarting failed container=${this.name} pod=${who}`,
      },
    };
    this.event('Warning', 'BackOff', `Back-off restarting failed container ${this.name} in pod ${who}`);
    this.ctx.changed();
    this.timer = setTimeout(restartNow, delay);
  }

  private async killInstance(instance: Instance, graceSeconds: number): Promise<void> {
    // The command runs as a child of the container's PID 1 (which, as a PID namespace's init, ignores SIGTERM), so
    // its children get the signal. The command may not have been started yet (the container's setup has just
    // finished), so whatever starts there during the grace period gets it too.
    const signalled = new Set<number>();
    const terminate = (): void => {
      const targets = instance.initPid !== undefined ? childrenOf(instance.initPid) : [instance.pid];
      for (const pid of targets) {
        if (signalled.has(pid)) continue;
        signalled.add(pid);
        signal(pid, 'SIGTERM');
      }
    };
    terminate();
    const ticker = setInterval(terminate, 100);
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      instance.exit.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceSeconds * 1000))),
    ]);
    clearInterval(ticker);
    // A grace timer left behind would keep the kubelet's process alive for the rest of the grace period.
    clearTimeout(timer);
    if (!killed) {
      killTree(instance.pid);
      await this.settle(instance);
    }
  }

  /**
   * Waits for a killed instance to be reported ended. Its end is seen once its output pipes close; should anything
   * still hold them (a process that escaped the sandbox before it could tie itself to it), the pipes are closed
   * from this side after a bound, so that a pod can never stay Terminating.
   */
  private async settle(instance: Instance): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      instance.exit.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), SETTLE_MS))),
    ]);
    clearTimeout(timer);
    if (ended) return;
    this.event('Warning', 'Killing', `Container ${this.name} left processes holding its output; closing it`);
    instance.child?.stdout?.destroy();
    instance.child?.stderr?.destroy();
    instance.term?.kill('SIGKILL');
    await instance.exit;
  }

  /** Ends the container now, even while a graceful stop is waiting out its grace period. */
  public forceKill(): void {
    const instance = this.instance;
    if (instance !== undefined) killTree(instance.pid);
  }

  /**
   * The pod's image for this container changed (the one mutable part of a pod's containers): the container is
   * stopped and started again from the new image, as a real kubelet does.
   */
  public changeImage(image: string): void {
    if (this.spec.image === image) return;
    this.spec.image = image;
    this.image = undefined;
    const instance = this.instance;
    if (instance === undefined) {
      if (this.begun && !('terminated' in this.state) && !this.stopping) {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.start();
      }
      return;
    }
    this.redefined = true;
    this.event('Normal', 'Killing', `Container ${this.name} definition changed, will be restarted`);
    this.stopProbes();
    void this.killInstance(instance, this.graceSeconds());
  }

  /** Stops the container for good (pod deletion or completion): SIGTERM, then SIGKILL after the grace period. */
  public async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopProbes();
    const instance = this.instance;
    if (instance === undefined) return;
    if (graceSeconds > 0) this.event('Normal', 'Killing', `Stopping container ${this.name}`);
    await this.killInstance(instance, graceSeconds);
  }

  /** The container's process tree root on the host, to check nothing is left. */
  public get hostPid(): number | undefined {
    return this.instance?.pid;
  }

  /** Runs a command inside the running container's namespaces and root, as `kubectl exec` does. */
  public exec(command: string[], options: ExecOptions): ContainerProcess {
    const instance = this.instance;
    if (instance?.initPid === undefined) throw new Error(`container ${this.name} is not running`);
    const args = execArgs(this.ctx.tools, instance.initPid, this.ctx.pod().spec?.hostNetwork === true);
    // With a TTY the process must lead its own session inside the PID namespace, or shells cannot manage jobs
    // on the terminal (a runtime's exec does the same with setsid and TIOCSCTTY).
    if (options.tty) args.push('setsid', '-w', '-c');
    args.push(...command);
    return spawnProcess(this.ctx.tools.nsenter, args, instance.launch.env, options);
  }

  /** Attaches to the container's main process: its output from now on and, if enabled, its stdin. */
  public attach(options: ExecOptions): ContainerProcess {
    const instance = this.instance;
    if (instance === undefined) throw new Error(`container ${this.name} is not running`);
    return attachTo(instance, this.spec.stdin === true && options.stdin, this.spec.stdinOnce === true);
  }

  /** The container status entry the pod status lists. */
  public status(): Record<string, unknown> {
    const containerID =
      'running' in this.state
        ? this.instance?.containerID
        : 'terminated' in this.state
          ? this.state.terminated.containerID
          : undefined;
    return {
      name: this.name,
      state: this.state,
      lastState: this.lastState,
      ready: this.ready,
      restartCount: this.restartCount,
      image: String(this.spec.image ?? ''),
      imageID: this.image?.imageID ?? '',
      ...(containerID ? { containerID } : {}),
      started: 'running' in this.state && this.started,
    };
  }
}

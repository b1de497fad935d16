/**
 * Log streams of a pod or of every pod of a workload. A followed stream survives its containers: after a restart
 * it reattaches to the new container instance, and a workload's stream attaches to each new pod, saying so; a
 * dropped connection is reopened from the last timestamp, repeating no line.
 */
import type { DidAppendLogsParams, DidEndLogsParams, LogAttachment, LogLine, LogsEndReason } from '@devmode/protocol';
import type { Readable } from 'node:stream';
import { KubeError } from '../kube/errors.js';
import { streamPodLog, type LogStreamOptions } from '../kube/logs.js';
import type { Clusters } from './clusters.js';
import type { KubeObject, ObjectClient } from '../kube/objects.js';
import { backoffDelay } from './backoff.js';
import { Batcher, LineSplitter, ResumePoint, splitTimestamp } from './logLines.js';
import {
  defaultContainer,
  PodWatcher,
  resolvePodSelection,
  waitForReadyPod,
  type PodSelection,
  type PodsTarget,
  type PodWaitOptions,
} from './podTargets.js';
import { EngineError } from './engineError.js';
import type { OnSyncOutputLine, OnSyncRunner } from './onSync.js';

export interface LogsCluster {
  objects: ObjectClient;
  openLog(options: LogStreamOptions): Promise<Readable>;
}

/** The clusters of a server, as the log engine uses them. */
export function logsClusters(clusters: Clusters): (context: string | undefined) => Promise<LogsCluster> {
  return async (context) => {
    const client = await clusters.client(context);
    return { objects: client.objects, openLog: (options) => streamPodLog(client, options) };
  };
}

export interface LogsEvents {
  append(params: DidAppendLogsParams): Promise<void> | void;
  end(params: DidEndLogsParams): void;
}

export interface OpenLogsOptions {
  target: PodsTarget;
  container?: string;
  allContainers?: boolean;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  previous?: boolean;
  /** How a workload target without any pod that has a log waits for a ready pod (its pod is being replaced). */
  podWait?: PodWaitOptions;
}

export class UnknownLogStreamError extends EngineError {
  public constructor(id: string) {
    super('UnknownId', `no open log stream has id "${id}"`, { field: 'streamId' });
    this.name = 'UnknownLogStreamError';
  }
}

/** How long an ended stream waits for the pod's status to show that its container stopped. */
const STATUS_SETTLE_MS = 2000;

/** How long a followed stream waits for a stopped container to come back before it looks again. */
const RESTART_WAIT_MS = 30_000;

/** What every open stream can do, whatever its source. */
interface OpenStream {
  end(reason: LogsEndReason, message?: string): Promise<void>;
}

/** The onSync runs of a DevMode session of this server, as a log source. */
export type OnSyncSource = (sessionId: string, container: string | undefined) => OnSyncRunner | undefined;

export interface OpenOnSyncLogsOptions {
  sessionId: string;
  /** The container in DevMode whose rules ran; the target container when absent. */
  container?: string;
  follow?: boolean;
  tailLines?: number;
  timestamps?: boolean;
}

export class LogStreams {
  private readonly streams = new Map<string, OpenStream>();
  private nextId = 1;

  public constructor(
    private readonly cluster: (context: string | undefined) => Promise<LogsCluster>,
    private readonly events: LogsEvents,
    private readonly onSyncSource: OnSyncSource = () => undefined,
  ) {}

  /**
   * Opens the output of a session's onSync runs: the lines kept so far (the last `tailLines`), then, when
   * followed, each new line until the session ends.
   */
  public openOnSync(options: OpenOnSyncLogsOptions): { streamId: string; pods: string[] } {
    const runner = this.onSyncSource(options.sessionId, options.container);
    if (runner === undefined) {
      const which = options.container === undefined ? '' : ` in container ${options.container}`;
      throw new EngineError(
        'UnknownId',
        `No DevMode session of this server with id ${options.sessionId} has onSync rules${which}`,
        {
          field: options.container === undefined ? 'target.sessionId' : 'target.container',
          hint: 'devMode/list shows the sessions; onSync in the dev config gives a session its runs.',
        },
      );
    }
    const id = `l-${this.nextId++}`;
    const stream = new OnSyncLogStream(id, runner, options, this.events, () => this.streams.delete(id));
    this.streams.set(id, stream);
    const pods = stream.start();
    return { streamId: id, pods };
  }

  private containersOfAny(pod: KubeObject): string[] {
    return ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
  }

  public async open(options: OpenLogsOptions): Promise<{ streamId: string; pods: string[] }> {
    const cluster = await this.cluster(options.target.context);
    const selection = await resolvePodSelection(cluster.objects, options.target);
    if (!selection.singlePod && options.follow !== true && options.previous !== true) {
      // A workload whose only pod is being replaced has no log to read yet: wait for its new pod, as kubectl does.
      const pods = await cluster.objects.list('v1', 'Pod', selection.namespace, selection.labelSelector);
      const anyLog = pods.some((pod) => this.containersOfAny(pod).some((container) => hasStarted(pod, container)));
      if (!anyLog) await waitForReadyPod(cluster.objects, selection, options.podWait);
    }
    const id = `l-${this.nextId++}`;
    const stream = new LogStream(id, cluster, selection, options, this.events, () => this.streams.delete(id));
    this.streams.set(id, stream);
    try {
      const pods = await stream.start();
      return { streamId: id, pods };
    } catch (error) {
      this.streams.delete(id);
      stream.abort();
      throw error;
    }
  }

  public close(id: string): void {
    const stream = this.streams.get(id);
    if (stream === undefined) throw new UnknownLogStreamError(id);
    void stream.end('closed');
  }

  public dispose(): void {
    for (const stream of [...this.streams.values()]) void stream.end('closed');
  }
}

type BatchItem = { line: LogLine } | { attached: LogAttachment };

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { running?: unknown; terminated?: unknown; waiting?: unknown };
}

function containerStatus(pod: KubeObject | undefined, container: string): ContainerStatus | undefined {
  const statuses = (pod?.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses;
  return statuses?.find((status) => status.name === container);
}

function hasStarted(pod: KubeObject, container: string): boolean {
  const state = containerStatus(pod, container)?.state;
  return state?.running !== undefined || state?.terminated !== undefined;
}

/** Whether a stopped container will run again (pod phase and restart policy allow it). */
function willRestart(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return (pod.spec as { restartPolicy?: string } | undefined)?.restartPolicy !== 'Never';
}

class LogStream {
  private readonly batcher: Batcher<BatchItem>;
  private readonly readers = new Map<string, Promise<void>>();
  private readonly open = new Set<Readable>();
  private watcher: PodWatcher | undefined;
  private stopWatching: (() => void) | undefined;
  private ended = false;
  private started = false;

  public constructor(
    private readonly id: string,
    private readonly cluster: LogsCluster,
    private readonly selection: PodSelection,
    private readonly options: OpenLogsOptions,
    private readonly events: LogsEvents,
    private readonly forget: () => void,
  ) {
    this.batcher = new Batcher((batch) => this.sendBatch(batch));
  }

  /** Opens the first readers (so that a bad container or option fails `logs/open`); returns the pods read. */
  public async start(): Promise<string[]> {
    const follow = this.options.follow === true && this.options.previous !== true;
    const objects = this.cluster.objects;
    let pods: KubeObject[];
    if (follow) {
      this.watcher = new PodWatcher(objects, this.selection);
      await this.watcher.whenSynced();
      pods = this.watcher.pods();
    } else {
      pods = await objects.list('v1', 'Pod', this.selection.namespace, this.selection.labelSelector);
      if (this.selection.fieldSelector !== undefined) {
        const name = this.selection.fieldSelector.replace('metadata.name=', '');
        pods = pods.filter((pod) => pod.metadata.name === name);
      }
    }
    const initial = pods.filter((pod) => pod.metadata.deletionTimestamp === undefined || this.selection.singlePod);
    const first: Promise<void>[] = [];
    for (const pod of initial) {
      for (const container of this.containersOf(pod)) {
        // A container that has not started has no log yet: a followed stream attaches to it once it starts, and a
        // workload's other pods are read without it. Only a named pod's own container is an error.
        if (this.options.previous !== true && !hasStarted(pod, container) && (follow || !this.selection.singlePod))
          continue;
        first.push(this.startReader(pod, container, follow, true, undefined));
      }
    }
    await Promise.all(first);
    this.started = true;
    if (follow && this.watcher !== undefined) {
      this.stopWatching = this.watcher.onChange(() => this.attachNewPods());
      this.attachNewPods();
    }
    if (!follow) void this.endWhenReadersDone('completed');
    return initial.map((pod) => pod.metadata.name);
  }

  public abort(): void {
    this.ended = true;
    this.stopWatching?.();
    this.watcher?.stop();
    for (const stream of this.open) stream.destroy();
  }

  public async end(reason: LogsEndReason, message?: string): Promise<void> {
    if (this.ended) return;
    this.abort();
    this.forget();
    await this.batcher.flushAll();
    this.events.end({ streamId: this.id, reason, ...(message !== undefined ? { message } : {}) });
  }

  private containersOf(pod: KubeObject): string[] {
    if (this.options.allContainers === true) {
      return ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
    }
    const container = defaultContainer(pod, this.options.container ?? this.selection.container);
    return container === undefined ? [] : [container];
  }

  /** A followed workload stream attaches to every pod that appears after it opened. */
  private attachNewPods(): void {
    if (this.ended || !this.started || this.watcher === undefined) return;
    for (const pod of this.watcher.pods()) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      for (const container of this.containersOf(pod)) {
        const key = `${pod.metadata.name}/${container}`;
        if (this.readers.has(key) || !hasStarted(pod, container)) continue;
        void this.startReader(pod, container, true, false, 'newPod');
      }
    }
  }

  private async endWhenReadersDone(reason: LogsEndReason, message?: string): Promise<void> {
    // Readers started later add themselves to the map, so look until no reader is left.
    while (this.readers.size > 0) await Promise.all([...this.readers.values()]);
    await this.end(reason, message);
  }

  /**
   * Starts reading one container. The returned promise settles once its first stream opened (or failed, which
   * fails `logs/open` for the initial readers).
   */
  private startReader(
    pod: KubeObject,
    container: string,
    follow: boolean,
    initial: boolean,
    attached: LogAttachment['reason'] | undefined,
  ): Promise<void> {
    const key = `${pod.metadata.name}/${container}`;
    let opened: () => void = () => undefined;
    let failed: (error: unknown) => void = () => undefined;
    const firstOpen = new Promise<void>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    const run = this.readContainer(pod, container, follow, initial, attached, opened, failed)
      .catch(() => undefined)
      .finally(() => {
        this.readers.delete(key);
        // A stream on one pod ends with that pod's last reader; a workload's stream goes on with new pods.
        if (follow && this.selection.singlePod && this.readers.size === 0 && !this.ended) {
          const current = this.watcher?.pod(pod.metadata.name);
          const gone = current === undefined || current.metadata.deletionTimestamp !== undefined;
          void this.end(
            gone ? 'podDeleted' : 'containerTerminated',
            gone ? `pod ${pod.metadata.name} was deleted` : `container ${container} terminated`,
          );
        }
      });
    this.readers.set(key, run);
    return firstOpen;
  }

  private async readContainer(
    pod: KubeObject,
    container: string,
    follow: boolean,
    initial: boolean,
    attached: LogAttachment['reason'] | undefined,
    opened: () => void,
    failed: (error: unknown) => void,
  ): Promise<void> {
    const name = pod.metadata.name;
    let instance = containerStatus(pod, container)?.restartCount ?? 0;
    // One resume point for every instance of the container: timestamps only grow, so reopening from the last
    // one delivered is right whether the same instance or a restarted one is behind the new stream.
    const resume = new ResumePoint();
    const limited = initial && (this.options.tailLines !== undefined || this.options.sinceSeconds !== undefined);
    let firstOpen = true;
    let openedAt = new Date().toISOString();
    let note = attached;
    let failures = 0;
    while (!this.ended) {
      let stream: Readable;
      // Before any line was delivered, a reopened stream must not reach back past what tail/since excluded.
      const since = resume.since ?? (limited && !firstOpen ? openedAt : undefined);
      try {
        stream = await this.cluster.openLog({
          namespace: this.selection.namespace,
          pod: name,
          container,
          follow,
          // Timestamps are always asked for: they are how a reopened stream knows what it already sent.
          timestamps: true,
          ...(firstOpen && initial && this.options.tailLines !== undefined
            ? { tailLines: this.options.tailLines }
            : {}),
          ...(firstOpen && initial && this.options.sinceSeconds !== undefined
            ? { sinceSeconds: this.options.sinceSeconds }
            : {}),
          ...(firstOpen && this.options.previous === true ? { previous: true } : {}),
          ...(since !== undefined ? { sinceTime: since } : {}),
        });
      } catch (error) {
        if (firstOpen) {
          failed(error);
          return;
        }
        if (error instanceof KubeError && error.status === 404) return;
        failures++;
        await this.waitForChange(name, backoffDelay(failures));
        continue;
      }
      if (firstOpen) {
        opened();
        openedAt = new Date().toISOString();
      }
      firstOpen = false;
      if (note !== undefined) {
        this.batcher.push({ attached: { pod: name, container, reason: note } });
        note = undefined;
      }
      resume.reopened();
      const before = resume.since;
      await this.pump(stream, name, container, resume);
      if (!follow || this.ended) return;
      // The stream ended: the container stopped, the pod went away, or the connection dropped.
      const next = await this.nextInstance(name, container, instance);
      if (next === undefined) return;
      if (next !== instance) {
        instance = next;
        note = 'containerRestarted';
        failures = 0;
      } else if (resume.since === before) {
        // Nothing new from the same instance: wait for the pod to change rather than spin.
        failures++;
        await this.waitForChange(name, backoffDelay(failures));
      }
    }
  }

  /** Waits until the container runs again; its restart count, or undefined when it will not run again. */
  private async nextInstance(pod: string, container: string, instance: number): Promise<number | undefined> {
    // The stream usually ends because the container stopped, and the pod's status says so a moment later. Wait
    // for that briefly, so that a restart is told apart from a dropped connection.
    await this.watcher?.waitFor(() => {
      const status = containerStatus(this.watcher?.pod(pod), container);
      const sameInstance = status?.state?.running !== undefined && (status.restartCount ?? 0) === instance;
      return sameInstance && !this.ended ? undefined : true;
    }, STATUS_SETTLE_MS);
    while (!this.ended) {
      const current = this.watcher?.pod(pod);
      if (current === undefined || current.metadata.deletionTimestamp !== undefined) return undefined;
      const status = containerStatus(current, container);
      const restartCount = status?.restartCount ?? 0;
      if (status?.state?.running !== undefined) return restartCount;
      if (status?.state?.terminated !== undefined && !willRestart(current)) return undefined;
      await this.waitForChange(pod, RESTART_WAIT_MS);
    }
    return undefined;
  }

  private async waitForChange(pod: string, timeoutMs: number): Promise<void> {
    if (this.watcher === undefined) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
      return;
    }
    const before = this.watcher.pod(pod);
    await this.watcher.waitFor(() => (this.watcher?.pod(pod) !== before || this.ended ? true : undefined), timeoutMs);
  }

  /** Reads one stream to its end, turning bytes into lines and holding back when the client is slow. */
  private pump(stream: Readable, pod: string, container: string, resume: ResumePoint): Promise<void> {
    this.open.add(stream);
    const splitter = new LineSplitter();
    const prefix = this.options.allContainers === true ? `[${container}] ` : '';
    const emit = (raw: string): void => {
      const { timestamp, text } = splitTimestamp(raw);
      if (resume.isRepeat(timestamp)) return;
      resume.delivered(timestamp);
      const line: LogLine = {
        pod,
        container,
        text: prefix + text,
        ...(this.options.timestamps === true && timestamp !== undefined ? { timestamp } : {}),
      };
      if (!this.batcher.push({ line })) {
        stream.pause();
        this.batcher.onDrain(() => stream.resume());
      }
    };
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        for (const line of splitter.push(chunk)) emit(line);
      });
      const done = (): void => {
        this.open.delete(stream);
        const rest = splitter.end();
        if (rest !== undefined && !this.ended) emit(rest);
        resolve();
      };
      stream.once('end', done);
      stream.once('error', done);
      stream.once('close', done);
    });
  }

  private async sendBatch(batch: BatchItem[]): Promise<void> {
    // Attachments go first in a notification: the lines after them come from what was attached.
    let lines: LogLine[] = [];
    let attached: LogAttachment[] = [];
    const flush = async (): Promise<void> => {
      if (lines.length === 0 && attached.length === 0) return;
      const params: DidAppendLogsParams = {
        streamId: this.id,
        lines,
        ...(attached.length > 0 ? { attached } : {}),
      };
      lines = [];
      attached = [];
      await this.events.append(params);
    };
    for (const item of batch) {
      if ('attached' in item) {
        if (lines.length > 0) await flush();
        attached.push(item.attached);
      } else {
        lines.push(item.line);
      }
    }
    await flush();
  }
}

/** A stream of a session's onSync output: what was kept, then (followed) each new line until the session ends. */
class OnSyncLogStream implements OpenStream {
  private readonly batcher: Batcher<LogLine>;
  private unsubscribe: (() => void) | undefined;
  private ended = false;

  public constructor(
    private readonly id: string,
    private readonly runner: OnSyncRunner,
    private readonly options: OpenOnSyncLogsOptions,
    private readonly events: LogsEvents,
    private readonly forget: () => void,
  ) {
    this.batcher = new Batcher((lines) => this.events.append({ streamId: this.id, lines }));
  }

  /** Queues the kept lines and subscribes; returns the pods the kept lines came from. */
  public start(): string[] {
    const kept = this.runner.output();
    const tail = this.options.tailLines;
    const initial = tail === undefined ? kept : kept.slice(Math.max(0, kept.length - tail));
    for (const line of initial) this.batcher.push(this.toLogLine(line));
    if (this.options.follow === true && !this.runner.ended) {
      this.unsubscribe = this.runner.subscribe(
        (line) => this.batcher.push(this.toLogLine(line)),
        () => void this.end('completed', 'the DevMode session ended'),
      );
    } else {
      void this.end('completed');
    }
    return [...new Set(initial.map((line) => line.pod).filter((pod) => pod !== ''))];
  }

  public async end(reason: LogsEndReason, message?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe?.();
    this.forget();
    await this.batcher.flushAll();
    this.events.end({ streamId: this.id, reason, ...(message !== undefined ? { message } : {}) });
  }

  private toLogLine(line: OnSyncOutputLine): LogLine {
    return {
      pod: line.pod,
      container: this.runner.container,
      text: line.text,
      onSync: { rule: line.rule, run: line.run },
      ...(this.options.timestamps === true ? { timestamp: line.timestamp } : {}),
    };
  }
}

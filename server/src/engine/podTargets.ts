/**
 * From a target (a workload or one pod) to its pods: how to select them, which one is the newest ready, and a watch
 * that keeps that answer current while pods are replaced.
 */
import type { PodTarget, Target } from '@devmode/protocol';
import { KubeError } from '../kube/errors.js';
import { workloadApiVersions } from '../kube/resources.js';
import type { KubeObject, ObjectClient } from '../kube/objects.js';
import { EngineError } from './engineError.js';
import { explainPod } from './devPod.js';

/** A workload and one pod named directly, as the protocol declares them. */
export type WorkloadTarget = Target;
export type NamedPodTarget = PodTarget;

export type PodsTarget = WorkloadTarget | NamedPodTarget;

/** The target names something that does not exist; `field` is the target field at fault. */
export class TargetNotFoundError extends EngineError {
  public constructor(
    message: string,
    public readonly field: string,
  ) {
    super('NotFound', `Not found: ${message}`, {
      field,
      hint: 'Check the name and namespace; tree/children lists what exists.',
    });
    this.name = 'TargetNotFoundError';
  }
}

const apiVersions = workloadApiVersions;

/** How a target's pods are found. */
export interface PodSelection {
  namespace: string;
  /** True when the target is one pod: it is never replaced, so its end is the end. */
  singlePod: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** How a person names the target, e.g. `Deployment shop/web`. */
  description: string;
  /** The container the target asks for, if any. */
  container?: string;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A `metav1.LabelSelector` as the `labelSelector` query parameter spells it. */
export function formatLabelSelector(selector: LabelSelector): string {
  const terms = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    switch (expression.operator) {
      case 'In':
        terms.push(`${expression.key} in (${values})`);
        break;
      case 'NotIn':
        terms.push(`${expression.key} notin (${values})`);
        break;
      case 'Exists':
        terms.push(expression.key);
        break;
      case 'DoesNotExist':
        terms.push(`!${expression.key}`);
        break;
    }
  }
  return terms.join(',');
}

export function isNamedPod(target: PodsTarget): target is NamedPodTarget {
  return 'pod' in target;
}

/** Checks that the target exists and works out how to select its pods. */
export async function resolvePodSelection(objects: ObjectClient, target: PodsTarget): Promise<PodSelection> {
  const container = target.container !== undefined ? { container: target.container } : {};
  if (isNamedPod(target) || target.kind === 'Pod') {
    const name = isNamedPod(target) ? target.pod : target.name;
    const pod = await objects.get({ apiVersion: 'v1', kind: 'Pod', namespace: target.namespace, name });
    if (pod === undefined) {
      throw new TargetNotFoundError(
        `pod "${name}" not found in namespace "${target.namespace}"`,
        isNamedPod(target) ? 'target.pod' : 'target.name',
      );
    }
    return {
      namespace: target.namespace,
      singlePod: true,
      fieldSelector: `metadata.name=${name}`,
      description: `pod ${target.namespace}/${name}`,
      ...container,
    };
  }
  const apiVersion = apiVersions[target.kind];
  const workload = await objects.get({ apiVersion, kind: target.kind, namespace: target.namespace, name: target.name });
  if (workload === undefined) {
    throw new TargetNotFoundError(
      `${target.kind} "${target.name}" not found in namespace "${target.namespace}"`,
      'target.name',
    );
  }
  const spec = workload.spec as
    | {
        selector?: LabelSelector;
        jobTemplate?: { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };
      }
    | undefined;
  // A CronJob has no selector of its own; the labels of its job template reach every pod it creates.
  const selector =
    target.kind === 'CronJob' ? { matchLabels: spec?.jobTemplate?.spec?.template?.metadata?.labels } : spec?.selector;
  const labelSelector = selector === undefined ? '' : formatLabelSelector(selector);
  if (labelSelector === '') {
    throw new TargetNotFoundError(`${target.kind} "${target.name}" has no pod selector`, 'target.name');
  }
  return {
    namespace: target.namespace,
    singlePod: false,
    labelSelector,
    description: `${target.kind} ${target.namespace}/${target.name}`,
    ...container,
  };
}

/** Ready: running, passing its readiness checks and not being deleted. */
export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp !== undefined) return false;
  const status = pod.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  if (status?.phase !== 'Running') return false;
  return status.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}

/** Running and not being deleted: what a forward to one named pod needs, ready or not (as kubectl's does). */
export function isPodRunning(pod: KubeObject): boolean {
  return (
    pod.metadata.deletionTimestamp === undefined && (pod.status as { phase?: string } | undefined)?.phase === 'Running'
  );
}

/** Running with every container started, though maybe not ready yet (its readiness probe has not passed). */
export function isPodStarted(pod: KubeObject): boolean {
  if (!isPodRunning(pod)) return false;
  const statuses = (pod.status as { containerStatuses?: { state?: { running?: unknown } }[] } | undefined)
    ?.containerStatuses;
  return (
    statuses !== undefined && statuses.length > 0 && statuses.every((status) => status.state?.running !== undefined)
  );
}

/** The most recently created ready pod, the one a person means by "the workload's pod". */
export function newestReadyPod(pods: Iterable<KubeObject>): KubeObject | undefined {
  let best: KubeObject | undefined;
  for (const pod of pods) {
    if (!isPodReady(pod)) continue;
    if (best === undefined || compareAge(pod, best) > 0) best = pod;
  }
  return best;
}

function compareAge(a: KubeObject, b: KubeObject): number {
  const byTime = (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '');
  return byTime !== 0 ? byTime : a.metadata.name.localeCompare(b.metadata.name);
}

/** The container a target means: the one named, else the pod's default (annotated or first) container. */
export function defaultContainer(pod: KubeObject, requested?: string): string | undefined {
  if (requested !== undefined) return requested;
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated !== undefined) return annotated;
  const spec = pod.spec as { containers?: { name: string }[] } | undefined;
  return spec?.containers?.[0]?.name;
}

/** Keeps the current pods of a selection, from a watch that reconnects by itself. */
export class PodWatcher {
  private readonly current = new Map<string, KubeObject>();
  private readonly listeners = new Set<() => void>();
  private readonly connectionListeners = new Set<(error: Error | undefined) => void>();
  private readonly stopWatch: () => void;
  /** Why the API server cannot be watched right now; undefined while the watch is open. */
  public connectionError: Error | undefined;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  public constructor(
    objects: ObjectClient,
    public readonly selection: PodSelection,
  ) {
    const options = {
      ...(selection.labelSelector !== undefined ? { labelSelector: selection.labelSelector } : {}),
      ...(selection.fieldSelector !== undefined ? { fieldSelector: selection.fieldSelector } : {}),
      onConnection: (connected: boolean, error?: Error) => {
        // Only a connection that fails counts: an API server that answers with an error is reachable.
        if (!connected && !(error instanceof KubeError && error.status === 0)) return;
        const next = connected ? undefined : error;
        if ((next === undefined) === (this.connectionError === undefined)) {
          this.connectionError = next;
          return;
        }
        this.connectionError = next;
        for (const listener of this.connectionListeners) listener(next);
      },
    };
    this.stopWatch = objects.watch('v1', 'Pod', selection.namespace, options, (type, pod) => {
      if (type === 'DELETED') this.current.delete(pod.metadata.name);
      else this.current.set(pod.metadata.name, pod);
      if (!this.synced) {
        this.synced = true;
        for (const resolve of this.syncWaiters.splice(0)) resolve();
      }
      for (const listener of this.listeners) listener();
    });
    // An empty first list sends no event, so a quiet selection counts as synced after a short while.
    setTimeout(() => {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }, 1000).unref();
  }

  public pods(): KubeObject[] {
    return [...this.current.values()];
  }

  public pod(name: string): KubeObject | undefined {
    return this.current.get(name);
  }

  public newestReady(): KubeObject | undefined {
    return newestReadyPod(this.current.values());
  }

  /** The most recently created pod whose containers all run, ready or not. */
  public newestStarted(): KubeObject | undefined {
    let best: KubeObject | undefined;
    for (const pod of this.current.values()) {
      if (isPodStarted(pod) && (best === undefined || compareAge(pod, best) > 0)) best = pod;
    }
    return best;
  }

  /**
   * Calls `listener` when the API server stops answering the watch (with the reason) and when it answers again
   * (with undefined); returns the function that removes it.
   */
  public onConnectionChange(listener: (error: Error | undefined) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** Calls `listener` after every change; returns the function that removes it. */
  public onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first value `check` returns that is not undefined, or undefined after `timeoutMs`. */
  public waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const finish = (value: T | undefined): void => {
        clearTimeout(timer);
        remove();
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const remove = this.onChange(() => {
        const value = check();
        if (value !== undefined) finish(value);
      });
    });
  }

  /** Resolves once the first list arrived, so that "no pod" means none rather than not known yet. */
  public whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  public stop(): void {
    this.stopWatch();
    this.listeners.clear();
  }
}

/** How long a workload target waits for a ready pod by default, as kubectl's `--pod-running-timeout`. */
export const POD_RUNNING_TIMEOUT_MS = 60_000;

export interface PodWaitOptions {
  timeoutMs?: number;
  /** Told, each time it changes, what the wait is waiting for (`pod web-1: PodInitializing`). */
  onWaiting?: (status: string) => void;
}

/**
 * The workload's newest ready pod. While it has none (its pod is being replaced), waits up to `timeoutMs` for one
 * and then fails with ContainerNotRunning and the reason from the newest pod's events.
 */
export async function waitForReadyPod(
  objects: ObjectClient,
  selection: PodSelection,
  options: PodWaitOptions = {},
): Promise<KubeObject> {
  const timeoutMs = options.timeoutMs ?? POD_RUNNING_TIMEOUT_MS;
  const watcher = new PodWatcher(objects, selection);
  try {
    await watcher.whenSynced();
    let told = '';
    const tell = (): void => {
      const status = waitingStatus(newestPod(watcher.pods()));
      if (status === told) return;
      told = status;
      options.onWaiting?.(status);
    };
    const ready = watcher.newestReady();
    if (ready !== undefined) return ready;
    tell();
    const stopTelling = watcher.onChange(tell);
    const pod = await watcher.waitFor(() => watcher.newestReady(), timeoutMs);
    stopTelling();
    if (pod !== undefined) return pod;
    const newest = newestPod(watcher.pods());
    const reason = newest === undefined ? 'it has no pod' : await explainPod(objects, newest, waitingStatus(newest));
    throw new EngineError(
      'ContainerNotRunning',
      `The ${selection.description} has no ready pod after ${Math.round(timeoutMs / 1000)} s: ${reason}`,
      {
        reason,
        retryable: true,
        hint: 'Check the pod and its events (kubectl describe pod), name a pod, or wait longer with podRunningTimeoutSeconds.',
      },
    );
  } finally {
    watcher.stop();
  }
}

function newestPod(pods: KubeObject[]): KubeObject | undefined {
  let best: KubeObject | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    if (best === undefined || compareAge(pod, best) > 0) best = pod;
  }
  return best;
}

/** What a pod is doing instead of being ready, in kubectl's words where it has them. */
function waitingStatus(pod: KubeObject | undefined): string {
  if (pod === undefined) return 'waiting for a pod to be created';
  const status = (pod.status ?? {}) as {
    phase?: string;
    initContainerStatuses?: { state?: { running?: unknown; waiting?: { reason?: string }; terminated?: unknown } }[];
    containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
  };
  const inits = status.initContainerStatuses ?? [];
  const initsDone = inits.filter((init) => init.state?.terminated !== undefined).length;
  if (initsDone < inits.length) return `pod ${pod.metadata.name}: Init:${initsDone}/${inits.length}`;
  const waiting = status.containerStatuses?.find((container) => container.state?.waiting !== undefined)?.state?.waiting;
  const what = waiting?.reason ?? (status.phase === 'Running' ? 'not ready yet' : (status.phase ?? 'Pending'));
  return `pod ${pod.metadata.name}: ${what}`;
}

/**
 * When a pod the scheduler cannot place will stay unplaced, so that waiting for it can end early with the
 * scheduler's reason instead of at a timeout.
 *
 * The scheduler marks such a pod `PodScheduled=False`, reason `Unschedulable`, with a message that says why ("no
 * nodes available to schedule pods", "0/3 nodes are available: 3 Insufficient cpu", a taint, an affinity). It retries
 * on every change of the cluster, so the condition can clear by itself in three cases, which the judgement waits for:
 *   - within moments, when something the scheduler waits for is on its way (a volume being bound, the pod's own
 *     update): a grace of a few seconds (`unschedulableGraceMs`) covers it;
 *   - when pods being deleted still hold the resources (the replaced pods of a workload do until they are gone): the
 *     caller says so (`mayClear`), and the grace starts again once they are gone;
 *   - when a cluster autoscaler adds a node for the pod: it says so with an event on the pod (`TriggeredScaleUp` from
 *     the cluster autoscaler, `Nominated` from Karpenter); as long as one is there, the pod is waited for.
 * Anything else (no node at all, a taint or selector no node satisfies, too little capacity left) needs a person.
 */
import type { KubeObject, ObjectClient } from '../kube/objects.js';

/** How long a pod must stay Unschedulable, with nothing on its way to clear it, before it counts as stuck. */
export const unschedulableGraceMs = 5_000;

/** Event reasons by which a node autoscaler says it is adding a node for the pod. */
const scaleUpReasons = new Set(['TriggeredScaleUp', 'Nominated']);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The scheduler's message when it found no node for the pod; undefined while the pod is scheduled or unjudged. */
export function unschedulableMessage(pod: KubeObject): string | undefined {
  const conditions = (pod.status as { conditions?: Condition[] } | undefined)?.conditions;
  const condition = conditions?.find(
    (candidate) =>
      candidate.type === 'PodScheduled' && candidate.status === 'False' && candidate.reason === 'Unschedulable',
  );
  if (condition === undefined) return undefined;
  return condition.message ?? 'no node can run it';
}

/** Whether a node autoscaler has said it is adding a node for this pod. */
async function scaleUpUnderWay(objects: ObjectClient, pod: KubeObject): Promise<boolean> {
  try {
    const events = await objects.list('v1', 'Event', pod.metadata.namespace);
    return events.some((event) => {
      const { involvedObject, reason } = event as {
        involvedObject?: { kind?: string; name?: string };
        reason?: string;
      };
      return (
        involvedObject?.kind === 'Pod' &&
        involvedObject.name === pod.metadata.name &&
        reason !== undefined &&
        scaleUpReasons.has(reason)
      );
    });
  } catch {
    // A user who may not list events: judge by the pod alone.
    return false;
  }
}

/**
 * Follows pods through a caller's watch and calls `onStuck` once for the first pod that has stayed Unschedulable
 * for the grace with nothing on its way to clear it.
 */
export class UnschedulableJudge {
  private readonly latest = new Map<string, KubeObject>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private done = false;

  public constructor(
    private readonly objects: ObjectClient,
    private readonly onStuck: (pod: KubeObject, message: string) => void,
    /** True while something the caller knows of may still free room for the pod (pods being deleted). */
    private readonly mayClear: () => boolean = () => false,
    private readonly graceMs = unschedulableGraceMs,
  ) {}

  /** Takes a pod's latest state from the caller's watch. */
  public observe(pod: KubeObject): void {
    if (this.done) return;
    const name = pod.metadata.name;
    if (pod.metadata.deletionTimestamp !== undefined || unschedulableMessage(pod) === undefined) {
      this.forget(name);
      return;
    }
    this.latest.set(name, pod);
    if (!this.timers.has(name)) this.arm(name);
  }

  /** Stops following a pod (deleted, or no longer the caller's concern). */
  public forget(name: string): void {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
    this.latest.delete(name);
  }

  public dispose(): void {
    this.done = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.latest.clear();
  }

  private arm(name: string): void {
    this.timers.set(
      name,
      setTimeout(() => void this.judge(name), this.graceMs),
    );
  }

  private async judge(name: string): Promise<void> {
    const pod = this.latest.get(name);
    const message = pod === undefined ? undefined : unschedulableMessage(pod);
    if (this.done || pod === undefined || message === undefined) return;
    if (this.mayClear() || (await scaleUpUnderWay(this.objects, pod))) {
      if (!this.done && this.latest.has(name)) this.arm(name);
      return;
    }
    if (this.done || !this.latest.has(name)) return;
    this.dispose();
    this.onStuck(pod, message);
  }
}

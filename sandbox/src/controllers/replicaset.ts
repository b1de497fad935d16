/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods matching the template, replacing pods that are
 * deleted or fail, and reports replicas/ready/available counts.
 */
import type { KubeObject, Store } from '../contracts.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';
import {
  controllerOf,
  controllerRef,
  deletePod,
  isControlledBy,
  isPodActive,
  isPodAvailable,
  isPodReady,
  randomSuffix,
  selectorMatches,
  writeStatus,
} from './util.js';

/** A pod built from a template, owned by `owner`. */
export function podFromTemplate(owner: KubeObject, name: string, extraLabels: Record<string, string> = {}): KubeObject {
  const template = (owner.spec?.template ?? {}) as { metadata?: KubeObject['metadata']; spec?: unknown };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...extraLabels },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** Pods in the owner's namespace that it controls. */
export function ownedPods(store: Store, owner: KubeObject): KubeObject[] {
  return store.list('pods', owner.metadata.namespace).items.filter((pod) => isControlledBy(pod, owner.metadata.uid));
}

/** Which pods to delete first when scaling down: unscheduled, pending, not ready, then the newest. */
function deletionRank(a: KubeObject, b: KubeObject): number {
  const score = (pod: KubeObject): number =>
    (pod.spec?.nodeName ? 0 : 4) + (pod.status?.phase === 'Running' ? 0 : 2) + (isPodReady(pod) ? 0 : 1);
  const diff = score(b) - score(a);
  if (diff !== 0) return diff;
  return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
}

export function startReplicaSetController(ctx: ControllerContext): StopFn {
  const { store } = ctx;
  const events = ctx.recorder('replicaset-controller');
  const queue = new WorkQueue('replicaset-controller', (namespace, name) => {
    const rs = store.get('replicasets.apps', namespace, name);
    if (rs === undefined) return;
    const minReady = Number(rs.spec?.minReadySeconds ?? 0);
    const pods = ownedPods(store, rs);
    const active = pods.filter(isPodActive);
    const desired = Number(rs.spec?.replicas ?? 1);
    if (active.length < desired) {
      for (let i = active.length; i < desired; i++) {
        const pod = store.create('pods', podFromTemplate(rs, `${rs.metadata.name}-${randomSuffix()}`));
        active.push(pod);
        events.emit(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      }
    } else if (active.length > desired) {
      const victims = [...active].sort(deletionRank).slice(0, active.length - desired);
      for (const pod of victims) {
        deletePod(store, pod);
        events.emit(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      }
      active.splice(0, active.length, ...active.filter((p) => !victims.includes(p)));
    }
    const labels = (rs.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
    const available = active.filter((p) => isPodAvailable(p, minReady)).length;
    if (minReady > 0 && active.some((p) => isPodReady(p) && !isPodAvailable(p, minReady))) {
      queue.add(namespace, name, 1000);
    }
    writeStatus(store, 'replicasets.apps', rs, {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => selectorMatches({ matchLabels: labels }, p.metadata.labels)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation,
    });
  });
  const unwatch = [
    watchAll(store, 'replicasets.apps', (e) => queue.add(e.object.metadata.namespace, e.object.metadata.name)),
    watchAll(store, 'pods', (e) => {
      const owner = controllerOf(e.object, 'ReplicaSet');
      if (owner !== undefined) queue.add(e.object.metadata.namespace, owner);
    }),
  ];
  enqueueAll(store, 'replicasets.apps', queue);
  return () => {
    queue.stop();
    unwatch.forEach((u) => u());
  };
}

/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The StatefulSet controller: pods named `<set>-0 … <set>-N-1`, created in order (OrderedReady waits for each
 * to be Running and Ready) or all at once (Parallel), scaled down from the highest ordinal, updated in reverse
 * ordinal order (RollingUpdate with partition) or only when deleted (OnDelete); claims from volumeClaimTemplates.
 */
import type { KubeObject } from '../contracts.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';
import { ownedPods, podFromTemplate } from './replicaset.js';
import { controllerOf, deletePod, isPodReady, isPodTerminating, templateHash, writeStatus } from './util.js';

const REVISION_LABEL = 'controller-revision-hash';

function ordinal(pod: KubeObject, set: string): number {
  const suffix = pod.metadata.name.slice(set.length + 1);
  return pod.metadata.name.startsWith(`${set}-`) && /^\d+$/.test(suffix) ? Number(suffix) : -1;
}

function runningAndReady(pod: KubeObject): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod) && !isPodTerminating(pod);
}

export function startStatefulSetController(ctx: ControllerContext): StopFn {
  const { store } = ctx;
  const events = ctx.recorder('statefulset-controller');

  const createPod = (set: KubeObject, index: number, revision: string): void => {
    const name = `${set.metadata.name}-${index}`;
    const pod = podFromTemplate(set, name, {
      [REVISION_LABEL]: revision,
      'statefulset.kubernetes.io/pod-name': name,
      'apps.kubernetes.io/pod-index': String(index),
    });
    pod.spec.hostname = name;
    if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
    const volumes = (pod.spec.volumes ?? []) as { name: string }[];
    for (const template of (set.spec?.volumeClaimTemplates ?? []) as KubeObject[]) {
      const claim = `${template.metadata.name}-${name}`;
      if (store.get('persistentvolumeclaims', set.metadata.namespace, claim) === undefined) {
        store.create('persistentvolumeclaims', {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: claim,
            namespace: set.metadata.namespace,
            labels: { ...(set.spec?.selector?.matchLabels ?? {}) },
          },
          spec: structuredClone(template.spec ?? {}),
        });
        events.emit(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${claim} Pod ${name} in StatefulSet ${set.metadata.name} success`,
        );
      }
      if (!volumes.some((v) => v.name === template.metadata.name)) {
        volumes.push({ name: template.metadata.name, persistentVolumeClaim: { claimName: claim } } as { name: string });
      }
    }
    pod.spec.volumes = volumes;
    store.create('pods', pod);
    events.emit(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`);
  };

  const reconcile = (namespace: string | undefined, name: string): void => {
    const set = store.get('statefulsets.apps', namespace, name);
    if (set === undefined) return;
    const replicas = Number(set.spec?.replicas ?? 1);
    const parallel = set.spec?.podManagementPolicy === 'Parallel';
    const updateRevision = `${name}-${templateHash(set.spec?.template)}`;
    const pods = ownedPods(store, set).filter((p) => ordinal(p, name) >= 0);
    const byOrdinal = new Map(pods.map((p) => [ordinal(p, name), p]));
    const revisionOf = (p: KubeObject): string | undefined => p.metadata.labels?.[REVISION_LABEL];

    // Failed pods are replaced; a pod that finished is deleted and created again with the same name.
    for (const pod of pods) {
      if ((pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') && !isPodTerminating(pod)) {
        deletePod(store, pod);
        events.emit(
          set,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${pod.metadata.name} in StatefulSet ${name} successful`,
        );
      }
    }
    let blocked = false;
    for (let i = 0; i < replicas && !blocked; i++) {
      const pod = byOrdinal.get(i);
      if (pod === undefined) {
        // Old templates are not kept, so a pod created again always gets the current template.
        createPod(set, i, updateRevision);
        if (!parallel) blocked = true;
      } else if (!parallel && !runningAndReady(pod)) {
        blocked = true;
      }
    }
    const excess = pods
      .filter((p) => ordinal(p, name) >= replicas && !isPodTerminating(p))
      .sort((a, b) => ordinal(b, name) - ordinal(a, name));
    if (!blocked) {
      for (const pod of parallel ? excess : excess.slice(0, 1)) {
        deletePod(store, pod);
        events.emit(
          set,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${pod.metadata.name} in StatefulSet ${name} successful`,
        );
      }
    }
    const inRange = pods.filter((p) => ordinal(p, name) < replicas);
    const allReady = inRange.length === replicas && inRange.every(runningAndReady) && excess.length === 0;
    if (set.spec?.updateStrategy?.type !== 'OnDelete' && allReady) {
      const partition = Number(set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0);
      const stale = inRange
        .filter((p) => ordinal(p, name) >= partition && revisionOf(p) !== updateRevision)
        .sort((a, b) => ordinal(b, name) - ordinal(a, name))[0];
      if (stale !== undefined) {
        deletePod(store, stale);
        events.emit(
          set,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${stale.metadata.name} in StatefulSet ${name} successful`,
        );
      }
    }
    const fresh = ownedPods(store, set).filter((p) => ordinal(p, name) >= 0 && !isPodTerminating(p));
    const updated = fresh.filter((p) => revisionOf(p) === updateRevision).length;
    const previous = status(set)?.currentRevision as string | undefined;
    const currentRevision =
      previous === undefined || (updated === replicas && fresh.length === replicas) ? updateRevision : previous;
    const current = fresh.filter((p) => revisionOf(p) === currentRevision).length;
    const ready = fresh.filter(isPodReady).length;
    writeStatus(store, 'statefulsets.apps', set, {
      observedGeneration: set.metadata.generation,
      replicas: fresh.length,
      readyReplicas: ready,
      currentReplicas: current,
      updatedReplicas: updated,
      availableReplicas: ready,
      currentRevision,
      updateRevision,
      collisionCount: 0,
    });
  };

  const queue = new WorkQueue('statefulset-controller', reconcile);
  const unwatch = [
    watchAll(store, 'statefulsets.apps', (e) => queue.add(e.object.metadata.namespace, e.object.metadata.name)),
    watchAll(store, 'pods', (e) => {
      const owner = controllerOf(e.object, 'StatefulSet');
      if (owner !== undefined) queue.add(e.object.metadata.namespace, owner);
    }),
  ];
  enqueueAll(store, 'statefulsets.apps', queue);
  return () => {
    queue.stop();
    unwatch.forEach((u) => u());
  };
}

function status(set: KubeObject): Record<string, unknown> | undefined {
  return set.status as Record<string, unknown> | undefined;
}

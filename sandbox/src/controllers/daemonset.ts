/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The DaemonSet controller for a one-node cluster: one pod on the node when the template can run there
 * (nodeSelector, nodeName and required node affinity match the node's labels), none otherwise; a pod with an
 * outdated template is replaced (RollingUpdate) unless the strategy is OnDelete.
 */
import type { KubeObject } from '../contracts.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';
import { ownedPods, podFromTemplate } from './replicaset.js';
import {
  type Loose,
  controllerOf,
  deletePod,
  isPodActive,
  isPodAvailable,
  isPodReady,
  randomSuffix,
  selectorMatches,
  templateHash,
  writeStatus,
  type LabelSelectorRequirement,
} from './util.js';

const REVISION_LABEL = 'controller-revision-hash';

/** Whether a pod spec may run on the node. */
export function fitsNode(podSpec: Loose, node: KubeObject | undefined): boolean {
  if (node === undefined) return false;
  const labels = node.metadata.labels ?? {};
  if (podSpec?.nodeName && podSpec.nodeName !== node.metadata.name) return false;
  if (!selectorMatches({ matchLabels: (podSpec?.nodeSelector ?? {}) as Record<string, string> }, labels)) return false;
  const terms = (podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ??
    []) as {
    matchExpressions?: LabelSelectorRequirement[];
  }[];
  if (
    terms.length > 0 &&
    !terms.some((term) => selectorMatches({ matchExpressions: term.matchExpressions ?? [] }, labels))
  )
    return false;
  return true;
}

export function startDaemonSetController(ctx: ControllerContext): StopFn {
  const { store, nodeName } = ctx;
  const events = ctx.recorder('daemonset-controller');
  const reconcile = (namespace: string | undefined, name: string): void => {
    const ds = store.get('daemonsets.apps', namespace, name);
    if (ds === undefined) return;
    const node = store.get('nodes', undefined, nodeName);
    const wanted = fitsNode(ds.spec?.template?.spec, node);
    const hash = templateHash(ds.spec?.template);
    const active = ownedPods(store, ds).filter(isPodActive);
    const misplaced = active.filter((p) => !wanted || (p.spec?.nodeName && p.spec.nodeName !== nodeName));
    for (const pod of misplaced) {
      deletePod(store, pod);
      events.emit(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    }
    let pods = active.filter((p) => !misplaced.includes(p));
    if (wanted && ds.spec?.updateStrategy?.type !== 'OnDelete') {
      for (const pod of pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] !== hash)) {
        deletePod(store, pod);
        events.emit(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      }
      pods = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === hash);
    }
    const terminating = ownedPods(store, ds).some((p) => p.metadata.deletionTimestamp !== undefined);
    if (wanted && pods.length === 0 && !terminating) {
      const pod = podFromTemplate(ds, `${ds.metadata.name}-${randomSuffix()}`, {
        [REVISION_LABEL]: hash,
        'pod-template-generation': String(ds.metadata.generation ?? 1),
      });
      pod.spec.nodeName = nodeName;
      const created = store.create('pods', pod);
      pods.push(created);
      events.emit(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }
    const minReady = Number(ds.spec?.minReadySeconds ?? 0);
    const desired = wanted ? 1 : 0;
    const ready = pods.filter(isPodReady).length;
    const available = pods.filter((p) => isPodAvailable(p, minReady)).length;
    writeStatus(store, 'daemonsets.apps', ds, {
      observedGeneration: ds.metadata.generation,
      desiredNumberScheduled: desired,
      currentNumberScheduled: Math.min(pods.length, desired),
      numberMisscheduled: wanted ? 0 : pods.length,
      numberReady: ready,
      numberAvailable: available,
      numberUnavailable: Math.max(0, desired - available),
      updatedNumberScheduled: pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === hash).length,
    });
  };
  const queue = new WorkQueue('daemonset-controller', reconcile);
  const unwatch = [
    watchAll(store, 'daemonsets.apps', (e) => queue.add(e.object.metadata.namespace, e.object.metadata.name)),
    watchAll(store, 'pods', (e) => {
      const owner = controllerOf(e.object, 'DaemonSet');
      if (owner !== undefined) queue.add(e.object.metadata.namespace, owner);
    }),
    watchAll(store, 'nodes', () => enqueueAll(store, 'daemonsets.apps', queue)),
  ];
  enqueueAll(store, 'daemonsets.apps', queue);
  return () => {
    queue.stop();
    unwatch.forEach((u) => u());
  };
}

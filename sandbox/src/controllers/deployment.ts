/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The Deployment controller: one ReplicaSet per pod template (labelled with its pod-template-hash), rolled
 * out with RollingUpdate (maxSurge/maxUnavailable) or Recreate, with revision annotations, the status fields
 * and the Available/Progressing conditions `kubectl rollout status` reads.
 */
import type { KubeObject, Store } from '../contracts.js';
import type { EventRecorder } from './events.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';
import { ownedPods } from './replicaset.js';
import {
  controllerOf,
  controllerRef,
  ignoreNotFound,
  intOrPercent,
  isControlledBy,
  isPodActive,
  now,
  stableStringify,
  templateHash,
  writeStatus,
} from './util.js';

const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

function revisionOf(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0;
}

function replicasOf(rs: KubeObject): number {
  return Number(rs.spec?.replicas ?? 0);
}

function statusCount(rs: KubeObject | undefined, field: string): number {
  return Number(rs?.status?.[field] ?? 0);
}

/**
 * The template as it is compared and hashed: without the hash label, and with null, empty and server-set
 * fields dropped, as Go's typed comparison sees them (`kubectl rollout undo` sends `creationTimestamp: null`).
 */
function bareTemplate(template: unknown): unknown {
  const copy = normalize(structuredClone(template ?? {})) as {
    metadata?: { labels?: Record<string, string>; creationTimestamp?: unknown };
  };
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH];
  return normalize(copy);
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize).filter((v) => v !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const normalized = key === 'creationTimestamp' ? undefined : normalize(item);
      if (normalized !== undefined) out[key] = normalized;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value === null ? undefined : value;
}

/**
 * The Deployment's annotations a new ReplicaSet carries (so `kubectl rollout history` shows
 * kubernetes.io/change-cause), without kubectl's last-applied configuration and the controller's own.
 */
function copiedAnnotations(deploy: KubeObject): Record<string, string> {
  const copied: Record<string, string> = {};
  for (const [key, value] of Object.entries(deploy.metadata.annotations ?? {})) {
    if (key === 'kubectl.kubernetes.io/last-applied-configuration' || key.startsWith('deployment.kubernetes.io/'))
      continue;
    copied[key] = value;
  }
  return copied;
}

function scale(store: Store, events: EventRecorder, deploy: KubeObject, rs: KubeObject, replicas: number): KubeObject {
  const from = replicasOf(rs);
  if (from === replicas) return rs;
  const current = store.get('replicasets.apps', rs.metadata.namespace, rs.metadata.name) ?? rs;
  current.spec.replicas = replicas;
  delete current.metadata.resourceVersion;
  const updated = store.update('replicasets.apps', current);
  const verb = replicas > from ? 'up' : 'down';
  events.emit(
    deploy,
    'Normal',
    'ScalingReplicaSet',
    `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
  );
  return updated;
}

function setCondition(
  conditions: Condition[],
  type: string,
  status: string,
  reason: string,
  message: string,
  touch: boolean,
): void {
  const timestamp = now();
  const existing = conditions.find((c) => c.type === type);
  if (existing === undefined) {
    conditions.push({ type, status, reason, message, lastUpdateTime: timestamp, lastTransitionTime: timestamp });
    return;
  }
  if (existing.status !== status) existing.lastTransitionTime = timestamp;
  if (existing.status !== status || existing.reason !== reason || touch) existing.lastUpdateTime = timestamp;
  Object.assign(existing, { status, reason, message });
}

export function startDeploymentController(ctx: ControllerContext): StopFn {
  const { store } = ctx;
  const events = ctx.recorder('deployment-controller');

  const reconcile = (namespace: string | undefined, name: string): void => {
    const deploy = store.get('deployments.apps', namespace, name);
    if (deploy === undefined) return;
    const desired = Number(deploy.spec?.replicas ?? 1);
    const hash = templateHash(bareTemplate(deploy.spec?.template));
    const owned = store
      .list('replicasets.apps', namespace)
      .items.filter((rs) => isControlledBy(rs, deploy.metadata.uid));
    // A ReplicaSet whose template equals the Deployment's is reused (a rollback), whatever hash it carries.
    const bare = stableStringify(bareTemplate(deploy.spec?.template));
    let newRS =
      owned.find((rs) => rs.metadata.labels?.[HASH] === hash) ??
      owned.find((rs) => stableStringify(bareTemplate(rs.spec?.template)) === bare);
    const oldRSs = owned.filter((rs) => rs !== newRS).sort((a, b) => revisionOf(a) - revisionOf(b));
    const maxOldRevision = Math.max(0, ...oldRSs.map(revisionOf));
    const paused = deploy.spec?.paused === true;
    const strategy = String(deploy.spec?.strategy?.type ?? 'RollingUpdate');
    const rolling = deploy.spec?.strategy?.rollingUpdate as
      { maxSurge?: unknown; maxUnavailable?: unknown } | undefined;
    let maxSurge = strategy === 'RollingUpdate' ? intOrPercent(rolling?.maxSurge, desired, true, '25%') : 0;
    let maxUnavailable =
      strategy === 'RollingUpdate' ? intOrPercent(rolling?.maxUnavailable, desired, false, '25%') : desired;
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    maxSurge = Math.max(0, maxSurge);
    let progressed = false;

    if (!paused && newRS === undefined) {
      const template = structuredClone(deploy.spec?.template ?? {});
      template.metadata = {
        ...(template.metadata ?? {}),
        labels: { ...(template.metadata?.labels ?? {}), [HASH]: hash },
      };
      const selector = structuredClone(deploy.spec?.selector ?? {});
      selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH]: hash };
      let initial = 0;
      if (strategy === 'RollingUpdate') {
        const total = owned.reduce((sum, rs) => sum + replicasOf(rs), 0);
        initial = owned.length === 0 ? desired : Math.max(0, Math.min(desired, desired + maxSurge - total));
      }
      newRS = store.create('replicasets.apps', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${deploy.metadata.name}-${hash}`,
          namespace,
          labels: { ...(template.metadata.labels as Record<string, string>) },
          annotations: {
            ...copiedAnnotations(deploy),
            [REVISION]: String(maxOldRevision + 1),
            'deployment.kubernetes.io/desired-replicas': String(desired),
            'deployment.kubernetes.io/max-replicas': String(desired + maxSurge),
          },
          ownerReferences: [controllerRef(deploy)],
        },
        spec: { replicas: initial, minReadySeconds: deploy.spec?.minReadySeconds ?? 0, selector, template },
      });
      progressed = true;
      if (initial > 0)
        events.emit(
          deploy,
          'Normal',
          'ScalingReplicaSet',
          `Scaled up replica set ${newRS.metadata.name} from 0 to ${initial}`,
        );
    } else if (!paused && newRS !== undefined && revisionOf(newRS) <= maxOldRevision) {
      // Rolling back to an older template reuses its ReplicaSet and gives it the next revision.
      newRS.metadata.annotations = {
        ...(newRS.metadata.annotations ?? {}),
        ...copiedAnnotations(deploy),
        [REVISION]: String(maxOldRevision + 1),
      };
      delete newRS.metadata.resourceVersion;
      newRS = store.update('replicasets.apps', newRS);
      progressed = true;
    }

    if (!paused && newRS !== undefined) {
      const oldActive = oldRSs.filter((rs) => replicasOf(rs) > 0);
      if (strategy === 'Recreate') {
        for (const rs of oldActive) scale(store, events, deploy, rs, 0);
        const oldPodsLeft = oldRSs.some((rs) =>
          ownedPods(store, rs).some((p) => isPodActive(p) || p.metadata.deletionTimestamp),
        );
        if (!oldPodsLeft && replicasOf(newRS) !== desired) {
          newRS = scale(store, events, deploy, newRS, desired);
          progressed = true;
        }
        if (oldActive.length > 0) progressed = true;
      } else {
        const all = [newRS, ...oldRSs];
        const total = all.reduce((sum, rs) => sum + replicasOf(rs), 0);
        if (replicasOf(newRS) < desired) {
          const up = Math.min(desired + maxSurge - total, desired - replicasOf(newRS));
          if (up > 0) {
            newRS = scale(store, events, deploy, newRS, replicasOf(newRS) + up);
            progressed = true;
          }
        } else if (replicasOf(newRS) > desired) {
          newRS = scale(store, events, deploy, newRS, desired);
          progressed = true;
        }
        // Scale old ReplicaSets down only as far as availability allows.
        const minAvailable = desired - maxUnavailable;
        const allCount = [newRS, ...oldRSs].reduce((sum, rs) => sum + replicasOf(rs), 0);
        const newUnavailable = replicasOf(newRS) - statusCount(newRS, 'availableReplicas');
        let budget = allCount - minAvailable - Math.max(0, newUnavailable);
        for (const rs of oldActive) {
          if (budget <= 0) break;
          const unhealthy = replicasOf(rs) - statusCount(rs, 'availableReplicas');
          const cut = Math.min(Math.max(0, unhealthy), budget);
          if (cut > 0) {
            scale(store, events, deploy, rs, replicasOf(rs) - cut);
            rs.spec.replicas = replicasOf(rs) - cut;
            budget -= cut;
            progressed = true;
          }
        }
        const availableNow = [newRS, ...oldRSs].reduce((sum, rs) => sum + statusCount(rs, 'availableReplicas'), 0);
        let spare = availableNow - minAvailable;
        for (const rs of oldActive) {
          if (spare <= 0) break;
          const cut = Math.min(replicasOf(rs), spare);
          if (cut > 0) {
            scale(store, events, deploy, rs, replicasOf(rs) - cut);
            spare -= cut;
            progressed = true;
          }
        }
      }
      cleanUpHistory(store, deploy, oldRSs);
    }

    writeDeploymentStatus(store, deploy, newRS, oldRSs, desired, maxUnavailable, progressed, paused);
    const status = store.get('deployments.apps', namespace, name)?.status as { conditions?: Condition[] } | undefined;
    const complete = status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable');
    if (!complete && !paused) queue.add(namespace, name, 1000);
  };

  const queue = new WorkQueue('deployment-controller', reconcile);
  const unwatch = [
    watchAll(store, 'deployments.apps', (e) => queue.add(e.object.metadata.namespace, e.object.metadata.name)),
    watchAll(store, 'replicasets.apps', (e) => {
      const owner = controllerOf(e.object, 'Deployment');
      if (owner !== undefined) queue.add(e.object.metadata.namespace, owner);
    }),
  ];
  enqueueAll(store, 'deployments.apps', queue);
  return () => {
    queue.stop();
    unwatch.forEach((u) => u());
  };
}

/** Old ReplicaSets scaled to zero beyond `revisionHistoryLimit` (default 10) are deleted, oldest first. */
function cleanUpHistory(store: Store, deploy: KubeObject, oldRSs: KubeObject[]): void {
  const limit = Number(deploy.spec?.revisionHistoryLimit ?? 10);
  const idle = oldRSs.filter((rs) => replicasOf(rs) === 0 && statusCount(rs, 'replicas') === 0);
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
    ignoreNotFound(() => store.delete('replicasets.apps', rs.metadata.namespace, rs.metadata.name));
  }
}

function writeDeploymentStatus(
  store: Store,
  deploy: KubeObject,
  newRS: KubeObject | undefined,
  oldRSs: KubeObject[],
  desired: number,
  maxUnavailable: number,
  progressed: boolean,
  paused: boolean,
): void {
  const fresh = (rs: KubeObject): KubeObject =>
    store.get('replicasets.apps', rs.metadata.namespace, rs.metadata.name) ?? rs;
  const all = [...(newRS ? [fresh(newRS)] : []), ...oldRSs.map(fresh)];
  const sum = (field: string): number => all.reduce((total, rs) => total + statusCount(rs, field), 0);
  const replicas = sum('replicas');
  const updated = newRS ? statusCount(fresh(newRS), 'replicas') : 0;
  const ready = sum('readyReplicas');
  const available = sum('availableReplicas');
  const previous = (deploy.status ?? {}) as {
    conditions?: Condition[];
    availableReplicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
  };
  const conditions = structuredClone(previous.conditions ?? []);
  const availableOk = available >= desired - maxUnavailable;
  setCondition(
    conditions,
    'Available',
    availableOk ? 'True' : 'False',
    availableOk ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
    availableOk ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    false,
  );
  const rsName = newRS?.metadata.name ?? deploy.metadata.name;
  const complete = newRS !== undefined && updated === desired && replicas === desired && available >= desired;
  const changed =
    progressed ||
    previous.availableReplicas !== available ||
    previous.updatedReplicas !== updated ||
    previous.readyReplicas !== ready;
  if (paused) {
    setCondition(conditions, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', false);
  } else if (complete) {
    setCondition(
      conditions,
      'Progressing',
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${rsName}" has successfully progressed.`,
      false,
    );
  } else if (
    changed ||
    conditions.every((c) => c.type !== 'Progressing') ||
    conditions.some((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused')
  ) {
    setCondition(
      conditions,
      'Progressing',
      'True',
      'ReplicaSetUpdated',
      `ReplicaSet "${rsName}" is progressing.`,
      true,
    );
  } else {
    const progressing = conditions.find((c) => c.type === 'Progressing');
    const deadline = Number(deploy.spec?.progressDeadlineSeconds ?? 600) * 1000;
    if (
      progressing &&
      progressing.reason !== 'ProgressDeadlineExceeded' &&
      Date.parse(progressing.lastUpdateTime) + deadline < Date.now()
    ) {
      setCondition(
        conditions,
        'Progressing',
        'False',
        'ProgressDeadlineExceeded',
        `ReplicaSet "${rsName}" has timed out progressing.`,
        false,
      );
    }
  }
  conditions.sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0));
  const status: Record<string, unknown> = {
    observedGeneration: deploy.metadata.generation,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    conditions,
  };
  const unavailable = Math.max(0, desired - available);
  if (unavailable > 0) status.unavailableReplicas = unavailable;
  const annotations = deploy.metadata.annotations ?? {};
  const revision = newRS?.metadata.annotations?.[REVISION];
  if (revision !== undefined && annotations[REVISION] !== revision) {
    const current = store.get('deployments.apps', deploy.metadata.namespace, deploy.metadata.name);
    if (current !== undefined) {
      current.metadata.annotations = { ...(current.metadata.annotations ?? {}), [REVISION]: revision };
      delete current.metadata.resourceVersion;
      store.update('deployments.apps', current);
    }
  }
  writeStatus(store, 'deployments.apps', deploy, status);
}

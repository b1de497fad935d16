/**
 * The undo of DevMode and the check for changes made by others, as pure functions over the record (see
 * devModeRecord.ts) and the live objects.
 *
 * Stop and reset write the recorded spec, labels and annotations back over the live object (never delete and
 * re-create, except the bare Pod, whose spec cannot change), keeping its resourceVersion so that a concurrent change
 * fails the write instead of being lost. Nothing is restored while the live object carries another session's record.
 */
import {
  type DevModeKind,
  type DevModeMode,
  type DevModeRecord,
  generatedDeploymentName,
  inPlaceKinds,
  readRecord,
  serverOwnedAnnotations,
  withoutServerState,
} from './devModeRecord.js';
import {
  cloneJson,
  isJsonObject,
  type JsonObject,
  type KubeObject,
  objectList,
  recordAnnotation,
  sessionLabel,
} from './objects.js';

/**
 * How to undo DevMode. Objects to write keep the live object's `resourceVersion`, so a concurrent change makes the
 * write fail instead of being overwritten.
 */
export interface RestorePlan {
  kind: DevModeKind;
  name: string;
  namespace: string;
  mode: DevModeMode;
  /** The original workload with its recorded spec, labels and annotations, to write with an update. */
  update?: KubeObject;
  /** A bare Pod to re-create from the record. */
  create?: KubeObject;
  /** The generated or duplicate Deployment to delete. */
  deleteDeployment?: string;
  /** Why part of the undo is skipped, in words a person can act on. */
  notes: string[];
}

export interface RestoreInput {
  /** The live original workload; undefined when it no longer exists (a bare Pod DevMode deleted). */
  current: KubeObject | undefined;
  record: DevModeRecord;
}

/** Plans the undo of a DevMode session from its record (and the live workload, when it still exists). */
export function planRestore({ current, record }: RestoreInput): RestorePlan {
  const plan: RestorePlan = {
    kind: record.kind,
    name: record.name,
    namespace: record.namespace,
    mode: record.mode,
    notes: [],
  };
  if (record.mode === 'duplicate') {
    plan.deleteDeployment = generatedDeploymentName(record);
    return plan;
  }
  const live = current === undefined ? undefined : readRecord(current);
  const what = `${record.kind} ${record.name}`;
  if (live !== undefined && live.sessionId !== record.sessionId) {
    // Another session holds the workload now, and the generated Deployment's name is the same for every session.
    plan.notes.push(
      `${what} is in DevMode by session ${live.sessionId} of ${live.owner.user} on ${live.owner.machine}; nothing is restored`,
    );
    return plan;
  }
  if (!inPlaceKinds.includes(record.kind)) plan.deleteDeployment = generatedDeploymentName(record);
  if (current === undefined) {
    if (record.kind === 'Pod') plan.create = recreatedPod(record);
    else plan.notes.push(`${what} no longer exists; there is nothing to restore`);
  } else if (record.kind === 'Pod' && live === undefined) {
    plan.notes.push(`pod ${record.name} was re-created without the DevMode record; it is left as it is`);
  } else {
    if (live === undefined) plan.notes.push(`${what} had lost its DevMode record; its recorded original is restored`);
    plan.update = restoredObject(current, record);
  }
  return plan;
}

function restoredObject(current: KubeObject, record: DevModeRecord): KubeObject {
  const object = withoutServerState(current);
  object.spec = cloneJson(record.original.spec);
  const annotations = { ...record.original.annotations };
  for (const key of serverOwnedAnnotations) {
    const live = current.metadata.annotations?.[key];
    if (live !== undefined) annotations[key] = live;
  }
  setOrDelete(object.metadata, 'labels', { ...record.original.labels });
  setOrDelete(object.metadata, 'annotations', annotations);
  return object;
}

function recreatedPod(record: DevModeRecord): KubeObject {
  const metadata: KubeObject['metadata'] = { name: record.name, namespace: record.namespace };
  setOrDelete(metadata, 'labels', { ...record.original.labels });
  setOrDelete(metadata, 'annotations', { ...record.original.annotations });
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: cloneJson(record.original.spec) };
}

function setOrDelete(
  metadata: KubeObject['metadata'],
  field: 'labels' | 'annotations',
  map: Record<string, string>,
): void {
  if (Object.keys(map).length > 0) metadata[field] = map;
  else delete metadata[field];
}

export interface ForeignChangeInput {
  /** The live object holding the dev pod template: the workload (Deployment, StatefulSet) or the generated Deployment. */
  current: KubeObject;
  record: DevModeRecord;
  sessionId: string;
}

/** Why the live object no longer looks like what this session wrote; empty when it does. */
export function foreignChanges({ current, record, sessionId }: ForeignChangeInput): string[] {
  const reasons: string[] = [];
  let live: DevModeRecord | undefined;
  try {
    live = readRecord(current);
  } catch {
    reasons.push(`the ${recordAnnotation} annotation was altered`);
  }
  if (live === undefined && reasons.length === 0) reasons.push(`the ${recordAnnotation} annotation was removed`);
  else if (live !== undefined && live.sessionId !== sessionId)
    reasons.push(`the record belongs to session ${live.sessionId}`);
  if (record.sessionId !== sessionId) reasons.push(`the record given belongs to session ${record.sessionId}`);
  const template = isJsonObject(current.spec?.template) ? current.spec.template : undefined;
  const templateSession = (template?.metadata as JsonObject | undefined)?.annotations;
  if (!isJsonObject(templateSession) || templateSession[sessionLabel] !== sessionId) {
    reasons.push(`the pod template no longer carries the ${sessionLabel} annotation of this session`);
  }
  const containers = objectList((template?.spec as JsonObject | undefined)?.containers);
  const expectations = [
    { container: record.container, ...record.devContainer },
    ...(Array.isArray(record.addedContainers) ? record.addedContainers : []),
  ];
  for (const expected of expectations) {
    const what = expectations.length > 1 ? `dev container ${expected.container}` : 'dev container';
    const dev = containers.find((c) => c.name === expected.container);
    if (dev === undefined) {
      reasons.push(`the dev container "${expected.container}" is gone`);
      continue;
    }
    if (dev.image !== expected.image) reasons.push(`the ${what}'s image is now ${String(dev.image)}`);
    if (JSON.stringify(dev.command ?? []) !== JSON.stringify(expected.command))
      reasons.push(`the ${what}'s command changed`);
    if (dev.workingDir !== expected.workingDir) reasons.push(`the ${what}'s workingDir changed`);
  }
  return reasons;
}

/** True when someone else changed the workload during DevMode (see foreignChanges for the reasons). */
export function detectForeignChange(input: ForeignChangeInput): boolean {
  return foreignChanges(input).length > 0;
}

/**
 * The DevMode record: what is stored in the cluster before DevMode changes anything, so that stop and reset can
 * restore the original exactly, from the cluster alone (after a crash, from another machine, with local state lost).
 *
 * It is the annotation `devmode.dev/original`, holding JSON:
 *
 *     {"version": 1, "kind": "Deployment", "name": "web", "namespace": "shop", "mode": "replace",
 *      "owner": {"machine": "...", "user": "..."}, "sessionId": "...", "startedAt": "<ISO time>",
 *      "container": "web", "devContainer": {"image": "...", "command": [...], "workingDir": "/home/devmode"},
 *      "addedContainers": [{"container": "worker", "image": "...", "command": [...], "workingDir": "..."}],
 *      "original": {"spec": {...}, "labels": {...}, "annotations": {...}}}
 *
 * `original` holds the workload's spec, labels and annotations exactly as read, minus the record annotation itself
 * and minus the server-owned `deployment.kubernetes.io/revision` (restore carries the live value over).
 * `devContainer` is what DevMode set on the dev container, so that a later change by someone else is detected;
 * `addedContainers` (absent with one container) is the same for each container `containers.<name>.dev` added. The
 * original spec holds every container, so restoring it restores all of them.
 *
 * Where the record lives:
 * - replace mode: on the workload itself, and also on the generated Deployment of a DaemonSet, Job, CronJob or bare
 *   Pod, because a bare Pod is deleted and its annotation with it;
 * - duplicate mode: on the duplicate Deployment only; the original is never modified.
 */
import type { DevModeMode, WorkloadKind } from '@devmode/protocol';
import { workloadKinds } from '../kube/resources.js';
import { boundedName, DevModePlanError } from './devPodTemplate.js';
import { cloneJson, isJsonObject, type JsonObject, type KubeObject, recordAnnotation } from './objects.js';

export type DevModeKind = WorkloadKind;
export type { DevModeMode };

export interface DevModeOwner {
  machine: string;
  user: string;
  /** The process id of the server that started the session, so that a server on that machine can tell it ended. */
  pid?: number;
}

/** The record stored in the `devmode.dev/original` annotation. */
export interface DevModeRecord {
  version: 1;
  kind: DevModeKind;
  name: string;
  namespace: string;
  mode: DevModeMode;
  owner: DevModeOwner;
  sessionId: string;
  startedAt: string;
  container: string;
  devContainer: { image: string; command: string[]; workingDir: string };
  addedContainers?: ({ container: string } & DevModeRecord['devContainer'])[];
  original: { spec: JsonObject; labels: Record<string, string>; annotations: Record<string, string> };
}

export const supportedKinds: readonly string[] = workloadKinds;
export const inPlaceKinds: readonly string[] = ['Deployment', 'StatefulSet'];
/** Annotations the API server owns; they are not recorded, and restore keeps the live value. */
export const serverOwnedAnnotations = ['deployment.kubernetes.io/revision'];

/** The record on an object, or undefined when it has none. Throws InvalidRecord when it cannot be read. */
export function readRecord(object: KubeObject): DevModeRecord | undefined {
  const text = object.metadata.annotations?.[recordAnnotation];
  if (text === undefined) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    throw new DevModePlanError(
      'InvalidRecord',
      `the ${recordAnnotation} annotation of ${object.metadata.name} is not JSON`,
    );
  }
  const problem = recordProblem(record);
  if (problem !== undefined) {
    throw new DevModePlanError(
      'InvalidRecord',
      `the ${recordAnnotation} annotation of ${object.metadata.name} is not a usable record: ${problem}`,
    );
  }
  return record as DevModeRecord;
}

/** What makes a parsed annotation unusable as a record, or undefined when it is a version 1 record. */
function recordProblem(record: unknown): string | undefined {
  if (!isJsonObject(record)) return 'not an object';
  if (record.version !== 1) return `version ${JSON.stringify(record.version)} is not 1`;
  if (typeof record.kind !== 'string' || !supportedKinds.includes(record.kind)) return 'unknown kind';
  if (record.mode !== 'replace' && record.mode !== 'duplicate') return 'unknown mode';
  for (const field of ['name', 'namespace', 'sessionId', 'startedAt', 'container']) {
    if (typeof record[field] !== 'string') return `${field} is missing`;
  }
  const owner = record.owner;
  if (!isJsonObject(owner) || typeof owner.machine !== 'string' || typeof owner.user !== 'string') {
    return 'owner is missing';
  }
  if (!isJsonObject(record.devContainer)) return 'devContainer is missing';
  const added = record.addedContainers;
  if (
    added !== undefined &&
    !(Array.isArray(added) && added.every((entry) => isJsonObject(entry) && typeof entry.container === 'string'))
  )
    return 'addedContainers is not a list of containers';
  const original = record.original;
  if (!isJsonObject(original) || !isJsonObject(original.spec)) return 'original.spec is missing';
  for (const field of ['labels', 'annotations']) {
    const map = original[field];
    if (!isJsonObject(map) || !Object.values(map).every((value) => typeof value === 'string')) {
      return `original.${field} is not a map of strings`;
    }
  }
  return undefined;
}

/** The name of the Deployment DevMode generates for a record. */
export function generatedDeploymentName(record: Pick<DevModeRecord, 'name' | 'mode' | 'sessionId'>): string {
  const suffix = record.mode === 'duplicate' ? `-devmode-${shortSessionId(record.sessionId)}` : '-devmode';
  return boundedName(record.name, suffix);
}

function shortSessionId(sessionId: string): string {
  return sessionId.replaceAll('-', '').slice(0, 8);
}

/** A copy of an object fit to be written back: no status, no managed fields. */
export function withoutServerState(object: KubeObject): KubeObject {
  const copy = cloneJson(object);
  delete copy.status;
  delete copy.metadata.managedFields;
  return copy;
}

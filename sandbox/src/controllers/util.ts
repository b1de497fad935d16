/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * Small helpers shared by the controllers and the kubelet: timestamps, label selectors, owner references,
 * template hashes and pod state predicates.
 */
import { createHash, randomInt } from 'node:crypto';
import { ApiError, type KubeObject, type OwnerReference, type Store } from '../contracts.js';

/** A spec or status read as loose JSON: contracts.ts leaves them untyped on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** An RFC 3339 timestamp with second precision, as the API server stores most times. */
export function now(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Whether `labels` satisfy a structured selector; an empty selector matches everything. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) if (have[key] !== value) return false;
  for (const req of selector?.matchExpressions ?? []) {
    const present = Object.hasOwn(have, req.key);
    const value = have[req.key];
    switch (req.operator) {
      case 'In':
        if (!present || !(req.values ?? []).includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (present && (req.values ?? []).includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
    }
  }
  return true;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters from the alphabet Kubernetes uses for generated names (no vowels, no look-alikes). */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return out;
}

/** JSON with sorted keys, so equal values always serialise the same way. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A short, stable hash of a pod template, written with the same safe alphabet as generated names. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(stableStringify(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SUFFIX_ALPHABET[(digest[i] ?? 0) % SUFFIX_ALPHABET.length];
  return out;
}

/** The owner reference a controller puts on the objects it creates. */
export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `object` is controlled by the owner with this uid. */
export function isControlledBy(object: KubeObject, ownerUid: string | undefined): boolean {
  return (object.metadata.ownerReferences ?? []).some((ref) => ref.controller === true && ref.uid === ownerUid);
}

/** The namespace and name of the controller of `object` of the given kind, if any. */
export function controllerOf(object: KubeObject, kind: string): string | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true && ref.kind === kind)?.name;
}

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export function isPodTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** A pod that counts toward a controller's replicas: not finished and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = pod.status?.phase as string | undefined;
  return !isPodTerminating(pod) && phase !== 'Succeeded' && phase !== 'Failed';
}

export function isPodReady(pod: KubeObject): boolean {
  const conditions = (pod.status?.conditions ?? []) as PodCondition[];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready for at least `minReadySeconds`. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, at = Date.now()): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const conditions = (pod.status?.conditions ?? []) as PodCondition[];
  const since = Date.parse(conditions.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= at;
}

/**
 * Deletes a pod as the API server does: a pod on a node gets a deletionTimestamp and the kubelet stops it
 * gracefully; a pod no node has taken yet goes at once.
 */
export function deletePod(store: Store, pod: KubeObject, graceSeconds?: number): void {
  const current = store.get('pods', pod.metadata.namespace, pod.metadata.name);
  if (current === undefined || current.metadata.deletionTimestamp !== undefined) return;
  if (!current.spec?.nodeName) {
    ignoreNotFound(() => store.delete('pods', pod.metadata.namespace, pod.metadata.name));
    return;
  }
  current.metadata.deletionTimestamp = now();
  current.metadata.deletionGracePeriodSeconds =
    graceSeconds ?? (current.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30;
  delete current.metadata.resourceVersion;
  store.update('pods', current);
}

/** Runs `action`, treating "not found" as success: the object is already gone. */
export function ignoreNotFound(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 404)) throw error;
  }
}

/** Resolves an int-or-percent field (maxSurge, maxUnavailable) against a total. */
export function intOrPercent(value: unknown, total: number, roundUp: boolean, fallback: string): number {
  const raw = value ?? fallback;
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string') throw new ApiError(422, 'Invalid', 'invalid value: must be an integer or percentage');
  const match = /^(\d+)%$/.exec(raw);
  if (match === null) {
    const n = Number(raw);
    if (Number.isInteger(n)) return n;
    throw new ApiError(422, 'Invalid', `invalid value "${raw}": must be an integer or percentage`);
  }
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Writes an object's status, retrying once on a conflicting concurrent write. */
export function writeStatus(store: Store, resource: string, object: KubeObject, status: unknown): void {
  const current = store.get(resource, object.metadata.namespace, object.metadata.name);
  if (current === undefined) return;
  current.status = status;
  delete current.metadata.resourceVersion;
  store.update(resource, current, { subresource: 'status' });
}

/**
 * Plain Kubernetes objects as the pure DevMode cores see them, and the names devmode owns in the cluster.
 *
 * The engine never imports the Kubernetes client library: objects are plain JSON values with just enough typing
 * to reach `metadata`. Everything below `spec` is handled as untyped JSON and narrowed where it is read.
 */

/** The workload annotation holding the DevMode record (see devModePatch.ts for its format). */
export const recordAnnotation = 'devmode.dev/original';

/**
 * The annotation on the object holding a session's record where its owning server renews a heartbeat while it runs
 * (see heartbeat.ts): JSON `{"sessionId": "...", "at": "<ISO time>"}`.
 */
export const heartbeatAnnotation = 'devmode.dev/heartbeat';

/** The workload annotation holding per-workload dev config defaults (YAML or JSON of the dev config schema). */
export const configAnnotation = 'devmode.dev/config';

/** The label and pod-template annotation naming the DevMode session. */
export const sessionLabel = 'devmode.dev/session';

/** The label on generated Deployments naming the workload they stand in for, as `<kind-lowercase>.<name>`. */
export const generatedForLabel = 'devmode.dev/generated-for';

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** Objects as plain JSON, declared once with the object client (kube/objects.ts). */
export type { KubeObject, ObjectMeta } from '../kube/objects.js';

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/** JSON text with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  const sorted: JsonObject = {};
  for (const key of Object.keys(value).sort()) {
    if (value[key] !== undefined) sorted[key] = sortKeys(value[key]);
  }
  return sorted;
}

/** Reads a nested object field, or undefined when any step is missing or not an object. */
export function objectAt(root: unknown, ...path: string[]): JsonObject | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (!isJsonObject(node)) return undefined;
    node = node[key];
  }
  return isJsonObject(node) ? node : undefined;
}

/** Reads a nested object field, creating empty objects along the way. */
export function ensureObjectAt(root: JsonObject, ...path: string[]): JsonObject {
  let node = root;
  for (const key of path) {
    const next = node[key];
    if (isJsonObject(next)) {
      node = next;
    } else {
      const created: JsonObject = {};
      node[key] = created;
      node = created;
    }
  }
  return node;
}

/** The entries of an array field that are objects; an absent or malformed field gives an empty list. */
export function objectList(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

/**
 * `metadata.managedFields`, kept as a real server keeps them: one entry per manager, operation and subresource,
 * with the time of the last write and the fields that write set (FieldsV1).
 */
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../contracts.js';

interface ManagedFieldsEntry {
  manager: string;
  operation: 'Update' | 'Apply';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** List fields whose items are identified by a key, written `k:{"name":"x"}` in FieldsV1. */
const LIST_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  conditions: 'type',
};

const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'generateName',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** String maps: an update that sets one also owns the map itself, written `.` in FieldsV1. */
const MAP_FIELDS = new Set(['labels', 'annotations', 'data', 'binaryData', 'stringData', 'nodeSelector']);

/** The FieldsV1 set of a value: every leaf field it sets (and, for an update, the string maps themselves). */
function fieldSet(value: unknown, field: string, update: boolean): Record<string, unknown> {
  if (isObject(value)) {
    const set: Record<string, unknown> = update && MAP_FIELDS.has(field) ? { '.': {} } : {};
    for (const [key, child] of Object.entries(value)) {
      if (key.startsWith('$')) continue;
      set[`f:${key}`] = fieldSet(child, key, update);
    }
    return set;
  }
  const key = LIST_KEYS[field];
  if (Array.isArray(value) && key !== undefined) {
    const set: Record<string, unknown> = {};
    for (const item of value) {
      if (!isObject(item) || item[key] === undefined || item.$patch === 'delete') continue;
      set[`k:${JSON.stringify({ [key]: item[key] })}`] = { '.': {}, ...fieldSet(item, '', update) };
    }
    return set;
  }
  return {};
}

/**
 * The fields a request body sets, leaving out what the server owns (identity metadata, and status or not), for an
 * update (the default) or an apply.
 */
export function fieldsOf(
  body: unknown,
  subresource: string | undefined,
  operation: 'update' | 'apply' = 'update',
): Record<string, unknown> {
  const update = operation === 'update';
  if (!isObject(body)) return {};
  if (subresource === 'status')
    return isObject(body.status) ? { 'f:status': fieldSet(body.status, 'status', update) } : {};
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'status' || key.startsWith('$')) continue;
    if (key === 'metadata' && isObject(value)) {
      const metadata: Record<string, unknown> = {};
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (!SERVER_METADATA.has(metaKey)) metadata[`f:${metaKey}`] = fieldSet(metaValue, metaKey, update);
      }
      if (Object.keys(metadata).length > 0) fields['f:metadata'] = metadata;
      continue;
    }
    fields[`f:${key}`] = fieldSet(value, key, update);
  }
  return fields;
}

/** The manager of a write: the `fieldManager` parameter, else the User-Agent's product name, as real servers do. */
export function managerOf(req: IncomingMessage, query: URLSearchParams): string {
  const explicit = query.get('fieldManager');
  if (explicit) return explicit;
  const agent = req.headers['user-agent'] ?? '';
  const product = agent.split('/')[0]?.trim();
  return product ? product.slice(0, 128) : 'unknown';
}

function unionFields(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = result[key];
    result[key] = isObject(mine) && isObject(value) ? unionFields(mine, value) : value;
  }
  return result;
}

/** Records a write by `manager` on `object`, replacing that manager's earlier entry for the same subresource. */
export function recordManagedFields(
  object: KubeObject,
  previous: unknown[] | undefined,
  manager: string,
  fields: Record<string, unknown>,
  subresource?: string,
): void {
  const all = (previous ?? []) as ManagedFieldsEntry[];
  const same = (entry: ManagedFieldsEntry): boolean =>
    entry.manager === manager && entry.operation === 'Update' && entry.subresource === subresource;
  const earlier = all.find(same);
  const entries = all.filter((entry) => !same(entry));
  // A manager keeps the fields it set before: each write adds to its set.
  if (earlier !== undefined) fields = unionFields(earlier.fieldsV1, fields);
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Update',
    apiVersion: object.apiVersion,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    fieldsType: 'FieldsV1',
    fieldsV1: fields,
  };
  if (subresource !== undefined) entry.subresource = subresource;
  entries.push(entry);
  object.metadata.managedFields = entries;
}

/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`, `kubectl apply --server-side`): the applied
 * configuration is merged into the live object (or creates it), the manager's `Apply` entry in managedFields
 * lists exactly the fields it applied, and a field another manager owns with a different value is a conflict
 * (409) unless `force=true`, which takes the field over.
 */
import { ApiError, type KubeObject } from '../contracts.js';
import { applyStrategicMergePatch } from '../patch.js';
import { fieldsOf } from './managedFields.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** Every leaf of a FieldsV1 set as a path of its keys (`f:data`, `f:a`). */
function leaves(set: Record<string, unknown>, prefix: string[] = []): string[][] {
  const result: string[][] = [];
  for (const [key, child] of Object.entries(set)) {
    if (key === '.') continue;
    const path = [...prefix, key];
    if (isPlainObject(child) && Object.keys(child).some((k) => k !== '.')) result.push(...leaves(child, path));
    else result.push(path);
  }
  return result;
}

/** The value at a FieldsV1 path in an object (`f:x` members, `k:{...}` list items); undefined if absent. */
function valueAt(object: unknown, path: string[]): unknown {
  let current: unknown = object;
  for (const key of path) {
    if (key.startsWith('f:') && isPlainObject(current)) current = current[key.slice(2)];
    else if (key.startsWith('k:') && Array.isArray(current)) {
      const wanted = JSON.parse(key.slice(2)) as Record<string, unknown>;
      current = current.find((item) => isPlainObject(item) && Object.entries(wanted).every(([k, v]) => item[k] === v));
    } else return undefined;
  }
  return current;
}

function removeLeaf(set: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !isPlainObject(set[head])) return;
  if (rest.length === 0) delete set[head];
  else {
    const child = set[head];
    removeLeaf(child, rest);
    if (Object.keys(child).filter((k) => k !== '.').length === 0) delete set[head];
  }
}

/** `.data.a` for `f:data`, `f:a`, as conflicts name fields. */
function fieldPath(path: string[]): string {
  return path.map((key) => (key.startsWith('f:') ? `.${key.slice(2)}` : `[${key.slice(2)}]`)).join('');
}

/** Parses an apply body: kubectl sends JSON (which is YAML); other YAML is not read by the sandbox. */
export function parseApplyBody(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the sandbox reads server-side apply configurations written as JSON only (kubectl apply --server-side sends JSON)',
    );
  }
  if (!isPlainObject(body)) throw new ApiError(400, 'BadRequest', 'the apply configuration must be an object');
  return body;
}

/**
 * The object after `manager` applies `config` to `live` (undefined: the object is created), with its
 * managedFields. Throws 409 Conflict, as a real server words it, for fields others own with other values.
 */
export function applyConfiguration(
  live: KubeObject | undefined,
  config: Record<string, unknown>,
  manager: string,
  force: boolean,
): KubeObject {
  const applied = fieldsOf(config, undefined, 'apply');
  const appliedVersion = typeof config.apiVersion === 'string' ? config.apiVersion : (live?.apiVersion ?? '');
  const appliedLeaves = leaves(applied);
  const entries = structuredClone((live?.metadata.managedFields ?? []) as ManagedFieldsEntry[]);
  const conflicts: { manager: string; apiVersion: string; path: string[] }[] = [];
  for (const entry of entries) {
    if (entry.manager === manager && entry.operation === 'Apply') continue;
    if (entry.subresource !== undefined) continue;
    for (const path of leaves(entry.fieldsV1 ?? {})) {
      const shared = appliedLeaves.some((leaf) => leaf.join('\u0000') === path.join('\u0000'));
      if (!shared) continue;
      const same = JSON.stringify(valueAt(live, path)) === JSON.stringify(valueAt(config, path));
      if (!same) conflicts.push({ manager: entry.manager, apiVersion: entry.apiVersion ?? '', path });
    }
  }
  if (conflicts.length > 0 && !force) {
    // The manager's API version is named only when it is not the applied one.
    const withWhom = (c: (typeof conflicts)[number]): string =>
      `conflict with "${c.manager}"${c.apiVersion !== appliedVersion ? ` using ${c.apiVersion}` : ''}`;
    const described = conflicts.map((c) => `${withWhom(c)}: ${fieldPath(c.path)}`);
    throw new ApiError(
      409,
      'Conflict',
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${described.join('\n')}`,
      {
        causes: conflicts.map((c) => ({
          reason: 'FieldManagerConflict',
          message: withWhom(c),
          field: fieldPath(c.path),
        })),
      },
    );
  }
  // Forced: the conflicting fields change hands.
  for (const conflict of conflicts) {
    const owner = entries.find((e) => e.manager === conflict.manager && e.subresource === undefined);
    if (owner?.fieldsV1 !== undefined) removeLeaf(owner.fieldsV1, conflict.path);
  }
  const next = applyStrategicMergePatch(live ?? {}, config) as KubeObject;
  const kept = entries.filter(
    (e) => !(e.manager === manager && e.operation === 'Apply') && leaves(e.fieldsV1 ?? {}).length > 0,
  );
  kept.push({
    manager,
    operation: 'Apply',
    apiVersion: appliedVersion,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    fieldsType: 'FieldsV1',
    fieldsV1: applied,
  });
  next.metadata = { ...next.metadata, managedFields: kept };
  return next;
}

/**
 * The three patch formats a Kubernetes API server accepts: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and
 * strategic merge patch, with the merge keys of the built-in types that kubectl's patches rely on.
 */
import { ApiError } from './contracts.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

/** Applies a patch of the given Content-Type; 415 for a type the sandbox does not take. */
export function applyPatch(contentType: string, target: unknown, patch: unknown): unknown {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  switch (type) {
    case JSON_PATCH:
      return applyJsonPatch(target, patch);
    case MERGE_PATCH:
      return applyMergePatch(target, patch);
    case STRATEGIC_MERGE_PATCH:
      return applyStrategicMergePatch(target, patch);
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, ${STRATEGIC_MERGE_PATCH}`,
      );
  }
}

// ---------------------------------------------------------------- RFC 6902

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalid(`invalid JSON pointer "${pointer}": it must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(array: Json[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw invalid(`invalid array index "${token}"`);
  const index = Number(token);
  if (index > array.length || (!forInsert && index === array.length))
    throw invalid(`array index ${index} out of bounds`);
  return index;
}

/** The container holding the pointer's last token, and that token. */
function resolveParent(doc: Json, pointer: string): { parent: Json[] | JsonObject; token: string } {
  const tokens = parsePointer(pointer);
  const token = tokens.pop();
  if (token === undefined) throw invalid('the operation cannot target the whole document');
  let current: Json = doc;
  for (const part of tokens) {
    if (Array.isArray(current)) current = current[arrayIndex(current, part, false)] ?? null;
    else if (isObject(current) && Object.hasOwn(current, part)) current = current[part] ?? null;
    else throw invalid(`path "${pointer}" does not exist`);
  }
  if (!Array.isArray(current) && !isObject(current)) throw invalid(`path "${pointer}" does not exist`);
  return { parent: current, token };
}

function getAt(doc: Json, pointer: string): Json {
  if (pointer === '') return doc;
  const { parent, token } = resolveParent(doc, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, token, false)] ?? null;
  if (!Object.hasOwn(parent, token)) throw invalid(`path "${pointer}" does not exist`);
  return parent[token] ?? null;
}

function removeAt(doc: Json, pointer: string): Json {
  const { parent, token } = resolveParent(doc, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, token, false), 1)[0] ?? null;
  if (!Object.hasOwn(parent, token)) throw invalid(`unable to remove nonexistent key "${token}" at "${pointer}"`);
  const old = parent[token] ?? null;
  delete parent[token];
  return old;
}

function addAt(doc: Json, pointer: string, value: Json): Json {
  if (pointer === '') return value;
  const { parent, token } = resolveParent(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true), 0, value);
  else parent[token] = value;
  return doc;
}

function jsonEqual(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i] ?? null))
    );
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k] ?? null, b[k] ?? null))
    );
  }
  return a === b;
}

/** RFC 6902. The target is not modified; the patched copy is returned. */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new ApiError(400, 'BadRequest', 'a JSON patch must be an array of operations');
  let doc = structuredClone(target) as Json;
  for (const raw of patch as unknown[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new ApiError(400, 'BadRequest', 'every JSON patch operation needs string "op" and "path" members');
    }
    const op = raw as unknown as Operation;
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needsValue && !Object.hasOwn(raw, 'value'))
      throw invalid(`the "${op.op}" operation at "${op.path}" needs a "value"`);
    const value = structuredClone(op.value ?? null);
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, value);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'replace':
        if (op.path === '') doc = value;
        else {
          removeAt(doc, op.path);
          doc = addAt(doc, op.path, value);
        }
        break;
      case 'test':
        // A real server answers a failed test with its generic Invalid status: no field, no details.
        if (!jsonEqual(getAt(doc, op.path), value))
          throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw invalid(`the "${op.op}" operation needs a "from" pointer`);
        if (op.op === 'move' && (op.path === op.from || op.path.startsWith(`${op.from}/`))) {
          if (op.path === op.from) break;
          throw invalid(`cannot move "${op.from}" into its own child "${op.path}"`);
        }
        const moved = op.op === 'move' ? removeAt(doc, op.from) : structuredClone(getAt(doc, op.from));
        doc = addAt(doc, op.path, moved);
        break;
      }
      default:
        throw invalid(`unknown JSON patch operation "${op.op}"`);
    }
  }
  return doc;
}

// ---------------------------------------------------------------- RFC 7386

/** RFC 7386: objects merge recursively, null removes a member, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? structuredClone<JsonObject>(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value) as Json;
  }
  return result;
}

// ---------------------------------------------------------------- strategic merge patch

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Primitive lists whose patch strategy is merge: their items are unioned, not replaced. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

/** The merge key of a list field, as the built-in types declare it (`patchMergeKey`); undefined = replace. */
function mergeKeyOf(field: string, path: readonly string[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'env':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'ports':
      return path.some((p) => CONTAINER_LISTS.has(p)) ? 'containerPort' : 'port';
    case 'conditions':
      return 'type';
    case 'hostAliases':
      return 'ip';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    case 'ownerReferences':
      return 'uid';
    default:
      return undefined;
  }
}

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVES = '$deleteFromPrimitiveList/';

function isDirective(key: string): boolean {
  return (
    key === '$patch' || key === '$retainKeys' || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVES)
  );
}

function mergeValue(original: Json | undefined, patch: Json, field: string, path: readonly string[]): Json {
  if (isObject(patch)) return mergeObject(isObject(original) ? original : {}, patch, path);
  if (Array.isArray(patch)) {
    const mergeKey = mergeKeyOf(field, path);
    const base = Array.isArray(original) ? original : [];
    if (mergeKey !== undefined) return mergeList(base, patch, mergeKey, path);
    if (MERGED_PRIMITIVE_LISTS.has(field)) return [...base, ...patch.filter((v) => !base.some((b) => jsonEqual(b, v)))];
    return patch.map((item) => mergeValue(undefined, item, field, path));
  }
  return patch;
}

function mergeObject(original: JsonObject, patch: JsonObject, path: readonly string[]): JsonObject {
  if (patch.$patch === 'replace') {
    const replaced: JsonObject = {};
    for (const [key, value] of Object.entries(patch)) {
      if (!isDirective(key)) replaced[key] = mergeValue(undefined, value, key, [...path, key]);
    }
    return replaced;
  }
  const result: JsonObject = structuredClone(original);
  for (const [key, value] of Object.entries(patch)) {
    if (isDirective(key)) continue;
    if (value === null || (isObject(value) && value.$patch === 'delete')) delete result[key];
    else result[key] = mergeValue(result[key], value, key, [...path, key]);
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVES) && Array.isArray(value)) {
      const field = key.slice(DELETE_FROM_PRIMITIVES.length);
      const list = result[field];
      if (Array.isArray(list)) result[field] = list.filter((item) => !value.some((v) => jsonEqual(v, item)));
    }
    if (key.startsWith(SET_ORDER) && Array.isArray(value)) {
      const field = key.slice(SET_ORDER.length);
      const list = result[field];
      const before = original[field];
      if (Array.isArray(list)) {
        const mergeKey = mergeKeyOf(field, [...path, field]);
        result[field] = normaliseOrder(list, value, Array.isArray(before) ? before : [], mergeKey);
      }
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    const retained = new Set(patch.$retainKeys.filter((k): k is string => typeof k === 'string'));
    for (const key of Object.keys(result)) if (!retained.has(key)) delete result[key];
  }
  return result;
}

/** A value as Go's `%v` prints it: `map[image:x:1 name:main]`, `[a b]`. */
function goPrint(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(goPrint).join(' ')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((key) => `${key}:${goPrint(value[key] ?? null)}`).join(' ')}]`;
  }
  return value === null ? '<nil>' : String(value);
}

function mergeList(original: Json[], patch: Json[], mergeKey: string, path: readonly string[]): Json[] {
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return patch
      .filter((item) => !(isObject(item) && item.$patch === 'replace'))
      .map((item) => mergeValue(undefined, item, '', path));
  }
  const result = structuredClone(original);
  for (const item of patch) {
    if (!isObject(item) || !Object.hasOwn(item, mergeKey)) {
      // A real server fails the whole patch, with the error its merge code returns (an unclassified 500).
      throw new ApiError(500, '', `map: ${goPrint(item)} does not contain declared merge key: ${mergeKey}`);
    }
    const key = item[mergeKey] ?? null;
    const index = result.findIndex((existing) => isObject(existing) && jsonEqual(existing[mergeKey] ?? null, key));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = mergeObject(result[index] as JsonObject, item, path);
    else result.push(mergeObject({}, item, path));
  }
  const inPatch = patch.filter((item) => !(isObject(item) && item.$patch === 'delete'));
  return normaliseOrder(result, inPatch, original, mergeKey);
}

/**
 * Orders a merged list as a real server does: the items the patch names in the patch's order, the others in
 * their original order, the two interleaved by their positions in the original list where both have one (so an
 * item only the patch has comes before the original items that follow it).
 */
function normaliseOrder(merged: Json[], patchOrder: Json[], original: Json[], mergeKey: string | undefined): Json[] {
  const keyOf = (item: Json): Json => (mergeKey !== undefined && isObject(item) ? (item[mergeKey] ?? null) : item);
  const indexIn = (list: Json[], item: Json): number => list.findIndex((other) => jsonEqual(keyOf(other), keyOf(item)));
  const named = merged.filter((item) => indexIn(patchOrder, item) >= 0);
  named.sort((a, b) => indexIn(patchOrder, a) - indexIn(patchOrder, b));
  const serverOnly = merged.filter((item) => indexIn(patchOrder, item) < 0);
  serverOnly.sort((a, b) => indexIn(original, a) - indexIn(original, b));
  const result: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    const left = serverOnly[i];
    const right = named[j];
    if (right === undefined) {
      if (left !== undefined) result.push(left);
      i++;
    } else if (left === undefined) {
      result.push(right);
      j++;
    } else {
      const leftIndex = indexIn(original, left);
      const rightIndex = indexIn(original, right);
      if (leftIndex >= 0 && rightIndex >= 0 && leftIndex < rightIndex) {
        result.push(left);
        i++;
      } else {
        result.push(right);
        j++;
      }
    }
  }
  return result;
}

/** Strategic merge patch for the built-in kinds. The target is not modified; the patched copy is returned. */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw new ApiError(400, 'BadRequest', 'a strategic merge patch must be a JSON object');
  return mergeObject(isObject(target) ? target : {}, patch, []);
}

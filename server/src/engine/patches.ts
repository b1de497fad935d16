/**
 * The three patch formats a dev config may apply to a pod template, implemented on plain JSON values:
 *
 * - Strategic merge patch, the Kubernetes flavour restricted to pod templates: objects merge recursively, `null`
 *   deletes a field, and lists merge by key where Kubernetes declares one (containers, initContainers,
 *   ephemeralContainers, volumes, env, imagePullSecrets, resourceClaims by `name`; volumeMounts by `mountPath`;
 *   volumeDevices by `devicePath`; ports by `containerPort`). Other lists are replaced. Directives: `$patch: delete`
 *   on a list entry removes the entry with that key, on an object removes the object; `$patch: replace` on an
 *   object replaces it instead of merging, and as a list entry replaces the whole list with the other entries.
 *   Other directives (`$retainKeys`, `$setElementOrder`, `$deleteFromPrimitiveList`) are refused with an error.
 * - JSON merge patch (RFC 7386).
 * - JSON patch (RFC 6902), applied atomically: either every operation succeeds or the input is returned untouched.
 *
 * Every function returns a new value and never changes its arguments.
 */
import { canonicalJson, cloneJson, isJsonObject, type JsonObject } from './objects.js';

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** A patch that cannot be applied; `location` names the operation or field at fault. */
export class PatchError extends Error {
  override readonly name = 'PatchError';
  constructor(
    message: string,
    readonly location: string,
  ) {
    super(`${location}: ${message}`);
  }
}

/** The list fields of a pod template whose entries merge by a key, and that key. */
const mergeKeys: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
};

const deleted = Symbol('deleted');

/** Applies a strategic merge patch to a pod template (or any part of one). */
export function applyStrategicMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const merged = strategicMerge(target, patch, '', '');
  return merged === deleted || !isJsonObject(merged) ? {} : merged;
}

function strategicMerge(original: unknown, patch: unknown, field: string, location: string): unknown {
  if (Array.isArray(patch)) return strategicMergeList(original, patch, field, location);
  if (!isJsonObject(patch)) return cloneJson(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return deleted;
  if (directive === 'replace') return withoutDirectives(patch);
  if (directive !== undefined)
    throw new PatchError(`unsupported directive $patch: ${JSON.stringify(directive)}`, location);
  const result: JsonObject = isJsonObject(original) ? cloneJson(original) : {};
  for (const [key, value] of Object.entries(patch)) {
    const childLocation = `${location}/${key}`;
    if (key.startsWith('$')) throw new PatchError(`unsupported directive ${key}`, childLocation);
    if (value === null) {
      delete result[key];
      continue;
    }
    const merged = strategicMerge(result[key], value, key, childLocation);
    if (merged === deleted) delete result[key];
    else result[key] = merged;
  }
  return result;
}

function strategicMergeList(original: unknown, patch: unknown[], field: string, location: string): unknown[] {
  const key = mergeKeys[field];
  if (key === undefined) return patch.map((entry) => withoutDirectives(entry));
  if (patch.some((entry) => isJsonObject(entry) && entry.$patch === 'replace')) {
    return patch.filter((entry) => !(isJsonObject(entry) && entry.$patch === 'replace')).map(withoutDirectives);
  }
  const result: unknown[] = Array.isArray(original) ? cloneJson(original) : [];
  patch.forEach((entry, index) => {
    const entryLocation = `${location}/${index}`;
    if (!isJsonObject(entry) || entry[key] === undefined) {
      throw new PatchError(`each entry of ${field} must be an object with "${key}"`, entryLocation);
    }
    const position = result.findIndex((existing) => isJsonObject(existing) && existing[key] === entry[key]);
    if (entry.$patch === 'delete') {
      if (position >= 0) result.splice(position, 1);
      return;
    }
    if (position >= 0) result[position] = strategicMerge(result[position], entry, '', entryLocation);
    else result.push(withoutDirectives(entry));
  });
  return result;
}

/** A copy of a patch fragment without `$patch` keys, for entries that are added rather than merged. */
function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isJsonObject(value)) return cloneJson(value);
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key !== '$patch') result[key] = withoutDirectives(child);
  }
  return result;
}

/** Applies a JSON merge patch (RFC 7386). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/** Applies a JSON patch (RFC 6902); throws PatchError naming the failing operation. */
export function applyJsonPatch(document: unknown, operations: JsonPatchOperation[]): unknown {
  let result = cloneJson(document);
  operations.forEach((operation, index) => {
    const location = `operation ${index} (${operation.op} ${operation.path})`;
    const path = parsePointer(operation.path, location);
    switch (operation.op) {
      case 'add':
        result = addAt(result, path, cloneJson(operation.value), location);
        break;
      case 'remove':
        result = removeAt(result, path, location);
        break;
      case 'replace':
        result = addAt(removeAt(result, path, location), path, cloneJson(operation.value), location);
        break;
      case 'move': {
        const from = parsePointer(operation.from, location);
        if (from.length < path.length && from.every((token, position) => token === path[position])) {
          throw new PatchError('cannot move a value into itself', location);
        }
        const value = valueAt(result, from, location);
        result = addAt(removeAt(result, from, location), path, value, location);
        break;
      }
      case 'copy':
        result = addAt(
          result,
          path,
          cloneJson(valueAt(result, parsePointer(operation.from, location), location)),
          location,
        );
        break;
      case 'test':
        if (canonicalJson(valueAt(result, path, location)) !== canonicalJson(operation.value)) {
          throw new PatchError('test failed: the value differs', location);
        }
        break;
      default:
        throw new PatchError(`unknown operation`, location);
    }
  });
  return result;
}

function parsePointer(pointer: string, location: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`"${pointer}" is not a JSON pointer`, location);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function valueAt(document: unknown, path: string[], location: string): unknown {
  let node = document;
  for (const token of path) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length - 1, location)];
    else if (isJsonObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw new PatchError(`no value at ${formatPointer(path)}`, location);
  }
  return node;
}

/** Mutates the (already copied) document in place, except for the root, which is returned. */
function addAt(document: unknown, path: string[], value: unknown, location: string): unknown {
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  if (last === undefined) return value;
  const parent = valueAt(document, parentPath, location);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : arrayIndex(last, parent.length, location);
    parent.splice(index, 0, value);
  } else if (isJsonObject(parent)) {
    parent[last] = value;
  } else {
    throw new PatchError(`${formatPointer(parentPath)} is not an object or array`, location);
  }
  return document;
}

function removeAt(document: unknown, path: string[], location: string): unknown {
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  if (last === undefined) return undefined;
  const parent = valueAt(document, parentPath, location);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length - 1, location), 1);
  } else if (isJsonObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw new PatchError(`no value at ${formatPointer(path)}`, location);
  }
  return document;
}

function arrayIndex(token: string, max: number, location: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) > max) {
    throw new PatchError(`"${token}" is not a valid index here`, location);
  }
  return Number(token);
}

function formatPointer(path: string[]): string {
  return path.length === 0
    ? '(root)'
    : '/' + path.map((token) => token.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

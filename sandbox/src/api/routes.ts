/** Maps request paths onto the resources they address. */
import { ApiError, type ResourceInfo } from '../contracts.js';
import type { ResourceIndex } from '../resources.js';

export interface ResourceRoute {
  resource: ResourceInfo;
  /** The namespace in the path; undefined for cluster-scoped resources and all-namespace lists. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function notFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

/**
 * Parses `<plural>[/<name>[/<sub>]]` or `namespaces/<ns>/<plural>[/<name>[/<sub>]]` after a group version prefix.
 * `namespaces/<name>/status` addresses the namespace itself.
 */
export function parseResourcePath(
  index: ResourceIndex,
  group: string,
  version: string,
  segments: string[],
): ResourceRoute {
  let namespace: string | undefined;
  let rest = segments;
  if (segments[0] === 'namespaces' && segments.length >= 3 && segments[2] !== 'status' && segments[2] !== 'finalize') {
    namespace = segments[1];
    rest = segments.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (plural === undefined || extra.length > 0 || name === '' || namespace === '') throw notFound();
  const resource = index.byPath(group, version, plural);
  if (resource === undefined) throw notFound();
  if (namespace !== undefined && !resource.namespaced) throw notFound();
  if (subresource !== undefined && !resource.subresources.includes(subresource)) throw notFound();
  const route: ResourceRoute = { resource };
  if (namespace !== undefined) route.namespace = namespace;
  if (name !== undefined) route.name = name;
  if (subresource !== undefined) route.subresource = subresource;
  return route;
}

/** Splits `/api/v1/...` or `/apis/<group>/<version>/...` into group, version and the remaining segments. */
export function splitApiPath(pathname: string): { group: string; version: string; segments: string[] } | undefined {
  const parts = pathname
    .split('/')
    .slice(1)
    .map((p) => decodeURIComponent(p));
  if (parts.at(-1) === '') parts.pop();
  if (parts[0] === 'api' && parts[1] !== undefined) return { group: '', version: parts[1], segments: parts.slice(2) };
  if (parts[0] === 'apis' && parts[1] !== undefined && parts[2] !== undefined) {
    return { group: parts[1], version: parts[2], segments: parts.slice(3) };
  }
  return undefined;
}

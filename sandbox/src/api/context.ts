/** What every API handler works with. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, type KubeObject, type PodRuntime } from '../contracts.js';
import type { Deleter } from '../deletion.js';
import type { ResourceIndex } from '../resources.js';
import type { MemoryStore } from '../store.js';
import type { ResourceRoute } from './routes.js';

export interface ApiContext {
  store: MemoryStore;
  resources: ResourceIndex;
  deleter: Deleter;
  runtime: PodRuntime | undefined;
  /** Ends open watches and log streams when the server stops. */
  closers: Set<() => void>;
  /** How often watches that allow bookmarks get one. */
  bookmarkIntervalMs: number;
}

export interface RequestContext {
  api: ApiContext;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  route: ResourceRoute;
}

/** The object a route names, or 404 as a real server words it. */
export function requireObject(ctx: RequestContext): KubeObject {
  const { resource, namespace, name } = ctx.route;
  const object = ctx.api.store.get(resource.key, namespace, name ?? '');
  if (object === undefined) {
    const what = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
    throw new ApiError(404, 'NotFound', `${what} "${name ?? ''}" not found`, {
      name,
      group: resource.group,
      kind: resource.plural,
    });
  }
  return object;
}

/** Whether a write is a dry run (`dryRun=All`, the only value real servers accept). */
export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  if (values.some((value) => value !== 'All')) {
    throw new ApiError(400, 'BadRequest', `invalid dryRun value: ${values.join(',')}: only "All" is supported`);
  }
  return true;
}

/**
 * WATCH: one JSON event per line over a chunked response. Resumes from a resourceVersion (410 as an ERROR event
 * when it is too old), sends BOOKMARKs when asked, ends at `timeoutSeconds`, and wraps objects in one-row Tables
 * for `kubectl get -w`.
 */
import { ApiError, type KubeObject, type WatchEvent } from '../contracts.js';
import { apiVersionOf } from '../resources.js';
import { parseSelectors } from '../selectors.js';
import type { RequestContext } from './context.js';
import { statusOf, toApiError, wantsTable } from './http.js';
import { includeObjectParam, toTable } from './table.js';

/** How often a watch that allows bookmarks gets one; client-node gives up on a watch silent for 30 s. */
export const BOOKMARK_INTERVAL_MS = 15_000;
/** The longest a watch stays open when the client does not say. */
const DEFAULT_TIMEOUT_SECONDS = 1800;

type OutgoingType = WatchEvent['type'] | 'BOOKMARK' | 'ERROR';

export function watchObjects(ctx: RequestContext): void {
  const { resource, namespace, name } = ctx.route;
  const { req, res, query, api } = ctx;
  const fieldSelector = [query.get('fieldSelector'), name !== undefined ? `metadata.name=${name}` : null]
    .filter((s): s is string => s !== null && s !== '')
    .join(',');
  const labelSelector = query.get('labelSelector') ?? undefined;
  const selective = fieldSelector !== '' || (labelSelector !== undefined && labelSelector !== '');
  const matches = parseSelectors({ labelSelector, fieldSelector }, ctx.route.resource.key);
  const fromVersion = query.get('resourceVersion') ?? '';
  if (fromVersion !== '' && !/^\d+$/.test(fromVersion)) {
    // A real server parses it only when it reaches its storage layer, so the error is an unclassified 500.
    throw new ApiError(
      500,
      '',
      `resourceVersion: Invalid value: ${JSON.stringify(fromVersion)}: strconv.ParseUint: parsing ${JSON.stringify(fromVersion)}: invalid syntax`,
    );
  }
  const timeoutParam = Number(query.get('timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS);
  const timeoutSeconds = Number.isFinite(timeoutParam) && timeoutParam > 0 ? timeoutParam : DEFAULT_TIMEOUT_SECONDS;
  const table = wantsTable(req);
  const include = includeObjectParam(query.get('includeObject'));

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();

  const send = (type: OutgoingType, object: unknown): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const sendObject = (type: WatchEvent['type'], object: KubeObject): void => {
    send(type, table ? toTable(object.kind, [object], object.metadata.resourceVersion ?? '', include) : object);
  };

  // With a selector, an object that stops matching leaves the watch as DELETED and one that starts matching
  // enters it as ADDED, as a real server reports them. `membership` says whether an object matched before;
  // on a resumed watch it is unknown at first, and an object is taken to have matched as it matches now.
  const membership = new Map<string, boolean>();
  const listener = (event: WatchEvent): void => {
    const object = event.object;
    if (!selective) {
      sendObject(event.type, object);
      return;
    }
    const uid = object.metadata.uid ?? `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const now = matches(object);
    const before = membership.get(uid) ?? (event.type === 'ADDED' ? false : now);
    membership.set(uid, now);
    if (event.type === 'DELETED') {
      membership.delete(uid);
      if (before || now) sendObject('DELETED', object);
    } else if (now) {
      sendObject(before ? event.type : 'ADDED', object);
    } else if (before) {
      sendObject('DELETED', object);
    }
  };

  let unsubscribe: () => void = () => undefined;
  const timers: NodeJS.Timeout[] = [];
  const finish = (): void => {
    unsubscribe();
    for (const timer of timers) clearInterval(timer);
    api.closers.delete(finish);
    if (!res.writableEnded) res.end();
  };
  api.closers.add(finish);
  res.on('close', finish);

  try {
    if (fromVersion === '' || fromVersion === '0') {
      const listed = api.store.list(resource.key, namespace);
      for (const object of listed.items) {
        if (selective) membership.set(object.metadata.uid ?? '', false);
        if (matches(object)) listener({ type: 'ADDED', object });
      }
      unsubscribe = api.store.watch(resource.key, namespace, listed.resourceVersion, listener);
    } else {
      unsubscribe = api.store.watch(resource.key, namespace, fromVersion, listener);
    }
  } catch (error) {
    send('ERROR', statusOf(toApiError(error)));
    finish();
    return;
  }

  if (query.get('allowWatchBookmarks') === 'true') {
    const bookmark = (): void =>
      send('BOOKMARK', {
        kind: resource.kind,
        apiVersion: apiVersionOf(resource),
        metadata: { resourceVersion: api.store.currentResourceVersion() },
      });
    timers.push(setInterval(bookmark, api.bookmarkIntervalMs));
  }
  timers.push(setTimeout(finish, timeoutSeconds * 1000));
}

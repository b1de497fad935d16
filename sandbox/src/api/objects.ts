/** GET, LIST, CREATE, UPDATE, PATCH and DELETE of objects and their `status` subresource. */
import { ApiError, type KubeObject } from '../contracts.js';
import type { DeleteOptions } from '../deletion.js';
import { APPLY_PATCH, applyPatch } from '../patch.js';
import { applyConfiguration } from './apply.js';
import { decodeBody, decodePatched } from './decode.js';
import { apiVersionOf } from '../resources.js';
import { parseSelectors } from '../selectors.js';
import { invalidError, validateObject } from '../validation.js';
import { isDryRun, requireObject, type RequestContext } from './context.js';
import { admitPod, allocateClusterIp, applyDefaults, initialStatus, selectJobPods } from './defaults.js';
import { isPlainObject, readJsonBody, sendJson, wantsTable } from './http.js';
import { fieldsOf, managerOf, recordManagedFields } from './managedFields.js';
import { includeObjectParam, toTable } from './table.js';

function listKind(kind: string): string {
  return `${kind}List`;
}

/** Checks a request body's identity against the URL, filling what typed clients leave out. */
function bodyObject(ctx: RequestContext, body: unknown): KubeObject {
  const { resource, namespace } = ctx.route;
  if (!isPlainObject(body)) throw new ApiError(400, 'BadRequest', 'the request body must be a JSON object');
  const object = body as unknown as KubeObject;
  const expected = apiVersionOf(resource);
  if (object.apiVersion !== undefined && object.apiVersion !== '' && object.apiVersion !== expected) {
    throw new ApiError(
      400,
      'BadRequest',
      `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (object.kind !== undefined && object.kind !== '' && object.kind !== resource.kind) {
    throw new ApiError(
      400,
      'BadRequest',
      `the kind in the data (${String(object.kind)}) does not match the expected kind (${resource.kind})`,
    );
  }
  object.apiVersion = expected;
  object.kind = resource.kind;
  if (!isPlainObject(object.metadata)) object.metadata = { name: '' };
  if (resource.namespaced) {
    if (object.metadata.namespace && namespace !== undefined && object.metadata.namespace !== namespace) {
      throw new ApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (namespace !== undefined) object.metadata.namespace = namespace;
  }
  return object;
}

export function getObject(ctx: RequestContext): void {
  const object = requireObject(ctx);
  if (wantsTable(ctx.req)) {
    const table = toTable(
      object.kind,
      [object],
      object.metadata.resourceVersion ?? '',
      includeObjectParam(ctx.query.get('includeObject')),
    );
    sendJson(ctx.res, 200, table);
    return;
  }
  sendJson(ctx.res, 200, object);
}

/**
 * One page of a list: `limit` items from after the `continue` token's key, and the token of the next page with
 * the count of the items left, as a real server pages (kubectl asks for 500 at a time).
 */
function page(
  ctx: RequestContext,
  items: KubeObject[],
  selective: boolean,
): { items: KubeObject[]; continue?: string; remainingItemCount?: number } {
  const keyOf = (object: KubeObject): string => `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
  const token = ctx.query.get('continue');
  let from = 0;
  if (token !== null && token !== '') {
    let start: unknown;
    try {
      start = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown }).start;
    } catch {
      start = undefined;
    }
    if (typeof start !== 'string')
      throw new ApiError(
        400,
        'BadRequest',
        'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      );
    from = items.findIndex((item) => keyOf(item) > start);
    if (from < 0) from = items.length;
  }
  const limit = Number(ctx.query.get('limit') ?? 0);
  if (!Number.isInteger(limit) || limit <= 0 || from + limit >= items.length) return { items: items.slice(from) };
  const shown = items.slice(from, from + limit);
  const last = shown[shown.length - 1] as KubeObject;
  const next = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', start: keyOf(last) })).toString('base64url');
  return {
    items: shown,
    continue: next,
    ...(selective ? {} : { remainingItemCount: items.length - from - limit }),
  };
}

export function listObjects(ctx: RequestContext): void {
  const { resource, namespace } = ctx.route;
  const options: { labelSelector?: string; fieldSelector?: string } = {};
  const labelSelector = ctx.query.get('labelSelector');
  const fieldSelector = ctx.query.get('fieldSelector');
  if (labelSelector !== null) options.labelSelector = labelSelector;
  if (fieldSelector !== null) options.fieldSelector = fieldSelector;
  parseSelectors(options, resource.key);
  const listed = ctx.api.store.list(resource.key, namespace, options);
  const resourceVersion = listed.resourceVersion;
  const { items, ...pageMeta } = page(ctx, listed.items, Boolean(labelSelector) || Boolean(fieldSelector));
  if (wantsTable(ctx.req)) {
    sendJson(
      ctx.res,
      200,
      toTable(resource.kind, items, resourceVersion, includeObjectParam(ctx.query.get('includeObject'))),
    );
    return;
  }
  sendJson(ctx.res, 200, {
    kind: listKind(resource.kind),
    apiVersion: apiVersionOf(resource),
    metadata: { resourceVersion, ...pageMeta },
    items,
  });
}

export async function createObject(ctx: RequestContext): Promise<void> {
  const { resource } = ctx.route;
  if (ctx.route.subresource !== undefined || ctx.route.name !== undefined) {
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }
  const dryRun = isDryRun(ctx.query);
  const object = bodyObject(ctx, await readJsonBody(ctx.req));
  decodeBody(resource, object, ctx.query, ctx.res);
  if (resource.namespaced && !object.metadata.namespace) object.metadata.namespace = 'default';
  const status = initialStatus(resource.key);
  if (status !== undefined) object.status = status;
  else if (resource.subresources.includes('status')) delete object.status;
  applyDefaults(resource.key, object);
  if (resource.key === 'pods') admitPod(ctx.api.store, object);
  validateObject(resource, object);
  if (resource.key === 'services') allocateClusterIp(ctx.api.store, object);
  delete object.metadata.deletionTimestamp;
  recordManagedFields(object, undefined, managerOf(ctx.req, ctx.query), fieldsOf(object, undefined));
  const prepare = resource.key === 'jobs.batch' ? selectJobPods : undefined;
  sendJson(ctx.res, 201, ctx.api.store.create(resource.key, object, { dryRun, ...(prepare ? { prepare } : {}) }));
}

/**
 * Stores `next` as the new state of `existing`, keeping what only the server may change. `fieldsBody` is what
 * the request set, recorded in managedFields; undefined when the caller already recorded them (apply).
 */
function write(ctx: RequestContext, existing: KubeObject, next: KubeObject, fieldsBody: unknown): KubeObject {
  const { resource, subresource } = ctx.route;
  const statusOnly = subresource === 'status';
  next.metadata.name = existing.metadata.name;
  if (existing.metadata.namespace !== undefined) next.metadata.namespace = existing.metadata.namespace;
  next.metadata.uid = existing.metadata.uid;
  if (existing.metadata.deletionTimestamp !== undefined) {
    next.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
    next.metadata.deletionGracePeriodSeconds = existing.metadata.deletionGracePeriodSeconds;
  } else {
    delete next.metadata.deletionTimestamp;
  }
  if (!statusOnly) {
    applyDefaults(resource.key, next);
    validateObject(resource, next, existing);
  }
  if (resource.key === 'services' && !statusOnly) {
    // The cluster IP is immutable once allocated.
    const ip = (existing.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (ip !== undefined && next.spec !== undefined) (next.spec as Record<string, unknown>).clusterIP = ip;
  }
  if (fieldsBody !== undefined)
    recordManagedFields(
      next,
      existing.metadata.managedFields,
      managerOf(ctx.req, ctx.query),
      fieldsOf(fieldsBody, subresource),
      subresource,
    );
  const options = { dryRun: isDryRun(ctx.query), ...(statusOnly ? { subresource: 'status' as const } : {}) };
  return ctx.api.store.update(resource.key, next, options);
}

export async function updateObject(ctx: RequestContext): Promise<void> {
  const next = bodyObject(ctx, await readJsonBody(ctx.req));
  if (ctx.route.subresource === undefined) decodeBody(ctx.route.resource, next, ctx.query, ctx.res);
  if (next.metadata.name !== ctx.route.name) {
    throw new ApiError(
      400,
      'BadRequest',
      `the name of the object (${next.metadata.name}) does not match the name on the URL (${ctx.route.name ?? ''})`,
    );
  }
  const existing = requireObject(ctx);
  sendJson(ctx.res, 200, write(ctx, existing, next, next));
}

export async function patchObject(ctx: RequestContext): Promise<void> {
  const contentType = ctx.req.headers['content-type'] ?? '';
  const body = await readJsonBody(ctx.req);
  if (contentType.split(';')[0]?.trim().toLowerCase() === APPLY_PATCH) {
    applyObject(ctx, body);
    return;
  }
  const existing = requireObject(ctx);
  const patched = applyPatch(contentType, existing, body);
  if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) {
    throw new ApiError(422, 'Invalid', 'the patch must leave an object with metadata');
  }
  const next = patched as unknown as KubeObject;
  next.apiVersion = existing.apiVersion;
  next.kind = existing.kind;
  if (ctx.route.subresource === undefined) decodePatched(ctx.route.resource, next);
  // JSON patches name no fields directly; the patched object stands for what was set.
  sendJson(ctx.res, 200, write(ctx, existing, next, Array.isArray(body) ? next : body));
}

/** Server-side apply: creates the object or merges the configuration into it, recording the Apply manager. */
function applyObject(ctx: RequestContext, body: unknown): void {
  const { resource, subresource } = ctx.route;
  if (subresource !== undefined)
    throw new ApiError(415, 'UnsupportedMediaType', 'the sandbox applies configurations to whole objects only');
  const manager = ctx.query.get('fieldManager');
  if (!manager) {
    throw invalidError({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
      { type: 'Required', field: 'fieldManager', detail: 'is required for apply patch' },
    ]);
  }
  const config = bodyObject(ctx, body);
  if (config.metadata.name !== ctx.route.name) {
    throw new ApiError(
      400,
      'BadRequest',
      `the name of the object (${config.metadata.name}) does not match the name on the URL (${ctx.route.name ?? ''})`,
    );
  }
  const existing = ctx.api.store.get(resource.key, ctx.route.namespace, ctx.route.name ?? '');
  const force = ctx.query.get('force') === 'true';
  const next = applyConfiguration(existing, config, manager, force);
  next.apiVersion = apiVersionOf(resource);
  next.kind = resource.kind;
  if (existing !== undefined) {
    sendJson(ctx.res, 200, write(ctx, existing, next, undefined));
    return;
  }
  const status = initialStatus(resource.key);
  if (status !== undefined) next.status = status;
  else delete next.status;
  applyDefaults(resource.key, next);
  if (resource.key === 'pods') admitPod(ctx.api.store, next);
  validateObject(resource, next);
  if (resource.key === 'services') allocateClusterIp(ctx.api.store, next);
  sendJson(ctx.res, 201, ctx.api.store.create(resource.key, next, { dryRun: isDryRun(ctx.query) }));
}

/** DeleteOptions come in the body (kubectl) or the query (client-node); `dryRun` may be in either. */
async function deleteOptions(ctx: RequestContext): Promise<DeleteOptions & { dryRun: boolean }> {
  const body = await readJsonBody(ctx.req);
  const source = isPlainObject(body) ? body : {};
  const bodyDryRun = Array.isArray(source.dryRun) ? (source.dryRun as unknown[]) : [];
  if (bodyDryRun.some((value) => value !== 'All')) {
    throw new ApiError(
      400,
      'BadRequest',
      `invalid dryRun value: ${JSON.stringify(bodyDryRun)}: only "All" is supported`,
    );
  }
  const options: DeleteOptions & { dryRun: boolean } = { dryRun: isDryRun(ctx.query) || bodyDryRun.length > 0 };
  const grace = ctx.query.get('gracePeriodSeconds') ?? source.gracePeriodSeconds;
  if (grace !== undefined && grace !== null) {
    const seconds = Number(grace);
    if (!Number.isInteger(seconds))
      throw new ApiError(400, 'BadRequest', `invalid gracePeriodSeconds: ${JSON.stringify(grace)}`);
    options.gracePeriodSeconds = seconds;
  }
  const policy =
    ctx.query.get('propagationPolicy') ??
    source.propagationPolicy ??
    (source.orphanDependents === true ? 'Orphan' : undefined);
  if (policy !== undefined && policy !== null) {
    if (policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
      throw new ApiError(400, 'BadRequest', `invalid propagationPolicy: ${JSON.stringify(policy)}`);
    }
    options.propagationPolicy = policy;
  }
  if (isPlainObject(source.preconditions)) options.preconditions = source.preconditions;
  return options;
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const { resource, namespace, name } = ctx.route;
  const options = await deleteOptions(ctx);
  // A dry-run delete only checks that the object exists.
  const { object, removed } = options.dryRun
    ? { object: requireObject(ctx), removed: true }
    : ctx.api.deleter.delete(resource.key, namespace, name ?? '', options);
  if (!removed || resource.key === 'pods' || resource.key === 'namespaces' || resource.key === 'services') {
    sendJson(ctx.res, 200, object);
    return;
  }
  sendJson(ctx.res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: object.metadata.name, group: resource.group, kind: resource.plural, uid: object.metadata.uid },
  });
}

export async function deleteCollection(ctx: RequestContext): Promise<void> {
  const { resource, namespace } = ctx.route;
  const options = await deleteOptions(ctx);
  const dryRun = options.dryRun;
  const selectors: { labelSelector?: string; fieldSelector?: string } = {};
  const labelSelector = ctx.query.get('labelSelector');
  const fieldSelector = ctx.query.get('fieldSelector');
  if (labelSelector !== null) selectors.labelSelector = labelSelector;
  if (fieldSelector !== null) selectors.fieldSelector = fieldSelector;
  parseSelectors(selectors, resource.key);
  const items: KubeObject[] = [];
  for (const object of ctx.api.store.list(resource.key, namespace, selectors).items) {
    try {
      if (dryRun) items.push(object);
      else
        items.push(
          ctx.api.deleter.delete(resource.key, object.metadata.namespace, object.metadata.name, options).object,
        );
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }
  sendJson(ctx.res, 200, {
    kind: listKind(resource.kind),
    apiVersion: apiVersionOf(resource),
    metadata: { resourceVersion: ctx.api.store.currentResourceVersion() },
    items,
  });
}

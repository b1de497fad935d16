/** The `scale` subresource: an autoscaling/v1 Scale view of a workload's replicas. */
import { ApiError, type KubeObject } from '../contracts.js';
import { applyPatch } from '../patch.js';
import { isDryRun, requireObject, type RequestContext } from './context.js';
import { isPlainObject, readJsonBody, sendJson } from './http.js';
import { managerOf, recordManagedFields } from './managedFields.js';

interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: Record<string, unknown>;
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

/** A LabelSelector in its string form, keys sorted as the real server prints it. */
function selectorString(selector: unknown): string | undefined {
  if (!isPlainObject(selector)) return undefined;
  const parts: string[] = [];
  const labels = isPlainObject(selector.matchLabels) ? selector.matchLabels : {};
  for (const key of Object.keys(labels).sort()) parts.push(`${key}=${String(labels[key])}`);
  for (const expr of Array.isArray(selector.matchExpressions) ? (selector.matchExpressions as unknown[]) : []) {
    if (!isPlainObject(expr)) continue;
    const key = String(expr.key);
    const values = Array.isArray(expr.values) ? (expr.values as unknown[]).map(String).sort().join(',') : '';
    if (expr.operator === 'Exists') parts.push(key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${key}`);
    else parts.push(`${key} ${String(expr.operator).toLowerCase()} (${values})`);
  }
  return parts.join(',');
}

export function toScale(object: KubeObject): Scale {
  const spec = (object.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (object.status ?? {}) as { replicas?: number };
  const scale: Scale = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    // Zero is left out of the spec, as the API server's JSON omits an empty field.
    spec: Number(spec.replicas ?? 0) === 0 ? {} : { replicas: Number(spec.replicas) },
    status: { replicas: Number(status.replicas ?? 0) },
  };
  const selector = selectorString(spec.selector);
  if (selector !== undefined) scale.status.selector = selector;
  return scale;
}

export function getScale(ctx: RequestContext): void {
  sendJson(ctx.res, 200, toScale(requireObject(ctx)));
}

/** PUT or PATCH of a Scale: sets the workload's `spec.replicas`. */
export async function writeScale(ctx: RequestContext, method: 'PUT' | 'PATCH'): Promise<void> {
  const dryRun = isDryRun(ctx.query);
  const body = await readJsonBody(ctx.req);
  const existing = requireObject(ctx);
  const scale = method === 'PATCH' ? applyPatch(ctx.req.headers['content-type'] ?? '', toScale(existing), body) : body;
  if (!isPlainObject(scale) || !isPlainObject(scale.spec)) {
    throw new ApiError(400, 'BadRequest', 'the body must be an autoscaling/v1 Scale with spec.replicas');
  }
  const replicas = scale.spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(
      422,
      'Invalid',
      `Scale.autoscaling "${existing.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
    );
  }
  const next = structuredClone(existing);
  next.spec = { ...(next.spec as object), replicas };
  const wantedVersion = isPlainObject(scale.metadata) ? scale.metadata.resourceVersion : undefined;
  next.metadata.resourceVersion = typeof wantedVersion === 'string' ? wantedVersion : existing.metadata.resourceVersion;
  const fields = { 'f:spec': { 'f:replicas': {} } };
  recordManagedFields(next, existing.metadata.managedFields, managerOf(ctx.req, ctx.query), fields, 'scale');
  sendJson(ctx.res, 200, toScale(ctx.api.store.update(ctx.route.resource.key, next, { dryRun })));
}

import { invalidParams } from './errors.js';

/**
 * Small checks for request params. Each throws InvalidParams naming the field, so a client learns which field
 * was wrong rather than getting a crash or a silent default.
 */
export type Params = Record<string, unknown>;

export function paramsObject(params: unknown, allowMissing = true): Params {
  if ((params === undefined || params === null) && allowMissing) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalidParams('params', 'must be an object');
  }
  return params as Params;
}

export function optionalString(params: Params, field: string, path = field): string | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParams(path, `must be a string, not ${describe(value)}`);
  return value;
}

export function requiredString(params: Params, field: string, path = field): string {
  const value = optionalString(params, field, path);
  if (value === undefined || value === '') throw invalidParams(path, 'is required');
  return value;
}

export function optionalObject(params: Params, field: string, path = field): Params | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParams(path, `must be an object, not ${describe(value)}`);
  return value as Params;
}

export function optionalBoolean(params: Params, field: string, path = field): boolean | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParams(path, `must be a boolean, not ${describe(value)}`);
  return value;
}

export function optionalInteger(
  params: Params,
  field: string,
  range: { min?: number; max?: number } = {},
  path = field,
): number | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw invalidParams(path, `must be an integer, not ${describe(value)}`);
  if (range.min !== undefined && value < range.min) throw invalidParams(path, `must be at least ${range.min}`);
  if (range.max !== undefined && value > range.max) throw invalidParams(path, `must be at most ${range.max}`);
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

/** Kubernetes object names (RFC 1123 subdomain): workloads, pods. */
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes namespaces and container names (RFC 1123 label). */
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A name the API server would accept, checked before it reaches a URL: a name the API server cannot serve (too
 * long for a request line, `.`, `..`, a slash) would otherwise come back as an unrelated failure.
 */
export function kubernetesName(value: string, path: string, rule: 'subdomain' | 'label'): string {
  const max = rule === 'subdomain' ? 253 : 63;
  if (value.length > max) throw invalidParams(path, `must be at most ${max} characters, not ${value.length}`);
  if (!(rule === 'subdomain' ? subdomain : label).test(value)) {
    const what = rule === 'subdomain' ? 'lowercase letters, digits, "-" and "."' : 'lowercase letters, digits and "-"';
    throw invalidParams(
      path,
      `must be a Kubernetes name (${what}, starting and ending with a letter or digit), not ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return value;
}

/** A kubeconfig context name: any text a kubeconfig may hold, within reason. */
export function contextName(value: string | undefined, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > 1024 || value.includes('\u0000'))
    throw invalidParams(path, 'must be a context name of at most 1024 characters without NUL bytes');
  return value;
}

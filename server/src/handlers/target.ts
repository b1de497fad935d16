import type { Target, WorkloadKind } from '@devmode/protocol';
import { workloadKinds as kinds } from '../kube/resources.js';
import { invalidParams } from './errors.js';
import { contextName, kubernetesName, optionalString, requiredString, type Params } from './validate.js';

/** Reads a workload target from params, naming any field at fault (`target.kind`). */
export function workloadTarget(params: Params, field = 'target'): Target {
  const value = params[field];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParams(field, 'must be an object {namespace, kind, name}');
  const target = value as Params;
  const kind = requiredString(target, 'kind', `${field}.kind`);
  if (!kinds.includes(kind as WorkloadKind))
    throw invalidParams(`${field}.kind`, `must be one of ${kinds.join(', ')}, not "${kind}"`);
  const context = contextName(optionalString(target, 'context', `${field}.context`), `${field}.context`);
  const container = optionalString(target, 'container', `${field}.container`);
  if (container !== undefined) kubernetesName(container, `${field}.container`, 'label');
  return {
    namespace: kubernetesName(requiredString(target, 'namespace', `${field}.namespace`), `${field}.namespace`, 'label'),
    kind: kind as WorkloadKind,
    name: kubernetesName(requiredString(target, 'name', `${field}.name`), `${field}.name`, 'subdomain'),
    ...(context !== undefined ? { context } : {}),
    ...(container !== undefined ? { container } : {}),
  };
}

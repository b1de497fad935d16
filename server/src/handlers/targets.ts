import type { WorkloadKind } from '@devmode/protocol';
import type { PodsTarget } from '../engine/podTargets.js';
import { workloadKinds } from '../kube/resources.js';
import { invalidParams } from './errors.js';
import {
  contextName,
  kubernetesName,
  optionalObject,
  optionalString,
  requiredString,
  type Params,
} from './validate.js';

/** Reads a workload target (`namespace`, `kind`, `name`) or a pod target (`namespace`, `pod`) at `field`. */
export function parsePodsTarget(params: Params, field = 'target'): PodsTarget {
  const target = optionalObject(params, field);
  if (target === undefined) throw invalidParams(field, 'is required');
  const context = contextName(optionalString(target, 'context', `${field}.context`), `${field}.context`);
  const namespace = kubernetesName(
    requiredString(target, 'namespace', `${field}.namespace`),
    `${field}.namespace`,
    'label',
  );
  const container = optionalString(target, 'container', `${field}.container`);
  if (container !== undefined) kubernetesName(container, `${field}.container`, 'label');
  const common = {
    ...(context !== undefined ? { context } : {}),
    namespace,
    ...(container !== undefined ? { container } : {}),
  };
  if (target.pod !== undefined) {
    const pod = kubernetesName(requiredString(target, 'pod', `${field}.pod`), `${field}.pod`, 'subdomain');
    return { ...common, pod };
  }
  const kind = requiredString(target, 'kind', `${field}.kind`);
  if (!workloadKinds.includes(kind as WorkloadKind)) {
    throw invalidParams(`${field}.kind`, `must be one of ${workloadKinds.join(', ')}, not "${kind}"`);
  }
  const name = kubernetesName(requiredString(target, 'name', `${field}.name`), `${field}.name`, 'subdomain');
  return { ...common, kind: kind as WorkloadKind, name };
}

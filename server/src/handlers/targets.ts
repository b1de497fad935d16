import type { PodsTarget, WorkloadKindName } from '../engine/podTargets.js';
import { invalidParams } from './errors.js';
import { optionalObject, optionalString, requiredString, type Params } from './validate.js';

const workloadKinds: WorkloadKindName[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];

/** Reads a workload target (`namespace`, `kind`, `name`) or a pod target (`namespace`, `pod`) at `field`. */
export function parsePodsTarget(params: Params, field = 'target'): PodsTarget {
  const target = optionalObject(params, field);
  if (target === undefined) throw invalidParams(field, 'is required');
  const context = optionalString(target, 'context', `${field}.context`);
  const namespace = requiredString(target, 'namespace', `${field}.namespace`);
  const container = optionalString(target, 'container', `${field}.container`);
  const common = {
    ...(context !== undefined ? { context } : {}),
    namespace,
    ...(container !== undefined ? { container } : {}),
  };
  if (target.pod !== undefined) return { ...common, pod: requiredString(target, 'pod', `${field}.pod`) };
  const kind = requiredString(target, 'kind', `${field}.kind`);
  if (!workloadKinds.includes(kind as WorkloadKindName)) {
    throw invalidParams(`${field}.kind`, `must be one of ${workloadKinds.join(', ')}, not "${kind}"`);
  }
  return { ...common, kind: kind as WorkloadKindName, name: requiredString(target, 'name', `${field}.name`) };
}

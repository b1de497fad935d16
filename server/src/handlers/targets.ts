import { DevModeErrorCodes } from '@devmode/protocol';
import { KubeError } from '../kube/errors.js';
import type { WorkloadKind } from '@devmode/protocol';
import { TargetNotFoundError, type PodsTarget } from '../engine/podTargets.js';
import { workloadKinds } from '../kube/resources.js';
import { devModeError, invalidParams } from './errors.js';
import { explainClusterError } from './kubeErrors.js';
import { optionalObject, optionalString, requiredString, type Params } from './validate.js';

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
  if (!workloadKinds.includes(kind as WorkloadKind)) {
    throw invalidParams(`${field}.kind`, `must be one of ${workloadKinds.join(', ')}, not "${kind}"`);
  }
  return { ...common, kind: kind as WorkloadKind, name: requiredString(target, 'name', `${field}.name`) };
}

/** Explains a failure to resolve or reach a target: a named NotFound, or the cluster error. */
export function explainTargetError(error: unknown): unknown {
  if (error instanceof TargetNotFoundError) {
    return devModeError(DevModeErrorCodes.NotFound, `Not found: ${error.message}`, {
      field: error.field,
      hint: 'Check the name and namespace; tree/children lists what exists.',
    });
  }
  if (error instanceof KubeError && error.status === 400 && /not running|phase|completed pod/i.test(error.message)) {
    return devModeError(DevModeErrorCodes.ContainerNotRunning, error.message, {
      hint: 'Wait for the container to start, or pick a running pod.',
      retryable: true,
    });
  }
  return explainClusterError(error);
}

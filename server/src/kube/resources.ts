import type { WorkloadKind } from '@devmode/protocol';

/** The built-in kinds devmode reads or writes, with the plural their REST paths use. */
const plurals: Record<string, string> = {
  Namespace: 'namespaces',
  Pod: 'pods',
  Event: 'events',
  Service: 'services',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
};

const clusterScoped = new Set(['Namespace', 'Node']);

export function pluralOf(kind: string): string {
  const plural = plurals[kind];
  if (plural === undefined) throw new Error(`devmode does not know the resource of kind ${kind}`);
  return plural;
}

/** The REST collection path of a kind, e.g. `/apis/apps/v1/namespaces/ns/deployments`. */
export function collectionPath(apiVersion: string, kind: string, namespace: string | undefined): string {
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const scope =
    namespace !== undefined && !clusterScoped.has(kind) ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${scope}/${pluralOf(kind)}`;
}

/** The API version of each workload kind DevMode works on: the protocol's `WorkloadKind`, declared once. */
export const workloadApiVersions: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Pod: 'v1',
};

/** The workload kinds DevMode works on, in the order the tree and error messages list them. */
export const workloadKinds = Object.keys(workloadApiVersions) as readonly WorkloadKind[];

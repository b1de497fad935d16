/** The columns a real API server prints for each built-in kind, following kubectl's printers. */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
import type { KubeObject } from '../contracts.js';
import { age, humanDuration } from './age.js';
import { INERT_COLUMNS } from './inertColumns.js';

export interface Column {
  name: string;
  type?: 'string' | 'integer' | 'boolean' | 'date';
  description?: string;
  priority?: number;
  cell: (object: KubeObject, now: number) => string | number | boolean;
}

// Objects are loosely typed (spec/status are `any`): reading them needs no casts beyond the one below.
type Loose = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const name: Column = { name: 'Name', cell: (o) => o.metadata.name };
const ageColumn: Column = { name: 'Age', cell: (o, now) => age(o.metadata.creationTimestamp, now) };

function orNone(value: string | undefined): string {
  return value === undefined || value === '' ? '<none>' : value;
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const parts = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** A LabelSelector as kubectl formats it (`app=web,tier in (a,b)`). */
function formatSelector(selector: Loose): string {
  if (selector === undefined || selector === null) return '<none>';
  const parts = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const expr of (selector.matchExpressions ?? []) as Loose[]) {
    const op = String(expr.operator ?? '');
    if (op === 'Exists') parts.push(String(expr.key));
    else if (op === 'DoesNotExist') parts.push(`!${String(expr.key)}`);
    else parts.push(`${String(expr.key)} ${op.toLowerCase()} (${((expr.values ?? []) as string[]).join(',')})`);
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

function templateColumns(priority = 1, withSelector = true): Column[] {
  const containers = (o: KubeObject): Loose[] => (o.spec?.template?.spec?.containers ?? []) as Loose[];
  const list: Column[] = [
    {
      name: 'Containers',
      priority,
      cell: (o) =>
        containers(o)
          .map((c) => String(c.name))
          .join(','),
    },
    {
      name: 'Images',
      priority,
      cell: (o) =>
        containers(o)
          .map((c) => String(c.image))
          .join(','),
    },
  ];
  if (withSelector) list.push({ name: 'Selector', priority, cell: (o) => formatSelector(o.spec?.selector) });
  return list;
}

const int = (read: (o: Loose) => unknown): ((o: KubeObject) => number) => {
  return (o) => Number(read(o) ?? 0) || 0;
};

/** The STATUS column of `kubectl get pods`, computed as kubectl's pod printer does. */
export function podStatus(pod: KubeObject): { reason: string; ready: number; restarts: number; lastRestart?: number } {
  const status: Loose = pod.status ?? {};
  let reason: string = status.reason || status.phase || 'Pending';
  let restarts = 0;
  let lastRestart: number | undefined;
  const noteRestart = (cs: Loose): void => {
    restarts += Number(cs.restartCount ?? 0);
    const finished = Date.parse(cs.lastState?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(finished) && (lastRestart === undefined || finished > lastRestart)) lastRestart = finished;
  };
  let initializing = false;
  const inits: Loose[] = status.initContainerStatuses ?? [];
  const initCount = ((pod.spec?.initContainers ?? []) as unknown[]).length;
  for (const [i, cs] of inits.entries()) {
    noteRestart(cs);
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    initializing = true;
    if (terminated) reason = terminated.reason ? `Init:${terminated.reason}` : `Init:ExitCode:${terminated.exitCode}`;
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${initCount}`;
    break;
  }
  let ready = 0;
  if (!initializing) {
    restarts = 0;
    lastRestart = undefined;
    let hasRunning = false;
    const statuses: Loose[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      noteRestart(cs);
      if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (cs.state?.terminated?.reason) reason = cs.state.terminated.reason;
      else if (cs.state?.terminated) {
        const t = cs.state.terminated;
        reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      } else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCondition = ((status.conditions ?? []) as Loose[]).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
      reason = readyCondition ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp !== undefined) reason = 'Terminating';
  return { reason, ready, restarts, ...(lastRestart !== undefined ? { lastRestart } : {}) };
}

const pods: Column[] = [
  name,
  { name: 'Ready', cell: (o) => `${podStatus(o).ready}/${((o.spec?.containers ?? []) as unknown[]).length}` },
  { name: 'Status', cell: (o) => podStatus(o).reason },
  {
    name: 'Restarts',
    cell: (o, now) => {
      const { restarts, lastRestart } = podStatus(o);
      return lastRestart === undefined ? String(restarts) : `${restarts} (${humanDuration(now - lastRestart)} ago)`;
    },
  },
  ageColumn,
  { name: 'IP', priority: 1, cell: (o) => orNone(o.status?.podIP) },
  { name: 'Node', priority: 1, cell: (o) => orNone(o.spec?.nodeName) },
  { name: 'Nominated Node', priority: 1, cell: (o) => orNone(o.status?.nominatedNodeName) },
  { name: 'Readiness Gates', priority: 1, cell: () => '<none>' },
];

function servicePorts(o: KubeObject): string {
  const ports = (o.spec?.ports ?? []) as Loose[];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function externalIp(o: KubeObject): string {
  const type = o.spec?.type ?? 'ClusterIP';
  const external = (o.spec?.externalIPs ?? []) as string[];
  if (type === 'ExternalName') return String(o.spec?.externalName ?? '<none>');
  if (type === 'LoadBalancer') {
    const ingress = ((o.status?.loadBalancer?.ingress ?? []) as Loose[]).map((i) => String(i.ip ?? i.hostname));
    const all = [...ingress, ...external];
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return external.length > 0 ? external.join(',') : '<none>';
}

function jobStatus(o: KubeObject): string {
  const conditions = (o.status?.conditions ?? []) as Loose[];
  const has = (type: string): boolean => conditions.some((c) => c.type === type && c.status === 'True');
  if (has('Failed')) return 'Failed';
  if (has('Complete')) return 'Complete';
  if (o.spec?.suspend === true || has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (o.metadata.deletionTimestamp !== undefined) return 'Terminating';
  return 'Running';
}

function jobDuration(o: KubeObject, now: number): string {
  const start = Date.parse(o.status?.startTime ?? '');
  if (Number.isNaN(start)) return '';
  const end = Date.parse(o.status?.completionTime ?? '');
  return humanDuration((Number.isNaN(end) ? now : end) - start);
}

function eventLastSeen(o: KubeObject, now: number): string {
  const e = o as Loose;
  const last = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? o.metadata.creationTimestamp;
  const count = Number(e.count ?? e.series?.count ?? 1);
  if (count > 1 && e.firstTimestamp) return `${age(last, now)} (x${count} over ${age(e.firstTimestamp, now)})`;
  return age(last, now);
}

function accessModes(modes: string[] | undefined): string {
  const short: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  };
  return (modes ?? []).map((m) => short[m] ?? m).join(',');
}

const COLUMNS: Record<string, Column[]> = {
  Pod: pods,
  Deployment: [
    name,
    { name: 'Ready', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}` },
    { name: 'Up-to-date', type: 'integer', cell: int((o) => o.status?.updatedReplicas) },
    { name: 'Available', type: 'integer', cell: int((o) => o.status?.availableReplicas) },
    ageColumn,
    ...templateColumns(),
  ],
  ReplicaSet: [
    name,
    { name: 'Desired', type: 'integer', cell: int((o) => o.spec?.replicas) },
    { name: 'Current', type: 'integer', cell: int((o) => o.status?.replicas) },
    { name: 'Ready', type: 'integer', cell: int((o) => o.status?.readyReplicas) },
    ageColumn,
    ...templateColumns(),
  ],
  StatefulSet: [
    name,
    { name: 'Ready', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}` },
    ageColumn,
    ...templateColumns(1, false),
  ],
  DaemonSet: [
    name,
    { name: 'Desired', type: 'integer', cell: int((o) => o.status?.desiredNumberScheduled) },
    { name: 'Current', type: 'integer', cell: int((o) => o.status?.currentNumberScheduled) },
    { name: 'Ready', type: 'integer', cell: int((o) => o.status?.numberReady) },
    { name: 'Up-to-date', type: 'integer', cell: int((o) => o.status?.updatedNumberScheduled) },
    { name: 'Available', type: 'integer', cell: int((o) => o.status?.numberAvailable) },
    { name: 'Node Selector', cell: (o) => formatLabels(o.spec?.template?.spec?.nodeSelector) },
    ageColumn,
    ...templateColumns(),
  ],
  Job: [
    name,
    { name: 'Status', cell: jobStatus },
    {
      name: 'Completions',
      cell: (o) => {
        const succeeded = Number(o.status?.succeeded ?? 0);
        if (o.spec?.completions !== undefined && o.spec?.completions !== null)
          return `${succeeded}/${o.spec.completions}`;
        const parallelism = Number(o.spec?.parallelism ?? 1);
        return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
      },
    },
    { name: 'Duration', cell: jobDuration },
    ageColumn,
    ...templateColumns(),
  ],
  CronJob: [
    name,
    { name: 'Schedule', cell: (o) => String(o.spec?.schedule ?? '') },
    { name: 'Timezone', cell: (o) => orNone(o.spec?.timeZone) },
    { name: 'Suspend', cell: (o) => (o.spec?.suspend === true ? 'True' : 'False') },
    { name: 'Active', type: 'integer', cell: (o) => ((o.status?.active ?? []) as unknown[]).length },
    {
      name: 'Last Schedule',
      cell: (o, now) => (o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>'),
    },
    ageColumn,
    {
      name: 'Containers',
      priority: 1,
      cell: (o) =>
        ((o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []) as Loose[]).map((c) => String(c.name)).join(','),
    },
    {
      name: 'Images',
      priority: 1,
      cell: (o) =>
        ((o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []) as Loose[])
          .map((c) => String(c.image))
          .join(','),
    },
    { name: 'Selector', priority: 1, cell: (o) => formatSelector(o.spec?.jobTemplate?.spec?.selector) },
  ],
  Service: [
    name,
    { name: 'Type', cell: (o) => String(o.spec?.type ?? 'ClusterIP') },
    { name: 'Cluster-IP', cell: (o) => orNone(o.spec?.clusterIP) },
    { name: 'External-IP', cell: externalIp },
    { name: 'Port(s)', cell: servicePorts },
    ageColumn,
    { name: 'Selector', priority: 1, cell: (o) => formatLabels(o.spec?.selector) },
  ],
  Endpoints: [
    name,
    {
      name: 'Endpoints',
      cell: (o) => {
        const pairs: string[] = [];
        for (const subset of ((o as Loose).subsets ?? []) as Loose[]) {
          for (const address of (subset.addresses ?? []) as Loose[]) {
            const ports = (subset.ports ?? []) as Loose[];
            if (ports.length === 0) pairs.push(String(address.ip));
            for (const port of ports) pairs.push(`${address.ip}:${port.port}`);
          }
        }
        if (pairs.length === 0) return '<none>';
        return pairs.length > 3 ? `${pairs.slice(0, 3).join(',')} + ${pairs.length - 3} more...` : pairs.join(',');
      },
    },
    ageColumn,
  ],
  ConfigMap: [
    name,
    {
      name: 'Data',
      type: 'integer',
      cell: (o) => Object.keys((o as Loose).data ?? {}).length + Object.keys((o as Loose).binaryData ?? {}).length,
    },
    ageColumn,
  ],
  Secret: [
    name,
    { name: 'Type', cell: (o) => String((o as Loose).type ?? 'Opaque') },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys((o as Loose).data ?? {}).length },
    ageColumn,
  ],
  Namespace: [name, { name: 'Status', cell: (o) => String(o.status?.phase ?? 'Active') }, ageColumn],
  Node: [
    name,
    {
      name: 'Status',
      cell: (o) => {
        const ready = ((o.status?.conditions ?? []) as Loose[]).find((c) => c.type === 'Ready');
        const state = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
        return o.spec?.unschedulable === true ? `${state},SchedulingDisabled` : state;
      },
    },
    {
      name: 'Roles',
      cell: (o) => {
        const prefix = 'node-role.kubernetes.io/';
        const roles = Object.keys(o.metadata.labels ?? {})
          .filter((l) => l.startsWith(prefix))
          .map((l) => l.slice(prefix.length));
        return roles.length === 0 ? '<none>' : roles.join(',');
      },
    },
    ageColumn,
    { name: 'Version', cell: (o) => String(o.status?.nodeInfo?.kubeletVersion ?? '') },
    {
      name: 'Internal-IP',
      priority: 1,
      cell: (o) => orNone(((o.status?.addresses ?? []) as Loose[]).find((a) => a.type === 'InternalIP')?.address),
    },
    {
      name: 'External-IP',
      priority: 1,
      cell: (o) => orNone(((o.status?.addresses ?? []) as Loose[]).find((a) => a.type === 'ExternalIP')?.address),
    },
    { name: 'OS-Image', priority: 1, cell: (o) => String(o.status?.nodeInfo?.osImage ?? '') },
    { name: 'Kernel-Version', priority: 1, cell: (o) => String(o.status?.nodeInfo?.kernelVersion ?? '') },
    { name: 'Container-Runtime', priority: 1, cell: (o) => String(o.status?.nodeInfo?.containerRuntimeVersion ?? '') },
  ],
  Event: [
    { name: 'Last Seen', cell: eventLastSeen },
    { name: 'Type', cell: (o) => String((o as Loose).type ?? '') },
    { name: 'Reason', cell: (o) => String((o as Loose).reason ?? '') },
    {
      name: 'Object',
      cell: (o) => {
        const involved = (o as Loose).involvedObject ?? {};
        return `${String(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`;
      },
    },
    { name: 'Message', cell: (o) => String((o as Loose).message ?? '').trim() },
    { name: 'Subobject', priority: 1, cell: (o) => String((o as Loose).involvedObject?.fieldPath ?? '') },
    {
      name: 'Source',
      priority: 1,
      cell: (o) => String((o as Loose).source?.component ?? (o as Loose).reportingComponent ?? ''),
    },
    {
      name: 'First Seen',
      priority: 1,
      cell: (o, now) => age((o as Loose).firstTimestamp ?? o.metadata.creationTimestamp, now),
    },
    { name: 'Count', type: 'integer', priority: 1, cell: (o) => Number((o as Loose).count ?? 1) },
    { name: 'Name', priority: 1, cell: (o) => o.metadata.name },
  ],
  PersistentVolumeClaim: [
    name,
    { name: 'Status', cell: (o) => String(o.status?.phase ?? 'Pending') },
    { name: 'Volume', cell: (o) => String(o.spec?.volumeName ?? '') },
    { name: 'Capacity', cell: (o) => String(o.status?.capacity?.storage ?? '') },
    { name: 'Access Modes', cell: (o) => accessModes(o.status?.accessModes) },
    { name: 'StorageClass', cell: (o) => orNone(o.spec?.storageClassName) },
    { name: 'VolumeAttributesClass', cell: (o) => String(o.spec?.volumeAttributesClassName ?? '<unset>') },
    ageColumn,
    { name: 'VolumeMode', priority: 1, cell: (o) => String(o.spec?.volumeMode ?? 'Filesystem') },
  ],
  ServiceAccount: [
    name,
    { name: 'Secrets', type: 'integer', cell: (o) => ((o.secrets ?? []) as unknown[]).length },
    ageColumn,
  ],
  HorizontalPodAutoscaler: [
    name,
    {
      name: 'Reference',
      cell: (o) => `${o.spec?.scaleTargetRef?.kind ?? ''}/${o.spec?.scaleTargetRef?.name ?? ''}`,
    },
    {
      name: 'Targets',
      cell: (o) => {
        const metrics = (o.spec?.metrics ?? []) as Loose[];
        if (metrics.length === 0) return '<none>';
        return metrics
          .map((m) => {
            const target = m.resource?.target;
            const wanted =
              target?.averageUtilization !== undefined
                ? `${target.averageUtilization}%`
                : String(target?.averageValue ?? '');
            return `${m.resource?.name ?? m.type}: <unknown>/${wanted}`;
          })
          .join(', ');
      },
    },
    { name: 'MinPods', type: 'integer', cell: int((o) => o.spec?.minReplicas ?? 1) },
    { name: 'MaxPods', type: 'integer', cell: int((o) => o.spec?.maxReplicas) },
    { name: 'Replicas', type: 'integer', cell: int((o) => o.status?.currentReplicas) },
    ageColumn,
  ],
};

/** The columns for a kind; kinds without their own printer get NAME and AGE. */
export function columnsFor(kind: string): Column[] {
  return COLUMNS[kind] ?? INERT_COLUMNS[kind] ?? [name, ageColumn];
}

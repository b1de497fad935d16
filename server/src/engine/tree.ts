import type { TreeNode, TreeNodeAction, TreeNodeState, WorkloadKind } from '@devmode/protocol';
import { KubeError } from '../kube/errors.js';
import { workloadApiVersions, workloadKinds as kinds } from '../kube/resources.js';
import type { KubeObject, ObjectClient, WatchEventType } from '../kube/objects.js';
import type { Clusters } from './clusters.js';
import { currentOwner, sameOwner, type Owner } from './identity.js';
import { EngineError } from './engineError.js';
import { workDirVolumeName } from './devPodTemplate.js';
import { canonicalJson, heartbeatAnnotation } from './objects.js';
import { heartbeatSettings, readHeartbeat, staleAt, staleness, type HeartbeatSettings } from './heartbeat.js';

/** The annotation DevMode records the original workload in; its presence means "in DevMode". */
export const recordAnnotationName = 'devmode.dev/original';

const workloadKinds: { kind: WorkloadKind; apiVersion: string; label: string }[] = kinds.map((kind) => ({
  kind,
  apiVersion: workloadApiVersions[kind],
  label: `${kind}s`,
}));

/** Node ids are paths of URI-encoded segments, so any name round-trips. */
export function nodeId(...parts: string[]): string {
  return parts.map(encodeURIComponent).join('/');
}

function parseNodeId(id: string): string[] {
  return id.split('/').map(decodeURIComponent);
}

/** Raised for a node id the tree never handed out. */
export class UnknownNodeError extends EngineError {
  public constructor(message: string) {
    super('UnknownId', message, { field: 'nodeId' });
    this.name = 'UnknownNodeError';
  }
}

/**
 * The workload tree: contexts → namespaces → workload kinds → workloads → pods → containers. Each level is read
 * when asked for; `watchers` reports which nodes changed so the client re-reads them instead of polling.
 */
export class WorkloadTree {
  private readonly owner: Owner = currentOwner();
  private readonly watches = new Map<string, () => void>();
  private pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  /**
   * A session turns stale with time, not with a change in the cluster. Per group node: when each of its workloads
   * in DevMode would turn stale without another heartbeat (epoch ms), kept from the list and the watch; one timer
   * fires at the first of them and reports the group changed.
   */
  private readonly staleDeadlines = new Map<string, Map<string, number>>();
  private readonly staleTimers = new Map<string, NodeJS.Timeout>();

  public constructor(
    private readonly clusters: Clusters,
    private readonly onChange: (nodeIds: string[]) => void,
    private readonly heartbeats: HeartbeatSettings = heartbeatSettings(),
  ) {}

  public async children(id: string | undefined): Promise<TreeNode[]> {
    if (id === undefined) return this.contexts();
    const [level, context = '', namespace = '', kindOrPod = '', name = ''] = parseNodeId(id);
    switch (level) {
      case 'context':
        return this.namespaces(context);
      case 'namespace':
        return this.groups(context, namespace);
      case 'group':
        return this.workloads(context, namespace, kindOrPod as WorkloadKind);
      case 'workload':
        return this.pods(context, namespace, kindOrPod as WorkloadKind, name);
      case 'pod':
        return this.containers(context, namespace, kindOrPod);
      default:
        throw new UnknownNodeError(`unknown tree node "${id}"`);
    }
  }

  public dispose(): void {
    for (const stop of this.watches.values()) stop();
    this.watches.clear();
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    for (const timer of this.staleTimers.values()) clearTimeout(timer);
    this.staleTimers.clear();
  }

  private contexts(): TreeNode[] {
    const config = this.clusters.kubeconfig(true);
    return config.contexts.map((context) => ({
      id: nodeId('context', context.name),
      kind: 'context',
      label: context.name,
      description: context.name === config.currentContext ? 'current' : context.cluster,
      hasChildren: true,
      actions: ['refresh'],
    }));
  }

  private async namespaces(context: string): Promise<TreeNode[]> {
    const client = await this.clusters.client(context);
    let names: string[];
    try {
      names = (await client.objects.list('v1', 'Namespace', undefined)).map((item) => item.metadata.name);
    } catch (error) {
      // A namespace-scoped kubeconfig may not list namespaces; its own namespace is still usable.
      if (!(error instanceof KubeError && error.status === 403)) throw error;
      names = [client.namespace];
    }
    this.watchOnce(`namespaces/${context}`, client.objects, 'v1', 'Namespace', undefined, [nodeId('context', context)]);
    return names.sort().map((name) => ({
      id: nodeId('namespace', context, name),
      kind: 'namespace',
      label: name,
      ...(name === client.namespace ? { description: 'default namespace' } : {}),
      hasChildren: true,
      actions: ['refresh'],
    }));
  }

  private groups(context: string, namespace: string): TreeNode[] {
    return workloadKinds.map((entry) => ({
      id: nodeId('group', context, namespace, entry.kind),
      kind: 'group',
      label: entry.label,
      hasChildren: true,
      actions: ['refresh'],
    }));
  }

  private async workloads(context: string, namespace: string, kind: WorkloadKind): Promise<TreeNode[]> {
    const entry = workloadKinds.find((candidate) => candidate.kind === kind);
    if (entry === undefined) throw new UnknownNodeError(`unknown workload kind "${kind}"`);
    const client = await this.clusters.client(context);
    const groupId = nodeId('group', context, namespace, kind);
    // A renewed heartbeat changes nothing a client shows; it only moves the moment the session would turn stale.
    const shown = new Map<string, string>();
    this.watchOnce(`${context}/${namespace}/${kind}`, client.objects, entry.apiVersion, kind, namespace, [groupId], {
      onEvent: (type, object) => {
        const name = object.metadata.name;
        this.noteStaleDeadline(groupId, object, type === 'DELETED');
        const before = shown.get(name);
        if (type === 'DELETED') shown.delete(name);
        else shown.set(name, shownFingerprint(object));
        return type !== 'MODIFIED' || before !== shown.get(name);
      },
    });
    let items = await client.objects.list(entry.apiVersion, kind, namespace);
    // Pods that a workload owns appear under that workload, not as bare pods.
    if (kind === 'Pod') items = items.filter((pod) => (pod.metadata.ownerReferences ?? []).length === 0);
    const now = Date.now();
    const nodes = items
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((item) => this.workloadNode(context, namespace, kind, item, now));
    this.staleDeadlines.set(groupId, new Map());
    for (const item of items) this.noteStaleDeadline(groupId, item, false);
    return nodes;
  }

  private workloadNode(
    context: string,
    namespace: string,
    kind: WorkloadKind,
    item: KubeObject,
    now: number,
  ): TreeNode {
    const recorded = parseRecord(item.metadata.annotations?.[recordAnnotationName]);
    const record = recorded?.owner;
    const stale =
      recorded?.startedAt === undefined
        ? undefined
        : staleness(
            { owner: recorded.owner, startedAt: recorded.startedAt },
            readHeartbeat(item, recorded.sessionId ?? ''),
            now,
            this.heartbeats.staleAfterMs,
          );
    const state: TreeNodeState =
      record === undefined
        ? workloadState(kind, item)
        : stale !== undefined
          ? 'devMode-stale'
          : sameOwner(record, this.owner)
            ? 'devMode-mine'
            : 'devMode-other';
    const actions: TreeNodeAction[] =
      state === 'devMode-mine'
        ? ['stopDevMode', 'resetDevMode', 'openTerminal', 'openLogs', 'startPortForward', 'syncStatus']
        : state === 'devMode-other' || state === 'devMode-stale'
          ? ['resetDevMode', 'openLogs']
          : ['startDevMode', 'openDevConfig', 'openLogs', 'startPortForward'];
    return {
      id: nodeId('workload', context, namespace, kind, item.metadata.name),
      kind: 'workload',
      label: item.metadata.name,
      description:
        stale !== undefined
          ? `DevMode by ${stale.user}@${stale.machine}, stale: silent since ${stale.since}`
          : describeWorkload(kind, item, recorded),
      ...(stale !== undefined ? { tooltip: stale.hint } : {}),
      state,
      hasChildren: true,
      actions,
      target: { context, namespace, kind, name: item.metadata.name },
    };
  }

  /** Notes when a workload of a group would turn stale (or that it never will), and sets the group's timer. */
  private noteStaleDeadline(groupId: string, item: KubeObject, deleted: boolean): void {
    const deadlines = this.staleDeadlines.get(groupId) ?? new Map<string, number>();
    this.staleDeadlines.set(groupId, deadlines);
    const recorded = deleted ? undefined : parseRecord(item.metadata.annotations?.[recordAnnotationName]);
    if (recorded?.startedAt === undefined) deadlines.delete(item.metadata.name);
    else
      deadlines.set(
        item.metadata.name,
        staleAt(
          { startedAt: recorded.startedAt },
          readHeartbeat(item, recorded.sessionId ?? ''),
          this.heartbeats.staleAfterMs,
        ),
      );
    const previous = this.staleTimers.get(groupId);
    if (previous !== undefined) clearTimeout(previous);
    this.staleTimers.delete(groupId);
    const now = Date.now();
    const upcoming = [...deadlines.values()].filter((at) => at > now);
    if (upcoming.length === 0) return;
    const timer = setTimeout(
      () => {
        this.staleTimers.delete(groupId);
        this.changed([groupId]);
      },
      Math.min(...upcoming) - now,
    );
    timer.unref();
    this.staleTimers.set(groupId, timer);
  }

  private async pods(context: string, namespace: string, kind: WorkloadKind, name: string): Promise<TreeNode[]> {
    const client = await this.clusters.client(context);
    const entry = workloadKinds.find((candidate) => candidate.kind === kind);
    if (entry === undefined) throw new UnknownNodeError(`unknown workload kind "${kind}"`);
    const workloadId = nodeId('workload', context, namespace, kind, name);
    let pods: KubeObject[];
    if (kind === 'Pod') {
      const pod = await client.objects.get({ apiVersion: 'v1', kind: 'Pod', namespace, name });
      pods = pod === undefined ? [] : [pod];
    } else {
      const workload = await client.objects.get({ apiVersion: entry.apiVersion, kind, namespace, name });
      const selector = workload === undefined ? undefined : podSelector(kind, workload);
      pods = selector === undefined ? [] : await client.objects.list('v1', 'Pod', namespace, selector);
      this.watchOnce(
        `${context}/${namespace}/pods/${selector ?? name}`,
        client.objects,
        'v1',
        'Pod',
        namespace,
        [workloadId],
        selector === undefined ? {} : { labelSelector: selector },
      );
    }
    return pods.map((pod) => ({
      id: nodeId('pod', context, namespace, pod.metadata.name),
      kind: 'pod',
      label: pod.metadata.name,
      description: podPhase(pod),
      state: podState(pod),
      hasChildren: true,
      actions: ['openTerminal', 'openLogs', 'startPortForward'],
      target: { context, namespace, pod: pod.metadata.name },
    }));
  }

  private async containers(context: string, namespace: string, podName: string): Promise<TreeNode[]> {
    const client = await this.clusters.client(context);
    const pod = await client.objects.get({ apiVersion: 'v1', kind: 'Pod', namespace, name: podName });
    const statuses = ((pod?.status as { containerStatuses?: unknown } | undefined)?.containerStatuses ?? []) as {
      name: string;
      ready?: boolean;
      state?: Record<string, { reason?: string }>;
    }[];
    const containers = ((pod?.spec as { containers?: unknown } | undefined)?.containers ?? []) as {
      name: string;
      image?: string;
      volumeMounts?: { name?: string }[];
    }[];
    return containers.map((container) => {
      const status = statuses.find((candidate) => candidate.name === container.name);
      const waiting = status?.state?.waiting?.reason;
      // A container in DevMode mounts a DevMode workDir volume; in a pod with several, this tells which are.
      const inDevMode = (container.volumeMounts ?? []).some((mount) => isWorkDirVolume(mount.name));
      const image = inDevMode ? `DevMode, ${container.image ?? ''}` : (container.image ?? '');
      return {
        id: nodeId('container', context, namespace, podName, container.name),
        kind: 'container',
        label: container.name,
        description: waiting ?? image,
        state: status?.ready === true ? 'running' : waiting !== undefined ? 'failed' : 'pending',
        hasChildren: false,
        actions: ['openTerminal', 'openLogs'],
        target: { context, namespace, pod: podName, container: container.name },
      };
    });
  }

  private watchOnce(
    key: string,
    objects: ObjectClient,
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    nodeIds: string[],
    options: {
      labelSelector?: string;
      /** Sees every event, the replayed ones too; says whether it changes what a client shows (true when absent). */
      onEvent?: (type: WatchEventType, object: KubeObject) => boolean;
    } = {},
  ): void {
    if (this.watches.has(key)) return;
    const { labelSelector, onEvent } = options;
    // The watch first replays the current objects as ADDED: those are what the client just read. Every event after
    // that first list is a change, however soon it comes.
    let replaying = true;
    const stop = objects.watch(
      apiVersion,
      kind,
      namespace,
      { ...(labelSelector === undefined ? {} : { labelSelector }), onSynced: () => (replaying = false) },
      (type, object) => {
        const matters = onEvent?.(type, object) ?? true;
        if (!replaying && matters) this.changed(nodeIds);
      },
    );
    this.watches.set(key, stop);
  }

  /** Coalesces bursts of changes into one notification. */
  private changed(nodeIds: string[]): void {
    for (const id of nodeIds) this.pending.add(id);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const ids = [...this.pending];
      this.pending = new Set();
      this.onChange(ids);
    }, 100);
  }
}

/** What a client is shown of an object, as text: all of it but the resourceVersion, managedFields and heartbeat. */
function shownFingerprint(object: KubeObject): string {
  const { resourceVersion: _version, managedFields: _fields, annotations, ...metadata } = object.metadata;
  const { [heartbeatAnnotation]: _beat, ...shownAnnotations } = annotations ?? {};
  return canonicalJson({ ...object, metadata: { ...metadata, annotations: shownAnnotations } });
}

/** Who a DevMode record names, the containers it put into DevMode, its session and start. */
interface RecordSummary {
  owner: Owner;
  containers: string[];
  sessionId?: string;
  startedAt?: string;
}

function parseRecord(value: string | undefined): RecordSummary | undefined {
  if (value === undefined) return undefined;
  try {
    const record = JSON.parse(value) as {
      owner?: Owner;
      container?: unknown;
      addedContainers?: { container?: unknown }[];
      sessionId?: unknown;
      startedAt?: unknown;
    };
    const containers = [record.container, ...(record.addedContainers ?? []).map((added) => added.container)];
    return {
      owner: record.owner ?? { machine: '?', user: '?' },
      containers: containers.filter((name): name is string => typeof name === 'string'),
      ...(typeof record.sessionId === 'string' ? { sessionId: record.sessionId } : {}),
      ...(typeof record.startedAt === 'string' ? { startedAt: record.startedAt } : {}),
    };
  } catch {
    return { owner: { machine: '?', user: '?' }, containers: [] };
  }
}

/** The workDir volume of a container in DevMode (devPodTemplate.ts names them). */
function isWorkDirVolume(name: string | undefined): boolean {
  return name === workDirVolumeName || (name?.startsWith(`${workDirVolumeName}-`) ?? false);
}

function describeWorkload(kind: WorkloadKind, item: KubeObject, record: RecordSummary | undefined): string {
  if (record !== undefined) {
    const by = `DevMode by ${record.owner.user}@${record.owner.machine}`;
    // With several containers in DevMode the description names them; with one, the container node says which.
    return record.containers.length > 1 ? `${by}: ${record.containers.join(', ')}` : by;
  }
  const status = (item.status ?? {}) as Record<string, number | undefined>;
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
      return `${status.readyReplicas ?? 0}/${(item.spec as { replicas?: number } | undefined)?.replicas ?? 1} ready`;
    case 'DaemonSet':
      return `${status.numberReady ?? 0}/${status.desiredNumberScheduled ?? 0} ready`;
    case 'Job':
      return `${status.succeeded ?? 0} succeeded, ${status.failed ?? 0} failed`;
    case 'CronJob':
      return (item.spec as { suspend?: boolean } | undefined)?.suspend === true
        ? 'suspended'
        : String((item.spec as { schedule?: string }).schedule ?? '');
    case 'Pod':
      return podPhase(item);
  }
}

function workloadState(kind: WorkloadKind, item: KubeObject): TreeNodeState {
  if (kind === 'Pod') return podState(item);
  const status = (item.status ?? {}) as Record<string, number | undefined>;
  const spec = (item.spec ?? {}) as { replicas?: number };
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
      return (status.readyReplicas ?? 0) >= (spec.replicas ?? 1) ? 'running' : 'pending';
    case 'DaemonSet':
      return (status.numberReady ?? 0) >= (status.desiredNumberScheduled ?? 0) ? 'running' : 'pending';
    case 'Job':
      return (status.failed ?? 0) > 0 ? 'failed' : (status.succeeded ?? 0) > 0 ? 'succeeded' : 'running';
    case 'CronJob':
      return 'running';
  }
}

function podPhase(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp !== undefined) return 'Terminating';
  const status = pod.status as
    { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string } } }[] } | undefined;
  const statuses = status?.containerStatuses ?? [];
  const waiting = statuses.map((status) => status.state?.waiting?.reason).find((reason) => reason !== undefined);
  return waiting ?? status?.phase ?? 'Pending';
}

function podState(pod: KubeObject): TreeNodeState {
  if (pod.metadata.deletionTimestamp !== undefined) return 'terminating';
  const phase = podPhase(pod);
  if (phase === 'Running') return 'running';
  if (phase === 'Succeeded') return 'succeeded';
  if (phase === 'Pending' || phase === 'ContainerCreating') return 'pending';
  return 'failed';
}

/** The label selector of a workload's pods, as `k=v,k2=v2`. */
export function podSelector(kind: WorkloadKind, workload: KubeObject): string | undefined {
  if (kind === 'CronJob') return undefined;
  const spec = workload.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined;
  const labels = spec?.selector?.matchLabels;
  if (labels === undefined || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/**
 * Deletion as a real API server does it: graceful for pods on a node (the kubelet removes them once their
 * processes have exited), namespace termination, orphaning, and preconditions.
 */
import { ApiError, type KubeObject, type Store } from './contracts.js';
import type { ResourceIndex } from './resources.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  /** The object as deleted, or as it now stands while its deletion is in progress. */
  object: KubeObject;
  /** False while a pod or namespace is still terminating. */
  removed: boolean;
}

/** Namespaces a real cluster refuses to delete. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class Deleter {
  /**
   * @param gracefulPods whether a kubelet is attached: then pods on a node only get a deletion timestamp and the
   *   kubelet deletes them once their processes have exited; without one they are removed at once.
   */
  public constructor(
    private readonly store: Store,
    private readonly resources: ResourceIndex,
    private readonly gracefulPods: boolean,
  ) {}

  public delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): DeleteResult {
    const existing = this.store.get(resource, namespace, name);
    if (existing === undefined) return { object: this.store.delete(resource, namespace, name), removed: true };
    this.checkPreconditions(resource, existing, options);
    if (options.propagationPolicy === 'Orphan') this.orphanDependents(existing);
    if (resource === 'namespaces') return this.deleteNamespace(existing);
    if (resource === 'pods') return this.deletePod(existing, options);
    return { object: this.store.delete(resource, namespace, name), removed: true };
  }

  /** Removes a terminating namespace once nothing is left in it; true when it is gone. */
  public finishNamespace(name: string): boolean {
    const ns = this.store.get('namespaces', undefined, name);
    if (ns?.metadata.deletionTimestamp === undefined) return false;
    for (const info of this.resources.all) {
      if (info.namespaced && this.store.list(info.key, name).items.length > 0) return false;
    }
    this.store.delete('namespaces', undefined, name);
    return true;
  }

  private checkPreconditions(resource: string, object: KubeObject, options: DeleteOptions): void {
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid !== undefined && uid !== object.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${object.metadata.name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${object.metadata.uid ?? ''}`,
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== object.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${object.metadata.name}": Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion ?? ''}`,
      );
    }
  }

  private deletePod(pod: KubeObject, options: DeleteOptions): DeleteResult {
    const { namespace, name } = pod.metadata;
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
    const grace = Math.max(0, options.gracePeriodSeconds ?? spec?.terminationGracePeriodSeconds ?? 30);
    const running = spec?.nodeName !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
    if (!this.gracefulPods || !running || grace === 0) {
      return { object: this.store.delete('pods', namespace, name), removed: true };
    }
    const deadline = new Date(Date.now() + grace * 1000);
    const current = pod.metadata.deletionTimestamp;
    // A second delete may only shorten the grace period, as on a real server.
    if (current !== undefined && Date.parse(current) <= deadline.getTime()) return { object: pod, removed: false };
    const marked = structuredClone(pod);
    marked.metadata.deletionTimestamp = timestamp(deadline);
    marked.metadata.deletionGracePeriodSeconds = grace;
    delete marked.metadata.resourceVersion;
    return { object: this.store.update('pods', marked), removed: false };
  }

  private deleteNamespace(ns: KubeObject): DeleteResult {
    const name = ns.metadata.name;
    if (PROTECTED_NAMESPACES.has(name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
    let current = ns;
    if (ns.metadata.deletionTimestamp === undefined) {
      const marked = structuredClone(ns);
      marked.metadata.deletionTimestamp = timestamp(new Date());
      delete marked.metadata.resourceVersion;
      this.store.update('namespaces', marked);
      current = this.store.update(
        'namespaces',
        { ...marked, status: { phase: 'Terminating' } },
        { subresource: 'status' },
      );
    }
    for (const info of this.resources.all) {
      if (!info.namespaced) continue;
      for (const object of this.store.list(info.key, name).items) {
        if (this.store.get(info.key, name, object.metadata.name) === undefined) continue;
        this.delete(info.key, name, object.metadata.name, { propagationPolicy: 'Background' });
      }
    }
    if (this.finishNamespace(name)) return { object: current, removed: true };
    return { object: this.store.get('namespaces', undefined, name) ?? current, removed: false };
  }

  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    if (uid === undefined) return;
    for (const info of this.resources.all) {
      for (const dependent of this.store.list(info.key, owner.metadata.namespace).items) {
        const refs = dependent.metadata.ownerReferences ?? [];
        if (!refs.some((ref) => ref.uid === uid)) continue;
        dependent.metadata.ownerReferences = refs.filter((ref) => ref.uid !== uid);
        delete dependent.metadata.resourceVersion;
        this.store.update(info.key, dependent);
      }
    }
  }
}

/**
 * The garbage collector: when an owner is deleted, its dependents (objects whose ownerReferences all point at
 * deleted owners) are deleted in the background, so deleting a Deployment removes its ReplicaSets and their pods.
 * It also removes a terminating namespace once its last pod is gone, and events once they are an hour old.
 */
import type { KubeObject, Store, WatchEvent } from './contracts.js';
import type { Deleter } from './deletion.js';
import type { ResourceIndex } from './resources.js';

const EVENT_TTL_MS = 60 * 60 * 1000;
const EVENT_SWEEP_MS = 60 * 1000;

export class GarbageCollector {
  private readonly unsubscribes: (() => void)[] = [];
  private readonly queue: KubeObject[] = [];
  private scheduled = false;
  private sweeper: NodeJS.Timeout | undefined;

  public constructor(
    private readonly store: Store,
    private readonly resources: ResourceIndex,
    private readonly deleter: Deleter,
  ) {}

  public start(): void {
    this.sweeper = setInterval(() => this.expireEvents(), EVENT_SWEEP_MS);
    this.sweeper.unref();
    for (const info of this.resources.all) {
      const listener = (event: WatchEvent): void => {
        if (event.type !== 'DELETED') return;
        this.queue.push(event.object);
        this.schedule();
      };
      this.unsubscribes.push(this.store.watch(info.key, undefined, undefined, listener));
    }
  }

  public stop(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    this.queue.length = 0;
  }

  /** Deletes events older than the TTL, as a real API server lets them expire (one hour by default). */
  public expireEvents(now = Date.now()): void {
    for (const event of this.store.list('events', undefined).items) {
      const last = (event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp) as string | undefined;
      const time = Date.parse(last ?? '');
      if (Number.isNaN(time) || now - time < EVENT_TTL_MS) continue;
      try {
        this.store.delete('events', event.metadata.namespace, event.metadata.name);
      } catch {
        // Already gone.
      }
    }
  }

  /** Collection runs after the write that triggered it, as a real collector runs in the background. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.collect();
    });
  }

  private collect(): void {
    const deleted = this.queue.splice(0);
    if (deleted.length === 0) return;
    const deletedUids = new Set(deleted.map((o) => o.metadata.uid).filter((uid): uid is string => uid !== undefined));
    const liveUids = new Set<string>();
    const candidates: { resource: string; object: KubeObject }[] = [];
    for (const info of this.resources.all) {
      for (const object of this.store.list(info.key, undefined).items) {
        if (object.metadata.uid !== undefined) liveUids.add(object.metadata.uid);
        const refs = object.metadata.ownerReferences ?? [];
        if (refs.some((ref) => deletedUids.has(ref.uid))) candidates.push({ resource: info.key, object });
      }
    }
    for (const { resource, object } of candidates) {
      const refs = object.metadata.ownerReferences ?? [];
      if (refs.some((ref) => liveUids.has(ref.uid))) continue;
      if (object.metadata.deletionTimestamp !== undefined) continue;
      try {
        this.deleter.delete(resource, object.metadata.namespace, object.metadata.name, {
          propagationPolicy: 'Background',
        });
      } catch {
        // The dependent went away meanwhile: nothing left to collect.
      }
    }
    const namespaces = new Set(deleted.map((o) => o.metadata.namespace).filter((ns): ns is string => ns !== undefined));
    for (const ns of namespaces) this.deleter.finishNamespace(ns);
  }
}

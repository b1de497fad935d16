/**
 * The work queue every controller runs on: keys (`namespace/name`) are collected from watch events and
 * reconciled on a later tick, each at most once per tick, so a burst of changes costs one pass. A conflict
 * (someone else wrote first) retries quickly; other failures retry after a second.
 */
import { ApiError, type Store } from '../contracts.js';
import { EventRecorder } from './events.js';

export type Reconcile = (namespace: string | undefined, name: string) => void;

export class WorkQueue {
  private readonly pending = new Map<string, [string | undefined, string]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private flushing: NodeJS.Timeout | undefined;
  private stopped = false;

  public constructor(
    private readonly name: string,
    private readonly reconcile: Reconcile,
  ) {}

  public add(namespace: string | undefined, name: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.add(namespace, name);
      }, delayMs);
      this.timers.add(timer);
      return;
    }
    this.pending.set(`${namespace ?? ''}/${name}`, [namespace, name]);
    this.flushing ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.flushing = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const [namespace, name] of batch) {
      try {
        this.reconcile(namespace, name);
      } catch (error) {
        const conflict = error instanceof ApiError && (error.code === 409 || error.code === 404);
        if (!conflict)
          process.stderr.write(`${this.name}: reconciling ${namespace ?? ''}/${name} failed: ${String(error)}\n`);
        this.add(namespace, name, conflict ? 50 : 1000);
      }
    }
  }

  public stop(): void {
    this.stopped = true;
    if (this.flushing !== undefined) clearTimeout(this.flushing);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** What every controller gets. */
export interface ControllerContext {
  store: Store;
  nodeName: string;
  recorder(component: string): EventRecorder;
}

/** A running controller: stop() ends its watches and timers. */
export type StopFn = () => void;

/** Watches a resource in all namespaces from now on. */
export function watchAll(store: Store, resource: string, listener: Parameters<Store['watch']>[3]): () => void {
  return store.watch(resource, undefined, store.currentResourceVersion(), listener);
}

/** Enqueues every existing object of a resource (the initial sync after start). */
export function enqueueAll(store: Store, resource: string, queue: WorkQueue): void {
  for (const item of store.list(resource, undefined).items) queue.add(item.metadata.namespace, item.metadata.name);
}

/**
 * The in-memory object store: the sandbox's etcd. Every write takes the next global resourceVersion, is recorded
 * in a bounded history (so watches can resume), and is delivered to watchers before the write returns.
 */
import { randomUUID, randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  ApiError,
  type KubeObject,
  type ListOptions,
  type ResourceInfo,
  type Store,
  type WatchEvent,
} from './contracts.js';
import { apiVersionOf, ResourceIndex } from './resources.js';
import { parseSelectors } from './selectors.js';
import { validateName } from './validation.js';
import { VIEWS } from './eventViews.js';

export interface MemoryStoreOptions {
  /** How many past events are kept for watch resume; older resourceVersions get 410 Gone. */
  historySize?: number;
}

/** The persisted form of a store: its objects and the resourceVersion counter. */
export interface StoreSnapshot {
  resourceVersion: number;
  objects: { resource: string; object: KubeObject }[];
}

interface HistoryEntry {
  rv: number;
  resource: string;
  namespace: string | undefined;
  event: WatchEvent;
}

interface Watcher {
  resource: string;
  namespace: string | undefined;
  listener: (event: WatchEvent) => void;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function withoutVolatileMeta(object: KubeObject): KubeObject {
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = object.metadata;
  return { ...object, metadata };
}

function specPart(object: KubeObject): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...object };
  for (const key of ['metadata', 'status', 'apiVersion', 'kind']) delete rest[key];
  return rest;
}

export class MemoryStore implements Store {
  private readonly index: ResourceIndex;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly history: HistoryEntry[] = [];
  private readonly historySize: number;
  private rv = 0;
  /** The newest resourceVersion whose event fell out of the history. */
  private evictedUpTo = 0;
  private readonly pending: { watchers: Watcher[]; event: WatchEvent }[] = [];
  private delivering = false;

  public constructor(resources: readonly ResourceInfo[], options: MemoryStoreOptions = {}) {
    this.index = new ResourceIndex(resources);
    this.historySize = options.historySize ?? 5000;
    for (const resource of resources) this.objects.set(resource.key, new Map());
  }

  public get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const view = VIEWS[resource];
    if (view !== undefined) {
      const stored = this.get(view.stored, namespace, name);
      return stored === undefined ? undefined : view.toView(stored);
    }
    const info = this.info(resource);
    const found = this.table(resource).get(objectKey(info.namespaced ? namespace : undefined, name));
    return found === undefined ? undefined : structuredClone(found);
  }

  public list(
    resource: string,
    namespace: string | undefined,
    options?: ListOptions,
  ): { items: KubeObject[]; resourceVersion: string } {
    const view = VIEWS[resource];
    if (view !== undefined) {
      const stored = this.list(view.stored, namespace, options);
      return { ...stored, items: stored.items.map((item) => view.toView(item)) };
    }
    const info = this.info(resource);
    const matches = parseSelectors(options);
    const items: KubeObject[] = [];
    for (const object of this.table(resource).values()) {
      if (info.namespaced && namespace !== undefined && object.metadata.namespace !== namespace) continue;
      if (matches(object)) items.push(structuredClone(object));
    }
    items.sort((a, b) =>
      objectKey(a.metadata.namespace, a.metadata.name).localeCompare(objectKey(b.metadata.namespace, b.metadata.name)),
    );
    return { items, resourceVersion: String(this.rv) };
  }

  /**
   * With `dryRun`, everything is checked and filled in but nothing is stored or announced. `prepare` completes
   * the object once it has its uid (a Job's generated selector names it).
   */
  public create(
    resource: string,
    input: KubeObject,
    options?: { dryRun?: boolean; prepare?: (object: KubeObject) => void },
  ): KubeObject {
    const view = VIEWS[resource];
    if (view !== undefined) return view.toView(this.create(view.stored, view.fromView(input), options));
    const info = this.info(resource);
    const object = structuredClone(input);
    object.apiVersion = apiVersionOf(info);
    object.kind = info.kind;
    const metadata = (object.metadata ??= { name: '' });
    if (!metadata.name && metadata.generateName) metadata.name = this.generatedName(resource, metadata);
    validateName(info, metadata.name);
    if (info.namespaced) {
      if (!metadata.namespace) throw new ApiError(400, 'BadRequest', 'the namespace of the object is required');
      this.checkNamespaceWritable(metadata.namespace);
    } else {
      delete metadata.namespace;
    }
    const key = objectKey(metadata.namespace, metadata.name);
    const table = this.table(resource);
    if (table.has(key)) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `${info.plural}${info.group ? '.' + info.group : ''} "${metadata.name}" already exists`,
        {
          name: metadata.name,
          group: info.group,
          kind: info.plural,
        },
      );
    }
    metadata.uid = randomUUID();
    metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    options?.prepare?.(object);
    if (info.generation) metadata.generation = 1;
    else delete metadata.generation;
    delete metadata.deletionTimestamp;
    if (options?.dryRun === true) {
      delete metadata.resourceVersion;
      return structuredClone(object);
    }
    metadata.resourceVersion = String(++this.rv);
    table.set(key, object);
    this.record(resource, 'ADDED', object);
    return structuredClone(object);
  }

  public update(
    resource: string,
    input: KubeObject,
    options?: { subresource?: 'status'; dryRun?: boolean },
  ): KubeObject {
    const view = VIEWS[resource];
    if (view !== undefined) return view.toView(this.update(view.stored, view.fromView(input), options));
    const info = this.info(resource);
    const namespace = info.namespaced ? input.metadata?.namespace : undefined;
    const name = input.metadata?.name ?? '';
    const table = this.table(resource);
    const key = objectKey(namespace, name);
    const existing = table.get(key);
    if (existing === undefined) throw this.notFound(info, name);
    const wantedRv = input.metadata.resourceVersion;
    if (wantedRv !== undefined && wantedRv !== '' && wantedRv !== existing.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${info.plural}${info.group ? '.' + info.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: info.group, kind: info.plural },
      );
    }
    let next: KubeObject;
    if (options?.subresource === 'status') {
      next = structuredClone(existing);
      next.status = structuredClone(input.status as unknown);
    } else {
      next = structuredClone(input);
      if (Object.hasOwn(existing, 'status')) next.status = structuredClone(existing.status as unknown);
      else delete next.status;
      // Identity and server-owned fields never change through an update.
      const kept = existing.metadata;
      next.metadata.uid = kept.uid;
      next.metadata.namespace = kept.namespace;
      next.metadata.creationTimestamp = kept.creationTimestamp;
      if (info.generation) next.metadata.generation = kept.generation;
      else delete next.metadata.generation;
      // Once set, a deletion timestamp stays; it can only be moved (a shorter grace period), never cleared.
      if (kept.deletionTimestamp !== undefined && next.metadata.deletionTimestamp === undefined) {
        next.metadata.deletionTimestamp = kept.deletionTimestamp;
        next.metadata.deletionGracePeriodSeconds = kept.deletionGracePeriodSeconds;
      }
      if (info.generation && !isDeepStrictEqual(specPart(next), specPart(existing)))
        next.metadata.generation = (kept.generation ?? 0) + 1;
    }
    next.apiVersion = existing.apiVersion;
    next.kind = existing.kind;
    if (!next.metadata.namespace) delete next.metadata.namespace;
    // A write that changes nothing keeps the resourceVersion and sends no event, as a real server does.
    if (isDeepStrictEqual(withoutVolatileMeta(next), withoutVolatileMeta(existing))) return structuredClone(existing);
    if (options?.dryRun === true) {
      next.metadata.resourceVersion = existing.metadata.resourceVersion;
      return structuredClone(next);
    }
    next.metadata.resourceVersion = String(++this.rv);
    table.set(key, next);
    this.record(resource, 'MODIFIED', next);
    return structuredClone(next);
  }

  public delete(resource: string, namespace: string | undefined, name: string): KubeObject {
    const view = VIEWS[resource];
    if (view !== undefined) return view.toView(this.delete(view.stored, namespace, name));
    const info = this.info(resource);
    const table = this.table(resource);
    const key = objectKey(info.namespaced ? namespace : undefined, name);
    const existing = table.get(key);
    if (existing === undefined) throw this.notFound(info, name);
    table.delete(key);
    existing.metadata.resourceVersion = String(++this.rv);
    this.record(resource, 'DELETED', existing);
    return structuredClone(existing);
  }

  public watch(
    resource: string,
    namespace: string | undefined,
    fromResourceVersion: string | undefined,
    listener: (event: WatchEvent) => void,
  ): () => void {
    const view = VIEWS[resource];
    if (view !== undefined)
      return this.watch(view.stored, namespace, fromResourceVersion, (event) =>
        listener({ type: event.type, object: view.toView(event.object) }),
      );
    const info = this.info(resource);
    const watcher: Watcher = { resource, namespace: info.namespaced ? namespace : undefined, listener };
    if (fromResourceVersion !== undefined && fromResourceVersion !== '' && fromResourceVersion !== '0') {
      const from = Number(fromResourceVersion);
      if (!Number.isSafeInteger(from) || from < 0) {
        throw new ApiError(400, 'BadRequest', `invalid resource version: "${fromResourceVersion}"`);
      }
      if (from < this.evictedUpTo) {
        throw new ApiError(410, 'Expired', `too old resource version: ${from} (${this.evictedUpTo + 1})`);
      }
      const replay = this.history.filter((entry) => entry.rv > from && this.concerns(watcher, entry));
      for (const entry of replay) this.pending.push({ watchers: [watcher], event: entry.event });
    }
    let watchers = this.watchers.get(resource);
    if (watchers === undefined) this.watchers.set(resource, (watchers = new Set()));
    watchers.add(watcher);
    this.deliver();
    return () => {
      watchers.delete(watcher);
    };
  }

  public currentResourceVersion(): string {
    return String(this.rv);
  }

  /** The resources this store serves, for lookups by kind or path. */
  public resources(): ResourceIndex {
    return this.index;
  }

  /** Every object and the resourceVersion counter, for persisting across restarts. */
  public snapshot(): StoreSnapshot {
    const objects: StoreSnapshot['objects'] = [];
    for (const [resource, table] of this.objects) {
      for (const object of table.values()) objects.push({ resource, object: structuredClone(object) });
    }
    return { resourceVersion: this.rv, objects };
  }

  /**
   * Loads a snapshot into an empty store. Watchers are not told: restoring happens before anything watches. The
   * history starts empty, so a client resuming from an older resourceVersion gets 410 and relists.
   */
  public restore(snapshot: StoreSnapshot): void {
    for (const { resource, object } of snapshot.objects) {
      const table = this.objects.get(resource);
      if (table === undefined) continue;
      table.set(objectKey(object.metadata.namespace, object.metadata.name), structuredClone(object));
    }
    this.rv = Math.max(this.rv, snapshot.resourceVersion);
    this.evictedUpTo = this.rv;
  }

  private info(resource: string): ResourceInfo {
    const info = this.index.byResourceKey(resource);
    if (info === undefined)
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${resource})`);
    return info;
  }

  private table(resource: string): Map<string, KubeObject> {
    const table = this.objects.get(resource);
    if (table === undefined)
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${resource})`);
    return table;
  }

  private notFound(info: ResourceInfo, name: string): ApiError {
    const what = info.group ? `${info.plural}.${info.group}` : info.plural;
    return new ApiError(404, 'NotFound', `${what} "${name}" not found`, { name, group: info.group, kind: info.plural });
  }

  private checkNamespaceWritable(namespace: string): void {
    const table = this.objects.get('namespaces');
    if (table === undefined) return;
    const ns = table.get(objectKey(undefined, namespace));
    if (ns === undefined) {
      throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      });
    }
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw new ApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private generatedName(resource: string, metadata: KubeObject['metadata']): string {
    const table = this.table(resource);
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
      const name = `${metadata.generateName ?? ''}${suffix}`;
      if (!table.has(objectKey(metadata.namespace, name))) return name;
    }
  }

  private concerns(watcher: Watcher, entry: { resource: string; namespace: string | undefined }): boolean {
    return (
      watcher.resource === entry.resource && (watcher.namespace === undefined || watcher.namespace === entry.namespace)
    );
  }

  private record(resource: string, type: WatchEvent['type'], object: KubeObject): void {
    const entry: HistoryEntry = {
      rv: this.rv,
      resource,
      namespace: object.metadata.namespace,
      event: { type, object: structuredClone(object) },
    };
    this.history.push(entry);
    while (this.history.length > this.historySize) this.evictedUpTo = this.history.shift()?.rv ?? this.evictedUpTo;
    const targets = [...(this.watchers.get(resource) ?? [])].filter((w) => this.concerns(w, entry));
    if (targets.length > 0) this.pending.push({ watchers: targets, event: entry.event });
    this.deliver();
  }

  /**
   * Delivers queued events in resourceVersion order. A listener that writes to the store queues its event
   * behind the current one instead of delivering it first, so every watcher sees events in order.
   */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let item = this.pending.shift(); item !== undefined; item = this.pending.shift()) {
        for (const watcher of item.watchers) {
          if (!this.watchers.get(watcher.resource)?.has(watcher)) continue;
          try {
            watcher.listener(structuredClone(item.event));
          } catch (error) {
            console.error(`store watcher for ${watcher.resource} failed:`, error);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

import { describe, expect, it } from 'vitest';
import { ApiError, type KubeObject, type WatchEvent } from './contracts.js';
import { RESOURCES, resourceByKey, resourceByKind } from './resources.js';
import { MemoryStore } from './store.js';

function newStore(historySize?: number): MemoryStore {
  const store = new MemoryStore(RESOURCES, historySize === undefined ? {} : { historySize });
  store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return store;
}

function pod(name: string, labels: Record<string, string> = {}, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    ...extra,
  };
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('resources', () => {
  it('describes the served resources with keys, kinds and subresources', () => {
    expect(resourceByKey('pods')?.subresources).toEqual(['status', 'log', 'exec', 'portforward', 'attach']);
    expect(resourceByKey('deployments.apps')).toMatchObject({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(resourceByKey('horizontalpodautoscalers.autoscaling')?.version).toBe('v2');
    expect(resourceByKind('batch/v1', 'CronJob')?.key).toBe('cronjobs.batch');
    expect(resourceByKey('namespaces')?.namespaced).toBe(false);
  });
});

describe('MemoryStore writes', () => {
  it('fills server-owned metadata on create', () => {
    const store = newStore();
    const created = store.create('pods', { ...pod('web'), apiVersion: '', kind: '' });
    expect(created.apiVersion).toBe('v1');
    expect(created.kind).toBe('Pod');
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    // Pods, like ConfigMaps and Secrets, have no generation on a real server; workloads do.
    expect(created.metadata.generation).toBeUndefined();
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(1);
  });

  it('resolves generateName and refuses duplicates, bad names and missing namespaces', () => {
    const store = newStore();
    const generated = store.create('pods', {
      ...pod(''),
      metadata: { name: '', namespace: 'default', generateName: 'web-' },
    });
    expect(generated.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    store.create('pods', pod('web'));
    expect(apiError(() => store.create('pods', pod('web')))).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect(apiError(() => store.create('pods', pod('Bad_Name')))).toMatchObject({ code: 422, reason: 'Invalid' });
    const elsewhere = { ...pod('x'), metadata: { name: 'x', namespace: 'nowhere' } };
    expect(apiError(() => store.create('pods', elsewhere)).message).toBe('namespaces "nowhere" not found');
  });

  it('uses one global, increasing resourceVersion', () => {
    const store = newStore();
    const a = store.create('pods', pod('a'));
    const b = store.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
    });
    expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(store.currentResourceVersion()).toBe(b.metadata.resourceVersion);
  });

  it('bumps generation on spec changes only and keeps status on plain updates', () => {
    const store = newStore();
    const created = store.create('replicasets.apps', { ...pod('web'), apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    expect(created.metadata.generation).toBe(1);
    const withStatus = store.update(
      'replicasets.apps',
      { ...created, status: { replicas: 1 } },
      { subresource: 'status' },
    );
    expect(withStatus.status).toEqual({ replicas: 1 });
    expect(withStatus.metadata.generation).toBe(1);
    const relabelled = store.update('replicasets.apps', {
      ...withStatus,
      metadata: { ...withStatus.metadata, labels: { a: 'b' } },
      status: {},
    });
    expect(relabelled.metadata.generation).toBe(1);
    expect(relabelled.status).toEqual({ replicas: 1 });
    const changed = store.update('replicasets.apps', {
      ...relabelled,
      spec: { containers: [{ name: 'main', image: 'alpine' }] },
    });
    expect(changed.metadata.generation).toBe(2);
    const podChanged = store.update('pods', { ...store.create('pods', pod('p')), spec: { containers: [] } });
    expect(podChanged.metadata.generation).toBeUndefined();
  });

  it('answers 409 to a stale resourceVersion and ignores no-op writes', () => {
    const store = newStore();
    const created = store.create('pods', pod('web'));
    const updated = store.update('pods', { ...created, metadata: { ...created.metadata, labels: { v: '2' } } });
    const stale = apiError(() =>
      store.update('pods', { ...created, metadata: { ...created.metadata, labels: { v: '3' } } }),
    );
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
    const again = store.update('pods', updated);
    expect(again.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
  });

  it('deletes and reports unknown objects as 404', () => {
    const store = newStore();
    store.create('pods', pod('web'));
    expect(store.delete('pods', 'default', 'web').metadata.name).toBe('web');
    expect(store.get('pods', 'default', 'web')).toBeUndefined();
    expect(apiError(() => store.delete('pods', 'default', 'web'))).toMatchObject({
      code: 404,
      message: 'pods "web" not found',
    });
  });

  it('checks and fills dry-run writes without storing or announcing them', () => {
    const store = newStore();
    const events: string[] = [];
    store.watch('pods', undefined, undefined, (e) => events.push(e.type));
    const before = store.currentResourceVersion();
    const preview = store.create('pods', pod('dry'), { dryRun: true });
    expect(preview.metadata.uid).toBeTruthy();
    expect(store.get('pods', 'default', 'dry')).toBeUndefined();
    const real = store.create('pods', pod('real'));
    const changed = store.update('pods', { ...real, spec: { containers: [] } }, { dryRun: true });
    expect(changed.spec).toEqual({ containers: [] });
    expect(store.get('pods', 'default', 'real')?.spec).toEqual(real.spec);
    expect(events).toEqual(['ADDED']);
    expect(Number(store.currentResourceVersion())).toBe(Number(before) + 1);
  });

  it('hands out copies, so callers cannot change stored objects', () => {
    const store = newStore();
    const created = store.create('pods', pod('web'));
    created.metadata.name = 'changed';
    store.get('pods', 'default', 'web')!.metadata.labels = { x: 'y' };
    expect(store.get('pods', 'default', 'web')?.metadata.labels).toEqual({});
  });
});

describe('MemoryStore selectors', () => {
  const store = newStore();
  store.create(
    'pods',
    pod('a', { app: 'web', tier: 'front' }, { spec: { nodeName: 'n1' }, status: { phase: 'Running' } }),
  );
  store.create('pods', pod('b', { app: 'web', tier: 'back' }, { status: { phase: 'Pending' } }));
  store.create('pods', pod('c', { app: 'db' }));
  const names = (options: { labelSelector?: string; fieldSelector?: string }): string[] =>
    store.list('pods', 'default', options).items.map((o) => o.metadata.name);

  it('filters by label selectors', () => {
    expect(names({ labelSelector: 'app=web' })).toEqual(['a', 'b']);
    expect(names({ labelSelector: 'app==web,tier!=front' })).toEqual(['b']);
    expect(names({ labelSelector: 'app in (db, web),tier notin (back)' })).toEqual(['a', 'c']);
    expect(names({ labelSelector: 'tier' })).toEqual(['a', 'b']);
    expect(names({ labelSelector: '!tier' })).toEqual(['c']);
  });

  it('filters by field selectors', () => {
    expect(names({ fieldSelector: 'metadata.name=b' })).toEqual(['b']);
    expect(names({ fieldSelector: 'metadata.namespace==default,status.phase!=Running' })).toEqual(['b', 'c']);
    expect(names({ fieldSelector: 'spec.nodeName=n1' })).toEqual(['a']);
  });

  it('rejects malformed selectors with 400', () => {
    expect(apiError(() => names({ labelSelector: 'app=we b' }))).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(apiError(() => names({ fieldSelector: 'metadata.name' }))).toMatchObject({ code: 400 });
  });

  it('lists across namespaces and carries the current resourceVersion', () => {
    const listed = store.list('pods', undefined);
    expect(listed.items).toHaveLength(3);
    expect(listed.resourceVersion).toBe(store.currentResourceVersion());
  });
});

describe('MemoryStore watch', () => {
  it('notifies watchers synchronously and in order, even when a watcher writes', () => {
    const store = newStore();
    const seen: string[] = [];
    store.watch('pods', 'default', undefined, (event) => {
      seen.push(`${event.type} ${event.object.metadata.name} ${event.object.metadata.resourceVersion}`);
      if (event.object.metadata.name === 'a' && event.type === 'ADDED') store.create('pods', pod('b'));
    });
    const other: string[] = [];
    store.watch('pods', undefined, undefined, (event) => other.push(event.object.metadata.resourceVersion ?? ''));
    const a = store.create('pods', pod('a'));
    const rv = Number(a.metadata.resourceVersion);
    expect(seen).toEqual([`ADDED a ${rv}`, `ADDED b ${rv + 1}`]);
    expect(other).toEqual([String(rv), String(rv + 1)]);
  });

  it('resumes from a resourceVersion and stops after unsubscribe', () => {
    const store = newStore();
    const a = store.create('pods', pod('a'));
    store.update('pods', { ...a, metadata: { ...a.metadata, labels: { x: 'y' } } });
    store.delete('pods', 'default', 'a');
    const events: WatchEvent[] = [];
    const stop = store.watch('pods', 'default', a.metadata.resourceVersion, (event) => events.push(event));
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    stop();
    store.create('pods', pod('b'));
    expect(events).toHaveLength(2);
  });

  it('answers 410 Gone when the resourceVersion is older than the history', () => {
    const store = newStore(3);
    const first = store.create('pods', pod('a'));
    for (const name of ['b', 'c', 'd', 'e']) store.create('pods', pod(name));
    expect(
      apiError(() => store.watch('pods', 'default', first.metadata.resourceVersion, () => undefined)),
    ).toMatchObject({
      code: 410,
      reason: 'Expired',
    });
    expect(() => store.watch('pods', 'default', store.currentResourceVersion(), () => undefined)).not.toThrow();
  });

  it('only tells watchers about their own resource and namespace', () => {
    const store = newStore();
    store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    const events: string[] = [];
    store.watch('pods', 'other', undefined, (e) => events.push(e.object.metadata.name));
    store.create('pods', pod('here'));
    store.create('pods', { ...pod('there'), metadata: { name: 'there', namespace: 'other' } });
    store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'other' } });
    expect(events).toEqual(['there']);
  });
});

describe('MemoryStore snapshots', () => {
  it('restores objects and keeps resourceVersions increasing', () => {
    const store = newStore();
    store.create('pods', pod('web'));
    const snapshot = JSON.parse(JSON.stringify(store.snapshot())) as ReturnType<MemoryStore['snapshot']>;
    const restored = new MemoryStore(RESOURCES);
    restored.restore(snapshot);
    expect(restored.get('pods', 'default', 'web')?.metadata.name).toBe('web');
    const next = restored.create('pods', pod('api'));
    expect(Number(next.metadata.resourceVersion)).toBe(snapshot.resourceVersion + 1);
    expect(apiError(() => restored.watch('pods', undefined, '1', () => undefined)).code).toBe(410);
  });
});

describe('events.k8s.io Events', () => {
  it('are the core Events seen through the other version, in reads, writes and watches', () => {
    const store = newStore();
    const seen: string[] = [];
    store.watch('events.events.k8s.io', 'default', undefined, (e) => seen.push(`${e.type} ${String(e.object.note)}`));
    store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web' },
      message: 'started',
      reason: 'Started',
      count: 2,
    });
    expect(store.get('events.events.k8s.io', 'default', 'e1')).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      regarding: { kind: 'Pod', name: 'web' },
      note: 'started',
      reason: 'Started',
      deprecatedCount: 2,
      eventTime: null,
    });
    store.create('events.events.k8s.io', {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e2', namespace: 'default' },
      note: 'from the new API',
      reason: 'Noted',
    });
    expect(store.get('events', 'default', 'e2')).toMatchObject({ message: 'from the new API', reason: 'Noted' });
    expect(seen).toEqual(['ADDED started', 'ADDED from the new API']);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type KubeObject } from './contracts.js';
import { Deleter } from './deletion.js';
import { GarbageCollector } from './garbageCollector.js';
import { RESOURCES } from './resources.js';
import { MemoryStore } from './store.js';

const collectors: GarbageCollector[] = [];

function setUp(gracefulPods: boolean): { store: MemoryStore; deleter: Deleter; collector: GarbageCollector } {
  const store = new MemoryStore(RESOURCES);
  for (const name of ['default', 'team'])
    store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const deleter = new Deleter(store, store.resources(), gracefulPods);
  const collector = new GarbageCollector(store, store.resources(), deleter);
  collector.start();
  collectors.push(collector);
  return { store, deleter, collector };
}

afterEach(() => {
  for (const collector of collectors.splice(0)) collector.stop();
});

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

function cm(name: string, owners: KubeObject[] = [], namespace = 'default'): KubeObject {
  const ownerReferences = owners.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid ?? '',
  }));
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ownerReferences } };
}

function pod(name: string, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { nodeName: 'node', containers: [] },
    status: { phase: 'Running' },
  };
}

describe('garbage collection', () => {
  it('deletes dependents once all their owners are gone, through chains of owners', async () => {
    const { store, deleter } = setUp(false);
    const a = store.create('configmaps', cm('a'));
    const b = store.create('configmaps', cm('b'));
    const child = store.create('configmaps', cm('child', [a]));
    store.create('configmaps', cm('grandchild', [child]));
    store.create('configmaps', cm('shared', [a, b]));
    deleter.delete('configmaps', 'default', 'a');
    await settle();
    await settle();
    const names = store.list('configmaps', 'default').items.map((o) => o.metadata.name);
    expect(names).toEqual(['b', 'shared']);
  });

  it('orphans dependents when asked', async () => {
    const { store, deleter } = setUp(false);
    const owner = store.create('configmaps', cm('owner'));
    store.create('configmaps', cm('kept', [owner]));
    deleter.delete('configmaps', 'default', 'owner', { propagationPolicy: 'Orphan' });
    await settle();
    expect(store.get('configmaps', 'default', 'kept')?.metadata.ownerReferences).toEqual([]);
  });

  it('only marks running pods for deletion when a kubelet is attached', () => {
    const { store, deleter } = setUp(true);
    store.create('pods', pod('running'));
    const { object, removed } = deleter.delete('pods', 'default', 'running', { gracePeriodSeconds: 5 });
    expect(removed).toBe(false);
    expect(object.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(Date.parse(object.metadata.deletionTimestamp ?? '')).toBeGreaterThan(Date.now());
    store.create('pods', { ...pod('unscheduled'), spec: { containers: [] } });
    expect(deleter.delete('pods', 'default', 'unscheduled').removed).toBe(true);
    expect(deleter.delete('pods', 'default', 'running', { gracePeriodSeconds: 0 }).removed).toBe(true);
  });

  it('terminates a namespace and removes it once its last pod is gone', async () => {
    const { store, deleter } = setUp(true);
    store.create('configmaps', cm('x', [], 'team'));
    store.create('pods', pod('p', 'team'));
    const { removed, object } = deleter.delete('namespaces', undefined, 'team');
    expect(removed).toBe(false);
    expect(object.status).toEqual({ phase: 'Terminating' });
    expect(store.get('configmaps', 'team', 'x')).toBeUndefined();
    expect(() => store.create('configmaps', cm('late', [], 'team'))).toThrow(ApiError);
    store.delete('pods', 'team', 'p');
    await settle();
    expect(store.get('namespaces', undefined, 'team')).toBeUndefined();
    expect(() => deleter.delete('namespaces', undefined, 'default')).toThrow('namespaces "default" is forbidden');
  });

  it('expires events after an hour', () => {
    const { store, collector } = setUp(false);
    const event = (name: string, at: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      lastTimestamp: at,
    });
    store.create('events', event('old', new Date(Date.now() - 2 * 3600_000).toISOString()));
    store.create('events', event('new', new Date().toISOString()));
    collector.expireEvents();
    expect(store.list('events', 'default').items.map((e) => e.metadata.name)).toEqual(['new']);
  });
});

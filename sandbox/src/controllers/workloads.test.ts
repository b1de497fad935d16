/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
import { afterEach, describe, expect, test } from 'vitest';
import type { KubeObject } from '../contracts.js';
import { fakeKubelet, finishPod, storeWithNamespace, waitFor } from '../kubelet/testkit.js';
import type { MemoryStore } from '../store.js';
import { startControllers } from './index.js';

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

function setup(): { store: MemoryStore; kubelet: ReturnType<typeof fakeKubelet> } {
  const store = storeWithNamespace();
  const kubelet = fakeKubelet(store, 'node-1');
  const controllers = startControllers(store, { nodeName: 'node-1' });
  stops.push(
    () => controllers.stop(),
    () => kubelet.stop(),
  );
  return { store, kubelet };
}

function workload(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  const podSpec = { containers: [{ name: 'main', image: 'busybox' }], ...((spec.podSpec as object | undefined) ?? {}) };
  const rest = { ...spec };
  delete rest.podSpec;
  return {
    apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
      ...rest,
    },
  };
}

function podNames(store: MemoryStore): string[] {
  return store
    .list('pods', 'default')
    .items.filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort();
}

function update(store: MemoryStore, resource: string, name: string, change: (o: KubeObject) => void): void {
  const object = store.get(resource, 'default', name) as KubeObject;
  change(object);
  delete object.metadata.resourceVersion;
  store.update(resource, object);
}

describe('node and volume binder', () => {
  test('registers a Ready node named after the machine and binds claims', async () => {
    const { store } = setup();
    const node = store.get('nodes', undefined, 'node-1');
    expect(node?.status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
    );
    expect(node?.status.addresses).toEqual(expect.arrayContaining([{ type: 'InternalIP', address: '127.0.0.1' }]));
    expect(node?.metadata.labels?.['kubernetes.io/hostname']).toBe('node-1');
    store.create('persistentvolumeclaims', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
    });
    const pvc = await waitFor('bound', () => {
      const claim = store.get('persistentvolumeclaims', 'default', 'data');
      return claim?.status?.phase === 'Bound' ? claim : undefined;
    });
    expect(pvc.status.capacity).toEqual({ storage: '2Gi' });
    expect(pvc.spec.volumeName).toMatch(/^pvc-/);
  });
});

describe('replicaset controller', () => {
  test('creates named, owned pods and replaces a deleted or failed one', async () => {
    const { store } = setup();
    const rs = store.create('replicasets.apps', workload('ReplicaSet', 'front', { replicas: 2 }));
    await waitFor('two pods', () => store.get('replicasets.apps', 'default', 'front')?.status?.readyReplicas === 2);
    const [first, second] = podNames(store);
    expect(first).toMatch(/^front-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const pod = store.get('pods', 'default', first ?? '');
    expect(pod?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ReplicaSet', name: 'front', uid: rs.metadata.uid, controller: true }),
    ]);
    store.delete('pods', 'default', first ?? '');
    await waitFor('replacement', () => podNames(store).length === 2 && !podNames(store).includes(first ?? ''));
    finishPod(store, second ?? '', 'Failed');
    await waitFor(
      'replacement for failed pod',
      () => store.list('pods', 'default').items.filter((p) => p.status?.phase === 'Running').length === 2,
    );
    update(store, 'replicasets.apps', 'front', (o) => (o.spec.replicas = 1));
    await waitFor('scaled down', () => store.get('replicasets.apps', 'default', 'front')?.status?.replicas === 1);
    const reasons = store.list('events', 'default').items.map((e) => e.reason);
    expect(reasons).toContain('SuccessfulCreate');
    expect(reasons).toContain('SuccessfulDelete');
  });
});

describe('statefulset controller', () => {
  test('creates pods in order, one at a time, and updates them in reverse order', async () => {
    const { store, kubelet } = setup();
    const ready = new Set<string>();
    kubelet.ready = (pod) => ready.has(pod.metadata.name);
    store.create('statefulsets.apps', workload('StatefulSet', 'db', { replicas: 3, serviceName: 'db' }));
    await waitFor('db-0', () => podNames(store).join() === 'db-0');
    await new Promise((r) => setTimeout(r, 100));
    expect(podNames(store)).toEqual(['db-0']);
    ready.add('db-0');
    ready.add('db-1');
    ready.add('db-2');
    // A status change of db-0 lets the controller go on.
    const pod0 = store.get('pods', 'default', 'db-0') as KubeObject;
    pod0.status.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z' }];
    delete pod0.metadata.resourceVersion;
    store.update('pods', pod0, { subresource: 'status' });
    await waitFor('three ready', () => store.get('statefulsets.apps', 'default', 'db')?.status?.readyReplicas === 3);
    expect(podNames(store)).toEqual(['db-0', 'db-1', 'db-2']);
    const status = store.get('statefulsets.apps', 'default', 'db')?.status;
    expect(status.currentRevision).toBe(status.updateRevision);
    expect(store.get('pods', 'default', 'db-1')?.metadata.labels?.['controller-revision-hash']).toBe(
      status.updateRevision,
    );
    const deleted: string[] = [];
    stops.push(
      store.watch('pods', 'default', undefined, (e) => e.type === 'DELETED' && deleted.push(e.object.metadata.name)),
    );
    update(store, 'statefulsets.apps', 'db', (o) => (o.spec.template.spec.containers[0].image = 'alpine'));
    await waitFor('updated', () => {
      const s = store.get('statefulsets.apps', 'default', 'db')?.status;
      return (
        s?.updatedReplicas === 3 &&
        s.readyReplicas === 3 &&
        s.currentRevision === s.updateRevision &&
        s.observedGeneration === 2
      );
    });
    expect(deleted).toEqual(['db-2', 'db-1', 'db-0']);
    expect(status.updateRevision).not.toBe(store.get('statefulsets.apps', 'default', 'db')?.status.updateRevision);
  });

  test('OnDelete leaves pods on the old template until they are deleted, and scale-down removes the highest ordinal', async () => {
    const { store } = setup();
    store.create(
      'statefulsets.apps',
      workload('StatefulSet', 'kv', { replicas: 2, updateStrategy: { type: 'OnDelete' } }),
    );
    await waitFor('two ready', () => store.get('statefulsets.apps', 'default', 'kv')?.status?.readyReplicas === 2);
    update(store, 'statefulsets.apps', 'kv', (o) => (o.spec.template.spec.containers[0].image = 'alpine'));
    await waitFor('observed', () => store.get('statefulsets.apps', 'default', 'kv')?.status?.observedGeneration === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(store.list('pods', 'default').items.map((p) => p.spec.containers[0].image)).toEqual(['busybox', 'busybox']);
    store.delete('pods', 'default', 'kv-1');
    await waitFor('kv-1 recreated', () => store.get('pods', 'default', 'kv-1')?.spec.containers[0].image === 'alpine');
    update(store, 'statefulsets.apps', 'kv', (o) => (o.spec.replicas = 1));
    await waitFor('scaled down', () => podNames(store).join() === 'kv-0');
  });

  test('volumeClaimTemplates create one claim per pod', async () => {
    const { store } = setup();
    store.create(
      'statefulsets.apps',
      workload('StatefulSet', 'pg', {
        replicas: 1,
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } }],
      }),
    );
    await waitFor(
      'claim',
      () => store.get('persistentvolumeclaims', 'default', 'data-pg-0')?.status?.phase === 'Bound',
    );
    expect(store.get('pods', 'default', 'pg-0')?.spec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-pg-0' } },
    ]);
  });
});

describe('daemonset controller', () => {
  test('runs one pod on the node, and none when the template cannot match it', async () => {
    const { store } = setup();
    store.create('daemonsets.apps', workload('DaemonSet', 'agent', {}));
    store.create('daemonsets.apps', workload('DaemonSet', 'gpu', { podSpec: { nodeSelector: { gpu: 'true' } } }));
    store.create('daemonsets.apps', workload('DaemonSet', 'elsewhere', { podSpec: { nodeName: 'other-node' } }));
    await waitFor('agent ready', () => store.get('daemonsets.apps', 'default', 'agent')?.status?.numberReady === 1);
    await waitFor(
      'gpu observed',
      () => store.get('daemonsets.apps', 'default', 'gpu')?.status?.observedGeneration === 1,
    );
    await waitFor(
      'elsewhere observed',
      () => store.get('daemonsets.apps', 'default', 'elsewhere')?.status?.observedGeneration === 1,
    );
    expect(podNames(store)).toEqual([expect.stringMatching(/^agent-/)]);
    expect(store.get('daemonsets.apps', 'default', 'agent')?.status).toMatchObject({
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      numberAvailable: 1,
    });
    expect(store.get('daemonsets.apps', 'default', 'gpu')?.status).toMatchObject({
      desiredNumberScheduled: 0,
      currentNumberScheduled: 0,
      numberReady: 0,
    });
    const agent = store.list('pods', 'default').items[0];
    expect(agent?.spec.nodeName).toBe('node-1');
  });
});

describe('job controller', () => {
  test('runs pods until the completions succeeded, at most parallelism at a time, then is Complete', async () => {
    const { store } = setup();
    store.create(
      'jobs.batch',
      workload('Job', 'batch', { completions: 3, parallelism: 2, podSpec: { restartPolicy: 'Never' } }),
    );
    await waitFor('two active', () => podNames(store).length === 2);
    for (let done = 0; done < 3; done++) {
      const running = store.list('pods', 'default').items.find((p) => p.status?.phase === 'Running');
      if (running === undefined) throw new Error('no running pod');
      finishPod(store, running.metadata.name, 'Succeeded');
      await waitFor(
        `succeeded ${done + 1}`,
        () => store.get('jobs.batch', 'default', 'batch')?.status?.succeeded === done + 1,
      );
      expect(
        store.list('pods', 'default').items.filter((p) => p.status?.phase !== 'Succeeded').length,
      ).toBeLessThanOrEqual(2);
    }
    const job = await waitFor('complete', () => {
      const j = store.get('jobs.batch', 'default', 'batch');
      return j?.status?.conditions?.some((c: { type: string }) => c.type === 'Complete') ? j : undefined;
    });
    expect(job.status).toMatchObject({ succeeded: 3, active: 0 });
    expect(job.status.completionTime).toBeDefined();
    const pod = store.list('pods', 'default').items[0];
    expect(pod?.metadata.labels?.['job-name']).toBe('batch');
    expect(store.list('events', 'default').items.map((e) => e.reason)).toContain('Completed');
  });

  test('fails with BackoffLimitExceeded when more pods failed than backoffLimit', async () => {
    const { store } = setup();
    store.create('jobs.batch', workload('Job', 'flaky', { backoffLimit: 1, podSpec: { restartPolicy: 'Never' } }));
    for (let i = 1; i <= 2; i++) {
      const pod = await waitFor(`pod ${i}`, () =>
        store.list('pods', 'default').items.find((p) => p.status?.phase === 'Running'),
      );
      finishPod(store, pod.metadata.name, 'Failed');
      await waitFor(`failed ${i}`, () => store.get('jobs.batch', 'default', 'flaky')?.status?.failed === i);
    }
    const job = store.get('jobs.batch', 'default', 'flaky');
    expect(job?.status.conditions).toEqual([
      expect.objectContaining({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }),
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(store.list('pods', 'default').items).toHaveLength(2);
  });
});

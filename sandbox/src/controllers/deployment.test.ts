/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
import { afterEach, describe, expect, test } from 'vitest';
import type { KubeObject } from '../contracts.js';
import { fakeKubelet, storeWithNamespace, waitFor } from '../kubelet/testkit.js';
import type { MemoryStore } from '../store.js';
import { startControllers } from './index.js';

function deployment(name: string, replicas: number, image: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
      ...extra,
    },
  };
}

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

function setup(): { store: MemoryStore; kubelet: ReturnType<typeof fakeKubelet> } {
  const store = storeWithNamespace();
  const kubelet = fakeKubelet(store);
  const controllers = startControllers(store, { nodeName: 'node-1' });
  stops.push(
    () => controllers.stop(),
    () => kubelet.stop(),
  );
  return { store, kubelet };
}

/** What `kubectl rollout status` checks. */
function rolledOut(store: MemoryStore, name: string): boolean {
  const d = store.get('deployments.apps', 'default', name);
  if (d === undefined) return false;
  const s = d.status ?? {};
  return (
    s.observedGeneration >= (d.metadata.generation ?? 0) &&
    s.updatedReplicas >= d.spec.replicas &&
    s.replicas <= s.updatedReplicas &&
    s.availableReplicas >= s.updatedReplicas
  );
}

function setImage(store: MemoryStore, name: string, image: string): void {
  const d = store.get('deployments.apps', 'default', name) as KubeObject;
  d.spec.template.spec.containers[0].image = image;
  delete d.metadata.resourceVersion;
  store.update('deployments.apps', d);
}

function replicaSets(store: MemoryStore): KubeObject[] {
  return store.list('replicasets.apps', 'default').items;
}

describe('deployment controller', () => {
  test('creates a ReplicaSet with the template hash and revision 1, and reports the deployment complete', async () => {
    const { store } = setup();
    const created = deployment('web', 3, 'busybox');
    created.metadata.annotations = {
      'kubernetes.io/change-cause': 'first release',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    };
    store.create('deployments.apps', created);
    await waitFor('rollout', () => rolledOut(store, 'web'));
    const [rs] = replicaSets(store);
    expect(rs?.metadata.annotations?.['kubernetes.io/change-cause']).toBe('first release');
    expect(rs?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    const hash = rs?.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[a-z0-9]{10}$/);
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });
    const pods = store.list('pods', 'default').items;
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === hash)).toBe(true);
    const d = store.get('deployments.apps', 'default', 'web');
    expect(d?.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    expect(d?.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
        expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }),
      ]),
    );
    const events = store.list('events', 'default').items.map((e) => `${String(e.reason)}: ${String(e.message)}`);
    expect(events).toContain(`ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 3`);
    expect(events.filter((e) => e.startsWith('SuccessfulCreate: Created pod: web-'))).toHaveLength(3);
  });

  test('rolls out a new template without dropping below the available minimum, and reuses the revision on rollback', async () => {
    const { store } = setup();
    store.create(
      'deployments.apps',
      deployment('web', 4, 'busybox', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await waitFor('first rollout', () => rolledOut(store, 'web'));
    let minReady = 4;
    const unwatch = store.watch('pods', 'default', undefined, () => {
      const ready = store
        .list('pods', 'default')
        .items.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running').length;
      minReady = Math.min(minReady, ready);
    });
    stops.push(unwatch);
    setImage(store, 'web', 'busybox:1.36');
    await waitFor(
      'second rollout',
      () => rolledOut(store, 'web') && store.get('deployments.apps', 'default', 'web')?.status.observedGeneration === 2,
    );
    await waitFor('old pods gone', () => store.list('pods', 'default').items.length === 4);
    expect(minReady).toBeGreaterThanOrEqual(4);
    const revisions = Object.fromEntries(
      replicaSets(store).map((rs) => [
        rs.spec.template.spec.containers[0].image,
        rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
      ]),
    );
    expect(revisions).toEqual({ busybox: '1', 'busybox:1.36': '2' });
    expect(
      replicaSets(store).find((rs) => rs.spec.template.spec.containers[0].image === 'busybox')?.spec.replicas,
    ).toBe(0);
    // As `kubectl rollout undo` does: the old ReplicaSet's template, with Go's `creationTimestamp: null`.
    const undo = store.get('deployments.apps', 'default', 'web') as KubeObject;
    const first = replicaSets(store).find(
      (rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1',
    );
    undo.spec.template = structuredClone(first?.spec.template);
    delete undo.spec.template.metadata.labels['pod-template-hash'];
    undo.spec.template.metadata.creationTimestamp = null;
    delete undo.metadata.resourceVersion;
    store.update('deployments.apps', undo);
    await waitFor(
      'rollback',
      () => rolledOut(store, 'web') && store.get('deployments.apps', 'default', 'web')?.status.observedGeneration === 3,
    );
    const after = Object.fromEntries(
      replicaSets(store).map((rs) => [
        rs.spec.template.spec.containers[0].image,
        rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
      ]),
    );
    expect(after).toEqual({ busybox: '3', 'busybox:1.36': '2' });
    expect(replicaSets(store)).toHaveLength(2);
    expect(
      store.get('deployments.apps', 'default', 'web')?.metadata.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('3');
  });

  test('Recreate removes every old pod before creating new ones', async () => {
    const { store } = setup();
    store.create('deployments.apps', deployment('db', 2, 'busybox', { strategy: { type: 'Recreate' } }));
    await waitFor('rollout', () => rolledOut(store, 'db'));
    let mixed = false;
    stops.push(
      store.watch('pods', 'default', undefined, () => {
        const images = new Set(store.list('pods', 'default').items.map((p) => p.spec.containers[0].image as string));
        if (images.size > 1) mixed = true;
      }),
    );
    setImage(store, 'db', 'alpine');
    await waitFor(
      'recreated',
      () =>
        rolledOut(store, 'db') &&
        store.list('pods', 'default').items.every((p) => p.spec.containers[0].image === 'alpine'),
    );
    expect(mixed).toBe(false);
  });

  test('pods that never become ready leave the rollout progressing, then past its deadline', async () => {
    const { store, kubelet } = setup();
    kubelet.ready = () => false;
    store.create('deployments.apps', deployment('slow', 1, 'busybox', { progressDeadlineSeconds: 1 }));
    await waitFor(
      'deadline exceeded',
      () => {
        const c = (store.get('deployments.apps', 'default', 'slow')?.status?.conditions ?? []) as {
          type: string;
          reason: string;
          status: string;
        }[];
        return c.find(
          (x) => x.type === 'Progressing' && x.reason === 'ProgressDeadlineExceeded' && x.status === 'False',
        );
      },
      10_000,
    );
    const status = store.get('deployments.apps', 'default', 'slow')?.status;
    expect(status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 0, unavailableReplicas: 1 });
    expect(status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Available', status: 'False' })]),
    );
  });

  test('a paused deployment does not roll out a changed template until resumed', async () => {
    const { store } = setup();
    store.create('deployments.apps', deployment('p', 1, 'busybox'));
    await waitFor('rollout', () => rolledOut(store, 'p'));
    const d = store.get('deployments.apps', 'default', 'p') as KubeObject;
    d.spec.paused = true;
    d.spec.template.spec.containers[0].image = 'alpine';
    delete d.metadata.resourceVersion;
    store.update('deployments.apps', d);
    await waitFor('observed', () => store.get('deployments.apps', 'default', 'p')?.status.observedGeneration === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(replicaSets(store)).toHaveLength(1);
    const resumed = store.get('deployments.apps', 'default', 'p') as KubeObject;
    resumed.spec.paused = false;
    delete resumed.metadata.resourceVersion;
    store.update('deployments.apps', resumed);
    await waitFor('new RS', () => replicaSets(store).length === 2 && rolledOut(store, 'p'));
  });
});

/**
 * The sandbox API server driven by @kubernetes/client-node 2.x: typed CRUD, optimistic concurrency, the three
 * patch types, scale, Watch with resume, and KubernetesObjectApi (which discovers resources first).
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
let config: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  config = new k8s.KubeConfig();
  config.loadFromFile(sandbox.kubeconfig);
  core = config.makeApiClient(k8s.CoreV1Api);
  apps = config.makeApiClient(k8s.AppsV1Api);
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

async function apiError(
  promise: Promise<unknown>,
): Promise<{ code: number; body: { reason?: string; message?: string } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof k8s.ApiException) {
      const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as { reason?: string };
      return { code: error.code, body };
    }
    throw error;
  }
  throw new Error('expected the request to fail');
}

/** These flows exercise the API only; an image that is never pulled keeps pod processes out of them. */
const API_ONLY_IMAGE = 'registry.invalid/api-only:1';

function deployment(name: string): k8s.V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'main', image: API_ONLY_IMAGE, command: ['sleep', '3600'], env: [{ name: 'A', value: '1' }] },
          ],
        },
      },
    },
  };
}

describe('@kubernetes/client-node against the sandbox', () => {
  it('creates, reads, lists, replaces and deletes ConfigMaps', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'typed', labels: { suite: 'client' } }, data: { a: '1' } },
    });
    expect(created.apiVersion).toBe('v1');
    expect(created.kind).toBe('ConfigMap');
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.managedFields?.[0]?.operation).toBe('Update');

    const read = await core.readNamespacedConfigMap({ name: 'typed', namespace: 'default' });
    expect(read.data).toEqual({ a: '1' });
    const listed = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'suite=client' });
    expect(listed.items.map((cm) => cm.metadata?.name)).toEqual(['typed']);
    expect(Number(listed.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata?.resourceVersion));

    const replaced = await core.replaceNamespacedConfigMap({
      name: 'typed',
      namespace: 'default',
      body: { ...read, data: { a: '2' } },
    });
    expect(replaced.data).toEqual({ a: '2' });
    const stale = await apiError(
      core.replaceNamespacedConfigMap({ name: 'typed', namespace: 'default', body: { ...read, data: { a: '3' } } }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    const duplicate = await apiError(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed' } } }),
    );
    expect(duplicate.code).toBe(409);
    expect(duplicate.body.reason).toBe('AlreadyExists');

    await core.deleteNamespacedConfigMap({ name: 'typed', namespace: 'default' });
    const gone = await apiError(core.readNamespacedConfigMap({ name: 'typed', namespace: 'default' }));
    expect(gone.code).toBe(404);
    expect(gone.body.message).toBe('configmaps "typed" not found');
  });

  it('patches with JSON patch by default and with strategic merge and merge patches on request', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('patched') });
    const jsonPatched = await apps.patchNamespacedDeployment({
      name: 'patched',
      namespace: 'default',
      body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
    });
    expect(jsonPatched.spec?.replicas).toBe(2);

    const smp = await apps.patchNamespacedDeployment(
      {
        name: 'patched',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '2' }] }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    // A real server puts the item only the patch has first (test/conformance compares it with one).
    expect(smp.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ]);
    expect(smp.metadata?.generation).toBe(3);

    const merged = await apps.patchNamespacedDeployment(
      { name: 'patched', namespace: 'default', body: { metadata: { labels: { extra: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ app: 'patched', extra: 'yes' });
    expect(merged.metadata?.generation).toBe(3);

    const scale = await apps.readNamespacedDeploymentScale({ name: 'patched', namespace: 'default' });
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 } });
    const scaled = await apps.replaceNamespacedDeploymentScale({
      name: 'patched',
      namespace: 'default',
      // Without a resourceVersion the write is unconditional: the controller updates the status meanwhile.
      body: { ...scale, metadata: { ...scale.metadata, resourceVersion: undefined }, spec: { replicas: 0 } },
    });
    // Zero replicas are left out of the Scale's spec, as a real server writes it.
    expect(scaled.spec).toEqual({});
    expect((await apps.readNamespacedDeployment({ name: 'patched', namespace: 'default' })).spec?.replicas).toBe(0);
    await apps.deleteNamespacedDeployment({ name: 'patched', namespace: 'default' });
  });

  it('watches changes and resumes from a resourceVersion', async () => {
    const watch = new k8s.Watch(config);
    const seen: string[] = [];
    let resolveDeleted: () => void = () => undefined;
    const deleted = new Promise<void>((resolve) => (resolveDeleted = resolve));
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { labelSelector: 'suite=watch' },
      (type: string, object: k8s.V1ConfigMap) => {
        seen.push(`${type} ${object.metadata?.name ?? ''}`);
        if (type === 'DELETED') resolveDeleted();
      },
      () => undefined,
    );
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'watched', labels: { suite: 'watch' } }, data: { v: '1' } },
    });
    await core.patchNamespacedConfigMap({
      name: 'watched',
      namespace: 'default',
      body: [{ op: 'add', path: '/data/w', value: '2' }],
    });
    await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'default' });
    await deleted;
    controller.abort();
    expect(seen).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);

    const replayed: string[] = [];
    const resumed = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: created.metadata?.resourceVersion, labelSelector: 'suite=watch', timeoutSeconds: 1 },
      (type: string, object: k8s.V1ConfigMap) => replayed.push(`${type} ${object.metadata?.name ?? ''}`),
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    resumed.abort();
    expect(replayed).toEqual(['MODIFIED watched', 'DELETED watched']);

    const replayedAll: string[] = [];
    const fromStart = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: '1', labelSelector: 'suite=watch', timeoutSeconds: 1 },
      (type: string, object: k8s.V1ConfigMap) => replayedAll.push(`${type} ${object.metadata?.name ?? ''}`),
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    fromStart.abort();
    // The history reaches back to the start of this sandbox, so the whole life of the object is replayed.
    expect(replayedAll).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  });

  it('keeps an informer cache in step with the cluster', async () => {
    const informer = k8s.makeInformer(
      config,
      '/api/v1/namespaces/default/configmaps',
      () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'suite=informer' }),
      'suite=informer',
    );
    const seen: string[] = [];
    const waiters: { what: string; resolve: () => void }[] = [];
    const note = (what: string): void => {
      seen.push(what);
      for (const waiter of waiters.filter((w) => w.what === what)) waiter.resolve();
    };
    const next = (what: string): Promise<void> =>
      seen.includes(what) ? Promise.resolve() : new Promise((resolve) => waiters.push({ what, resolve }));
    informer.on(k8s.ADD, (cm: k8s.V1ConfigMap) => note(`add ${cm.metadata?.name ?? ''}`));
    informer.on(k8s.UPDATE, (cm: k8s.V1ConfigMap) => note(`update ${cm.data?.v ?? ''}`));
    informer.on(k8s.DELETE, (cm: k8s.V1ConfigMap) => note(`delete ${cm.metadata?.name ?? ''}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'cached', labels: { suite: 'informer' } }, data: { v: '1' } },
      });
      await next('add cached');
      await core.patchNamespacedConfigMap({
        name: 'cached',
        namespace: 'default',
        body: [{ op: 'replace', path: '/data/v', value: '2' }],
      });
      await next('update 2');
      expect(informer.get('cached', 'default')?.data).toEqual({ v: '2' });
      await core.deleteNamespacedConfigMap({ name: 'cached', namespace: 'default' });
      await next('delete cached');
      expect(informer.list('default')).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('manages objects through KubernetesObjectApi', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(config);
    const spec: k8s.KubernetesObject & { spec: unknown } = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: 'default' },
      spec: deployment('generic').spec,
    };
    const created = await objects.create(spec);
    expect(created.metadata?.uid).toBeTruthy();
    const patched = (await objects.patch({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: 'default', labels: { patched: 'true' } },
    })) as k8s.V1Deployment;
    expect(patched.metadata?.labels).toEqual({ patched: 'true' });
    const read = await objects.read<k8s.V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: 'default' },
    });
    expect(read.spec?.template.spec?.containers[0]?.image).toBe(API_ONLY_IMAGE);
    await objects.delete({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: 'default' },
    });
    const gone = await apiError(
      objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: 'default' } }),
    );
    expect(gone.code).toBe(404);
  });
});

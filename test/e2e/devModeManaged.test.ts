/**
 * Workloads managed by someone else: a Deployment deployed by Helm and tracked by Argo CD starts with warnings
 * naming both (in the result and as progress) and a hint to use duplicate mode; a duplicate warns about nothing. A
 * workload whose controller would rewrite it (a Pod of a ReplicaSet, a Deployment an operator controls) is refused
 * with OwnedByController naming that controller, and nothing is changed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, kubectlJson, projectDir, rolledOut, snapshot } from './devModeHelpers.js';

let sandbox: TestSandbox;
let client: DevmodeClient;

const helmDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: storefront
  labels: { app: storefront, app.kubernetes.io/managed-by: Helm }
  annotations:
    meta.helm.sh/release-name: shop
    meta.helm.sh/release-namespace: default
    argocd.argoproj.io/tracking-id: 'shop-apps:apps/Deployment:default/storefront'
spec:
  replicas: 1
  selector: { matchLabels: { app: storefront } }
  template:
    metadata: { labels: { app: storefront } }
    spec:
      containers:
        - name: storefront
          image: devmode/ratings
`;

interface Warning {
  manager: string;
  evidence: string[];
  message: string;
  hint: string;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
  await apply(sandbox, 'deployment.yaml');
  // Created the way Helm creates it: its field manager is `helm`.
  const created = await sandbox.kubectl(['create', '--field-manager=helm', '-f', '-'], { input: helmDeployment });
  if (created.code !== 0) throw new Error(`kubectl create failed: ${created.stderr}`);
  await rolledOut(sandbox, 'deployment/storefront');
  await rolledOut(sandbox, 'deployment/ratings');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

const storefront = { namespace: 'default', kind: 'Deployment', name: 'storefront' };

function progressOf(token: string): string[] {
  return client.notifications
    .filter((n) => n.method === '$/progress' && n.params.token === token)
    .map((n) => String((n.params.value as { message?: string }).message ?? ''));
}

describe('a workload managed by Helm and Argo CD', () => {
  test('the sandbox keeps the manager and the annotations as given', async () => {
    const object = await kubectlJson<{ metadata: { managedFields: { manager: string }[] } }>(sandbox, [
      'get',
      'deployment',
      'storefront',
      '--show-managed-fields',
    ]);
    expect(object.metadata.managedFields.map((entry) => entry.manager)).toContain('helm');
  });

  test('starts with a warning naming each manager and offering duplicate mode, then stops exactly', async () => {
    const before = await snapshot(sandbox, 'deployment', 'storefront');
    const started = await client.request<{ sessionId: string; warnings?: Warning[] }>('devMode/start', {
      target: storefront,
      localDir: projectDir('image: devmode/dev\n'),
      workDoneToken: 'managed-1',
    });
    expect(started.warnings).toEqual([
      {
        manager: 'Helm release shop',
        evidence: [
          'annotation meta.helm.sh/release-name=shop',
          'label app.kubernetes.io/managed-by=Helm',
          'managedFields manager helm',
        ],
        message:
          'Deployment storefront is managed by Helm release shop, which may undo DevMode when it syncs or upgrades it',
        hint: 'Use mode "duplicate" to develop in a copy and leave the original untouched, or pause Helm release shop while in DevMode.',
      },
      {
        manager: 'Argo CD application shop-apps',
        evidence: ['annotation argocd.argoproj.io/tracking-id=shop-apps:apps/Deployment:default/storefront'],
        message:
          'Deployment storefront is managed by Argo CD application shop-apps, which may undo DevMode when it syncs or upgrades it',
        hint: 'Use mode "duplicate" to develop in a copy and leave the original untouched, or pause Argo CD application shop-apps while in DevMode.',
      },
    ]);
    expect(progressOf('managed-1')).toEqual(
      expect.arrayContaining([
        'Deployment storefront is managed by Helm release shop, which may undo DevMode when it syncs or upgrades it',
        'Deployment storefront is managed by Argo CD application shop-apps, which may undo DevMode when it syncs or upgrades it',
      ]),
    );
    await client.request('devMode/stop', { sessionId: started.sessionId });
    expect(await snapshot(sandbox, 'deployment', 'storefront')).toBe(before);
  }, 120_000);

  test('a duplicate leaves the original untouched, so nothing is warned about', async () => {
    const before = await snapshot(sandbox, 'deployment', 'storefront');
    const started = await client.request<{ sessionId: string; warnings?: Warning[] }>('devMode/start', {
      target: storefront,
      mode: 'duplicate',
      localDir: projectDir('image: devmode/dev\n'),
    });
    expect(started).not.toHaveProperty('warnings');
    await client.request('devMode/stop', { sessionId: started.sessionId });
    expect(await snapshot(sandbox, 'deployment', 'storefront')).toBe(before);
  }, 120_000);

  test('an HPA that scales the workload is named too, as something DevMode pins', async () => {
    const started = await client.request<{ sessionId: string; warnings?: Warning[] }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: projectDir('image: devmode/dev\n'),
    });
    expect(started.warnings?.map((warning) => [warning.manager, warning.message])).toEqual([
      [
        'HorizontalPodAutoscaler ratings',
        'Deployment ratings is scaled by HorizontalPodAutoscaler ratings; DevMode pins it to one replica and gives its bounds back on stop',
      ],
    ]);
    await client.request('devMode/stop', { sessionId: started.sessionId });
  }, 120_000);
});

describe('a workload its controller would rewrite', () => {
  test('a Pod of a ReplicaSet is refused with OwnedByController naming the ReplicaSet; nothing changes', async () => {
    const pods = await kubectlJson<{ items: { metadata: { name: string; ownerReferences: { name: string }[] } }[] }>(
      sandbox,
      ['get', 'pods', '-l', 'app=ratings'],
    );
    const pod = pods.items[0];
    if (pod === undefined) throw new Error('no ratings pod');
    const before = await snapshot(sandbox, 'pod', pod.metadata.name);
    const deploymentBefore = await snapshot(sandbox, 'deployment', 'ratings');
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Pod', name: pod.metadata.name },
      localDir: projectDir('image: devmode/dev\n'),
    });
    const replicaSet = pod.metadata.ownerReferences[0]?.name;
    expect(error.code).toBe(-31019);
    expect(error.message).toBe(
      `Pod ${pod.metadata.name} is controlled by ReplicaSet ${replicaSet} (apps/v1), which would undo DevMode; nothing was changed`,
    );
    expect(error.data).toMatchObject({
      controller: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet },
      hint: `Start DevMode on the workload that owns the pod: ReplicaSet ${replicaSet} (or the Deployment that owns it).`,
    });
    expect(await snapshot(sandbox, 'pod', pod.metadata.name)).toBe(before);
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(deploymentBefore);
  });

  test('a Deployment an operator controls is refused in replace mode, naming the operator resource', async () => {
    // The operator's resource: any object will do as the owner; the garbage collector only needs it to exist.
    const owner = await sandbox.kubectl(['create', 'configmap', 'shop-operator']);
    if (owner.code !== 0) throw new Error(owner.stderr);
    const uid = (await kubectlJson<{ metadata: { uid: string } }>(sandbox, ['get', 'configmap', 'shop-operator']))
      .metadata.uid;
    const owned = helmDeployment
      .replaceAll('storefront', 'operated')
      .replace(/ {2}annotations:\n(?: {4}.*\n)+/, '')
      .replace(
        'metadata:\n  name: operated\n',
        `metadata:\n  name: operated\n  ownerReferences:\n    - {apiVersion: v1, kind: ConfigMap, name: shop-operator, uid: ${uid}, controller: true}\n`,
      )
      .replace(', app.kubernetes.io/managed-by: Helm', '');
    const created = await sandbox.kubectl(['create', '-f', '-'], { input: owned });
    if (created.code !== 0) throw new Error(`kubectl create failed: ${created.stderr}`);
    await rolledOut(sandbox, 'deployment/operated');
    const before = await snapshot(sandbox, 'deployment', 'operated');
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'operated' },
      localDir: projectDir('image: devmode/dev\n'),
    });
    expect(error.code).toBe(-31019);
    expect(error.message).toBe(
      'Deployment operated is controlled by ConfigMap shop-operator (v1), which would undo DevMode; nothing was changed',
    );
    expect(error.data).toMatchObject({
      reason: 'OwnedByController',
      controller: { apiVersion: 'v1', kind: 'ConfigMap', name: 'shop-operator' },
      hint: 'Use mode "duplicate" to develop in a copy that ConfigMap shop-operator does not control, or change ConfigMap shop-operator itself.',
    });
    expect(await snapshot(sandbox, 'deployment', 'operated')).toBe(before);
    const listed = await client.request<{ sessions: unknown[] }>('devMode/list', { namespace: 'default' });
    expect(listed.sessions).toEqual([]);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, kubectlJson, projectDir, snapshot, waitUntil } from './devModeHelpers.js';

let sandbox: TestSandbox;
let client: DevmodeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
  for (const file of [
    'statefulset.yaml',
    'daemonset.yaml',
    'job.yaml',
    'cronjob.yaml',
    'pod.yaml',
    'deployment.yaml',
  ]) {
    await apply(sandbox, file);
  }
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

interface Pod {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { containers: { name: string; image: string }[] };
  status?: { phase?: string };
}

const cases = [
  { kind: 'StatefulSet', name: 'db', resource: 'statefulset' },
  { kind: 'DaemonSet', name: 'agent', resource: 'daemonset' },
  { kind: 'Job', name: 'migrate', resource: 'job' },
  { kind: 'CronJob', name: 'report', resource: 'cronjob' },
  { kind: 'Pod', name: 'scratch', resource: 'pod' },
] as const;

describe.each(cases)('DevMode on a $kind', ({ kind, name, resource }) => {
  test('start runs a dev pod, stop restores the original exactly', async () => {
    if (kind === 'Pod')
      await waitUntil(
        async () =>
          (await sandbox.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running',
      );
    const before = await snapshot(sandbox, resource, name);
    const started = await client.request<{ sessionId: string; pod: string }>('devMode/start', {
      target: { namespace: 'default', kind, name },
      localDir: projectDir('image: devmode/dev\n'),
    });
    const pod = await kubectlJson<Pod>(sandbox, ['get', 'pod', started.pod]);
    expect(pod.status?.phase).toBe('Running');
    expect(pod.spec.containers[0]?.image).toBe('devmode/dev');
    const exec = await sandbox.kubectl(['exec', started.pod, '--', 'sh', '-c', 'echo in-dev-pod; pwd']);
    expect(exec.stdout).toBe('in-dev-pod\n/home/devmode\n');

    // How the original is parked while the dev pod runs.
    const parked = await kubectlJson<{ spec: Record<string, unknown> }>(sandbox, ['get', resource, name]).catch(
      () => undefined,
    );
    if (kind === 'StatefulSet') expect(parked?.spec.replicas).toBe(1);
    if (kind === 'DaemonSet') {
      expect(
        (parked?.spec as { template: { spec: { nodeSelector?: Record<string, string> } } }).template.spec.nodeSelector,
      ).toEqual({
        'devmode.dev/parked': 'true',
      });
    }
    if (kind === 'CronJob') expect(parked?.spec.suspend).toBe(true);
    if (kind === 'Job') expect(parked?.spec.suspend).toBe(true);
    if (kind === 'Pod') expect(parked).toBeUndefined();

    await client.request('devMode/stop', { sessionId: started.sessionId });
    if (kind === 'Pod') await waitUntil(async () => (await sandbox.kubectl(['get', 'pod', name])).code === 0);
    expect(await snapshot(sandbox, resource, name)).toBe(before);
    const leftovers = await sandbox.kubectl(['get', 'deployments', '-l', 'devmode.dev/session', '-o', 'name']);
    expect(leftovers.stdout).toBe('');
  });
});

describe('duplicate mode', () => {
  test('a copy with its own selector runs while the original keeps serving; stop deletes the copy only', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const started = await client.request<{ sessionId: string; pod: string }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: projectDir('image: devmode/dev\n'),
      mode: 'duplicate',
    });
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
    const pod = await kubectlJson<Pod>(sandbox, ['get', 'pod', started.pod]);
    // The Service selects app=ratings; the duplicate's pods must not carry it.
    expect(pod.metadata.labels?.app).toBeUndefined();
    expect(pod.metadata.labels?.['devmode.dev/session']).toBe(started.sessionId);
    await client.request('devMode/stop', { sessionId: started.sessionId });
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
    await waitUntil(
      async () =>
        (await sandbox.kubectl(['get', 'pods', '-l', `devmode.dev/session=${started.sessionId}`, '-o', 'name']))
          .stdout === '',
    );
  });
});

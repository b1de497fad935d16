/**
 * Crash safety: the server is killed with SIGKILL at every step of start and stop (through DEVMODE_FAILPOINT), and a
 * fresh server's devMode/reset must bring every original back exactly, also when several containers of the pod are
 * in DevMode. Cancelling a start must roll it back too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, rolledOut, snapshot, waitUntil } from './devModeHelpers.js';

let sandbox: TestSandbox;
let client: DevmodeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
  await apply(sandbox, 'deployment.yaml');
  await apply(sandbox, 'daemonset.yaml');
  await apply(sandbox, 'pod.yaml');
  await apply(sandbox, 'two-containers.yaml');
  await rolledOut(sandbox, 'deployment/ratings');
  await rolledOut(sandbox, 'deployment/shop');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

/** A workload kind, or `Containers`: the Deployment `shop` with two of its three containers in DevMode. */
type Kind = 'Deployment' | 'DaemonSet' | 'Pod' | 'Containers';
const resources: Record<Kind, { resource: string; name: string; kind: string; extra?: [string, string] }> = {
  Deployment: { resource: 'deployment', name: 'ratings', kind: 'Deployment', extra: ['hpa', 'ratings'] },
  DaemonSet: { resource: 'daemonset', name: 'agent', kind: 'DaemonSet' },
  Pod: { resource: 'pod', name: 'scratch', kind: 'Pod' },
  Containers: { resource: 'deployment', name: 'shop', kind: 'Deployment' },
};

function targetOf(kind: Kind) {
  return { namespace: 'default', kind: resources[kind].kind, name: resources[kind].name };
}

/** The local folder of a start: the dev image for the target; for `Containers` the worker too, with its folder. */
function projectFor(kind: Kind): string {
  if (kind !== 'Containers') return projectDir('image: devmode/dev\n');
  const dir = projectDir(
    'image: devmode/dev\nsync: {ignore: [worker]}\ncontainers:\n  worker:\n    dev: true\n    image: devmode/dev\n' +
      '    workDir: /srv/worker\n    sync: {localPath: worker}\n',
  );
  mkdirSync(join(dir, 'worker'));
  writeFileSync(join(dir, 'worker', 'job.txt'), 'job\n');
  return dir;
}

async function originals(kind: Kind): Promise<string[]> {
  const { resource, name, extra } = resources[kind];
  if (kind === 'Pod')
    await waitUntil(
      async () => (await sandbox.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running',
    );
  return [
    await snapshot(sandbox, resource, name),
    ...(extra !== undefined ? [await snapshot(sandbox, extra[0], extra[1])] : []),
  ];
}

/** Runs one request in a server that dies at the failpoint, and checks that it did die there. */
async function crashAt(failpoint: string, method: string, params: unknown): Promise<void> {
  const doomed = await startClient({ ...sandbox.env, DEVMODE_FAILPOINT: failpoint });
  const outcome = doomed.server.connection.sendRequest(method, params).then(
    (result) => `answered ${JSON.stringify(result)}`,
    (error: Error) => `failed: ${error.message}`,
  );
  // A request that is answered means the failpoint was never reached: say why instead of waiting for a kill.
  const first = await Promise.race([doomed.server.exited.then(() => 'exited'), outcome]);
  if (first !== 'exited') {
    doomed.server.child.kill('SIGKILL');
    throw new Error(`${method} never reached ${failpoint}: ${first}\n${doomed.server.stderr()}`);
  }
  expect(doomed.server.child.signalCode).toBe('SIGKILL');
  // The connection only gives up on its pending request once it is disposed.
  doomed.server.connection.dispose();
  expect(await outcome).toMatch(/^failed/);
}

async function resetAndCompare(kind: Kind, before: string[]): Promise<void> {
  const target = targetOf(kind);
  await client.request('devMode/reset', { target });
  if (kind === 'Pod') await waitUntil(async () => (await sandbox.kubectl(['get', 'pod', 'scratch'])).code === 0);
  expect(await originals(kind)).toEqual(before);
  const leftovers = await sandbox.kubectl(['get', 'deployments', '-l', 'devmode.dev/session', '-o', 'name']);
  expect(leftovers.stdout).toBe('');
}

const startPoints: [Kind, string][] = [
  ['Deployment', 'start:afterRecord'],
  ['Deployment', 'start:afterHpa'],
  ['Deployment', 'start:afterApply'],
  ['Deployment', 'start:afterPodReady'],
  ['DaemonSet', 'start:afterRecord'],
  ['DaemonSet', 'start:afterPark'],
  ['DaemonSet', 'start:afterApply'],
  ['Pod', 'start:afterRecord'],
  ['Pod', 'start:afterApply'],
  ['Pod', 'start:afterPodReady'],
  ['Containers', 'start:afterRecord'],
  ['Containers', 'start:afterApply'],
  ['Containers', 'start:afterPodReady'],
];

describe('SIGKILL during devMode/start, then devMode/reset', () => {
  test.each(startPoints)(
    '%s killed at %s is restored exactly',
    async (kind, failpoint) => {
      const before = await originals(kind);
      const target = targetOf(kind);
      await crashAt(failpoint, 'devMode/start', { target, localDir: projectFor(kind) });
      await resetAndCompare(kind, before);
    },
    150_000,
  );
});

const stopPoints: [Kind, string][] = [
  ['Deployment', 'stop:afterRestore'],
  ['Deployment', 'stop:afterHpa'],
  ['DaemonSet', 'stop:afterRestore'],
  ['DaemonSet', 'stop:afterCleanup'],
  ['Pod', 'stop:afterRestore'],
  ['Containers', 'stop:afterRestore'],
];

describe('SIGKILL during devMode/stop, then devMode/reset', () => {
  test.each(stopPoints)(
    '%s killed at %s is restored exactly',
    async (kind, failpoint) => {
      const before = await originals(kind);
      const target = targetOf(kind);
      await client.request('devMode/start', { target, localDir: projectFor(kind) });
      // The doomed server did not start the session: it takes it over from the live one.
      await crashAt(failpoint, 'devMode/stop', { target, takeOver: true });
      // The killed stop may have finished restoring before it died; reset then has nothing left to do.
      const reset = await client.requestError('devMode/reset', { target }).catch(() => undefined);
      if (reset !== undefined) expect(reset.code).toBe(-31012);
      if (kind === 'Pod') await waitUntil(async () => (await sandbox.kubectl(['get', 'pod', 'scratch'])).code === 0);
      expect(await originals(kind)).toEqual(before);
    },
    150_000,
  );
});

describe('SIGKILL during a restart on sync, then devMode/reset', () => {
  test('Deployment killed while a saved file restarts the dev command is restored exactly', async () => {
    const before = await originals('Deployment');
    const target = { namespace: 'default', kind: 'Deployment', name: 'ratings' };
    const dir = projectDir('image: devmode/dev\nonSync: {match: "*.txt", restart: true}\n');
    const doomed = await startClient({ ...sandbox.env, DEVMODE_FAILPOINT: 'onSync:duringRestart' });
    const started = await doomed.request<{ sessionId: string }>('devMode/start', { target, localDir: dir });
    // A save lands as a batch, whose restart run is where the server dies.
    writeFileSync(join(dir, 'notes.txt'), 'saved\n');
    const exited = await Promise.race([
      doomed.server.exited.then(() => 'exited'),
      new Promise((resolve) => setTimeout(resolve, 60_000, 'still running')),
    ]);
    if (exited !== 'exited') {
      const status = await doomed.request('sync/status', { sessionId: started.sessionId }).catch(String);
      doomed.server.child.kill('SIGKILL');
      throw new Error(`the restart on sync never reached its failpoint: ${JSON.stringify(status)}`);
    }
    expect(doomed.server.child.signalCode).toBe('SIGKILL');
    doomed.server.connection.dispose();
    await client.request('devMode/reset', { target });
    expect(await originals('Deployment')).toEqual(before);
    const leftovers = await sandbox.kubectl(['get', 'pods', '-l', 'devmode.dev/session', '-o', 'name']);
    expect(leftovers.stdout).toBe('');
  }, 150_000);
});

describe('$/cancelRequest during devMode/start', () => {
  test('rolls the workload back and answers RequestCancelled', async () => {
    const before = await originals('Deployment');
    const cancel = new CancellationTokenSource();
    const pending = client.server.connection.sendRequest(
      'devMode/start',
      {
        target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
        localDir: projectDir('image: devmode/dev\n'),
        workDoneToken: 'cancel-me',
      },
      cancel.token,
    );
    await client.waitForNotification(
      (n) =>
        n.method === '$/progress' &&
        n.params.token === 'cancel-me' &&
        (n.params.value as { phase?: string }).phase === 'restartPod',
    );
    cancel.cancel();
    await expect(pending).rejects.toMatchObject({ code: -32800 });
    await waitUntil(async () => (await originals('Deployment')).join() === before.join(), 60_000, 'the rollback');
  }, 150_000);
});

/**
 * A workload whose own pods cannot run (its image cannot be pulled): DevMode runs on it, and stop and reset restore
 * it exactly, then answer at once that its pods are not ready and why, instead of waiting two minutes for pods that
 * cannot become ready and answering as if they were.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { devmodeCommand } from '../helpers/rawServer.js';
import { run, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { projectDir, snapshot, waitUntil } from './devModeHelpers.js';

let sandbox: TestSandbox;
let client: DevmodeClient;

const broken = { namespace: 'default', kind: 'Deployment', name: 'broken' };
const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, labels: {app: broken}}
spec:
  replicas: 1
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec:
      containers:
      - {name: broken, image: "registry.invalid/broken:1"}
`;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const file = join(projectDir(), 'broken.yaml');
  writeFileSync(file, manifest);
  expect((await sandbox.kubectl(['apply', '-f', file])).code).toBe(0);
  await inImagePullBackOff();
  client = await startClient(sandbox.env);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

async function inImagePullBackOff(): Promise<void> {
  await waitUntil(
    async () =>
      (
        await sandbox.kubectl([
          'get',
          'pods',
          '-l',
          'app=broken',
          '-o',
          'jsonpath={.items[*].status.containerStatuses[*].state.waiting.reason}',
        ])
      ).stdout === 'ImagePullBackOff',
    60_000,
    "the broken Deployment's pod to be in ImagePullBackOff",
  );
}

async function startDevMode(): Promise<string> {
  const started = await client.request<{ sessionId: string }>('devMode/start', {
    target: broken,
    localDir: projectDir('image: devmode/dev\n'),
  });
  return started.sessionId;
}

const notReady = /^pod broken-[a-z0-9-]+: container broken is in ImagePullBackOff/;

describe('restoring a workload whose pods cannot run', () => {
  test('devMode/stop restores it exactly and says why its pods are not ready', async () => {
    const before = await snapshot(sandbox, 'deployment', 'broken');
    const sessionId = await startDevMode();
    const stopped = await client.request<{ target: unknown; podsNotReady?: string }>('devMode/stop', {
      sessionId,
      workDoneToken: 'stop-broken',
    });
    expect(stopped.podsNotReady).toMatch(notReady);
    expect(stopped.podsNotReady).toContain('registry.invalid/broken:1');
    expect(await snapshot(sandbox, 'deployment', 'broken')).toBe(before);
    const end = client.notifications.find(
      (n) =>
        n.method === '$/progress' &&
        n.params.token === 'stop-broken' &&
        (n.params.value as { kind: string }).kind === 'end',
    );
    expect((end?.params.value as { message?: string } | undefined)?.message).toMatch(
      /^Workload restored, pods not ready: pod broken-/,
    );
  }, 150_000);

  test('devmode reset on the command line prints it', async () => {
    await inImagePullBackOff();
    const before = await snapshot(sandbox, 'deployment', 'broken');
    await startDevMode();
    const cli = devmodeCommand();
    const reset = await run(cli.command, [...cli.args, 'reset', 'deploy/broken'], {
      env: sandbox.env,
      timeoutMs: 120_000,
    });
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(
      /Deployment broken reset, pods not ready: pod broken-[a-z0-9-]+: container broken is in ImagePullBackOff/,
    );
    expect(await snapshot(sandbox, 'deployment', 'broken')).toBe(before);
  }, 150_000);
});

/**
 * Run on sync through the real server over stdio, against the sandbox: a command run after a batch lands with its
 * output on an onSync log stream, the dev command restarted in the same pod, batches coalesced into one more run,
 * rules per pattern, and failures reported by name.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, rolledOut } from './devModeHelpers.js';
import { applyManifest, httpGet, ratingsDeployment, waitForReadyPod, waitUntil } from './streamFixtures.js';

const MissingTool = -31015;
const UnknownId = -31021;
const DevConfigInvalid = -31010;

let sandbox: TestSandbox;
let client: DevmodeClient;

interface OnSyncRun {
  rule: number;
  action: 'exec' | 'restart';
  run: number;
  state: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  durationMs?: number;
  exitCode?: number;
  pending: boolean;
  error?: { code: number; codeName: string; message: string; hint?: string };
}

interface Started {
  sessionId: string;
  pod: string;
  portForwards: { localPort: number; remotePort: number }[];
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

function write(dir: string, rel: string, content: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), content);
}

/** Deploys a workload named `name` and puts it into DevMode with the dev image and `config`. */
async function start(name: string, config: Record<string, unknown>, files: Record<string, string> = {}) {
  await applyManifest(sandbox, ratingsDeployment(name));
  await waitForReadyPod(sandbox, `app=${name}`);
  const dir = projectDir();
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content);
  const started = await client.request<Started>('devMode/start', {
    target: { namespace: 'default', kind: 'Deployment', name },
    localDir: dir,
    config: { image: 'devmode/dev', ...config },
  });
  return { ...started, dir };
}

async function status(sessionId: string): Promise<{ onSyncRuns?: OnSyncRun[] }> {
  return client.request('sync/status', { sessionId });
}

/** Waits until the latest run of `rule` is run number `run` and has ended. */
async function ranTo(sessionId: string, rule: number, run: number, timeoutMs = 90_000): Promise<OnSyncRun> {
  let latest: OnSyncRun | undefined;
  return waitUntil(
    async () => {
      latest = (await status(sessionId)).onSyncRuns?.find((candidate) => candidate.rule === rule);
      return latest !== undefined && latest.run === run && latest.state !== 'running' ? latest : undefined;
    },
    timeoutMs,
    () => `run ${run} of onSync rule ${rule} to end (latest: ${JSON.stringify(latest)})`,
  );
}

/**
 * Saves a file the way many editors do (written beside the folder, then renamed into place) and waits until the sync
 * has sent it: a save is one change, so each save lands as one batch. (A file written in place can land twice, empty
 * and then whole, and a rule would rightly run once more.)
 */
async function saveAndFlush(sessionId: string, dir: string, rel: string, content: string): Promise<void> {
  const staged = `${dir}.save`;
  writeFileSync(staged, content);
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  renameSync(staged, join(dir, rel));
  await client.request('sync/flush', { sessionId, timeoutMs: 60_000 });
}

function onSyncLines(streamId: string): { text: string; onSync?: { rule: number; run: number }; pod: string }[] {
  return client.notifications
    .filter((n) => n.method === 'logs/didAppend' && n.params.streamId === streamId)
    .flatMap((n) => n.params.lines as { text: string; onSync?: { rule: number; run: number }; pod: string }[]);
}

async function stop(sessionId: string): Promise<void> {
  await client.request('devMode/stop', { sessionId });
}

describe('onSync exec', () => {
  it('runs the command in workDir after a batch lands, streams its output and reports the result', async () => {
    const session = await start('onsync-exec', {
      onSync: { exec: ['sh', '-c', 'echo "built $(cat version.txt) in $(pwd)"'] },
    });
    // A followed stream opened before the run sees its lines as they come.
    const followed = await client.request<{ streamId: string }>('logs/open', {
      target: { sessionId: session.sessionId, source: 'onSync' },
      follow: true,
    });
    await saveAndFlush(session.sessionId, session.dir, 'version.txt', 'v2\n');
    const run = await ranTo(session.sessionId, 0, 1);
    expect(run).toMatchObject({ action: 'exec', state: 'succeeded', exitCode: 0, pending: false });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    // The run's state changes reach the client as sync/didChangeState notifications too.
    await client.waitForNotification(
      (n) =>
        n.method === 'sync/didChangeState' &&
        n.params.sessionId === session.sessionId &&
        (n.params.onSyncRuns as OnSyncRun[] | undefined)?.[0]?.state === 'succeeded',
    );

    await waitUntil(
      () =>
        Promise.resolve(
          onSyncLines(followed.streamId).some((line) => line.text.startsWith('devmode: command exited'))
            ? true
            : undefined,
        ),
      30_000,
      'the end of the run on the followed stream',
    );
    const lines = onSyncLines(followed.streamId);
    expect(lines.map((line) => line.text)).toContain('built v2 in /home/devmode');
    expect(lines.every((line) => line.onSync?.rule === 0 && line.onSync.run === 1 && line.pod === session.pod)).toBe(
      true,
    );

    // A stream opened afterwards gets the kept output, then ends.
    const later = await client.request<{ streamId: string; pods: string[] }>('logs/open', {
      target: { sessionId: session.sessionId, source: 'onSync' },
    });
    expect(later.pods).toEqual([session.pod]);
    await client.waitForNotification((n) => n.method === 'logs/didEnd' && n.params.streamId === later.streamId);
    expect(onSyncLines(later.streamId).map((line) => line.text)).toContain('built v2 in /home/devmode');

    await stop(session.sessionId);
    // The session's end ends the followed stream.
    const ended = await client.waitForNotification(
      (n) => n.method === 'logs/didEnd' && n.params.streamId === followed.streamId,
    );
    expect(ended.params.reason).toBe('completed');
  }, 300_000);

  it('coalesces the batches that land during a run into exactly one more run', async () => {
    // Each run counts itself in the container, then waits until a file named `release` has been synced.
    const session = await start('onsync-coalesce', {
      onSync: {
        exec: [
          'sh',
          '-c',
          'echo $(( $(cat .runs 2>/dev/null || echo 0) + 1 )) > .runs; while [ ! -f release ]; do sleep 0.1; done',
        ],
      },
    });
    await saveAndFlush(session.sessionId, session.dir, 'a.txt', 'a');
    await waitUntil(
      async () => ((await status(session.sessionId)).onSyncRuns?.[0]?.state === 'running' ? true : undefined),
      60_000,
      'the first run to start',
    );
    for (const name of ['b.txt', 'c.txt', 'd.txt']) await saveAndFlush(session.sessionId, session.dir, name, name);
    const during = (await status(session.sessionId)).onSyncRuns?.[0];
    expect(during).toMatchObject({ run: 1, state: 'running', pending: true });

    await saveAndFlush(session.sessionId, session.dir, 'release', 'go');
    const second = await ranTo(session.sessionId, 0, 2);
    expect(second).toMatchObject({ state: 'succeeded', exitCode: 0, pending: false });
    const counted = await sandbox.kubectl(['exec', session.pod, '--', 'cat', '/home/devmode/.runs']);
    expect(counted.stdout.trim()).toBe('2');
    expect((await status(session.sessionId)).onSyncRuns?.[0]?.run).toBe(2);
    await stop(session.sessionId);
  }, 300_000);

  it('runs only the rules whose patterns match, and reports exit codes and missing programs by name', async () => {
    const session = await start('onsync-rules', {
      onSync: [
        { match: '*.go', exec: ['sh', '-c', 'echo go rule'] },
        { match: ['web/**'], exec: ['sh', '-c', 'echo web rule; exit 3'] },
        { match: 'tools/*', exec: ['no-such-build-tool', '--all'] },
      ],
    });
    await saveAndFlush(session.sessionId, session.dir, 'web/index.html', '<h1>hi</h1>');
    expect(await ranTo(session.sessionId, 1, 1)).toMatchObject({ state: 'failed', exitCode: 3 });
    expect((await status(session.sessionId)).onSyncRuns?.map((run) => run.rule)).toEqual([1]);

    await saveAndFlush(session.sessionId, session.dir, 'cmd/main.go', 'package main\n');
    expect(await ranTo(session.sessionId, 0, 1)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect((await status(session.sessionId)).onSyncRuns?.find((run) => run.rule === 1)?.run).toBe(1);

    await saveAndFlush(session.sessionId, session.dir, 'tools/gen.txt', 'x');
    const missing = await ranTo(session.sessionId, 2, 1);
    expect(missing).toMatchObject({ state: 'failed', error: { code: MissingTool, codeName: 'MissingTool' } });
    expect(missing.error?.message).toContain('no-such-build-tool');
    await stop(session.sessionId);
  }, 300_000);

  it('refuses a rule with two actions at start, and an onSync stream of an unknown session', async () => {
    await applyManifest(sandbox, ratingsDeployment('onsync-bad'));
    const refused = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'onsync-bad' },
      localDir: projectDir(),
      config: { onSync: [{ exec: ['make'], restart: true }] },
    });
    expect(refused).toMatchObject({ code: DevConfigInvalid, data: { field: 'onSync[0]' } });
    const unknown = await client.requestError('logs/open', { target: { sessionId: 'nope', source: 'onSync' } });
    expect(unknown).toMatchObject({ code: UnknownId, data: { field: 'target.sessionId' } });
  }, 120_000);
});

describe('onSync per container', () => {
  it("runs each container's rules after its own sync, reported and streamed per container", async () => {
    await apply(sandbox, 'two-containers.yaml');
    await rolledOut(sandbox, 'deployment/shop');
    const dir = projectDir();
    write(dir, 'worker/job.txt', 'job one\n');
    const started = await client.request<Started>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'shop' },
      localDir: dir,
      config: {
        image: 'devmode/dev',
        onSync: { match: '*.html', exec: ['sh', '-c', 'echo web built'] },
        containers: {
          worker: {
            dev: true,
            image: 'devmode/dev',
            workDir: '/srv/worker',
            sync: { localPath: 'worker' },
            onSync: { exec: ['sh', '-c', 'echo "worker built $(cat job.txt) in $(pwd)"'] },
          },
        },
      },
    });
    const workerStatus = async (): Promise<{ onSyncRuns?: OnSyncRun[] }> =>
      client.request('sync/status', { sessionId: started.sessionId, container: 'worker' });
    await saveAndFlush(started.sessionId, dir, 'worker/job.txt', 'job two\n');
    await client.request('sync/flush', { sessionId: started.sessionId, container: 'worker', timeoutMs: 60_000 });
    const run = await waitUntil(
      async () => {
        const latest = (await workerStatus()).onSyncRuns?.[0];
        return latest?.state === 'succeeded' ? latest : undefined;
      },
      90_000,
      "the worker container's run",
    );
    expect(run).toMatchObject({ rule: 0, action: 'exec', run: 1, exitCode: 0 });
    // The target container's rule matches no path of that batch.
    expect((await status(started.sessionId)).onSyncRuns).toEqual([]);

    const stream = await client.request<{ streamId: string }>('logs/open', {
      target: { sessionId: started.sessionId, source: 'onSync', container: 'worker' },
    });
    await client.waitForNotification((n) => n.method === 'logs/didEnd' && n.params.streamId === stream.streamId);
    expect(onSyncLines(stream.streamId).map((line) => line.text)).toContain('worker built job two in /srv/worker');
    await stop(started.sessionId);
  }, 300_000);
});

describe('onSync restart', () => {
  it('restarts the dev command in the same pod after a save, with the synced files in place', async () => {
    const server = (version: string): string =>
      `const version = '${version}';\n` +
      `require('node:http').createServer((_q, r) => r.end(version)).listen(8080, '0.0.0.0');\n`;
    const session = await start(
      'onsync-restart',
      {
        command: ['node', 'server.js'],
        portForward: ['28431:8080'],
        onSync: [{ match: '*.js', restart: true }],
      },
      { 'server.js': server('one') },
    );
    const port = session.portForwards[0]?.localPort as number;
    const uidBefore = await podUid(session.pod);
    // The dev command started before the first sync brought server.js: that sync restarted it (run 1).
    expect(await ranTo(session.sessionId, 0, 1)).toMatchObject({ action: 'restart', state: 'succeeded' });
    expect(await answered(session.sessionId, session.pod, port, 'one')).toBe('one');

    // The server reads its answer once at start: only a restart of the dev command can change it.
    await saveAndFlush(session.sessionId, session.dir, 'server.js', server('two'));
    expect(await ranTo(session.sessionId, 0, 2)).toMatchObject({ action: 'restart', state: 'succeeded', exitCode: 0 });
    expect(await answered(session.sessionId, session.pod, port, 'two')).toBe('two');
    expect(await podUid(session.pod)).toBe(uidBefore);
    const restarts = await sandbox.kubectl([
      'get',
      'pod',
      session.pod,
      '-o',
      'jsonpath={.status.containerStatuses[0].restartCount}',
    ]);
    expect(restarts.stdout).toBe('0');
    await stop(session.sessionId);
  }, 300_000);
});

async function podUid(pod: string): Promise<string> {
  const result = await sandbox.kubectl(['get', 'pod', pod, '-o', 'jsonpath={.metadata.uid}']);
  expect(result.code).toBe(0);
  return result.stdout;
}

/** Waits until the forwarded server answers `expected`; on a timeout the failure shows the dev pod's logs. */
async function answered(sessionId: string, pod: string, port: number, expected: string): Promise<string> {
  try {
    return await waitUntil(async () => ((await answer(port)) === expected ? expected : undefined), 60_000, expected);
  } catch (error) {
    const logs = await sandbox.kubectl(['logs', pod]);
    const runs = JSON.stringify((await status(sessionId)).onSyncRuns);
    throw new Error(
      `${(error as Error).message}; onSync runs ${runs}; the dev pod's logs:\n${logs.stdout}${logs.stderr}`,
    );
  }
}

/** The body the forwarded server answers with, or undefined while it does not answer. */
async function answer(port: number): Promise<string | undefined> {
  try {
    const result = await httpGet(port, '/', 5000);
    return result.status === 200 ? result.body.toString() : undefined;
  } catch {
    return undefined;
  }
}

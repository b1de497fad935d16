/**
 * What the protocol promises, tried against the sandbox as a client sees it: the named error of each failure no
 * other test produces, waiting for a pod that is being replaced, the dev config methods, and what the server says
 * outside any request (window/showMessage, server-created progress and its cancellation).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { devmodeCommand } from '../helpers/rawServer.js';
import { apply, kubectlJson, projectDir, rolledOut, snapshot, waitUntil } from './devModeHelpers.js';

let sandbox: TestSandbox;
let client: DevmodeClient;
/** Tokens the server asked for with window/workDoneProgress/create. */
const created: (string | number)[] = [];
/** When set, the client cancels the next server-created progress before it accepts the token. */
let cancelNextProgress = false;

/** A Deployment whose pod stays in its init container for `initSeconds` (forever when absent). */
function slowStarting(name: string, initSeconds?: number): string {
  const init = initSeconds === undefined ? 'sleep 3600' : `sleep ${initSeconds}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      initContainers:
        - { name: wait, image: busybox, command: ['sh', '-c', '${init}'] }
      containers:
        - { name: main, image: busybox, command: ['sleep', '3600'] }
`;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env, { capabilities: { workDoneProgress: true } });
  client.server.connection.onRequest('window/workDoneProgress/create', (params: { token: string | number }) => {
    created.push(params.token);
    if (cancelNextProgress) {
      cancelNextProgress = false;
      void client.server.connection.sendNotification('window/workDoneProgress/cancel', { token: params.token });
    }
    return null;
  });
  await apply(sandbox, 'deployment.yaml');
  for (const [name, seconds] of [
    ['stuck', undefined],
    ['late', 4],
  ] as const) {
    const applied = await sandbox.kubectl(['apply', '-f', '-'], { input: slowStarting(name, seconds) });
    if (applied.code !== 0) throw new Error(`kubectl apply ${name} failed: ${applied.stderr}`);
  }
  await rolledOut(sandbox, 'deployment/ratings');
}, 180_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

const ratings = { namespace: 'default', kind: 'Deployment', name: 'ratings' };

async function podsOf(app: string): Promise<string[]> {
  const list = await kubectlJson<{ items: { metadata: { name: string; deletionTimestamp?: string } }[] }>(sandbox, [
    'get',
    'pods',
    '-l',
    `app=${app}`,
  ]);
  return list.items.filter((pod) => pod.metadata.deletionTimestamp === undefined).map((pod) => pod.metadata.name);
}

function progressOf(token: string | number): { kind: string; message?: string; cancellable?: boolean }[] {
  return client.notifications
    .filter((n) => n.method === '$/progress' && n.params.token === token)
    .map((n) => n.params.value as { kind: string; message?: string; cancellable?: boolean });
}

describe('named errors from the cluster and the dev pod', () => {
  test('UnsupportedKind: DevMode on a pod that a ReplicaSet owns', async () => {
    const [pod] = await podsOf('ratings');
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Pod', name: pod },
      localDir: projectDir('image: devmode/dev\n'),
    });
    expect(error.code).toBe(-31006);
    expect(error.data?.reason).toBe('PodHasOwner');
  });

  test('PodNotStarted: a dev command that exits at once, and the workload is restored', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const error = await client.requestError('devMode/start', {
      target: ratings,
      localDir: projectDir('image: devmode/dev\ncommand: ["sh", "-c", "echo bye; exit 3"]\n'),
    });
    expect(error.code).toBe(-31013);
    expect(error.data?.hint).toContain('command');
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  }, 120_000);

  test('Timeout: a dev pod that never gets past its init container, with the reason', async () => {
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'stuck' },
      localDir: projectDir('image: busybox\n'),
      timeoutSeconds: 3,
    });
    expect(error.code).toBe(-31017);
    expect(error.message).toContain('did not start within 3 s');
    expect(error.data).toMatchObject({ retryable: true });
  }, 120_000);

  test('NotInDevMode: stopping a workload that is not in DevMode', async () => {
    const error = await client.requestError('devMode/stop', { target: ratings });
    expect(error.code).toBe(-31012);
  });

  test('NUL bytes in image or workDir are DevConfigInvalid naming the field', async () => {
    for (const [field, config] of [
      ['image', { image: 'devmode/dev\u0000--privileged' }],
      ['workDir', { image: 'devmode/dev', workDir: '/home/devmode\u0000/../../etc' }],
    ] as const) {
      const error = await client.requestError('devMode/start', {
        target: ratings,
        localDir: projectDir(),
        config,
      });
      expect(error.code, field).toBe(-31010);
      expect(error.data?.field, field).toBe(field);
    }
  });

  test('MissingTool: a dev image without tar fails devMode/start and leaves the workload as it was', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    // The dev container's PATH holds a shell and mkdir but no tar, as a slim image would.
    const dir = projectDir(
      [
        'image: devmode/dev',
        'env: { PATH: /tmp/notar }',
        'command: ["/bin/sh", "-c", "/bin/mkdir -p /tmp/notar && /bin/ln -sf /bin/sh /tmp/notar/sh && /bin/ln -sf /bin/mkdir /tmp/notar/mkdir && exec /bin/sleep 3600"]',
        '',
      ].join('\n'),
    );
    const error = await client.requestError('devMode/start', { target: ratings, localDir: dir });
    expect(error.code, error.message).toBe(-31015);
    expect(error.data).toMatchObject({ tool: 'tar' });
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  }, 120_000);
});

describe('a workload target waits for a ready pod', () => {
  test('ContainerNotRunning after podRunningTimeoutSeconds, with the reason and progress while waiting', async () => {
    const error = await client.requestError('terminal/open', {
      target: { namespace: 'default', kind: 'Deployment', name: 'stuck' },
      command: ['true'],
      cols: 80,
      rows: 24,
      podRunningTimeoutSeconds: 2,
      workDoneToken: 'wait-stuck',
    });
    expect(error.code).toBe(-31040);
    expect(error.message).toContain('has no ready pod after 2 s');
    expect(String(error.data?.reason)).toMatch(/Init:0\/1|init/i);
    const progress = progressOf('wait-stuck');
    expect(progress[0]).toMatchObject({ kind: 'begin', cancellable: false });
    expect(progress.some((value) => value.message?.includes('Waiting for a ready pod') === true)).toBe(true);
    expect(progress.at(-1)?.kind).toBe('end');
  }, 60_000);

  test('terminal/open and logs/open right after the pod is replaced wait for the new pod instead of failing', async () => {
    await rolledOut(sandbox, 'deployment/late');
    for (const method of ['terminal/open', 'logs/open'] as const) {
      const [old] = await podsOf('late');
      await sandbox.kubectl(['delete', 'pod', old!, '--wait=false']);
      await waitUntil(async () => !(await podsOf('late')).includes(old!), 30_000, 'the old pod to go');
      const target = { namespace: 'default', kind: 'Deployment', name: 'late' };
      if (method === 'terminal/open') {
        const { terminalId } = await client.request<{ terminalId: string }>('terminal/open', {
          target,
          command: ['sh', '-c', 'echo "in $HOSTNAME"'],
          cols: 80,
          rows: 24,
        });
        const exited = await client.waitForNotification(
          (n) => n.method === 'terminal/didExit' && n.params.terminalId === terminalId,
        );
        expect(exited.params.exitCode).toBe(0);
        const output = client.notifications
          .filter((n) => n.method === 'terminal/didOutput' && n.params.terminalId === terminalId)
          .map((n) => String(n.params.data))
          .join('');
        expect(output).toMatch(/in late-/);
      } else {
        const opened = await client.request<{ pods: string[] }>('logs/open', { target });
        expect(opened.pods).toHaveLength(1);
        expect(opened.pods[0]).not.toBe(old);
      }
    }
  }, 120_000);
});

describe('devConfig/get and devConfig/schema', () => {
  test('devConfig/get merges devmode.yaml over the defaults and says where each value came from', async () => {
    const dir = projectDir('image: devmode/dev\nworkDir: /srv/app\n');
    const result = await client.request<{
      container: string;
      config: { image: string; workDir: string; sync: { mode: string } };
      sources: Record<string, { kind: string; file?: string }>;
      file?: string;
    }>('devConfig/get', { target: ratings, localDir: dir });
    expect(result.container).toBe('ratings');
    expect(result.config).toMatchObject({ image: 'devmode/dev', workDir: '/srv/app', sync: { mode: 'send' } });
    expect(result.file).toBe(`${dir}/devmode.yaml`);
    expect(result.sources).toMatchObject({ image: 'file', workDir: 'file' });
    const bad = await client.requestError('devConfig/get', {
      target: ratings,
      localDir: projectDir('workDir: relative\n'),
    });
    expect(bad).toMatchObject({ code: -31010, data: { field: 'workDir', line: 1 } });
  });

  test('devConfig/schema is the JSON Schema that validates devmode.yaml', async () => {
    const { schema } = await client.request<{ schema: { $id: string; properties: Record<string, unknown> } }>(
      'devConfig/schema',
      {},
    );
    expect(schema.$id).toBe('https://devmode.dev/schemas/devmode.yaml.json');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['image', 'workDir', 'sync', 'portForward']));
  });
});

describe('a folder larger than the system lets the watcher watch', () => {
  test('WatchLimitReached: the sync still works by scanning, and says why with the code', async () => {
    // The server runs in a user namespace of its own whose inotify watch limit is 64, far below the folder's
    // 200 directories; the machine's own limit is untouched.
    const base = devmodeCommand();
    const limited = await startClient(
      sandbox.env,
      {},
      {
        command: 'unshare',
        args: [
          '-Ur',
          'sh',
          '-c',
          'echo 64 > /proc/sys/user/max_inotify_watches || { echo "unshare -U with a writable /proc/sys/user is needed (util-linux)" >&2; exit 1; }; exec "$0" "$@"',
          base.command,
          ...base.args,
        ],
      },
    );
    const dir = projectDir('image: devmode/dev\n');
    for (let i = 0; i < 200; i++) mkdirSync(join(dir, `d${i}`));
    const started = await limited.request<{ sessionId: string }>('devMode/start', { target: ratings, localDir: dir });
    try {
      await waitUntil(
        async () => {
          const status = await limited.request<{ state: string; errors: { code?: number; message: string }[] }>(
            'sync/status',
            { sessionId: started.sessionId },
          );
          return status.errors.some((error) => error.code === -31030 && error.message.includes('max_user_watches'));
        },
        60_000,
        'a WatchLimitReached error in sync/status',
      );
      writeFileSync(join(dir, 'd199', 'late.txt'), 'found by a scan');
      await limited.request('sync/flush', { sessionId: started.sessionId, timeoutMs: 30_000 });
    } finally {
      await limited.request('devMode/stop', { sessionId: started.sessionId });
      await limited.close();
    }
  }, 180_000);
});

describe('what the server says outside any request', () => {
  test('UnsafePath, window/showMessage for a lost sync, server-created progress for the resync and its cancellation', async () => {
    const dir = projectDir('image: devmode/dev\nsync: { mode: both }\n');
    symlinkSync('/etc/passwd', join(dir, 'escape'));
    const started = await client.request<{ sessionId: string; pod: string }>('devMode/start', {
      target: ratings,
      localDir: dir,
    });
    const { sessionId } = started;
    try {
      // A link in the local folder to a file outside it is never followed nor sent; sync/status says why.
      await waitUntil(
        async () => {
          const status = await client.request<{ errors: { localPath: string; code?: number }[] }>('sync/status', {
            sessionId,
          });
          return status.errors.some((error) => error.localPath === join(dir, 'escape') && error.code === -31031);
        },
        30_000,
        'an UnsafePath error for the link',
      );
      const inPod = await sandbox.kubectl([
        'exec',
        started.pod,
        '--',
        'sh',
        '-c',
        'test -e /home/devmode/escape || echo absent',
      ]);
      expect(inPod.stdout).toBe('absent\n');

      // The dev pod is replaced: the person is told the sync lost its connection, and the resync into the new pod
      // is background work with server-created progress.
      await sandbox.kubectl(['delete', 'pod', started.pod, '--wait=false']);
      const shown = await client.waitForNotification(
        (n) => n.method === 'window/showMessage' && String(n.params.message).includes(sessionId),
        60_000,
      );
      expect(shown.params).toMatchObject({ type: 2 });
      expect(String(shown.params.message)).toContain('lost its connection');
      await waitUntil(
        () => Promise.resolve(created.length > 0 && progressOf(created[0]!).at(-1)?.kind === 'end'),
        90_000,
        'the resync',
      );
      const resync = progressOf(created[0]!);
      expect(resync[0]).toMatchObject({
        kind: 'begin',
        title: 'Resyncing files after reconnecting to the dev container',
        cancellable: true,
      });

      // Cancelling that work pauses the sync until it is resumed.
      await waitUntil(
        async () => (await client.request<{ state: string }>('sync/status', { sessionId })).state !== 'disconnected',
        60_000,
        'the sync to settle',
      );
      const [second] = (await podsOf('ratings')).filter((name) => name !== started.pod);
      cancelNextProgress = true;
      await sandbox.kubectl(['delete', 'pod', second!, '--wait=false']);
      await waitUntil(
        async () => (await client.request<{ state: string }>('sync/status', { sessionId })).state === 'paused',
        90_000,
        'the cancelled resync to pause the sync',
      );
      const cancelledToken = created.at(-1)!;
      expect(created.length).toBeGreaterThanOrEqual(2);
      expect(progressOf(cancelledToken).at(-1)).toMatchObject({
        kind: 'end',
        message: expect.stringContaining('Cancelled') as unknown,
      });
      await client.request('sync/resume', { sessionId });
      await waitUntil(
        async () => (await client.request<{ state: string }>('sync/status', { sessionId })).state === 'idle',
        90_000,
        'the resumed sync to reconnect',
      );
    } finally {
      await client.request('devMode/stop', { sessionId });
    }
  }, 300_000);
});

describe('DEVMODE_TRACE_API', () => {
  test('writes each API request with its timing and status to stderr, and no credential', async () => {
    const traced = await startClient({ ...sandbox.env, DEVMODE_TRACE_API: '1' });
    try {
      await traced.request('devMode/list', {});
      const lines = traced.server
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('devmode api '));
      // devMode/list reads every workload kind DevMode works on.
      expect(lines).toContainEqual(
        expect.stringMatching(/^devmode api \d+\.\d \d+\.\d GET \/apis\/apps\/v1\/deployments 200$/),
      );
      expect(lines).toContainEqual(expect.stringMatching(/^devmode api \S+ \S+ GET \/api\/v1\/pods 200$/));
      const token = /token: (\S+)/.exec(readFileSync(sandbox.kubeconfig, 'utf8'))?.[1];
      expect(token).toBeDefined();
      expect(traced.server.stderr()).not.toContain(token);
    } finally {
      await traced.close();
    }
  });
});

/**
 * Several containers of one pod in DevMode (`containers.<name>.dev`), through the real server against the sandbox:
 * each container gets its own image, command, workDir and sync folder; terminals, logs and sync status answer per
 * container; stop restores every container exactly; a failed start rolls all of them back; a dev config that would
 * be unsafe across containers is refused with its file, line and field before anything changes.
 */
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, kubectlJson, projectDir, rolledOut, snapshot, waitUntil } from './devModeHelpers.js';
import { freePort } from '../helpers/freePort.js';

const DevConfigInvalid = -31010;
const UnknownId = -31021;
const ImagePullFailed = -31014;

let sandbox: TestSandbox;
let client: DevmodeClient;

const target = { namespace: 'default', kind: 'Deployment', name: 'shop' };

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
  await apply(sandbox, 'two-containers.yaml');
  await rolledOut(sandbox, 'deployment/shop');
}, 120_000);

// A failed test must not leave the next one a workload in DevMode.
afterEach(async () => {
  await client.request('devMode/reset', { target }).catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

interface ContainerState {
  container: string;
  workDir: string;
  localDir?: string;
  sync?: { sessionId: string; container?: string; localDir: string; remoteDir: string; mode: string; state: string };
  portForwards: { localPort: number; remotePort: number; sessionId?: string }[];
}

interface Started {
  sessionId: string;
  pod: string;
  container: string;
  portForwards: { localPort: number }[];
  sync?: { container?: string; remoteDir: string };
  containers: ContainerState[];
}

/** A dev command that says which container it is and where it runs, then idles until SIGTERM. */
function announce(name: string): string {
  return `[sh, -c, "echo ${name} dev command in $PWD; trap 'exit 0' TERM; while :; do sleep 1; done"]`;
}

/** The project: app.js for web at the top, worker/ for the worker, each container syncing its own folder. */
function twoContainerProject(workerPort: number): string {
  const dir = projectDir(
    [
      'image: devmode/dev',
      'workDir: /srv/web',
      `command: ${announce('web')}`,
      'env: {ROLE_DEV: web}',
      'sync: {ignore: [worker]}',
      'containers:',
      '  worker:',
      '    dev: true',
      '    image: devmode/dev',
      '    workDir: /srv/worker',
      `    command: [node, -e, "console.log('worker dev command in ' + process.cwd()); require('http').createServer((q, r) => r.end('worker answers')).listen(9090)"]`,
      '    env: {ROLE_DEV: worker}',
      '    sync: {localPath: worker}',
      `    portForward: ["${workerPort}:9090"]`,
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'worker'));
  writeFileSync(join(dir, 'worker', 'job.txt'), 'job for the worker\n');
  return dir;
}

async function execIn(pod: string, container: string, script: string): Promise<string> {
  const result = await sandbox.kubectl(['exec', pod, '-c', container, '--', 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`kubectl exec into ${container} failed: ${result.stderr}`);
  return result.stdout;
}

/** Runs a command in a terminal of one container of the workload and returns where it ran and what it printed. */
async function terminalOutput(container: string | undefined, command: string[]) {
  const opened = await client.request<{ terminalId: string; pod?: string; container?: string }>('terminal/open', {
    target: { ...target, ...(container !== undefined ? { container } : {}) },
    command,
    cols: 120,
    rows: 30,
  });
  await client.waitForNotification(
    (n) => n.method === 'terminal/didExit' && n.params.terminalId === opened.terminalId,
    30_000,
  );
  const output = client.notifications
    .filter((n) => n.method === 'terminal/didOutput' && n.params.terminalId === opened.terminalId)
    .map((n) => n.params.data as string)
    .join('');
  return { runsIn: opened.container, output };
}

/** The lines one container's log stream sends until `pattern` shows up. */
async function logLines(container: string, pattern: RegExp): Promise<{ container: string; text: string }[]> {
  const { streamId } = await client.request<{ streamId: string }>('logs/open', {
    target: { ...target, container },
    follow: true,
  });
  const lines = (): { container: string; text: string }[] =>
    client.notifications
      .filter((n) => n.method === 'logs/didAppend' && n.params.streamId === streamId)
      .flatMap((n) => n.params.lines as { container: string; text: string }[]);
  try {
    await waitUntil(
      () => Promise.resolve(lines().some((line) => pattern.test(line.text))),
      30_000,
      `a log line ${pattern}`,
    );
  } finally {
    await client.request('logs/close', { streamId });
  }
  return lines();
}

interface TreeNode {
  id: string;
  label: string;
  description: string;
}

async function treeChildren(nodeId?: string): Promise<TreeNode[]> {
  const { nodes } = await client.request<{ nodes: TreeNode[] }>(
    'tree/children',
    nodeId === undefined ? {} : { nodeId },
  );
  return nodes;
}

/** The tree node reached by following labels from the top (context, namespace, group, workload). */
async function treeNode(labels: string[]): Promise<TreeNode> {
  let node: TreeNode | undefined;
  for (const label of labels) {
    node = (await treeChildren(node?.id)).find((candidate) => candidate.label === label);
    if (node === undefined) throw new Error(`no tree node ${label} under ${labels.join(' / ')}`);
  }
  return node as TreeNode;
}

describe('two containers of one pod in DevMode', () => {
  test('each runs its own dev config, syncs its own folder, answers terminals, logs and sync status; stop restores exactly', async () => {
    const before = await snapshot(sandbox, 'deployment', 'shop');
    const workerPort = await freePort();
    const dir = twoContainerProject(workerPort);

    // devConfig/get shows what the start will do to each container.
    const effective = await client.request<{ container: string; devContainers?: unknown[] }>('devConfig/get', {
      target,
      localDir: dir,
    });
    expect(effective.container).toBe('web');
    expect(effective.devContainers).toMatchObject([
      { container: 'worker', config: { image: 'devmode/dev', workDir: '/srv/worker', sync: { localPath: 'worker' } } },
    ]);

    const started = await client.request<Started>('devMode/start', { target, localDir: dir, workDoneToken: 'two' });

    // The answer lists both containers, the target first, each with its own workDir, folder, sync and forwards.
    expect(started.container).toBe('web');
    expect(started.containers.map((entry) => [entry.container, entry.workDir, entry.localDir])).toEqual([
      ['web', '/srv/web', realpathSync(dir)],
      ['worker', '/srv/worker', realpathSync(join(dir, 'worker'))],
    ]);
    expect(started.containers.map((entry) => [entry.sync?.container, entry.sync?.remoteDir])).toEqual([
      ['web', '/srv/web'],
      ['worker', '/srv/worker'],
    ]);
    expect(started.sync).toMatchObject({ container: 'web', remoteDir: '/srv/web' });
    expect(started.containers[0]?.portForwards).toEqual([]);
    expect(started.containers[1]?.portForwards).toMatchObject([{ localPort: workerPort, remotePort: 9090 }]);
    expect(started.portForwards.map((forward) => forward.localPort)).toEqual([workerPort]);

    // The cluster: both containers rewritten, each on a workDir volume of its own; metrics untouched.
    const pod = await kubectlJson<{
      spec: {
        containers: {
          name: string;
          image: string;
          command?: string[];
          workingDir?: string;
          volumeMounts?: { name: string; mountPath: string }[];
        }[];
      };
    }>(sandbox, ['get', 'pod', started.pod]);
    const byName = new Map(pod.spec.containers.map((entry) => [entry.name, entry]));
    expect(byName.get('web')).toMatchObject({ image: 'devmode/dev', workingDir: '/srv/web' });
    expect(byName.get('worker')).toMatchObject({ image: 'devmode/dev', workingDir: '/srv/worker' });
    const mountAt = (name: string, path: string) =>
      byName.get(name)?.volumeMounts?.find((mount) => mount.mountPath === path)?.name;
    expect(mountAt('web', '/srv/web')).toBe('devmode-workdir');
    expect(mountAt('worker', '/srv/worker')).toBe('devmode-workdir-worker');
    expect(byName.get('metrics')).toMatchObject({ image: 'busybox' });
    expect(byName.get('metrics')?.command?.join(' ')).toContain('sleep 1');

    // Each container has its own folder's files in its own workDir, and not the other's.
    expect(await execIn(started.pod, 'web', 'cat /srv/web/app.js; ls /srv/web')).toBe(
      'console.log("hello from the local folder");\napp.js\ndevmode.yaml\n',
    );
    expect(await execIn(started.pod, 'worker', 'cat /srv/worker/job.txt; ls /srv/worker')).toBe(
      'job for the worker\njob.txt\n',
    );
    // A later edit reaches the worker through its own sync, flushed by container.
    writeFileSync(join(dir, 'worker', 'next.txt'), 'next job\n');
    expect(
      await client.request('sync/flush', { sessionId: started.sessionId, container: 'worker', timeoutMs: 30_000 }),
    ).toEqual({ filesTransferred: 1 });
    expect(await execIn(started.pod, 'worker', 'cat /srv/worker/next.txt')).toBe('next job\n');
    expect(await execIn(started.pod, 'web', 'ls /srv/web')).not.toContain('next.txt');
    // Pausing the worker's sync pauses that one alone, and its state changes name the container.
    await client.request('sync/pause', { sessionId: started.sessionId, container: 'worker' });
    await client.waitForNotification(
      (n) =>
        n.method === 'sync/didChangeState' &&
        n.params.sessionId === started.sessionId &&
        n.params.container === 'worker' &&
        n.params.state === 'paused',
    );
    expect(await client.request('sync/status', { sessionId: started.sessionId, container: 'web' })).toMatchObject({
      state: 'idle',
    });
    await client.request('sync/resume', { sessionId: started.sessionId, container: 'worker' });

    // sync/status answers per container; without one, for the target container as before.
    expect(await client.request('sync/status', { sessionId: started.sessionId, container: 'worker' })).toMatchObject({
      sessionId: started.sessionId,
      container: 'worker',
      localDir: realpathSync(join(dir, 'worker')),
      remoteDir: '/srv/worker',
      state: 'idle',
    });
    expect(await client.request('sync/status', { sessionId: started.sessionId })).toMatchObject({
      container: 'web',
      remoteDir: '/srv/web',
    });
    const unknown = await client.requestError('sync/status', { sessionId: started.sessionId, container: 'metrics' });
    expect(unknown).toMatchObject({ code: UnknownId, data: { field: 'container' } });

    // A terminal runs in the container asked for, in its workDir with its env; without one, in the target's.
    const script = ['sh', '-c', 'echo "$ROLE_DEV in $PWD"'];
    expect(await terminalOutput('worker', script)).toMatchObject({ runsIn: 'worker' });
    expect((await terminalOutput('worker', script)).output).toContain('worker in /srv/worker');
    const web = await terminalOutput(undefined, script);
    expect(web.runsIn).toBe('web');
    expect(web.output).toContain('web in /srv/web');

    // Logs per container: each dev command's own lines.
    const workerLogs = await logLines('worker', /worker dev command/);
    expect(workerLogs.map((line) => line.text)).toContain('worker dev command in /srv/worker');
    expect(workerLogs.every((line) => line.container === 'worker')).toBe(true);
    const webLogs = await logLines('web', /web dev command/);
    expect(webLogs.map((line) => line.text)).toContain('web dev command in /srv/web');
    expect(webLogs.some((line) => line.text.includes('worker'))).toBe(false);

    // The worker's forward reaches the worker's dev command.
    const answer = await fetch(`http://127.0.0.1:${workerPort}/`);
    expect(await answer.text()).toBe('worker answers');

    // devMode/list shows the session's containers in DevMode.
    const listed = await client.request<{ sessions: { sessionId?: string; containers?: ContainerState[] }[] }>(
      'devMode/list',
      { namespace: 'default' },
    );
    const mine = listed.sessions.find((session) => session.sessionId === started.sessionId);
    expect(mine?.containers?.map((entry) => entry.container)).toEqual(['web', 'worker']);

    // The tree shows which containers are in DevMode, on the workload and on the dev pod's containers.
    const shop = await treeNode(['devmode-sandbox', 'default', 'Deployments', 'shop']);
    expect(shop.description).toMatch(/^DevMode by .+: web, worker$/);
    const podNode = (await treeChildren(shop.id)).find((node) => node.label === started.pod);
    const containerNodes = await treeChildren(podNode?.id ?? '');
    expect(containerNodes.map((node) => [node.label, node.description.startsWith('DevMode')])).toEqual([
      ['web', true],
      ['worker', true],
      ['metrics', false],
    ]);

    // Stop restores the Deployment byte for byte, every container of it.
    await client.request('devMode/stop', { sessionId: started.sessionId });
    expect(await snapshot(sandbox, 'deployment', 'shop')).toBe(before);
    await rolledOut(sandbox, 'deployment/shop');
    const forward = await fetch(`http://127.0.0.1:${workerPort}/`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(forward).toBe('refused');
  }, 240_000);

  test('requests that name no container reach the target container, also when it is not the first', async () => {
    const before = await snapshot(sandbox, 'deployment', 'shop');
    const dir = projectDir(
      `image: devmode/dev\nworkDir: /srv/worker\ncommand: ${announce('worker')}\ncontainers:\n  web:\n` +
        `    dev: true\n    image: devmode/dev\n    command: ${announce('web')}\n`,
    );
    const started = await client.request<Started>('devMode/start', {
      target: { ...target, container: 'worker' },
      localDir: dir,
    });
    expect(started.containers.map((entry) => entry.container)).toEqual(['worker', 'web']);
    const script = ['sh', '-c', 'echo "in $PWD"'];
    const terminal = await terminalOutput(undefined, script);
    expect(terminal.runsIn).toBe('worker');
    expect(terminal.output).toContain('in /srv/worker');
    expect(await client.request('sync/status', { sessionId: started.sessionId })).toMatchObject({
      container: 'worker',
      remoteDir: '/srv/worker',
    });
    const { streamId } = await client.request<{ streamId: string }>('logs/open', { target, follow: true });
    try {
      const line = await client.waitForNotification(
        (n) => n.method === 'logs/didAppend' && n.params.streamId === streamId,
      );
      expect((line.params.lines as { container: string }[])[0]?.container).toBe('worker');
    } finally {
      await client.request('logs/close', { streamId });
    }
    await client.request('devMode/stop', { sessionId: started.sessionId });
    expect(await snapshot(sandbox, 'deployment', 'shop')).toBe(before);
    await rolledOut(sandbox, 'deployment/shop');
  }, 180_000);

  test('a start whose added container cannot run rolls every container back', async () => {
    const before = await snapshot(sandbox, 'deployment', 'shop');
    const dir = projectDir(
      'image: devmode/dev\ncontainers:\n  worker:\n    dev: true\n    image: devmode/no-such-image\n',
    );
    const failure = await client.requestError('devMode/start', { target, localDir: dir });
    expect(failure.code).toBe(ImagePullFailed);
    expect(failure.message).toContain('dev container worker');
    await waitUntil(
      async () => (await snapshot(sandbox, 'deployment', 'shop')) === before,
      60_000,
      'the rollback of both containers',
    );
    await rolledOut(sandbox, 'deployment/shop');
  }, 180_000);
});

describe('dev configs that are unsafe across containers', () => {
  async function refusal(yaml: string, prepare?: (dir: string) => void) {
    const dir = projectDir(yaml);
    prepare?.(dir);
    const before = await snapshot(sandbox, 'deployment', 'shop');
    const error = await client.requestError('devMode/start', { target, localDir: dir });
    expect(await snapshot(sandbox, 'deployment', 'shop')).toBe(before);
    expect(error.code).toBe(DevConfigInvalid);
    expect(error.data?.file).toBe(join(dir, 'devmode.yaml'));
    return error;
  }

  test('an unknown container name is refused with its line and field', async () => {
    const error = await refusal('image: devmode/dev\ncontainers:\n  wroker:\n    dev: true\n');
    expect(error.data).toMatchObject({ line: 3, field: 'containers.wroker' });
    expect(error.message).toContain('web, worker, metrics');
  }, 60_000);

  test('a two-way sync overlapping another container’s folder is refused', async () => {
    const error = await refusal(
      'image: devmode/dev\nsync: {mode: both}\ncontainers:\n  worker:\n    dev: true\n    sync:\n      localPath: worker\n',
      (dir) => mkdirSync(join(dir, 'worker')),
    );
    expect(error.data).toMatchObject({ line: 7, field: 'containers.worker.sync.localPath' });
    expect(error.message).toMatch(/syncs both ways/);
  }, 60_000);

  test('a sync folder outside the local folder, even through a link, is refused', async () => {
    const outside = realpathSync(tmpdir());
    const error = await refusal(
      'image: devmode/dev\ncontainers:\n  worker:\n    dev: true\n    sync: {localPath: elsewhere}\n',
      (dir) => symlinkSync(outside, join(dir, 'elsewhere')),
    );
    expect(error.data).toMatchObject({ line: 5, field: 'containers.worker.sync.localPath' });
    expect(error.message).toContain('inside the local folder');
  }, 60_000);

  test('two containers forwarding one local port are refused', async () => {
    const port = await freePort();
    const error = await refusal(
      `image: devmode/dev\nportForward: ["${port}:9080"]\ncontainers:\n  worker:\n    dev: true\n    portForward: ["${port}:9090"]\n`,
    );
    expect(error.data).toMatchObject({ line: 6, field: 'containers.worker.portForward' });
    expect(error.message).toContain(`local port ${port}, which container web forwards already`);
  }, 60_000);
});

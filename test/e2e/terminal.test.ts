/**
 * terminal/* through the real server over stdio, against the sandbox cluster: a shell in a pod, its size, its
 * exit code, UTF-8 output, closing, a local terminal, and bad input.
 */
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { applyManifest, devPod, processesMatching, waitForPodReady, waitUntil } from './streamFixtures.js';

const NotFound = -31005;
const UnknownId = -31021;
const InvalidParams = -32602;

let sandbox: TestSandbox;
let client: DevmodeClient;

const shellPod = { namespace: 'default', pod: 'shell' };

beforeAll(async () => {
  sandbox = await startTestSandbox();
  await applyManifest(sandbox, devPod('shell', ['sleep', 'infinity']));
  await waitForPodReady(sandbox, 'shell');
  client = await startClient(sandbox.env);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

/** Everything a terminal printed so far. */
function outputOf(terminalId: string): string {
  return client.notifications
    .filter((n) => n.method === 'terminal/didOutput' && n.params.terminalId === terminalId)
    .map((n) => n.params.data as string)
    .join('');
}

async function waitForOutput(terminalId: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitUntil(
    () => {
      const text = outputOf(terminalId);
      return Promise.resolve(pattern.test(text) ? text : undefined);
    },
    timeoutMs,
    `terminal output matching ${pattern} (got ${JSON.stringify(outputOf(terminalId).slice(-300))})`,
  );
}

async function open(params: Record<string, unknown>): Promise<string> {
  const { terminalId } = await client.request<{ terminalId: string }>('terminal/open', params);
  return terminalId;
}

describe('terminal in a pod', () => {
  it('runs a shell that computes, knows its size, follows resizes and reports its exit code', async () => {
    const id = await open({ target: shellPod, cols: 80, rows: 24 });
    await client.server.connection.sendNotification('terminal/input', { terminalId: id, data: 'echo $((6*7))\r' });
    await waitForOutput(id, /^42\r?$/m);
    await client.server.connection.sendNotification('terminal/input', { terminalId: id, data: 'stty size\r' });
    await waitForOutput(id, /^24 80\r?$/m);
    await client.server.connection.sendNotification('terminal/resize', { terminalId: id, cols: 132, rows: 43 });
    await client.server.connection.sendNotification('terminal/input', { terminalId: id, data: 'stty size\r' });
    await waitForOutput(id, /^43 132\r?$/m);
    await client.server.connection.sendNotification('terminal/input', { terminalId: id, data: 'exit 7\r' });
    const exited = await client.waitForNotification(
      (n) => n.method === 'terminal/didExit' && n.params.terminalId === id,
      15_000,
    );
    expect(exited.params.exitCode).toBe(7);
  }, 60_000);

  it('delivers multi-byte characters whole, however the output is cut', async () => {
    const id = await open({
      target: shellPod,
      cols: 80,
      rows: 24,
      command: ['sh', '-c', "for i in $(seq 3000); do printf '€😀'; done; echo; echo done"],
    });
    await client.waitForNotification((n) => n.method === 'terminal/didExit' && n.params.terminalId === id, 20_000);
    const text = outputOf(id);
    expect(text).not.toContain('\uFFFD');
    expect(text.match(/€😀/g)?.length).toBe(3000);
    // Each notification on its own is valid text: no notification starts or ends inside a character.
    for (const n of client.notifications.filter(
      (m) => m.method === 'terminal/didOutput' && m.params.terminalId === id,
    )) {
      const data = n.params.data as string;
      expect(Buffer.from(data, 'utf8').toString('utf8')).toBe(data);
      expect(/[\uD800-\uDBFF]$/.test(data)).toBe(false);
    }
  }, 60_000);

  it('opens in the newest ready pod of a workload', async () => {
    await applyManifest(
      sandbox,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: tools}
spec:
  selector: {matchLabels: {app: tools}}
  template:
    metadata: {labels: {app: tools}}
    spec:
      containers:
      - {name: main, image: devmode/dev, command: [sleep, infinity]}
`,
    );
    const pod = await waitUntil(
      async () => {
        const result = await sandbox.kubectl([
          'get',
          'pods',
          '-l',
          'app=tools',
          '-o',
          'jsonpath={.items[?(@.status.phase=="Running")].metadata.name}',
        ]);
        return result.stdout.trim() === '' ? undefined : result.stdout.trim();
      },
      60_000,
      'a running tools pod',
    );
    await waitForPodReady(sandbox, pod);
    const opened = await client.request<{ terminalId: string; pod?: string; container?: string }>('terminal/open', {
      target: { namespace: 'default', kind: 'Deployment', name: 'tools' },
      cols: 80,
      rows: 24,
      command: ['sh', '-c', 'echo "I am $HOSTNAME"; cat /etc/hostname'],
    });
    const id = opened.terminalId;
    // The answer names the pod picked for the workload, so a client can title the terminal with it.
    expect(opened.pod).toBe(pod);
    await client.waitForNotification((n) => n.method === 'terminal/didExit' && n.params.terminalId === id, 15_000);
    expect(outputOf(id)).toContain(pod);
  }, 90_000);

  it('ends the remote process when the terminal is closed, and still reports the exit', async () => {
    const id = await open({ target: shellPod, cols: 80, rows: 24, command: ['sleep', '4242'] });
    await waitUntil(
      () => Promise.resolve(processesMatching('sleep 4242').length > 0 ? true : undefined),
      10_000,
      'the remote sleep to start',
    );
    await client.request('terminal/close', { terminalId: id });
    const exited = await client.waitForNotification(
      (n) => n.method === 'terminal/didExit' && n.params.terminalId === id,
      15_000,
    );
    expect(exited.params.exitCode).toBeNull();
    expect(exited.params.reason).toContain('closed');
    await waitUntil(
      () => Promise.resolve(processesMatching('sleep 4242').length === 0 ? true : undefined),
      10_000,
      'the remote sleep to end',
    );
  }, 30_000);
});

describe('terminal lifetime', () => {
  it('ends the remote process when the client disconnects', async () => {
    const other = await startClient(sandbox.env);
    await other.request('terminal/open', { target: shellPod, cols: 80, rows: 24, command: ['sleep', '4343'] });
    await waitUntil(
      () => Promise.resolve(processesMatching('sleep 4343').length > 0 ? true : undefined),
      10_000,
      'the remote sleep to start',
    );
    // The editor goes away without a word: its end of the pipe closes.
    other.server.child.stdin?.end();
    await waitUntil(
      () => Promise.resolve(processesMatching('sleep 4343').length === 0 ? true : undefined),
      10_000,
      'the remote sleep to end after the client left',
    );
    await other.close();
  }, 30_000);
});

describe('local terminal', () => {
  it('runs a shell in the given directory', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'devmode-terminal-')));
    const id = await open({ target: { local: { cwd: dir, shell: '/bin/sh' } }, cols: 100, rows: 30 });
    await client.server.connection.sendNotification('terminal/input', {
      terminalId: id,
      data: 'pwd; stty size; exit 3\r',
    });
    const exited = await client.waitForNotification(
      (n) => n.method === 'terminal/didExit' && n.params.terminalId === id,
      15_000,
    );
    expect(exited.params.exitCode).toBe(3);
    expect(outputOf(id)).toContain(dir);
    expect(outputOf(id)).toMatch(/^30 100\r?$/m);
  }, 30_000);
});

describe('terminal bad input', () => {
  it('refuses to close a terminal that already ended', async () => {
    const id = await open({ target: shellPod, cols: 80, rows: 24, command: ['true'] });
    await client.waitForNotification((n) => n.method === 'terminal/didExit' && n.params.terminalId === id, 15_000);
    const error = await client.requestError('terminal/close', { terminalId: id });
    expect(error.code).toBe(UnknownId);
    expect(error.data?.field).toBe('terminalId');
  }, 30_000);

  it('reports an unknown pod as NotFound and a missing size as InvalidParams', async () => {
    const unknown = await client.requestError('terminal/open', {
      target: { namespace: 'default', pod: 'no-such-pod' },
      cols: 80,
      rows: 24,
    });
    expect(unknown.code).toBe(NotFound);
    expect(unknown.message).toContain('no-such-pod');
    const noSize = await client.requestError('terminal/open', { target: shellPod, cols: 80 });
    expect(noSize.code).toBe(InvalidParams);
    expect(noSize.data?.field).toBe('rows');
  });
});

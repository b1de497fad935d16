/**
 * logs/* through the real server over stdio, against the sandbox cluster: tail, follow across a container restart
 * and a pod replacement, all containers, closing, and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { applyManifest, devPod, waitForPodReady, waitForReadyPod, waitUntil } from './streamFixtures.js';

const NotFound = -31005;
const UnknownId = -31021;
const InvalidParams = -32602;

let sandbox: TestSandbox;
let client: DevmodeClient;

interface Line {
  pod: string;
  container: string;
  text: string;
  timestamp?: string;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  // Counts to 20, then keeps running.
  await applyManifest(
    sandbox,
    devPod('counter', ['sh', '-c', 'for i in $(seq 1 20); do echo "count $i"; done; sleep infinity']),
  );
  await waitForPodReady(sandbox, 'counter');
  client = await startClient(sandbox.env);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

function linesOf(streamId: string): Line[] {
  return client.notifications
    .filter((n) => n.method === 'logs/didAppend' && n.params.streamId === streamId)
    .flatMap((n) => n.params.lines as Line[]);
}

function attachmentsOf(streamId: string): { pod: string; container: string; reason: string }[] {
  return client.notifications
    .filter((n) => n.method === 'logs/didAppend' && n.params.streamId === streamId)
    .flatMap((n) => (n.params.attached ?? []) as { pod: string; container: string; reason: string }[]);
}

async function open(params: Record<string, unknown>): Promise<{ streamId: string; pods: string[] }> {
  return client.request('logs/open', params);
}

function ended(streamId: string, timeoutMs = 20_000): Promise<{ params: Record<string, unknown> }> {
  return client.waitForNotification((n) => n.method === 'logs/didEnd' && n.params.streamId === streamId, timeoutMs);
}

describe('logs of a pod', () => {
  it('sends the last lines asked for, with timestamps, then ends', async () => {
    await waitUntil(
      async () => ((await sandbox.kubectl(['logs', 'counter'])).stdout.includes('count 20') ? true : undefined),
      20_000,
      'the counter to finish counting',
    );
    const { streamId, pods } = await open({
      target: { namespace: 'default', pod: 'counter' },
      tailLines: 3,
      timestamps: true,
    });
    expect(pods).toEqual(['counter']);
    expect((await ended(streamId)).params.reason).toBe('completed');
    const lines = linesOf(streamId);
    expect(lines.map((l) => l.text)).toEqual(['count 18', 'count 19', 'count 20']);
    for (const line of lines) {
      expect(line).toMatchObject({ pod: 'counter', container: 'main' });
      expect(Number.isNaN(Date.parse(line.timestamp ?? ''))).toBe(false);
    }
  });

  it('follows new lines until closed, then says it was closed', async () => {
    await applyManifest(
      sandbox,
      devPod('ticker', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done']),
    );
    await waitForPodReady(sandbox, 'ticker');
    const { streamId } = await open({ target: { namespace: 'default', pod: 'ticker' }, follow: true });
    await waitUntil(() => Promise.resolve(linesOf(streamId).length >= 40 ? true : undefined), 20_000, '40 ticks');
    await client.request('logs/close', { streamId });
    expect((await ended(streamId)).params.reason).toBe('closed');
    const ticks = linesOf(streamId).map((l) => Number(l.text.replace('tick ', '')));
    // Every tick once, in order, none missing.
    expect(ticks).toEqual(Array.from({ length: ticks.length }, (_, i) => ticks[0]! + i));
    // Batched: far fewer notifications than lines.
    const notifications = client.notifications.filter(
      (n) => n.method === 'logs/didAppend' && n.params.streamId === streamId,
    );
    expect(notifications.length).toBeLessThan(ticks.length);
  }, 30_000);

  it('prefixes each container of a pod when all containers are asked for', async () => {
    await applyManifest(
      sandbox,
      `apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  containers:
  - {name: left, image: devmode/dev, command: [sh, -c, 'echo from left; sleep infinity']}
  - {name: right, image: devmode/dev, command: [sh, -c, 'echo from right; sleep infinity']}
`,
    );
    await waitForPodReady(sandbox, 'pair');
    const { streamId } = await open({ target: { namespace: 'default', pod: 'pair' }, allContainers: true });
    await ended(streamId);
    const texts = linesOf(streamId).map((l) => `${l.container}: ${l.text}`);
    expect(texts.sort()).toEqual(['left: [left] from left', 'right: [right] from right']);
  }, 60_000);
});

describe('followed logs across restarts', () => {
  it('reattaches after the container restarts, losing and repeating no line', async () => {
    // Each run prints five numbered lines tagged with its own run id, then exits with an error: the kubelet
    // restarts it.
    await applyManifest(
      sandbox,
      devPod(
        'crasher',
        ['sh', '-c', 'run=$(date +%s%N); for i in 1 2 3 4 5; do echo "run $run line $i"; sleep 0.1; done; exit 1'],
        '  restartPolicy: Always\n',
      ),
    );
    await waitUntil(
      async () => {
        const phase = await sandbox.kubectl([
          'get',
          'pod',
          'crasher',
          '-o',
          'jsonpath={.status.containerStatuses[0].state.running}',
        ]);
        return phase.stdout.trim() !== '' ? true : undefined;
      },
      30_000,
      'crasher to run',
    );
    const { streamId } = await open({ target: { namespace: 'default', pod: 'crasher' }, follow: true });
    const runs = await waitUntil(
      () => {
        const byRun = new Map<string, string[]>();
        for (const line of linesOf(streamId)) {
          const [, run, index] = /^run (\d+) line (\d)$/.exec(line.text) ?? [];
          if (run === undefined || index === undefined) throw new Error(`unexpected line ${line.text}`);
          byRun.set(run, [...(byRun.get(run) ?? []), index]);
        }
        const complete = [...byRun.values()].filter((indexes) => indexes.length >= 5);
        return Promise.resolve(complete.length >= 2 ? byRun : undefined);
      },
      40_000,
      'two complete runs of the crasher',
    );
    const [first, second] = [...runs.values()];
    // The first run may have started before the stream opened; from then on nothing is lost or repeated.
    expect(first!.join('')).toBe(['1', '2', '3', '4', '5'].slice(5 - first!.length).join(''));
    expect(second).toEqual(['1', '2', '3', '4', '5']);
    expect(attachmentsOf(streamId)).toContainEqual({ pod: 'crasher', container: 'main', reason: 'containerRestarted' });
    const restarts = await sandbox.kubectl([
      'get',
      'pod',
      'crasher',
      '-o',
      'jsonpath={.status.containerStatuses[0].restartCount}',
    ]);
    expect(Number(restarts.stdout)).toBeGreaterThanOrEqual(1);
    await client.request('logs/close', { streamId });
  }, 60_000);

  it('follows a workload to its next pod when the pod is replaced, and says so', async () => {
    await applyManifest(
      sandbox,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: greeter}
spec:
  selector: {matchLabels: {app: greeter}}
  template:
    metadata: {labels: {app: greeter}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: main, image: devmode/dev, command: [sh, -c, 'echo "hello from $HOSTNAME"; sleep infinity']}
`,
    );
    const oldPod = await waitForReadyPod(sandbox, 'app=greeter');
    const { streamId, pods } = await open({
      target: { namespace: 'default', kind: 'Deployment', name: 'greeter' },
      follow: true,
    });
    expect(pods).toEqual([oldPod]);
    await waitUntil(
      () => Promise.resolve(linesOf(streamId).length >= 1 ? true : undefined),
      10_000,
      'the first greeting',
    );
    await sandbox.kubectl(['delete', 'pod', oldPod, '--wait=false']);
    const newPod = await waitForReadyPod(sandbox, 'app=greeter', [oldPod]);
    await waitUntil(
      () => Promise.resolve(linesOf(streamId).some((l) => l.pod === newPod) ? true : undefined),
      20_000,
      'a line from the new pod',
    );
    expect(attachmentsOf(streamId)).toContainEqual({ pod: newPod, container: 'main', reason: 'newPod' });
    expect(linesOf(streamId).find((l) => l.pod === newPod)?.text).toBe(`hello from ${newPod}`);
    await client.request('logs/close', { streamId });
  }, 90_000);
});

describe('logs bad input', () => {
  it('rejects a negative tailLines naming the field', async () => {
    const error = await client.requestError('logs/open', {
      target: { namespace: 'default', pod: 'counter' },
      tailLines: -1,
    });
    expect(error.code).toBe(InvalidParams);
    expect(error.data?.field).toBe('tailLines');
  });

  it('reports an unknown pod as NotFound and an unknown stream id as UnknownId', async () => {
    const unknown = await client.requestError('logs/open', { target: { namespace: 'default', pod: 'no-such-pod' } });
    expect(unknown.code).toBe(NotFound);
    expect(unknown.data?.field).toBe('target.pod');
    const closed = await client.requestError('logs/close', { streamId: 'l-999' });
    expect(closed.code).toBe(UnknownId);
  });
});

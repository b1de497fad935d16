/**
 * Memory comes back: a server that served a burst of pipelined requests and rounds of terminals, log streams and
 * port-forwards, all closed, returns near its starting heap once quiet (without anyone forcing a collection), retains
 * nothing across rounds, and shares one TLS context among its streams instead of building one per connection.
 * The server runs under the V8 inspector, which is how the test reads its heap.
 */
import { get } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ServerProcess } from '../../server/src/rpc/client.js';
import { startInspectedServer, type Inspector } from '../helpers/inspector.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const MiB = 1024 * 1024;
const rounds = 3;
const perRound = 50;
const target = { namespace: 'default', pod: 'soak' };
const pod = `apiVersion: v1
kind: Pod
metadata: {name: soak}
spec:
  containers:
  - name: main
    image: devmode/dev
    command: [sh, -c, 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 1; done & exec serve 8000']
`;

let sandbox: TestSandbox;
let server: ServerProcess;
let inspector: Inspector;

const request = <R>(method: string, params: unknown): Promise<R> => server.connection.sendRequest<R>(method, params);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fetches / through a forward, so that each forward carries a real connection. */
function fetchThrough(localPort: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port: localPort, path: '/', agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    }).on('error', () => resolve(undefined));
  });
}

interface Opened {
  terminalId: string;
  streamId: string;
  forwardId: string;
  localPort: number;
}

async function openStreams(count: number): Promise<Opened[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const [terminal, logs, forward] = await Promise.all([
        request<{ terminalId: string }>('terminal/open', { target, cols: 80, rows: 24 }),
        request<{ streamId: string }>('logs/open', { target, follow: true, tailLines: 5 }),
        request<{ id: string; localPort: number }>('portForward/start', { target, remotePort: 8000, localPort: 0 }),
      ]);
      return {
        terminalId: terminal.terminalId,
        streamId: logs.streamId,
        forwardId: forward.id,
        localPort: forward.localPort,
      };
    }),
  );
}

async function closeStreams(opened: Opened[]): Promise<void> {
  await Promise.all(
    opened.map((streams) =>
      Promise.all([
        request('terminal/close', { terminalId: streams.terminalId }),
        request('logs/close', { streamId: streams.streamId }),
        request('portForward/stop', { id: streams.forwardId }),
      ]),
    ),
  );
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const applied = await sandbox.kubectl(['apply', '-f', '-'], { input: pod });
  if (applied.code !== 0) throw new Error(`kubectl apply failed: ${applied.stderr}`);
  const ready = await sandbox.kubectl(['wait', '--for=condition=Ready', 'pod/soak', '--timeout=120s'], {
    timeoutMs: 130_000,
  });
  if (ready.code !== 0) throw new Error(`pod/soak is not ready: ${ready.stderr}`);
  ({ server, inspector } = await startInspectedServer(sandbox.env));
  await request('initialize', { clientInfo: { name: 'devmode-soak-test' } });
  await server.connection.sendNotification('initialized', {});
}, 180_000);

afterAll(async () => {
  inspector?.close();
  if (server !== undefined) {
    await request('shutdown', null).catch(() => undefined);
    await server.connection.sendNotification('exit').catch(() => undefined);
    await Promise.race([server.exited, sleep(3000)]);
    server.child.kill('SIGKILL');
    server.connection.dispose();
  }
  await sandbox?.stop();
}, 60_000);

test('streams share one TLS context, and after rounds of streams and a burst of requests the heap comes back by itself', async () => {
  // One of each first, so that the start already counts the code and caches every later round also uses.
  await closeStreams(await openStreams(1));
  const start = await inspector.heapUsedAfterGc();

  for (let round = 1; round <= rounds; round++) {
    const opened = await openStreams(perRound);
    const statuses = await Promise.all(opened.map((streams) => fetchThrough(streams.localPort)));
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    if (round === 1) {
      // 50 terminals and 50 log streams hold 100 TLS connections to the API server: one context serves them all.
      const contexts = await inspector.countLike("process.getBuiltinModule('node:tls').createSecureContext()");
      expect(contexts).toBeLessThan(10);
    }
    await closeStreams(opened);
  }
  const answers: Promise<unknown>[] = [];
  for (let i = 0; i < 5000; i++) answers.push(request('cluster/list', {}));
  await Promise.all(answers);
  const busy = await inspector.heapUsed();

  // Nobody forces a collection here: once quiet, the server gives the burst's garbage back on its own.
  const deadline = Date.now() + 60_000;
  let quiet = await inspector.heapUsed();
  while (quiet > start + 10 * MiB && Date.now() < deadline) {
    await sleep(1000);
    quiet = await inspector.heapUsed();
  }
  const figures = `start ${(start / MiB).toFixed(1)} MiB, busy ${(busy / MiB).toFixed(1)} MiB`;
  expect(quiet / MiB, `heap used once quiet (${figures})`).toBeLessThan(start / MiB + 10);

  // And nothing is retained: after a full collection the heap is within a few MiB of where it started.
  const retained = (await inspector.heapUsedAfterGc()) - start;
  expect(retained / MiB).toBeLessThan(5);
}, 300_000);

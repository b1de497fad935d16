// Memory of a long-lived server: RSS and heap used of `devmode serve --stdio` before, during and after a soak, next
// to an idle server measured in the same run (both read through the V8 inspector; a collection is forced only for
// the last line). Two soaks: pipelined requests, and rounds of terminals, log streams and port-forwards (one HTTP
// request through each) opened together and all closed. Once everything is closed and the server has idled, its
// heap and RSS should be back near where they started, without anyone forcing a collection.
import { get } from 'node:http';
import { startInspectedDevmode } from './soakLib.mjs';
import { rssMiB, report } from './lib.mjs';
import { startSandbox } from './streamsLib.mjs';

const pipelined = Number(process.env.BENCH_SOAK_REQUESTS ?? 10_000);
const rounds = Number(process.env.BENCH_SOAK_ROUNDS ?? 3);
const perRound = Number(process.env.BENCH_SOAK_STREAMS ?? 200);
const idleMs = 10_000;

const manifests = `apiVersion: v1
kind: Pod
metadata: {name: soak}
spec:
  containers:
  - name: main
    image: devmode/dev
    command: [sh, -c, 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 1; done & exec serve 8000']
`;

/** Resident set and heap used in MiB, as they are (nothing forced) or after a forced full collection. */
async function memory(devmode, { forceGc = false } = {}) {
  const heap = forceGc ? await devmode.inspector.heapUsedAfterGc() : await devmode.inspector.heapUsed();
  return { rss: rssMiB(devmode.pid), heap: heap / (1024 * 1024) };
}

async function print(phase, devmode, idle, options) {
  const [ours, baseline] = [await memory(devmode, options), await memory(idle, options)];
  const gc = options?.forceGc ? ', forced GC' : '';
  report(`${phase}: RSS${gc}`, ours.rss, 'MiB', 'idle server', baseline.rss);
  report(`${phase}: heap used${gc}`, ours.heap, 'MiB', 'idle server', baseline.heap);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends requests back to back without waiting for answers, then waits for them all. */
async function pipelineRequests(devmode, count) {
  const answers = [];
  for (let i = 0; i < count; i++) answers.push(devmode.request('cluster/list', {}));
  await Promise.all(answers);
}

function fetchThrough(localPort) {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port: localPort, path: '/', agent: false }, (response) => {
      response.resume();
      response.on('end', resolve);
    }).on('error', resolve);
  });
}

/** Opens `count` terminals, log streams and port-forwards at once, then closes them all. */
async function streamRound(devmode, count) {
  const target = { namespace: 'default', pod: 'soak' };
  const opened = await Promise.all(
    Array.from({ length: count }, async () => {
      const [terminal, logs, forward] = await Promise.all([
        devmode.request('terminal/open', { target, cols: 80, rows: 24 }),
        devmode.request('logs/open', { target, follow: true, tailLines: 10 }),
        devmode.request('portForward/start', { target, remotePort: 8000, localPort: 0 }),
      ]);
      return { terminal, logs, forward };
    }),
  );
  await Promise.all(opened.map(({ forward }) => fetchThrough(forward.localPort)));
  await Promise.all(
    opened.map(({ terminal, logs, forward }) =>
      Promise.all([
        devmode.request('terminal/close', { terminalId: terminal.terminalId }),
        devmode.request('logs/close', { streamId: logs.streamId }),
        devmode.request('portForward/stop', { id: forward.id }),
      ]),
    ),
  );
}

export async function run() {
  console.log(
    `\n== soak: memory before, during and after (${pipelined} pipelined requests; ${rounds} rounds of ` +
      `${perRound} terminals + ${perRound} log streams + ${perRound} forwards; ${idleMs / 1000} s idle) ==`,
  );
  const sandbox = await startSandbox();
  const servers = [];
  try {
    await sandbox.kubectl(['apply', '-f', '-'], { input: manifests });
    await sandbox.kubectl(['wait', '--for=condition=Ready', 'pod/soak', '--timeout=120s'], { timeoutMs: 130_000 });

    const idle = await startInspectedDevmode(sandbox.env);
    servers.push(idle);
    const devmode = await startInspectedDevmode(sandbox.env);
    servers.push(devmode);
    // Both open and close one of each stream first, so that the baseline has loaded the same code and caches.
    for (const server of [idle, devmode]) await streamRound(server, 1);
    await sleep(idleMs);
    await print('before', devmode, idle);

    await pipelineRequests(devmode, pipelined);
    await print(`after ${pipelined} pipelined requests`, devmode, idle);
    for (let round = 1; round <= rounds; round++) {
      await streamRound(devmode, perRound);
      await print(`after round ${round} of streams`, devmode, idle);
    }
    await sleep(idleMs);
    await print(`after ${idleMs / 1000} s idle`, devmode, idle);
    await print('then', devmode, idle, { forceGc: true });
  } finally {
    for (const server of servers) await server.stop();
    await sandbox.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

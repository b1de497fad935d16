// DevMode on the sandbox, driven over JSON-RPC as an editor does: devMode/start to running and devMode/stop to
// restored, and how many API requests each makes (read from the API server's /metrics before and after). The
// baseline, measured in the same run on the same Deployment, is what a user would type instead: `kubectl patch` (the
// dev image, no readiness probe) + `kubectl scale --replicas=1` + `kubectl rollout status` for start, `kubectl rollout undo` + `kubectl scale` back +
// `kubectl rollout status` for stop. DevMode does more (it records the original, removes probes, sets the command
// and workDir volume, checks ownership), so the baseline is a floor, not an equivalent. Over an emulated network
// (BENCH_NET) it also counts the round trips each side waited for one after another (bench/netem.mjs).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApi, requestsBetween, totalOf } from './kubeApi.mjs';
import { goal, median, networkName, report } from './lib.mjs';
import { startSandbox } from './streamsLib.mjs';

const runs = Number(process.env.BENCH_DEVMODE_RUNS ?? 5);
const devmodeBin = fileURLToPath(new URL('../server/bin/devmode.mjs', import.meta.url));
const elapsedMs = (started) => Number(process.hrtime.bigint() - started) / 1e6;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ratings
  labels: {app: ratings}
spec:
  replicas: 2
  selector: {matchLabels: {app: ratings}}
  template:
    metadata:
      labels: {app: ratings}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: ratings
          image: devmode/ratings
          ports: [{containerPort: 9080, name: http}]
          readinessProbe: {httpGet: {path: /health, port: 9080}, periodSeconds: 1}
`;

// The manual version of what DevMode changes that matters for the pod to run: the dev image, and no readiness
// probe (the dev image does not serve the probe's port, so the rollout would never finish).
const devPatch = [
  { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'devmode/dev' },
  { op: 'remove', path: '/spec/template/spec/containers/0/readinessProbe' },
];

/** The devmode server over stdio, initialized. */
export async function startServer(env) {
  const { spawnServer } = await import('../server/dist/rpc/client.js');
  // The server traces each API request it makes on stderr (server/src/kube/trace.ts); see `requestsOf`.
  const server = spawnServer(
    { command: process.execPath, args: [devmodeBin] },
    { env: { ...env, DEVMODE_TRACE_API: '1' } },
  );
  await server.connection.sendRequest('initialize', { clientInfo: { name: 'bench' } });
  await server.connection.sendNotification('initialized', {});
  return {
    request: (method, params) => server.connection.sendRequest(method, params),
    /** How much the server has written to stderr so far: a mark for `requestsSince`. */
    traceMark: () => server.stderr().length,
    /** The API requests the server traced since `mark`, in the order it sent them. */
    requestsSince: (mark) => requestsOf(server.stderr().slice(mark)),
    async stop() {
      await server.connection.sendRequest('shutdown').catch(() => undefined);
      await server.connection.sendNotification('exit').catch(() => undefined);
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      server.child.kill('SIGKILL');
      server.connection.dispose();
    },
  };
}

/**
 * Runs `action`, timing it and counting the API requests made meanwhile; over an emulated network also the round
 * trips the emulator saw, and how many of them followed one another.
 */
async function measured(api, netem, action, devmode) {
  const scrape = async () => (await api.call('GET', '/metrics')).text;
  const before = await scrape();
  const mark = await netem?.mark();
  const traceMark = devmode?.traceMark();
  const started = process.hrtime.bigint();
  const result = await action();
  const ms = elapsedMs(started);
  const traffic = await netem?.since(mark);
  const requests = devmode?.requestsSince(traceMark);
  // A watch ends a moment after its client lets go of it; let the server see that before counting.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { ms, ...requestsBetween(before, await scrape()), traffic, requests, result };
}

/** The requests in a stretch of the server's stderr, as `server/src/kube/trace.ts` writes them. */
function requestsOf(text) {
  const requests = [];
  for (const line of text.split('\n')) {
    const match = /^devmode api (\S+) (\S+) (\S+) (\S+) (\S+)$/.exec(line);
    if (match === null) continue;
    const [, sent, took, method, path, status] = match;
    requests.push({ sent: Number(sent), took: Number(took), method, path, status });
  }
  return requests;
}

/**
 * The longest chain of requests that did not overlap in time (each sent after the previous one's answer began):
 * the requests the operation waited for one after another. Marks them `sequential`.
 */
function markSequential(requests) {
  const sorted = [...requests].sort((a, b) => a.sent - b.sent);
  const best = sorted.map(() => ({ length: 1, previous: -1 }));
  for (let i = 0; i < sorted.length; i++) {
    for (let j = 0; j < i; j++) {
      if (sorted[j].sent + sorted[j].took <= sorted[i].sent && best[j].length + 1 > best[i].length)
        best[i] = { length: best[j].length + 1, previous: j };
    }
  }
  let at = best.reduce((top, entry, i) => (entry.length > (best[top]?.length ?? 0) ? i : top), -1);
  while (at >= 0) {
    sorted[at].sequential = true;
    at = best[at].previous;
  }
  return sorted;
}

/** Prints the API requests devmode made in one run, in the order sent; `*` marks those it waited for in sequence. */
function printRequests(requests) {
  const marked = markSequential(requests);
  const first = marked[0]?.sent ?? 0;
  const sequential = marked.filter((request) => request.sequential).length;
  console.log(`  devmode's API requests, last run (${marked.length}, ${sequential} in sequence marked *):`);
  for (const request of marked) {
    const path = request.path.length > 110 ? `${request.path.slice(0, 107)}...` : request.path;
    console.log(
      `    ${request.sequential ? '*' : ' '} +${(request.sent - first).toFixed(0).padStart(5)} ms ` +
        `${request.took.toFixed(0).padStart(4)} ms  ${request.method} ${path} ${request.status}`,
    );
  }
}

const countsText = (counts) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none';

function summarize(name, ours, theirs, baselineName) {
  report(`${name} (wall time)`, median(ours.map((r) => r.ms)), 'ms', baselineName, median(theirs.map((r) => r.ms)));
  const count = (results) => median(results.map((r) => totalOf(r.byVerb)));
  report(`${name} (resource requests)`, count(ours), 'requests', baselineName, count(theirs));
  if (ours[0].traffic !== undefined) {
    const traffic = (results, key) => median(results.map((r) => r.traffic[key]));
    for (const [key, what] of [
      ['sequentialRoundTrips', 'round trips in sequence'],
      ['roundTrips', 'round trips'],
      ['connections', 'new connections'],
    ]) {
      report(`${name} (${what})`, traffic(ours, key), '', baselineName, traffic(theirs, key));
    }
    // The manual steps do the least work that gets the pod running; devmode must not wait for more round trips.
    const sequential = traffic(ours, 'sequentialRoundTrips');
    const baseline = traffic(theirs, 'sequentialRoundTrips');
    goal(`${name} round trips in sequence`, sequential, baseline, '', sequential <= baseline);
    const bytes = (results) => median(results.map((r) => r.traffic.upBytes + r.traffic.downBytes)) / 1024;
    report(`${name} (bytes both ways)`, bytes(ours), 'KiB', baselineName, bytes(theirs));
    console.log(`  devmode's round trips in sequence, last run (turn 0 of a connection: TCP, 1: TLS):`);
    for (const trip of ours.at(-1).traffic.chain) {
      const what = trip.turn === 0 ? 'TCP handshake' : trip.turn === 1 ? 'TLS handshake' : 'request';
      console.log(
        `    +${trip.startMs.toFixed(0).padStart(5)} ms ${trip.ms.toFixed(0).padStart(4)} ms  connection ${trip.connection} ` +
          `turn ${trip.turn}: ${what}, ${trip.upBytes} B up, ${trip.downBytes} B down`,
      );
    }
  }
  if (ours.at(-1).requests !== undefined) printRequests(ours.at(-1).requests);
  for (const [who, results] of [
    ['devmode', ours],
    ['kubectl', theirs],
  ]) {
    const last = results.at(-1);
    console.log(`  ${who}: ${countsText(last.byVerb)}; not counted above: ${countsText(last.nonResource)}`);
  }
}

export async function run() {
  console.log(`\n== DevMode on the sandbox (medians of ${runs} runs; baseline: the manual kubectl steps) ==`);
  const sandbox = await startSandbox();
  // The scrapes of /metrics go around the emulated network: they are the benchmark's, not the client's.
  const api = openApi(sandbox.directKubeconfig);
  const localDir = mkdtempSync(join(tmpdir(), 'devmode-bench-project-'));
  // A stalled start fails within a minute instead of the default five.
  writeFileSync(join(localDir, 'devmode.yaml'), 'image: devmode/dev\nstartTimeoutSeconds: 60\n');
  let devmode;
  try {
    const probe = await api.call('GET', '/metrics');
    if (probe.status !== 200) throw new Error(`the sandbox API server has no /metrics (answered ${probe.status})`);
    await sandbox.kubectl(['apply', '-f', '-'], { input: deployment });
    const rolledOut = ['rollout', 'status', 'deployment/ratings', '--timeout=120s'];
    await sandbox.kubectl(rolledOut, { timeoutMs: 130_000 });
    devmode = await startServer(sandbox.env);
    const target = { namespace: 'default', kind: 'Deployment', name: 'ratings' };
    const kubectlSteps = async (steps) => {
      for (const args of steps) await sandbox.kubectl(args, { timeoutMs: 130_000 });
    };

    const results = { start: [], stop: [], kubectlStart: [], kubectlStop: [] };
    for (let i = 0; i <= runs; i++) {
      const start = await measured(
        api,
        sandbox.netem,
        () => devmode.request('devMode/start', { target, localDir }),
        devmode,
      );
      const stop = await measured(
        api,
        sandbox.netem,
        () => devmode.request('devMode/stop', { sessionId: start.result.sessionId }),
        devmode,
      );
      const kubectlStart = await measured(api, sandbox.netem, () =>
        kubectlSteps([
          ['patch', 'deployment/ratings', '--type=json', `--patch=${JSON.stringify(devPatch)}`],
          ['scale', 'deployment/ratings', '--replicas=1'],
          rolledOut,
        ]),
      );
      const kubectlStop = await measured(api, sandbox.netem, () =>
        kubectlSteps([
          ['rollout', 'undo', 'deployment/ratings'],
          ['scale', 'deployment/ratings', '--replicas=2'],
          rolledOut,
        ]),
      );
      // The first round is not counted: it fills kubectl's discovery cache (a user has it from earlier commands)
      // and the server's connection to the cluster.
      if (i === 0) continue;
      results.start.push(start);
      results.stop.push(stop);
      results.kubectlStart.push(kubectlStart);
      results.kubectlStop.push(kubectlStop);
    }
    summarize('devMode/start to running', results.start, results.kubectlStart, 'kubectl patch+scale+rollout');
    summarize('devMode/stop to restored', results.stop, results.kubectlStop, 'kubectl undo+scale+rollout');
    if (networkName() === 'loopback') {
      const stopMs = median(results.stop.map((r) => r.ms));
      goal('devMode/stop to restored', stopMs, 700, 'ms', stopMs <= 700);
    }
  } catch (error) {
    // What the cluster looked like when it failed, so that the failure can be told apart from a slow machine.
    const state = await sandbox.kubectl(['get', 'deployments,replicasets,pods', '-o', 'wide'], { check: false });
    console.error(`cluster state when the DevMode benchmark failed:\n${state.stdout}${state.stderr}`);
    throw error;
  } finally {
    await devmode?.stop();
    api.close();
    rmSync(localDir, { recursive: true, force: true });
    await sandbox.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

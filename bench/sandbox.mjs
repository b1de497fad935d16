// The sandbox cluster's own figures, each next to the floor it cannot beat, measured in the same run:
//  - `sandbox start` to API ready, next to a bare Node HTTPS server started and answering its first request (the
//    least any Node API daemon pays: a process start, TLS setup and one answered request; `node -e 0` would leave
//    out the listening and the TLS handshake that every sandbox start must also do);
//  - pod create to Running, next to a bare `unshare ... true` with the namespaces a pod gets (the least a process
//    pod pays: one isolated process start);
//  - exec round trip: `kubectl exec -- true` next to `kubectl version --client` (kubectl's own start, which every
//    kubectl command pays), and the same exec through @kubernetes/client-node next to one API GET round trip;
//  - port-forward throughput through `kubectl port-forward` into a pod serving data, next to the same server
//    sending the same bytes over direct loopback TCP (the ceiling), and the time from a new connection to its
//    first byte on both paths (what the kubelet's connect into a pod costs, as a user sees it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApi } from './kubeApi.mjs';
import { median, report, timeCommand } from './lib.mjs';

const runs = Number(process.env.BENCH_SANDBOX_RUNS ?? 7);
const execRuns = Number(process.env.BENCH_SANDBOX_EXEC_RUNS ?? 11);
const transferBytes = Number(process.env.BENCH_SANDBOX_PF_BYTES ?? 32 * 1024 * 1024);
const sandboxEntry = fileURLToPath(new URL('../sandbox/dist/main.js', import.meta.url));
const elapsedMs = (started) => Number(process.hrtime.bigint() - started) / 1e6;

// Sends `size` bytes to every connection, then closes it; prints the bound port. The same program runs in the
// pod (behind port-forward) and on the host (the loopback ceiling), so only the path between them differs. A
// connection that goes away early (the readiness probe's) must not stop the server.
const dataServer = `
const net = require('node:net');
const [host, port, size] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const chunk = Buffer.alloc(65536, 'x');
const server = net.createServer((socket) => {
  let left = size;
  socket.on('error', () => socket.destroy());
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
});
server.listen(port, host, () => console.log(server.address().port));
`;

// A bare Node HTTPS server with the sandbox's own certificate: the floor of "start a daemon, answer the API".
const bareHttpsServer = `
const { createServer } = require('node:https');
const { readFileSync } = require('node:fs');
const [cert, key] = process.argv.slice(1);
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => res.end('{}'));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/** Runs a command to completion; rejects with its output when it fails. */
function runChecked(command, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`)),
    );
  });
}

/** Spawns a long-running helper and resolves once its first stdout line (a port) is out. */
function spawnWithPort(command, args, env = process.env, pattern = /^(\d+)$/m) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    let errors = '';
    child.stderr.on('data', (chunk) => (errors += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      seen += chunk;
      const match = pattern.exec(seen);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${command} exited ${code} before it listened: ${errors}`)));
  });
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  return exited;
}

/** Opens a connection and resolves with the ms until the server's first byte arrives. */
function firstByteMs(port) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect(port, '127.0.0.1');
    socket.once('data', () => {
      resolve(elapsedMs(started));
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** Reads everything a TCP server sends on one connection; resolves with the MB/s. */
function receiveAll(port, expected) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let received = 0;
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (chunk) => (received += chunk.length));
    socket.once('error', reject);
    socket.once('close', () => {
      if (received !== expected) reject(new Error(`received ${received} bytes, expected ${expected}`));
      else resolve(expected / 1024 / 1024 / (elapsedMs(started) / 1000));
    });
  });
}

async function startStop() {
  const stateDir = mkdtempSync(join(tmpdir(), 'devmode-bench-sandbox-'));
  const cli = (verb) => runChecked(process.execPath, [sandboxEntry, 'sandbox', verb, '--state-dir', stateDir]);
  try {
    // The first start also creates the CA and keys; the figure is the start of an existing sandbox.
    await cli('start');
    await cli('stop');
    const starts = [];
    const floors = [];
    for (let i = 0; i < runs; i++) {
      let started = process.hrtime.bigint();
      await cli('start');
      starts.push(elapsedMs(started));
      await cli('stop');

      const pki = join(stateDir, 'pki');
      const ca = readFileSync(join(pki, 'ca.crt'));
      started = process.hrtime.bigint();
      const bare = await spawnWithPort(process.execPath, [
        '-e',
        bareHttpsServer,
        join(pki, 'server.crt'),
        join(pki, 'server.key'),
      ]);
      try {
        await getOnce(bare.port, ca);
        floors.push(elapsedMs(started));
      } finally {
        await stopChild(bare.child);
      }
    }
    report('sandbox start to API ready', median(starts), 'ms', 'bare node HTTPS server answering', median(floors));
  } finally {
    await cli('stop').catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** One GET to the bare server, on a new connection as a fresh client makes it. */
function getOnce(port, ca) {
  return new Promise((resolve, reject) => {
    const req = httpsGet({ host: '127.0.0.1', port, path: '/', ca, agent: false }, (res) => {
      res.resume();
      res.once('end', resolve);
    });
    req.once('error', reject);
  });
}

/** A sandbox that stays up for the pod, exec and port-forward figures. */
async function withSandbox(body) {
  const stateDir = mkdtempSync(join(tmpdir(), 'devmode-bench-sandbox-'));
  const home = mkdtempSync(join(tmpdir(), 'devmode-bench-home-'));
  const kubeconfig = join(stateDir, 'kubeconfig');
  const env = { ...process.env, HOME: home, KUBECONFIG: kubeconfig };
  await runChecked(process.execPath, [sandboxEntry, 'sandbox', 'start', '--state-dir', stateDir]);
  const api = openApi(kubeconfig);
  try {
    await body({ kubeconfig, env, api });
  } finally {
    api.close();
    await runChecked(process.execPath, [sandboxEntry, 'sandbox', 'stop', '--state-dir', stateDir]).catch(
      () => undefined,
    );
    rmSync(home, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const podsPath = '/api/v1/namespaces/default/pods';

function podManifest(name, command, extra = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'sandbox' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: 'devmode/dev', command, ...extra }],
    },
  };
}

/** Creates a pod and resolves once it is Running (or Ready, with `ready`), with the ms it took from the POST. */
async function createPod(api, manifest, { ready = false } = {}) {
  const name = manifest.metadata.name;
  const done = (pod) =>
    pod.status?.phase === 'Running' &&
    (!ready || pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const watch = api.watchUntil(`${podsPath}?fieldSelector=metadata.name%3D${name}`, (event) => {
    if (event.type === 'ERROR') throw new Error(`watching pod ${name}: ${JSON.stringify(event.object)}`);
    return done(event.object) ? true : undefined;
  });
  await watch.ready;
  const started = process.hrtime.bigint();
  await api.json('POST', podsPath, manifest);
  await watch.done;
  return elapsedMs(started);
}

async function deletePod(api, name) {
  const gone = api.watchUntil(`${podsPath}?fieldSelector=metadata.name%3D${name}`, (event) =>
    event.type === 'DELETED' ? true : undefined,
  );
  await gone.ready;
  await api.json('DELETE', `${podsPath}/${name}?gracePeriodSeconds=0`);
  await gone.done;
}

async function podStart(api) {
  // The namespaces a pod gets, made by util-linux as the kubelet makes them, around a command that does nothing.
  const unshareFloor = [
    ...(process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']),
    ...['--pid', '--net', '--uts', '--ipc', '--mount', '--fork', '--mount-proc', 'true'],
  ];
  const pods = [];
  const floors = [];
  for (let i = 0; i < runs; i++) {
    const name = `bench-start-${i}`;
    pods.push(await createPod(api, podManifest(name, ['sleep', 'infinity'])));
    await deletePod(api, name);
    floors.push(await timeCommand('unshare', unshareFloor));
  }
  report('pod create to Running', median(pods), 'ms', 'bare unshare ... true', median(floors));
}

async function execRoundTrip(api, kubeconfig, env) {
  await createPod(api, podManifest('bench-exec', ['sleep', 'infinity']), { ready: true });
  const kubectl = ['--kubeconfig', kubeconfig];
  const execs = [];
  const floors = [];
  for (let i = 0; i < execRuns; i++) {
    execs.push(await timeCommand('kubectl', [...kubectl, 'exec', 'bench-exec', '--', 'true'], { env }));
    floors.push(await timeCommand('kubectl', [...kubectl, 'version', '--client'], { env }));
  }
  report('exec round trip (kubectl exec -- true)', median(execs), 'ms', 'kubectl version --client', median(floors));

  const { openCluster } = await import('../server/dist/kube/client.js');
  const { loadKubeconfig } = await import('../server/dist/kube/kubeconfig.js');
  const { execInPod } = await import('../server/dist/kube/exec.js');
  const cluster = await openCluster(loadKubeconfig([kubeconfig]));
  const target = { namespace: 'default', pod: 'bench-exec' };
  const clientExecs = [];
  const gets = [];
  for (let i = 0; i < execRuns + 1; i++) {
    let started = process.hrtime.bigint();
    const remote = await execInPod(cluster, target, ['true']);
    remote.stdout.resume();
    remote.stderr.resume();
    const status = await remote.exit;
    if (status.exitCode !== 0) throw new Error(`exec true exited ${status.exitCode}`);
    const execMs = elapsedMs(started);
    started = process.hrtime.bigint();
    await api.json('GET', `${podsPath}/bench-exec`);
    const getMs = elapsedMs(started);
    // The first of each warms up connections and modules.
    if (i === 0) continue;
    clientExecs.push(execMs);
    gets.push(getMs);
  }
  report('exec round trip (client-node, `true`)', median(clientExecs), 'ms', 'one API GET', median(gets));
  await deletePod(api, 'bench-exec');
}

async function portForwardThroughput(api, kubeconfig, env) {
  const probe = { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } };
  // The dev image has the sandbox's own Node on its PATH.
  const command = ['node', '-e', dataServer, '0.0.0.0', '8080', String(transferBytes)];
  await createPod(api, podManifest('bench-data', command, probe), { ready: true });
  const forward = await spawnWithPort(
    'kubectl',
    ['--kubeconfig', kubeconfig, 'port-forward', 'pod/bench-data', ':8080'],
    env,
    /Forwarding from 127\.0\.0\.1:(\d+)/,
  );
  const local = await spawnWithPort(process.execPath, ['-e', dataServer, '127.0.0.1', '0', String(transferBytes)]);
  try {
    const forwarded = [];
    const direct = [];
    // One unmeasured transfer each: the first connection through port-forward sets up its streams.
    await receiveAll(forward.port, transferBytes);
    await receiveAll(local.port, transferBytes);
    for (let i = 0; i < runs; i++) {
      forwarded.push(await receiveAll(forward.port, transferBytes));
      direct.push(await receiveAll(local.port, transferBytes));
    }
    const mb = Math.round(transferBytes / 1024 / 1024);
    report(
      `port-forward throughput (${mb} MB, kubectl)`,
      median(forwarded),
      'MB/s',
      'direct loopback TCP',
      median(direct),
    );
    // A new connection into the pod: the kubelet's connect into the pod's network plus the forward's stream
    // set-up, up to the first byte the pod sends.
    const firstForwarded = [];
    const firstDirect = [];
    for (let i = 0; i < 20; i++) {
      firstForwarded.push(await firstByteMs(forward.port));
      firstDirect.push(await firstByteMs(local.port));
    }
    report(
      'new connection into a pod, to first byte (kubectl)',
      median(firstForwarded),
      'ms',
      'direct loopback TCP',
      median(firstDirect),
    );
  } finally {
    await stopChild(forward.child);
    await stopChild(local.child);
  }
  await deletePod(api, 'bench-data');
}

export async function run() {
  console.log(`\n== sandbox cluster (medians: ${runs} runs, exec ${execRuns}; baselines: the floor of each) ==`);
  await startStop();
  await withSandbox(async ({ kubeconfig, env, api }) => {
    await podStart(api);
    await execRoundTrip(api, kubeconfig, env);
    await portForwardThroughput(api, kubeconfig, env);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

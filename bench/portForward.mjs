// Port-forward figures through devmode (portForward/start over stdio) next to the real `kubectl port-forward`,
// both against the same sandbox in the same run: download and upload throughput, connection setup latency, and the time
// until the local port serves again after the pod behind it is deleted. Over BENCH_NET both reach the cluster through
// the network emulator; BENCH_PF_BYTES sets the size of each transfer (50 MB).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { goal, median, networkName, report } from './lib.mjs';
import { elapsedMs, httpGet, readyPods, startDevmode, startSandbox, waitFor } from './streamsLib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 20);
const transfers = Math.max(3, Math.round(runs / 2));
const replacements = Math.max(3, Math.round(runs / 6));
const BLOB_BYTES = Number(process.env.BENCH_PF_BYTES ?? 50 * 1024 * 1024);
const blobMB = Math.round(BLOB_BYTES / 1024 / 1024);
/** Over a network devmode must forward at least as fast as kubectl; on loopback 1.5 times as fast. */
const throughputGoal = () => (networkName() === 'loopback' ? 1.5 : 1.0);
/** A server that reads BLOB_BYTES, answers how many it got and closes: the upload's other end. */
const SINK = `
const net = require('node:net');
net
  .createServer((socket) => {
    let received = 0;
    let answered = false;
    const answer = () => {
      if (!answered) socket.end(String(received));
      answered = true;
    };
    socket.on('data', (data) => {
      received += data.length;
      if (received >= ${BLOB_BYTES}) answer();
    });
    socket.on('end', answer);
    socket.on('error', () => socket.destroy());
  })
  .listen(9000, '127.0.0.1');
`;

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings}
spec:
  selector: {matchLabels: {app: ratings}}
  template:
    metadata: {labels: {app: ratings}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: ratings
        image: devmode/ratings
        readinessProbe: {httpGet: {path: /health, port: 9080}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: blob}
spec:
  containers:
  - name: main
    image: devmode/dev
    command: [sh, -c, 'mkdir -p /tmp/bench-blob && cd /tmp/bench-blob && head -c ${BLOB_BYTES} /dev/urandom > blob && exec serve 8000']
    readinessProbe: {tcpSocket: {port: 8000}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: sink}
spec:
  containers:
  - name: main
    image: devmode/dev
    command: [node, -e, ${JSON.stringify(SINK)}]
    readinessProbe: {tcpSocket: {port: 9000}, periodSeconds: 1}
`;

/** Starts `kubectl port-forward`; resolves once it prints the local port. */
function kubectlForward(sandbox, resource, remotePort, localPort = 0) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kubectl',
      ['--kubeconfig', sandbox.kubeconfig, 'port-forward', resource, `${localPort || ''}:${remotePort}`],
      {
        env: sandbox.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const onData = (chunk) => {
      output += chunk;
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve({ port: Number(match[1]), child });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${output}`)));
  });
}

function stopChild(child) {
  child.removeAllListeners('exit');
  child.kill('SIGKILL');
}

async function downloadMBps(port) {
  const started = process.hrtime.bigint();
  const { status, bytes } = await httpGet(port, '/blob', 120_000);
  if (status !== 200 || bytes !== BLOB_BYTES) throw new Error(`download failed: status ${status}, ${bytes} bytes`);
  return bytes / 1e6 / (elapsedMs(started) / 1000);
}

/** Sends BLOB_BYTES on a new connection; resolves with the MB/s once the pod confirmed them and closed. */
function uploadMBps(port) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let sent = 0;
    let answer = '';
    const pump = () => {
      while (sent < BLOB_BYTES) {
        const size = Math.min(chunk.length, BLOB_BYTES - sent);
        sent += size;
        if (!socket.write(chunk.subarray(0, size))) return void socket.once('drain', pump);
      }
    };
    socket.once('connect', pump);
    socket.setEncoding('utf8').on('data', (data) => (answer += data));
    socket.once('end', () => {
      if (Number(answer) !== BLOB_BYTES) reject(new Error(`upload failed: the pod got ${answer || 'nothing'}`));
      else resolve(BLOB_BYTES / 1e6 / (elapsedMs(started) / 1000));
    });
    socket.once('error', reject);
  });
}

async function setupMs(port) {
  const started = process.hrtime.bigint();
  const { status } = await httpGet(port, '/health');
  if (status !== 200) throw new Error(`GET /health answered ${status}`);
  return elapsedMs(started);
}

/** Deletes the ratings pod and resolves with the time until `serves()` succeeds again. */
async function replacePod(sandbox, serves) {
  const [pod] = await waitFor(
    async () => {
      const pods = await readyPods(sandbox, 'app=ratings');
      return pods.length === 1 ? pods : undefined;
    },
    90_000,
    'one ready ratings pod',
  );
  const started = process.hrtime.bigint();
  // A forced deletion ends the pod at once, as a crash or an eviction does, so no side keeps using it.
  await sandbox.kubectl(['delete', 'pod', pod, '--grace-period=0', '--force', '--wait=false']);
  await waitFor(serves, 60_000, 'the forward to serve again');
  const ms = elapsedMs(started);
  // Let the old pod finish terminating before the next round.
  await waitFor(
    async () => !(await sandbox.kubectl(['get', 'pods', '-o', 'name'])).stdout.includes(pod),
    60_000,
    'the old pod to go',
  );
  return ms;
}

export async function run() {
  console.log(
    `\n== port-forward vs kubectl port-forward (medians; ${runs} connections, ${transfers} transfers, ${replacements} pod replacements) ==`,
  );
  const sandbox = await startSandbox();
  let devmode;
  const children = [];
  try {
    await sandbox.kubectl(['apply', '-f', '-'], { input: manifests });
    await sandbox.kubectl(['wait', '--for=condition=Ready', 'pod/blob', 'pod/sink', '--timeout=120s'], {
      timeoutMs: 130_000,
    });
    await waitFor(async () => (await readyPods(sandbox, 'app=ratings')).length === 1, 90_000, 'the ratings pod');
    devmode = await startDevmode(sandbox.env);

    const blobForward = await devmode.request('portForward/start', {
      target: { namespace: 'default', pod: 'blob' },
      remotePort: 8000,
      localPort: 0,
    });
    const kubectlBlob = await kubectlForward(sandbox, 'pod/blob', 8000);
    children.push(kubectlBlob.child);
    const ours = [];
    const theirs = [];
    for (let i = 0; i < transfers; i++) {
      ours.push(await downloadMBps(blobForward.localPort));
      theirs.push(await downloadMBps(kubectlBlob.port));
    }
    report(`forward throughput (${blobMB} MB download)`, median(ours), 'MB/s', 'kubectl port-forward', median(theirs));
    goal(
      'port-forward download throughput',
      median(ours),
      median(theirs),
      'MB/s',
      median(ours) >= throughputGoal() * median(theirs),
    );

    const sinkForward = await devmode.request('portForward/start', {
      target: { namespace: 'default', pod: 'sink' },
      remotePort: 9000,
      localPort: 0,
    });
    const kubectlSink = await kubectlForward(sandbox, 'pod/sink', 9000);
    children.push(kubectlSink.child);
    const oursUp = [];
    const theirsUp = [];
    for (let i = 0; i < transfers; i++) {
      oursUp.push(await uploadMBps(sinkForward.localPort));
      theirsUp.push(await uploadMBps(kubectlSink.port));
    }
    report(
      `forward throughput (${blobMB} MB upload)`,
      median(oursUp),
      'MB/s',
      'kubectl port-forward',
      median(theirsUp),
    );
    goal(
      'port-forward upload throughput',
      median(oursUp),
      median(theirsUp),
      'MB/s',
      median(oursUp) >= throughputGoal() * median(theirsUp),
    );

    const ratingsTarget = { namespace: 'default', kind: 'Deployment', name: 'ratings' };
    const ratingsForward = await devmode.request('portForward/start', {
      target: ratingsTarget,
      remotePort: 9080,
      localPort: 0,
    });
    const kubectlRatings = await kubectlForward(sandbox, 'deployment/ratings', 9080);
    children.push(kubectlRatings.child);
    const ourSetup = [];
    const theirSetup = [];
    for (let i = 0; i < runs; i++) {
      ourSetup.push(await setupMs(ratingsForward.localPort));
      theirSetup.push(await setupMs(kubectlRatings.port));
    }
    report('new connection + GET /health', median(ourSetup), 'ms', 'kubectl port-forward', median(theirSetup));
    goal(
      'port-forward connection setup',
      median(ourSetup),
      median(theirSetup),
      'ms',
      median(ourSetup) <= median(theirSetup),
    );
    stopChild(kubectlRatings.child);

    const probe = (port) => async () => {
      try {
        return (await httpGet(port, '/health', 15_000)).status === 200;
      } catch {
        return false;
      }
    };
    const ourRecovery = [];
    for (let i = 0; i < replacements; i++) ourRecovery.push(await replacePod(sandbox, probe(ratingsForward.localPort)));

    // kubectl port-forward does not follow a workload: it ends (or stops serving) with its pod. The baseline is
    // what its users script: restart it on the same local port until it serves again.
    const theirRecovery = [];
    const localPort = kubectlRatings.port;
    for (let i = 0; i < replacements; i++) {
      let current = await kubectlForward(sandbox, 'deployment/ratings', 9080, localPort);
      const restartLoop = async () => {
        try {
          const response = await httpGet(localPort, '/health', 1000);
          if (response.status === 200) return true;
        } catch {
          // Not serving: restart kubectl below.
        }
        stopChild(current.child);
        try {
          current = await kubectlForward(sandbox, 'deployment/ratings', 9080, localPort);
        } catch {
          // No pod to forward to yet; try again.
        }
        return false;
      };
      theirRecovery.push(await replacePod(sandbox, restartLoop));
      stopChild(current.child);
    }
    report(
      'recovery after pod deletion',
      median(ourRecovery),
      'ms',
      'kubectl port-forward restarted in a loop',
      median(theirRecovery),
    );
  } finally {
    for (const child of children) stopChild(child);
    await devmode?.stop();
    await sandbox.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

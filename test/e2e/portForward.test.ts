/**
 * portForward/* through the real server over stdio, against the sandbox cluster: HTTP through a forward that
 * survives the deletion of its pod, many parallel connections, a large transfer, and bad input.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import {
  applyManifest,
  devPod,
  httpGet,
  ratingsDeployment,
  readyPods,
  sha256,
  waitForPodReady,
  waitForReadyPod,
} from './streamFixtures.js';

const NotFound = -31005;
const PortInUse = -31020;
const UnknownId = -31021;
const InvalidParams = -32602;

const UPLOAD_BYTES = 8 * 1024 * 1024;
/** Reads UPLOAD_BYTES of a connection, answers their SHA-256 and closes it (on the dev image's Node). */
const SINK = [
  "const { createHash } = require('node:crypto');",
  "require('node:net').createServer((c) => {",
  "  const h = createHash('sha256'); let n = 0;",
  "  c.on('data', (d) => {",
  `    h.update(d); n += d.length; if (n >= ${UPLOAD_BYTES}) { c.pause(); c.end(h.digest('hex')); }`,
  '  });',
  "  c.on('end', () => { if (n < " + String(UPLOAD_BYTES) + ") c.end(h.digest('hex')); });",
  "  c.on('error', () => c.destroy());",
  "}).listen(9000, '127.0.0.1');",
].join('\n');

let sandbox: TestSandbox;
let client: DevmodeClient;

const ratings = { namespace: 'default', kind: 'Deployment', name: 'ratings' };

interface StartResult {
  id: string;
  localPort: number;
  address: string;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  await applyManifest(sandbox, ratingsDeployment('ratings'));
  // A pod that serves a 50 MB file of random bytes, with its checksum next to it.
  await applyManifest(
    sandbox,
    devPod(
      'blob',
      [
        'sh',
        '-c',
        'mkdir -p /tmp/devmode-e2e-blob && cd /tmp/devmode-e2e-blob && head -c 52428800 /dev/urandom > blob && sha256sum blob > blob.sha256 && ' +
          'exec serve 8000',
      ],
      '    readinessProbe:\n      httpGet: {path: /blob.sha256, port: 8000}\n      periodSeconds: 1\n',
    ),
  );
  // A pod that reads 8 MiB, answers their checksum and closes the connection itself.
  await applyManifest(
    sandbox,
    devPod(
      'sink',
      ['node', '-e', SINK],
      '    readinessProbe:\n      tcpSocket: {port: 9000}\n      periodSeconds: 1\n',
    ),
  );
  await waitForReadyPod(sandbox, 'app=ratings');
  await waitForPodReady(sandbox, 'blob');
  await waitForPodReady(sandbox, 'sink');
  client = await startClient(sandbox.env);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

describe('portForward/start to a workload', () => {
  it('serves HTTP, then serves again on the same local port after its pod is deleted', async () => {
    const started = await client.request<StartResult>('portForward/start', {
      target: ratings,
      remotePort: 9080,
      localPort: 0,
    });
    expect(started.address).toBe('127.0.0.1');
    expect(started.localPort).toBeGreaterThan(0);
    const health = await httpGet(started.localPort, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString())).toEqual({ status: 'Ratings is healthy' });

    const [oldPod] = await readyPods(sandbox, 'app=ratings');
    expect(oldPod).toBeDefined();
    const deletedAt = Date.now();
    const deleted = await sandbox.kubectl(['delete', 'pod', oldPod!, '--wait=false']);
    expect(deleted.code).toBe(0);
    await client.waitForNotification(
      (n) =>
        n.method === 'portForward/didChangeState' && n.params.id === started.id && n.params.state === 'reconnecting',
      20_000,
    );
    // A request made while the pod is being replaced waits for the next pod rather than failing.
    const afterRestart = await httpGet(started.localPort, '/ratings/7');
    const recoveryMs = Date.now() - deletedAt;
    expect(afterRestart.status).toBe(200);
    expect(JSON.parse(afterRestart.body.toString())).toMatchObject({ id: 7 });
    const active = await client.waitForNotification(
      (n) =>
        n.method === 'portForward/didChangeState' &&
        n.params.id === started.id &&
        n.params.state === 'active' &&
        n.params.pod !== oldPod,
      20_000,
    );
    // The forward moved to the pod that replaced the deleted one.
    const pods = await sandbox.kubectl(['get', 'pods', '-l', 'app=ratings', '-o', 'name']);
    expect(pods.stdout).toContain(`pod/${String(active.params.pod)}`);
    // How fast it recovers is a figure for bench/portForward.mjs; here it must recover.
    expect(recoveryMs).toBeGreaterThan(0);

    const listed = await client.request<{ forwards: { id: string; state: string; pod?: string; localPort: number }[] }>(
      'portForward/list',
      {},
    );
    expect(listed.forwards.find((f) => f.id === started.id)).toMatchObject({
      state: 'active',
      pod: active.params.pod,
      localPort: started.localPort,
    });
  }, 60_000);

  it('carries 100 parallel connections', async () => {
    const started = await client.request<StartResult>('portForward/start', {
      target: ratings,
      remotePort: 9080,
      localPort: 0,
    });
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => httpGet(started.localPort, `/ratings/${i}`)),
    );
    responses.forEach((response, i) => {
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString())).toMatchObject({ id: i });
    });
    await client.request('portForward/stop', { id: started.id });
  }, 60_000);
});

describe('portForward/start to a pod', () => {
  it('transfers 50 MB unchanged', async () => {
    const started = await client.request<StartResult>('portForward/start', {
      target: { namespace: 'default', pod: 'blob' },
      remotePort: 8000,
      localPort: 0,
    });
    const witness = await sandbox.kubectl(['exec', 'blob', '--', 'cat', '/tmp/devmode-e2e-blob/blob.sha256']);
    expect(witness.code).toBe(0);
    const expected = witness.stdout.split(/\s+/)[0];
    const startedAt = Date.now();
    const blob = await httpGet(started.localPort, '/blob', 120_000);
    const seconds = (Date.now() - startedAt) / 1000;
    expect(blob.status).toBe(200);
    expect(blob.body.length).toBe(52_428_800);
    expect(sha256(blob.body)).toBe(expected);
    console.log(`50 MB through the forward in ${seconds.toFixed(2)} s (${(50 / seconds).toFixed(1)} MB/s)`);
    await client.request('portForward/stop', { id: started.id });
  }, 150_000);

  it('carries 8 MB to the pod, and ends the local connection when the pod closes its side', async () => {
    const started = await client.request<StartResult>('portForward/start', {
      target: { namespace: 'default', pod: 'sink' },
      remotePort: 9000,
      localPort: 0,
    });
    const data = randomBytes(UPLOAD_BYTES);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(started.localPort, '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      // Only an end of the connection coming from the pod resolves: the local side never ends its own.
      socket.once('end', () => resolve(answer));
      socket.once('error', reject);
      socket.write(data);
    });
    expect(reply).toBe(sha256(data));
    await client.request('portForward/stop', { id: started.id });
  }, 60_000);

  it('fails, saying why, when its pod is deleted', async () => {
    await applyManifest(sandbox, devPod('short-lived', ['sleep', 'infinity']));
    await waitForPodReady(sandbox, 'short-lived');
    const started = await client.request<StartResult>('portForward/start', {
      target: { namespace: 'default', pod: 'short-lived' },
      remotePort: 1234,
      localPort: 0,
    });
    await sandbox.kubectl(['delete', 'pod', 'short-lived', '--wait=false']);
    const failed = await client.waitForNotification(
      (n) => n.method === 'portForward/didChangeState' && n.params.id === started.id && n.params.state === 'failed',
      30_000,
    );
    expect(failed.params.error).toContain('short-lived');
    // The local port is released with it.
    await expect(httpGet(started.localPort, '/', 2000)).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});

describe('portForward bad input', () => {
  it('names a taken local port, or takes the next free one when allowed', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const error = await client.requestError('portForward/start', {
        target: ratings,
        remotePort: 9080,
        localPort: taken,
      });
      expect(error.code).toBe(PortInUse);
      expect(error.message).toContain(String(taken));
      const next = await client.request<StartResult>('portForward/start', {
        target: ratings,
        remotePort: 9080,
        localPort: taken,
        allowNextFreePort: true,
      });
      expect(next.localPort).toBeGreaterThan(taken);
      expect((await httpGet(next.localPort, '/health')).status).toBe(200);
      await client.request('portForward/stop', { id: next.id });
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('reports an unknown pod as NotFound naming the field', async () => {
    const error = await client.requestError('portForward/start', {
      target: { namespace: 'default', pod: 'no-such-pod' },
      remotePort: 80,
    });
    expect(error.code).toBe(NotFound);
    expect(error.message).toContain('no-such-pod');
    expect(error.data?.field).toBe('target.pod');
  });

  it('rejects a port out of range and an unknown id', async () => {
    const badPort = await client.requestError('portForward/start', { target: ratings, remotePort: 70000 });
    expect(badPort.code).toBe(InvalidParams);
    expect(badPort.data?.field).toBe('remotePort');
    const unknown = await client.requestError('portForward/stop', { id: 'pf-999' });
    expect(unknown.code).toBe(UnknownId);
  });

  it('stops a forward: it leaves the list and its port closes', async () => {
    const started = await client.request<StartResult>('portForward/start', {
      target: ratings,
      remotePort: 9080,
      localPort: 0,
    });
    await client.request('portForward/stop', { id: started.id });
    const listed = await client.request<{ forwards: { id: string }[] }>('portForward/list', {});
    expect(listed.forwards.map((f) => f.id)).not.toContain(started.id);
    await expect(httpGet(started.localPort, '/health', 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

/**
 * The exec and port-forward clients of server/src/kube against the sandbox's streaming endpoints, served by a
 * minimal HTTPS server whose pod processes run on the host.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChannelSocket } from '../../server/src/kube/channelSocket.js';
import { openCluster, type ClusterClient } from '../../server/src/kube/client.js';
import { KubeError } from '../../server/src/kube/errors.js';
import { execInPod, type RemoteProcess } from '../../server/src/kube/exec.js';
import { loadKubeconfig } from '../../server/src/kube/kubeconfig.js';
import { canDeliver, podPortForwarder } from '../../server/src/kube/portForward.js';
import { RUNNING_POD, startEchoServer, startHarness, type Harness } from '../sandbox/streamsHarness.js';

let harness: Harness;
let cluster: ClusterClient;
const pod = { namespace: 'default', pod: RUNNING_POD };

beforeAll(async () => {
  harness = await startHarness();
  cluster = await openCluster(loadKubeconfig([harness.kubeconfig]));
});
afterAll(async () => {
  await harness.close();
});

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('execInPod', () => {
  it('returns stdout, stderr and the exit code', async () => {
    const process = await execInPod(cluster, pod, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    const [stdout, stderr, exit] = await Promise.all([collect(process.stdout), collect(process.stderr), process.exit]);
    expect(stdout.toString()).toBe('out\n');
    expect(stderr.toString()).toBe('err\n');
    expect(exit.exitCode).toBe(3);
  });

  it('carries 8 MB of binary stdin to `cat` unchanged, and the end of input finishes it', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const process = await execInPod(cluster, pod, ['cat'], { stdin: true });
    const output = collect(process.stdout);
    process.stdin.end(data);
    expect(sha256(await output)).toBe(sha256(data));
    expect((await process.exit).exitCode).toBe(0);
  });

  it('runs a terminal whose size follows resize', async () => {
    const process: RemoteProcess = await execInPod(cluster, pod, ['sh'], {
      tty: true,
      stdin: true,
      cols: 100,
      rows: 30,
    });
    let seen = '';
    process.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const waitFor = async (text: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!seen.includes(text)) {
        if (Date.now() > deadline) throw new Error(`terminal never printed ${text}; it printed: ${seen}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    process.stdin.write('stty size\n');
    await waitFor('30 100');
    process.resize(132, 43);
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.stdin.write('stty size; exit 5\n');
    await waitFor('43 132');
    expect((await process.exit).exitCode).toBe(5);
  });

  it('fails with the API status for an unknown pod', async () => {
    const failure = await execInPod(cluster, { namespace: 'default', pod: 'missing' }, ['true']).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KubeError);
    expect((failure as KubeError).status).toBe(404);
    expect((failure as KubeError).message).toContain('missing');
  });

  it('rejects the exit when the process is closed before it ends', async () => {
    const process = await execInPod(cluster, pod, ['sleep', '30']);
    process.close();
    await expect(process.exit).rejects.toThrow(/closed/);
  });
});

describe('podPortForwarder', () => {
  it('carries 4 MB there and back through one connection', async () => {
    const echo = await startEchoServer();
    harness.runtime.ports.set(7000, echo.port);
    const connection = await podPortForwarder(cluster).connect(pod, 7000);
    const data = randomBytes(4 * 1024 * 1024);
    const received: Buffer[] = [];
    let length = 0;
    const done = new Promise<void>((resolve) =>
      connection.on('data', (chunk: Buffer) => {
        received.push(chunk);
        length += chunk.length;
        if (length >= data.length) resolve();
      }),
    );
    connection.write(data);
    await done;
    expect(sha256(Buffer.concat(received))).toBe(sha256(data));
    connection.destroy();
    echo.server.close();
  });

  it('delivers into a slow local stream without losing or reordering a byte, pausing the pod side meanwhile', async () => {
    const echo = await startEchoServer();
    harness.runtime.ports.set(7001, echo.port);
    const connection = await podPortForwarder(cluster).connect(pod, 7001);
    if (!canDeliver(connection)) throw new Error('the pod connection cannot deliver');
    const data = randomBytes(8 * 1024 * 1024);
    const received: Buffer[] = [];
    let length = 0;
    let firstData = 0;
    const done = new Promise<void>((resolve) => {
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write: (chunk: Buffer, _encoding, callback) => {
          received.push(Buffer.from(chunk));
          length += chunk.length;
          if (length >= data.length) resolve();
          // A reader slower than the pod: the backlog limit must hold the pod side back.
          setTimeout(callback, 1);
        },
      });
      connection.deliverTo(sink, () => firstData++, 256 * 1024);
    });
    connection.write(data);
    await done;
    expect(sha256(Buffer.concat(received))).toBe(sha256(data));
    expect(firstData).toBe(1);
    connection.destroy();
    echo.server.close();
  });

  it('reports a refused pod port as a stream error', async () => {
    const connection = await podPortForwarder(cluster).connect(pod, 7999);
    const error = await new Promise<Error>((resolve) => connection.once('error', resolve));
    expect(error.message).toContain('7999');
  });
});

/** A TLS server with the harness's certificate that answers every request with `answer(request)`, raw. */
async function rawApiServer(answer: (request: string, socket: TLSSocket) => void): Promise<{
  cluster: ClusterClient;
  requests: string[];
  resumed: boolean[];
  close(): void;
}> {
  const requests: string[] = [];
  const resumed: boolean[] = [];
  const server = createTlsServer({ key: readFileSync(join(harness.dir, 'key.pem')), cert: harness.ca }, (socket) => {
    resumed.push(socket.isSessionReused());
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      requests.push(text.slice(0, end));
      answer(text.slice(0, end), socket);
      text = '';
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = join(harness.dir, `raw-${port}-kubeconfig`);
  writeFileSync(kubeconfig, harness.kubeconfigYaml.replace(harness.url, `https://127.0.0.1:${port}`));
  return {
    cluster: await openCluster(loadKubeconfig([kubeconfig])),
    requests,
    resumed,
    close: () => server.close(),
  };
}

function acceptKey(request: string): string {
  const key = /sec-websocket-key: (\S+)/i.exec(request)?.[1] ?? '';
  return createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
}

const EXEC_PATH = '/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true';

describe('connectChannelSocket', () => {
  it('sends the credentials, keeps frames that came with the 101, and resumes the TLS session next time', async () => {
    const server = await rawApiServer((request, socket) => {
      const frame = Buffer.concat([Buffer.from([0x82, 6, 1]), Buffer.from('early')]);
      // The answer and the first frame in one write: they reach the client in one read.
      socket.write(
        Buffer.concat([
          Buffer.from(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              `Sec-WebSocket-Accept: ${acceptKey(request)}\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n`,
          ),
          frame,
        ]),
      );
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const received: string[] = [];
      const socket = await connectChannelSocket(server.cluster, EXEC_PATH, ['v5.channel.k8s.io'], {
        data: (channel, data) => received.push(`${channel}:${data.toString()}`),
        close: () => undefined,
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received).toEqual(['1:early']);
      expect(socket.protocol).toBe('v5.channel.k8s.io');
      socket.destroy();
    }
    expect(server.requests[0]).toMatch(
      /^GET \/api\/v1\/namespaces\/default\/pods\/web\/exec\?command=true&stdout=true HTTP\/1\.1\r\n/,
    );
    expect(server.requests[0]).toContain(`Authorization: Bearer ${harness.token}`);
    // The first connection made a full handshake; the next (the spare opened after the first 101) resumed it.
    expect(server.resumed.slice(0, 2)).toEqual([false, true]);
    server.close();
  });

  it.each([
    ['a length', (body: string) => `Content-Length: ${body.length}\r\n\r\n${body}`],
    [
      'chunks',
      (body: string) => `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ],
    ['the end of the connection', (body: string) => `Connection: close\r\n\r\n${body}`],
  ])('turns a refused upgrade into the API server status, its body delimited by %s', async (_how, framing) => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'pods "web" is forbidden: User "dev" cannot create resource "pods/exec"',
      reason: 'Forbidden',
      code: 403,
    };
    const server = await rawApiServer((_request, socket) => {
      const body = JSON.stringify(status);
      const answer = `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n${framing(body)}`;
      // Sent in two pieces, split inside the head, as a slow network would deliver it.
      socket.write(answer.slice(0, 20));
      setTimeout(() => {
        if (answer.includes('Connection: close')) socket.end(answer.slice(20));
        else socket.write(answer.slice(20));
      }, 20);
    });
    const failure = await connectChannelSocket(server.cluster, EXEC_PATH, ['v5.channel.k8s.io'], {
      data: () => undefined,
      close: () => undefined,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubeError);
    expect((failure as KubeError).reason).toBe('Forbidden');
    expect((failure as KubeError).message).toBe(status.message);
    server.close();
  });

  it('rejects a 101 with the wrong accept key as a bad handshake', async () => {
    const server = await rawApiServer((_request, socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Accept: wrong\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
      );
    });
    const failure = await connectChannelSocket(server.cluster, EXEC_PATH, ['v5.channel.k8s.io'], {
      data: () => undefined,
      close: () => undefined,
    }).catch((error: unknown) => error);
    expect((failure as KubeError).reason).toBe('BadHandshake');
    server.close();
  });

  it.each([
    ['a line that is not HTTP, then the end of the connection', 'SSH-2.0-OpenSSH_9.2\r\n', true, 'ConnectionLost'],
    ['more header than any HTTP server sends', 'x'.repeat(70 * 1024), false, 'BadHandshake'],
  ])('names the failure when the server answers %s', async (_what, answer, close, reason) => {
    const server = await rawApiServer((_request, socket) => {
      if (close) socket.end(answer);
      else socket.write(answer);
    });
    const failure = await connectChannelSocket(server.cluster, EXEC_PATH, ['v5.channel.k8s.io'], {
      data: () => undefined,
      close: () => undefined,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubeError);
    expect((failure as KubeError).reason).toBe(reason);
    server.close();
  });

  it('gives up on an API server that never answers, with a named timeout', async () => {
    // A server that accepts connections and then says nothing, not even a TLS handshake.
    const silent = createTcpServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const kubeconfig = join(harness.dir, 'silent-kubeconfig');
    writeFileSync(kubeconfig, harness.kubeconfigYaml.replace(harness.url, `https://127.0.0.1:${port}`));
    const quiet = await openCluster(loadKubeconfig([kubeconfig]));
    const started = Date.now();
    const failure = await connectChannelSocket(
      quiet,
      '/api/v1/namespaces/default/pods/web/exec?command=true',
      ['v5.channel.k8s.io'],
      { data: () => undefined, close: () => undefined },
      300,
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubeError);
    expect((failure as KubeError).reason).toBe('Timeout');
    // The silent server never answers: failing at all, well within the test's own deadline, is the behaviour.
    expect(Date.now() - started).toBeLessThan(30_000);
    silent.close();
  });
});

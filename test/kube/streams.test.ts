/**
 * The exec and port-forward clients of server/src/kube against the sandbox's streaming endpoints, served by a
 * minimal HTTPS server whose pod processes run on the host.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChannelSocket } from '../../server/src/kube/channelSocket.js';
import { openCluster, type ClusterClient } from '../../server/src/kube/client.js';
import { KubeError } from '../../server/src/kube/errors.js';
import { execInPod, type RemoteProcess } from '../../server/src/kube/exec.js';
import { loadKubeconfig } from '../../server/src/kube/kubeconfig.js';
import { podPortForwarder } from '../../server/src/kube/portForward.js';
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

  it('reports a refused pod port as a stream error', async () => {
    const connection = await podPortForwarder(cluster).connect(pod, 7999);
    const error = await new Promise<Error>((resolve) => connection.once('error', resolve));
    expect(error.message).toContain('7999');
  });
});

describe('connectChannelSocket', () => {
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
    expect(Date.now() - started).toBeLessThan(5000);
    silent.close();
  });
});

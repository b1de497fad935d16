/**
 * Exec and port-forward against a real sandbox pod (namespace-isolated processes, the kubelet, the API server),
 * driven by the real kubectl and by @kubernetes/client-node.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough, Readable, Writable } from 'node:stream';
import { Exec, KubeConfig, PortForward, type V1Status } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { exchange, type KubectlTarget, kubectlEnv, run, shellQuote, startPortForward } from './streamsHarness.js';

const POD = 'echo';
const ATTACHABLE = 'reader';
const ECHO_PORT = 8080;

let sandbox: TestSandbox;
let target: KubectlTarget;

/** A TCP echo server on the sandbox's own Node (the dev image has it): each connection gets its bytes back. */
const ECHO_SERVER =
  "require('node:net').createServer((c) => { c.on('error', () => c.destroy()); c.pipe(c); })" +
  `.listen(${ECHO_PORT}, '127.0.0.1')`;

const podManifest = `apiVersion: v1
kind: Pod
metadata:
  name: ${POD}
spec:
  containers:
  - name: main
    image: devmode/dev
    command: ['node', '-e', ${JSON.stringify(ECHO_SERVER)}]
---
apiVersion: v1
kind: Pod
metadata:
  name: ${ATTACHABLE}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    stdin: true
    stdinOnce: true
    command: ['sh', '-c', 'while read line; do echo "read:$line"; done; exit 4']
`;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  target = { kubeconfig: sandbox.kubeconfig, home: sandbox.env.HOME! };
  const applied = await sandbox.kubectl(['apply', '-f', '-'], { input: podManifest });
  if (applied.code !== 0) throw new Error(`kubectl apply failed: ${applied.stderr}`);
  const deadline = Date.now() + 60_000;
  for (const pod of [POD, ATTACHABLE]) {
    for (;;) {
      const phase = await sandbox.kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}']);
      if (phase.stdout === 'Running') break;
      if (Date.now() > deadline) throw new Error(`pod ${pod} did not reach Running: ${phase.stdout} ${phase.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  // Running means started; give the echo server a moment to listen.
  const listening = await sandbox.kubectl([
    'exec',
    POD,
    '--',
    'sh',
    '-c',
    'for i in $(seq 100); do grep -q ":1F90 " /proc/net/tcp && exit 0; sleep 0.1; done; exit 1',
  ]);
  if (listening.code !== 0) throw new Error(`the echo server in pod ${POD} does not listen: ${listening.stderr}`);
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

describe('kubectl exec into a sandbox pod', () => {
  it('prints stdout and stderr and propagates the exit code', async () => {
    const result = await sandbox.kubectl(['exec', POD, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toContain('err\n');
    expect(result.stderr).toContain('command terminated with exit code 3');
    expect(result.code).toBe(3);
  });

  it('passes stdin through, with end of input', async () => {
    const result = await sandbox.kubectl(['exec', '-i', POD, '--', 'sh', '-c', 'cat; echo done'], {
      input: 'from-stdin\n',
    });
    expect(result).toMatchObject({ code: 0, stdout: 'from-stdin\ndone\n' });
  });

  it('runs an interactive terminal with -it under a pty, with its size and exit code', async () => {
    const command = [
      'stty cols 100 rows 30;',
      'kubectl exec -it',
      POD,
      '-- sh -c',
      shellQuote(
        'for i in $(seq 50); do [ "$(stty size)" = "30 100" ] && break; sleep 0.1; done; ' +
          'stty size; read line; echo "got:$line"; exit 5',
      ),
    ].join(' ');
    const result = await run('script', ['-qfec', command, '/dev/null'], kubectlEnv(target), 'hello\n');
    expect(result.stdout).toContain('30 100');
    expect(result.stdout).toContain('got:hello');
    expect(result.code).toBe(5);
  });
});

describe('kubectl attach to a sandbox pod', () => {
  it("feeds the container's stdin and reports its exit code once stdin closes it", async () => {
    const result = await sandbox.kubectl(['attach', '-i', ATTACHABLE], { input: 'first\nsecond\n' });
    expect(result.stdout).toContain('read:first\nread:second\n');
    expect(result.code).toBe(4);
  });
});

describe.each([
  ['SPDY tunnelled in a WebSocket', {}],
  ['raw SPDY', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
])('kubectl port-forward into a sandbox pod over %s', (_name, env: NodeJS.ProcessEnv) => {
  it('carries 1 MB there and back unchanged, over several concurrent connections', async () => {
    const forward = await startPortForward(target, ECHO_PORT, env, POD);
    try {
      const payloads = [randomBytes(1024 * 1024), randomBytes(300_000), randomBytes(300_000)];
      const echoed = await Promise.all(payloads.map((payload) => exchange(forward.localPort, payload)));
      for (const [index, payload] of payloads.entries()) {
        expect(echoed[index]!.length).toBe(payload.length);
        expect(echoed[index]!.equals(payload)).toBe(true);
      }
    } finally {
      forward.child.kill();
    }
  });
});

describe('@kubernetes/client-node against a sandbox pod', () => {
  function config(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(readFileSync(sandbox.kubeconfig, 'utf8'));
    return kubeConfig;
  }

  function collector(): { stream: Writable; bytes: () => Buffer } {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        chunks.push(chunk);
        callback();
      },
    });
    return { stream, bytes: () => Buffer.concat(chunks) };
  }

  it('Exec delivers stdin with its end and reports the status', async () => {
    const stdout = collector();
    const stderr = collector();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(config())
        .exec(
          'default',
          POD,
          'main',
          ['sh', '-c', 'cat; echo EOF-SEEN; echo err >&2; exit 6'],
          stdout.stream,
          stderr.stream,
          Readable.from([Buffer.from('piped-input\n')]),
          false,
          resolve,
        )
        .catch(reject);
    });
    expect(stdout.bytes().toString()).toBe('piped-input\nEOF-SEEN\n');
    expect(stderr.bytes().toString()).toBe('err\n');
    expect(status).toMatchObject({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: '6' }] } });
  });

  it('PortForward carries 1 MB there and back unchanged', async () => {
    const payload = randomBytes(1024 * 1024);
    const output = collector();
    const errors = collector();
    const input = new PassThrough();
    const ws = await new PortForward(config()).portForward(
      'default',
      POD,
      [ECHO_PORT],
      output.stream,
      errors.stream,
      input,
    );
    input.write(payload);
    const deadline = Date.now() + 15_000;
    while (output.bytes().length < payload.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(output.bytes().equals(payload)).toBe(true);
    expect(errors.bytes().toString()).toBe('');
    (ws as { close(): void }).close();
  });
});

/**
 * Exec, attach and port-forward driven by the real kubectl and by @kubernetes/client-node against the streaming
 * endpoints, with a fake runtime (host processes, local TCP servers) standing in for the kubelet.
 */
import { randomBytes } from 'node:crypto';
import type { Server as TcpServer } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { Exec, KubeConfig, PortForward, type V1Status } from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeRuntime,
  type Harness,
  kubectlEnv,
  roundTrip,
  run,
  RUNNING_POD,
  shellQuote,
  startEchoServer,
  startHarness,
  startPortForward,
  STOPPED_POD,
} from './streamsHarness.js';

const ECHO_POD_PORT = 8080;
const CLOSED_POD_PORT = 8081;

let harness: Harness;
let runtime: FakeRuntime;
let echo: { server: TcpServer; port: number };

beforeAll(async () => {
  harness = await startHarness();
  runtime = harness.runtime;
  echo = await startEchoServer();
  runtime.ports.set(ECHO_POD_PORT, echo.port);
});

afterAll(async () => {
  runtime.killAll();
  echo.server.close();
  await harness.close();
});

function kubectl(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof run> {
  return run('kubectl', args, kubectlEnv(harness, env), input);
}

describe('kubectl exec over WebSocket', () => {
  it('prints stdout and stderr and exits 0', async () => {
    const result = await kubectl(['exec', RUNNING_POD, '--', 'sh', '-c', 'echo out; echo err >&2']);
    expect(result).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes stdin through, with end of input', async () => {
    const result = await kubectl(['exec', '-i', RUNNING_POD, '--', 'sh', '-c', 'cat; echo done'], 'from-stdin\n');
    expect(result).toMatchObject({ code: 0, stdout: 'from-stdin\ndone\n' });
  });

  it('propagates a non-zero exit code', async () => {
    const result = await kubectl(['exec', RUNNING_POD, '--', 'sh', '-c', 'echo before; exit 3']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('before\n');
    expect(result.stderr).toContain('command terminated with exit code 3');
  });

  it('runs an interactive terminal with -it under a pty, with its size and exit code', async () => {
    const command = [
      'stty cols 100 rows 30;',
      'kubectl exec -it',
      RUNNING_POD,
      '-- sh -c',
      // kubectl sends the size right after connecting: wait for it to arrive, as a shell started by hand would.
      shellQuote(
        'for i in $(seq 50); do [ "$(stty size)" = "30 100" ] && break; sleep 0.1; done; ' +
          'stty size; read line; echo "got:$line"; exit 5',
      ),
    ].join(' ');
    const result = await run('script', ['-qfec', command, '/dev/null'], kubectlEnv(harness), 'hello\n');
    expect(result.stdout).toContain('30 100');
    expect(result.stdout).toContain('got:hello');
    expect(result.code).toBe(5);
    expect(runtime.resizes).toContainEqual({ cols: 100, rows: 30 });
  });

  it('returns once the command exits even when a background child keeps its output open', async () => {
    const started = Date.now();
    // The background child outlives the bound by far: returning within it shows exec did not wait for the child.
    const result = await kubectl(['exec', RUNNING_POD, '--', 'sh', '-c', 'sleep 120 & echo started']);
    expect(result).toMatchObject({ code: 0, stdout: 'started\n' });
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it('reports a pod whose runtime refuses the exec', async () => {
    const result = await kubectl(['exec', STOPPED_POD, '--', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`pod ${STOPPED_POD} is not running`);
  });

  it('answers a SPDY exec with a clear error rather than a crash', async () => {
    const result = await kubectl(['exec', RUNNING_POD, '--', 'true'], undefined, {
      KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not supported');
    expect(result.stderr).not.toContain('panic');
  });
});

describe.each([
  ['SPDY tunnelled in a WebSocket (the default)', {}, 'GET websocket portforward'],
  [
    'raw SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)',
    { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' },
    'POST spdy/3.1 portforward',
  ],
])('kubectl port-forward over %s', (_name, env: NodeJS.ProcessEnv, upgrade: string) => {
  it('carries 1 MB of random bytes there and back unchanged', async () => {
    harness.upgrades.length = 0;
    const forward = await startPortForward(harness, ECHO_POD_PORT, env);
    try {
      const payload = randomBytes(1024 * 1024);
      const echoed = await roundTrip(forward.localPort, payload);
      expect(echoed.length).toBe(payload.length);
      expect(echoed.equals(payload)).toBe(true);
      // kubectl silently falls back to raw SPDY when the WebSocket upgrade fails: make sure it did not.
      expect(harness.upgrades).toEqual([upgrade]);
    } finally {
      forward.child.kill();
    }
  });

  it('serves several concurrent connections through one port-forward', async () => {
    const forward = await startPortForward(harness, ECHO_POD_PORT, env);
    try {
      const payloads = Array.from({ length: 6 }, () => randomBytes(200_000));
      const echoed = await Promise.all(payloads.map((payload) => roundTrip(forward.localPort, payload)));
      for (const [index, payload] of payloads.entries()) expect(echoed[index]!.equals(payload)).toBe(true);
      // The session survives its connections: one more round trip works.
      expect((await roundTrip(forward.localPort, Buffer.from('again'))).toString()).toBe('again');
    } finally {
      forward.child.kill();
    }
  });

  it('reports a refused pod port on the error stream', async () => {
    const forward = await startPortForward(harness, CLOSED_POD_PORT, env);
    try {
      const received = await roundTrip(forward.localPort, Buffer.from('hello')).catch(() => Buffer.alloc(0));
      expect(received.length).toBe(0);
      await new Promise((resolve) => forward.child.once('exit', resolve));
      expect(forward.output()).toMatch(/error forwarding port 8081 to pod web: .*ECONNREFUSED/);
    } finally {
      forward.child.kill();
    }
  });
});

function clientConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(harness.kubeconfigYaml);
  return config;
}

/** Collects what a stream receives. */
function sink(): { stream: Writable; text: () => string; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString(), bytes: () => Buffer.concat(chunks) };
}

function execWithClient(
  command: string[],
  stdin: Readable | null,
): Promise<{ status: V1Status; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  return new Promise((resolve, reject) => {
    new Exec(clientConfig())
      .exec('default', RUNNING_POD, 'main', command, stdout.stream, stderr.stream, stdin, false, (status) =>
        resolve({ status, stdout: stdout.text(), stderr: stderr.text() }),
      )
      .catch(reject);
  });
}

describe('@kubernetes/client-node', () => {
  it('Exec receives stdout, stderr and the success status, and delivers stdin with its end', async () => {
    const result = await execWithClient(
      ['sh', '-c', 'cat; echo EOF-SEEN; echo err >&2'],
      Readable.from([Buffer.from('piped-input\n')]),
    );
    expect(result).toEqual({
      status: { metadata: {}, status: 'Success' },
      stdout: 'piped-input\nEOF-SEEN\n',
      stderr: 'err\n',
    });
  });

  it('Exec reports a non-zero exit code in the status', async () => {
    const result = await execWithClient(['sh', '-c', 'exit 7'], null);
    expect(result.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('Exec against an unknown pod fails before the upgrade with the HTTP status', async () => {
    const exec = new Exec(clientConfig());
    await expect(
      exec.exec('default', 'missing', 'main', ['true'], sink().stream, sink().stream, null, false),
    ).rejects.toHaveProperty('message', 'Unexpected server response: 404');
  });

  it('PortForward carries 1 MB there and back unchanged', async () => {
    const payload = randomBytes(1024 * 1024);
    const output = sink();
    const input = new PassThrough();
    const errors = sink();
    const ws = await new PortForward(clientConfig()).portForward(
      'default',
      RUNNING_POD,
      [ECHO_POD_PORT],
      output.stream,
      errors.stream,
      input,
    );
    input.write(payload);
    const deadline = Date.now() + 10_000;
    while (output.bytes().length < payload.length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(output.bytes().equals(payload)).toBe(true);
    expect(errors.text()).toBe('');
    (ws as { close(): void }).close();
  });

  it('PortForward to a pod that is not running fails before the upgrade with the HTTP status', async () => {
    const forward = new PortForward(clientConfig());
    await expect(
      forward.portForward('default', STOPPED_POD, [ECHO_POD_PORT], sink().stream, sink().stream, new PassThrough()),
    ).rejects.toHaveProperty('message', 'Unexpected server response: 400');
  });

  it('PortForward reports a refused pod port on the error channel', async () => {
    const errors = sink();
    const closed = new Promise<void>((resolve) => {
      void new PortForward(clientConfig())
        .portForward('default', RUNNING_POD, [CLOSED_POD_PORT], sink().stream, errors.stream, new PassThrough())
        .then((ws) => (ws as { on(event: 'close', listener: () => void): void }).on('close', resolve));
    });
    await closed;
    expect(errors.text()).toMatch(/error forwarding port 8081 to pod web: .*ECONNREFUSED/);
  });
});

describe('kubectl attach', () => {
  it('attaches to the container process with stdin and reports its exit code', async () => {
    const result = await kubectl(['attach', '-i', RUNNING_POD], 'typed\n');
    expect(result.stdout).toContain('attached');
    expect(result.stdout).toContain('typed');
    expect(result.code).toBe(4);
  });
});

describe('older channel protocols', () => {
  /** Runs `sh -c script` over a raw WebSocket offering only `protocol`; returns the messages and the close code. */
  async function rawExec(
    protocol: string,
    script: string,
  ): Promise<{ protocol: string; messages: Buffer[]; code: number }> {
    const query = new URLSearchParams([
      ['command', 'sh'],
      ['command', '-c'],
      ['command', script],
      ['stdout', 'true'],
    ]);
    const ws = new WebSocket(
      `wss://127.0.0.1:${new URL(harness.url).port}/api/v1/namespaces/default/pods/${RUNNING_POD}/exec?${query.toString()}`,
      [protocol],
      {
        ca: harness.ca,
        headers: { Authorization: `Bearer ${harness.token}` },
      },
    );
    const messages: Buffer[] = [];
    ws.on('message', (data: Buffer) => messages.push(data));
    const code = await new Promise<number>((resolve, reject) => {
      ws.on('close', resolve);
      ws.on('error', reject);
    });
    return { protocol: ws.protocol, messages, code };
  }

  it('v4 gets stdout, then the status as JSON on channel 3, then a normal close', async () => {
    const result = await rawExec('v4.channel.k8s.io', 'echo four; exit 2');
    expect(result.protocol).toBe('v4.channel.k8s.io');
    expect(result.messages[0]).toEqual(Buffer.from('\x01four\n'));
    expect(result.messages[1]![0]).toBe(3);
    expect(JSON.parse(result.messages[1]!.subarray(1).toString())).toMatchObject({
      status: 'Failure',
      details: { causes: [{ reason: 'ExitCode', message: '2' }] },
    });
    expect(result.code).toBe(1000);
  });

  it('v1 reports a failure as text on channel 3 and says nothing on success', async () => {
    const failed = await rawExec('channel.k8s.io', 'exit 2');
    expect(failed.messages.map((message) => message.toString())).toEqual([
      '\x03command terminated with non-zero exit code: exit status 2',
    ]);
    const succeeded = await rawExec('channel.k8s.io', 'echo one');
    expect(succeeded.messages.map((message) => message.toString())).toEqual(['\x01one\n']);
    expect(succeeded.code).toBe(1000);
  });
});

describe('channel port-forward with several ports', () => {
  it('announces each port on its two channels, forwards data, and reports a refused port on its error channel', async () => {
    const url = `wss://127.0.0.1:${new URL(harness.url).port}/api/v1/namespaces/default/pods/${RUNNING_POD}/portforward?ports=${ECHO_POD_PORT},${CLOSED_POD_PORT}`;
    const ws = new WebSocket(url, ['v4.channel.k8s.io'], {
      ca: harness.ca,
      headers: { Authorization: `Bearer ${harness.token}` },
    });
    const messages: Buffer[] = [];
    ws.on('message', (data: Buffer) => messages.push(data));
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    const has = (text: string): boolean => messages.some((message) => message.subarray(1).toString().includes(text));
    const deadline = Date.now() + 5000;
    while (!has('ECONNREFUSED') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const port = (value: number): number[] => [value & 0xff, value >> 8];
    expect(messages.slice(0, 4).map((message) => [...message])).toEqual([
      [0, ...port(ECHO_POD_PORT)],
      [1, ...port(ECHO_POD_PORT)],
      [2, ...port(CLOSED_POD_PORT)],
      [3, ...port(CLOSED_POD_PORT)],
    ]);
    expect(messages[4]![0]).toBe(3);
    expect(messages[4]!.subarray(1).toString()).toMatch(/^error forwarding port 8081 to pod web: .*ECONNREFUSED/);
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('over channel 0')]));
    while (!has('over channel 0') && Date.now() < deadline + 5000)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(messages[5]).toEqual(Buffer.concat([Buffer.from([0]), Buffer.from('over channel 0')]));
    ws.close();
  });
});

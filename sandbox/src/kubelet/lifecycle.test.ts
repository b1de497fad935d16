/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- statuses are loosely typed JSON (see contracts.ts). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MemoryStore } from '../store.js';
import { Kubelet } from './index.js';
import { containerState, eventsFor, getPod, podObject, storeWithNamespace, waitFor } from './testkit.js';

let store: MemoryStore;
let kubelet: Kubelet;

beforeAll(async () => {
  store = storeWithNamespace();
  kubelet = new Kubelet({
    store,
    stateDir: mkdtempSync(join(tmpdir(), 'kubelet-life-')),
    nodeName: 'node-1',
    backOffBaseMs: 300,
  });
  await kubelet.start();
});

afterAll(async () => {
  await kubelet.stop();
});

async function collect(stream: Readable | null): Promise<string> {
  let text = '';
  if (stream !== null) for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('kubelet lifecycle', () => {
  test('init containers run in order before the app container', async () => {
    store.create(
      'pods',
      podObject('with-init', {
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [
          {
            name: 'first',
            image: 'busybox',
            command: ['sh', '-c', 'echo first >> /work/order'],
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
          {
            name: 'second',
            image: 'busybox',
            command: ['sh', '-c', 'echo second >> /work/order'],
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'cat /work/order; sleep 60'],
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
        ],
      }),
    );
    await waitFor('app running', () => containerState(store, 'with-init') === 'running');
    const statuses = getPod(store, 'with-init')?.status.initContainerStatuses as {
      state: { terminated?: { exitCode: number; reason: string } };
    }[];
    expect(statuses.map((c) => c.state.terminated)).toEqual([
      expect.objectContaining({ exitCode: 0, reason: 'Completed' }),
      expect.objectContaining({ exitCode: 0, reason: 'Completed' }),
    ]);
    await waitFor(
      'app output',
      async () => (await collect(kubelet.logs('default', 'with-init', 'app', {}))) === 'first\nsecond\n',
    );
    expect(await collect(kubelet.logs('default', 'with-init', 'first', {}))).toBe('');
  });

  test('a startup probe holds back readiness until it passes', async () => {
    store.create(
      'pods',
      podObject('slow-start', {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'sleep 1; touch /tmp/started; sleep 60'],
            startupProbe: { exec: { command: ['test', '-e', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 10 },
          },
        ],
      }),
    );
    await waitFor('running', () => containerState(store, 'slow-start') === 'running');
    expect(getPod(store, 'slow-start')?.status.containerStatuses[0]).toMatchObject({ started: false, ready: false });
    await waitFor('started and ready', () => {
      const c = getPod(store, 'slow-start')?.status.containerStatuses[0];
      return c?.started === true && c.ready === true;
    });
  });

  test('a command that does not exist fails to start like a real runtime', async () => {
    store.create(
      'pods',
      podObject('nocmd', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['no-such-binary'] }],
      }),
    );
    await waitFor('failed', () => getPod(store, 'nocmd')?.status?.phase === 'Failed');
    const terminated = getPod(store, 'nocmd')?.status.containerStatuses[0].state.terminated;
    expect(terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(terminated.message).toContain('exec: "no-such-binary": executable file not found in $PATH');
    expect(
      eventsFor(store, 'nocmd').some(
        (e) => e.reason === 'Failed' && String(e.message).startsWith('Error: failed to create containerd task'),
      ),
    ).toBe(true);
  });

  test('exec of a missing executable says so like a runtime, with exit code 127', async () => {
    store.create(
      'pods',
      podObject('execs', { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }] }),
    );
    await waitFor('running', () => containerState(store, 'execs') === 'running');
    const proc = kubelet.exec('default', 'execs', undefined, ['nope'], { stdin: false, tty: false });
    const [stderr, code] = await Promise.all([collect(proc.stderr), proc.exited]);
    expect(code).toBe(127);
    expect(stderr).toBe(
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown\n',
    );
  });

  test('attach reaches the main process: its stdin when the spec asks for it, and its output', async () => {
    store.create(
      'pods',
      podObject('interactive', {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'while read line; do echo "got $line"; done'],
            stdin: true,
          },
        ],
      }),
    );
    await waitFor('running', () => containerState(store, 'interactive') === 'running');
    const session = kubelet.attach('default', 'interactive', undefined, { stdin: true, tty: false });
    let out = '';
    session.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    session.stdin?.write('hello\n');
    await waitFor('echo', () => out === 'got hello\n');
    session.kill();
    expect(await session.exited).toBe(0);
    expect(containerState(store, 'interactive')).toBe('running');
    expect(await collect(kubelet.logs('default', 'interactive', undefined, {}))).toBe('got hello\n');
  });

  test('connect() into a pod reaches its server every time, connection after connection', async () => {
    store.create(
      'pods',
      podObject('fast', {
        containers: [{ name: 'c', image: 'devmode/dev', command: ['serve', '8000'] }],
      }),
    );
    await waitFor('running', () => containerState(store, 'fast') === 'running');
    await waitFor('listening', async () => {
      try {
        (await kubelet.connect('default', 'fast', 8000)).destroy();
        return true;
      } catch {
        return false;
      }
    });
    // How long a connect takes is a figure for bench/sandbox.mjs (new connection into a pod); here it must work.
    for (let i = 0; i < 20; i++) {
      const socket = await kubelet.connect('default', 'fast', 8000);
      socket.write('GET / HTTP/1.0\r\n\r\n');
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.once('end', () => resolve(text));
        socket.once('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      socket.destroy();
    }
    // Its log has each request line as development servers write it, query included.
    const query = await kubelet.connect('default', 'fast', 8000);
    query.end('GET /?from=test HTTP/1.0\r\n\r\n');
    query.resume();
    await waitFor('the request logged', async () =>
      (await collect(kubelet.logs('default', 'fast', undefined, {}))).includes('"GET /?from=test HTTP/1.0" 200'),
    );
  });
  test('changing a container image restarts it from the new image', async () => {
    store.create(
      'pods',
      podObject('swap', { containers: [{ name: 'c', image: 'no-such-image-yet', command: ['sleep', '60'] }] }),
    );
    await waitFor('pull failure', () => /ImagePull|ErrImage/.test(containerState(store, 'swap') ?? ''));
    const pod = getPod(store, 'swap');
    if (pod === undefined) throw new Error('pod missing');
    pod.spec.containers[0].image = 'busybox';
    delete pod.metadata.resourceVersion;
    store.update('pods', pod);
    await waitFor('running busybox', () => containerState(store, 'swap') === 'running');
    const running = getPod(store, 'swap');
    if (running === undefined) throw new Error('pod missing');
    running.spec.containers[0].image = 'debian';
    delete running.metadata.resourceVersion;
    store.update('pods', running);
    await waitFor('restarted from debian', () => {
      const c = getPod(store, 'swap')?.status.containerStatuses[0];
      return c?.image === 'debian' && c.restartCount === 1 && 'running' in c.state;
    });
    expect(eventsFor(store, 'swap').map((e) => e.message)).toContain(
      'Container c definition changed, will be restarted',
    );
  });
});

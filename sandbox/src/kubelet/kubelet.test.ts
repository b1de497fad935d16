/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { ApiError, type ContainerProcess } from '../contracts.js';
import type { MemoryStore } from '../store.js';
import { Kubelet } from './index.js';
import {
  containerState,
  descendantsOf,
  stillRunning,
  eventsFor,
  getPod,
  podObject,
  processesMentioning,
  storeWithNamespace,
  waitFor,
} from './testkit.js';

let store: MemoryStore;
let kubelet: Kubelet;
let stateDir: string;

beforeAll(async () => {
  store = storeWithNamespace();
  stateDir = mkdtempSync(join(tmpdir(), 'kubelet-test-'));
  kubelet = new Kubelet({ store, stateDir, nodeName: 'node-1', backOffBaseMs: 400, backOffMaxMs: 2000 });
  await kubelet.start();
});

afterAll(async () => {
  await kubelet.stop();
});

async function collect(stream: Readable | null): Promise<string> {
  if (stream === null) return '';
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

async function run(proc: ContainerProcess): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdout, stderr, code] = await Promise.all([collect(proc.stdout), collect(proc.stderr), proc.exited]);
  return { code, stdout, stderr };
}

function sh(name: string, script: string, extra: Record<string, unknown> = {}): void {
  store.create(
    'pods',
    podObject(name, {
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...extra }],
      terminationGracePeriodSeconds: 2,
    }),
  );
}

async function running(name: string): Promise<void> {
  await waitFor(
    `${name} running`,
    () => getPod(store, name)?.status?.phase === 'Running' && containerState(store, name) === 'running',
  );
  await waitFor(
    `${name} ready`,
    () =>
      getPod(store, name)?.status?.containerStatuses?.[0]?.ready === true ||
      getPod(store, name)?.spec.containers[0].readinessProbe,
  );
}

function logs(name: string, options: Parameters<Kubelet['logs']>[3] = {}, container?: string): Promise<string> {
  return collect(kubelet.logs('default', name, container, options));
}

describe('kubelet', () => {
  test('runs a pod, binds it to the node, reports status and keeps its logs', async () => {
    sh('hello', 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 60');
    await running('hello');
    const pod = getPod(store, 'hello');
    expect(pod?.spec.nodeName).toBe('node-1');
    expect(pod?.status).toMatchObject({ phase: 'Running', podIP: '127.0.0.1', hostIP: '127.0.0.1' });
    expect(pod?.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual(
      expect.arrayContaining(['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']),
    );
    const status = pod?.status.containerStatuses[0];
    expect(status).toMatchObject({ name: 'main', ready: true, restartCount: 0, image: 'busybox', started: true });
    expect(status.containerID).toMatch(/^devmode:\/\/[0-9a-f]{64}$/);
    expect(status.imageID).toMatch(/^busybox@sha256:/);
    await waitFor('output', async () => (await logs('hello')) === 'one\ntwo\nthree\n' || undefined);
    expect(await logs('hello')).toBe('one\ntwo\nthree\n');
    expect(await logs('hello', { tailLines: 1 })).toBe('three\n');
    expect(await logs('hello', { limitBytes: 5 })).toBe('one\nt');
    expect(await logs('hello', { timestamps: true })).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z one\n/);
    expect(await logs('hello', { sinceTime: new Date(Date.now() + 60_000).toISOString() })).toBe('');
    const reasons = eventsFor(store, 'hello').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']));
  });

  test("log errors look like a real kubelet's", async () => {
    expect(() => kubelet.logs('default', 'nope', undefined, {})).toThrow(
      expect.objectContaining({ code: 404, message: 'pods "nope" not found' }),
    );
    expect(() => kubelet.logs('default', 'hello', undefined, { previous: true })).toThrow(
      expect.objectContaining({ code: 400, message: 'previous terminated container "main" in pod "hello" not found' }),
    );
    store.create('pods', podObject('never', { containers: [{ name: 'c', image: 'no-such-image-xyz' }] }));
    await waitFor('pull failure', () =>
      /waiting:(ErrImagePull|ImagePullBackOff)/.test(containerState(store, 'never') ?? ''),
    );
    expect(() => kubelet.logs('default', 'never', undefined, {})).toThrow(ApiError);
    expect(() => kubelet.logs('default', 'never', undefined, {})).toThrow(
      /container "c" in pod "never" is waiting to start: (ErrImagePull|ImagePullBackOff)/,
    );
  });

  test('follow streams new lines and ends when the container stops', async () => {
    sh('ticker', 'for i in 1 2 3; do echo tick $i; sleep 0.3; done', {});
    await running('ticker');
    const text = await logs('ticker', { follow: true });
    expect(text).toBe('tick 1\ntick 2\ntick 3\n');
  });

  test('restarts a crashing container with back-off, shows CrashLoopBackOff and keeps the previous log', async () => {
    sh('crasher', 'echo crashed once; exit 3');
    await waitFor('crash loop', () => containerState(store, 'crasher') === 'waiting:CrashLoopBackOff');
    const status = getPod(store, 'crasher')?.status.containerStatuses[0];
    expect(status.restartCount).toBeGreaterThanOrEqual(1);
    expect(status.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(status.state.waiting.message).toMatch(
      /^back-off \d+s restarting failed container=main pod=crasher_default\(/,
    );
    expect(getPod(store, 'crasher')?.status.phase).toBe('Running');
    expect(await logs('crasher', { previous: true })).toBe('crashed once\n');
    const backOff = eventsFor(store, 'crasher').find((e) => e.reason === 'BackOff');
    expect(backOff).toMatchObject({
      type: 'Warning',
      message: expect.stringContaining('Back-off restarting failed container main in pod crasher_default'),
    });
    const counts: number[] = [];
    const started = Date.now();
    await waitFor('three restarts', () => {
      const n = getPod(store, 'crasher')?.status.containerStatuses[0].restartCount as number;
      if (counts.at(-1) !== n) counts.push(n);
      return n >= 3;
    });
    // 0 s, then 0.4 s and 0.8 s of back-off: the restarts slow down.
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  test('restartPolicy Never and OnFailure end the pod with the right phase and exit codes', async () => {
    store.create(
      'pods',
      podObject('done', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] }),
    );
    store.create(
      'pods',
      podObject('broken', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 7'] }],
      }),
    );
    await waitFor('succeeded', () => getPod(store, 'done')?.status?.phase === 'Succeeded');
    await waitFor('failed', () => getPod(store, 'broken')?.status?.phase === 'Failed');
    expect(getPod(store, 'done')?.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(getPod(store, 'broken')?.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 7,
      reason: 'Error',
    });
    expect(() => kubelet.exec('default', 'done', undefined, ['true'], { stdin: false, tty: false })).toThrow(
      'cannot exec into a container in a completed pod; current phase is Succeeded',
    );
  });

  test('an unknown image fails with ErrImagePull, then ImagePullBackOff and a Warning event', async () => {
    store.create('pods', podObject('badimage', { containers: [{ name: 'c', image: 'registry.example/nothing:1.0' }] }));
    await waitFor('ImagePullBackOff', () => containerState(store, 'badimage') === 'waiting:ImagePullBackOff');
    expect(getPod(store, 'badimage')?.status.phase).toBe('Pending');
    const failed = eventsFor(store, 'badimage').find(
      (e) => e.reason === 'Failed' && String(e.message).startsWith('Failed to pull image'),
    );
    expect(failed).toMatchObject({ type: 'Warning' });
    expect(String(failed?.message)).toMatch(/^Failed to pull image "registry.example\/nothing:1.0": .*not found$/);
    expect(eventsFor(store, 'badimage').map((e) => e.message)).toContain(
      'Back-off pulling image "registry.example/nothing:1.0"',
    );
  });

  test('a readiness probe (httpGet) drives Ready, on the ratings image', async () => {
    store.create(
      'pods',
      podObject('ratings', {
        containers: [
          {
            name: 'ratings',
            image: 'docker.io/devmode/ratings:1.0',
            ports: [{ name: 'http', containerPort: 9080 }],
            readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 1 },
          },
        ],
      }),
    );
    await running('ratings');
    await waitFor('ready', () => getPod(store, 'ratings')?.status.containerStatuses[0].ready === true);
    expect(getPod(store, 'ratings')?.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe(
      'True',
    );
    const socket = await kubelet.connect('default', 'ratings', 9080);
    socket.end('GET /ratings/7 HTTP/1.0\r\n\r\n');
    const reply = await collect(socket);
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toEqual({
      id: 7,
      ratings: { Reviewer1: 5, Reviewer2: 4 },
    });
    await expect(kubelet.connect('default', 'ratings', 9999)).rejects.toThrow(/ECONNREFUSED|refused/);
  });

  test('a failing readiness probe keeps the pod unready with Unhealthy events; a failing liveness probe restarts it', async () => {
    sh('unready', 'sleep 60', {
      readinessProbe: { exec: { command: ['sh', '-c', 'echo not yet; exit 1'] }, periodSeconds: 1 },
    });
    sh('unlive', 'sleep 60', { livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 2 } });
    await running('unready');
    await waitFor('Unhealthy', () => eventsFor(store, 'unready').find((e) => e.reason === 'Unhealthy'));
    expect(getPod(store, 'unready')?.status.containerStatuses[0].ready).toBe(false);
    expect(eventsFor(store, 'unready').find((e) => e.reason === 'Unhealthy')?.message).toBe(
      'Readiness probe failed: not yet',
    );
    await waitFor(
      'liveness restart',
      () => getPod(store, 'unlive')?.status.containerStatuses[0].restartCount >= 1,
      20_000,
    );
    const messages = eventsFor(store, 'unlive').map((e) => String(e.message));
    expect(messages).toContain('Liveness probe failed: dial tcp 127.0.0.1:8080: connect: connection refused');
    expect(messages).toContain('Container main failed liveness probe, will be restarted');
  });

  test('pods are isolated: own files, own network (both on 8080), own PIDs', async () => {
    // A file server on the sandbox's own Node, from the dev image.
    const server = { image: 'devmode/dev' };
    sh('iso-a', 'exec serve 8080', server);
    sh('iso-b', 'exec serve 8080', server);
    await running('iso-a');
    await running('iso-b');
    const write = await run(
      kubelet.exec('default', 'iso-a', undefined, ['sh', '-c', 'echo secret > /tmp/only-here && cat /tmp/only-here'], {
        stdin: false,
        tty: false,
      }),
    );
    expect(write).toMatchObject({ code: 0, stdout: 'secret\n' });
    expect(existsSync('/tmp/only-here')).toBe(false);
    const other = await run(
      kubelet.exec('default', 'iso-b', undefined, ['ls', '/tmp/only-here'], { stdin: false, tty: false }),
    );
    expect(other.code).not.toBe(0);
    for (const name of ['iso-a', 'iso-b']) {
      await waitFor(`${name} listening`, async () => {
        try {
          const socket = await kubelet.connect('default', name, 8080);
          socket.end('GET / HTTP/1.0\r\n\r\n');
          return (await collect(socket)).startsWith('HTTP/1.1 200');
        } catch {
          return false;
        }
      });
    }
    // The exec'd shell sees a handful of PIDs, all small (the container's setup used a few dozen): the pod's own PID
    // namespace, not the host's.
    const pids = await run(
      kubelet.exec('default', 'iso-a', undefined, ['sh', '-c', 'echo $$; ls /proc | grep -c "^[0-9]"'], {
        stdin: false,
        tty: false,
      }),
    );
    const [shellPid, count] = pids.stdout.trim().split('\n').map(Number);
    expect(shellPid).toBeLessThan(100);
    expect(count).toBeLessThan(10);
    const host = await run(
      kubelet.exec('default', 'iso-a', undefined, ['cat', '/proc/net/dev'], { stdin: false, tty: false }),
    );
    expect(host.stdout).not.toMatch(/eth0|ens|enp/);
  });

  test('exec reports exit codes, a missing executable, and resizes a TTY', async () => {
    sh('shell', 'sleep 60', { workingDir: '/work/dir' });
    await running('shell');
    const ok = await run(
      kubelet.exec('default', 'shell', 'main', ['sh', '-c', 'pwd; echo err >&2; exit 42'], {
        stdin: false,
        tty: false,
      }),
    );
    expect(ok).toEqual({ code: 42, stdout: '/work/dir\n', stderr: 'err\n' });
    const missing = await run(
      kubelet.exec('default', 'shell', undefined, ['no-such-command'], { stdin: false, tty: false }),
    );
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe(
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH: unknown\n',
    );
    const piped = kubelet.exec('default', 'shell', undefined, ['cat'], { stdin: true, tty: false });
    piped.stdin?.end('through stdin');
    expect(await run(piped)).toMatchObject({ code: 0, stdout: 'through stdin' });
    const tty = kubelet.exec('default', 'shell', undefined, ['sh'], { stdin: true, tty: true, cols: 100, rows: 30 });
    let screen = '';
    tty.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    tty.stdin?.write('stty size\n');
    await waitFor('first size', () => screen.includes('30 100'));
    tty.resize(120, 40);
    tty.stdin?.write('stty size; exit 5\n');
    expect(await tty.exited).toBe(5);
    expect(screen).toContain('40 120');
    expect(() => kubelet.exec('default', 'shell', 'other', ['true'], { stdin: false, tty: false })).toThrow(
      'container other is not valid for pod shell',
    );
  });

  test('env, config maps, secrets, emptyDir shared between containers, and claims kept on disk', async () => {
    store.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'hello', 'app.conf': 'x=1\n' },
    });
    store.create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sec', namespace: 'default' },
      data: { token: Buffer.from('s3cret').toString('base64') },
    });
    store.create('persistentvolumeclaims', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'default' },
      spec: {},
    });
    store.create(
      'pods',
      podObject('configured', {
        volumes: [
          { name: 'conf', configMap: { name: 'cfg' } },
          { name: 'shared', emptyDir: {} },
          { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        ],
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'echo from-main > /shared/file; echo persisted > /data/keep; sleep 60'],
            env: [
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'MSG', value: '$(GREETING) from $(POD)' },
            ],
            volumeMounts: [
              { name: 'conf', mountPath: '/etc/app' },
              { name: 'shared', mountPath: '/shared' },
              { name: 'data', mountPath: '/data' },
            ],
          },
          {
            name: 'side',
            image: 'busybox',
            command: ['sleep', '60'],
            volumeMounts: [{ name: 'shared', mountPath: '/mnt' }],
          },
        ],
      }),
    );
    await waitFor('both running', () =>
      getPod(store, 'configured')?.status?.containerStatuses?.every((c: { state: object }) => 'running' in c.state),
    );
    const env = await run(
      kubelet.exec(
        'default',
        'configured',
        'main',
        [
          'sh',
          '-c',
          'echo "$GREETING $TOKEN $POD|$MSG"; cat /etc/app/app.conf; touch /etc/app/x 2>/dev/null || echo read-only',
        ],
        { stdin: false, tty: false },
      ),
    );
    expect(env.stdout).toBe('hello s3cret configured|hello from configured\nx=1\nread-only\n');
    await waitFor(
      'shared file',
      async () =>
        (await run(kubelet.exec('default', 'configured', 'side', ['cat', '/mnt/file'], { stdin: false, tty: false })))
          .stdout === 'from-main\n',
    );
    expect(readdirSync(join(stateDir, 'volumes', 'default', 'data'))).toEqual(['keep']);
  });

  test('graceful deletion sends SIGTERM, then removes the pod', async () => {
    sh('graceful', 'trap "echo got TERM; exit 0" TERM; while true; do sleep 0.1; done');
    await running('graceful');
    const pod = getPod(store, 'graceful');
    if (pod === undefined) throw new Error('pod missing');
    pod.metadata.deletionTimestamp = new Date().toISOString();
    // A grace period far longer than any slow machine needs: the pod going before it ends shows that the
    // container exited on TERM rather than being killed when the grace period ran out.
    pod.metadata.deletionGracePeriodSeconds = 120;
    delete pod.metadata.resourceVersion;
    store.update('pods', pod);
    const started = Date.now();
    await waitFor('pod removed', () => getPod(store, 'graceful') === undefined, 100_000);
    expect(Date.now() - started).toBeLessThan(100_000);
    expect(eventsFor(store, 'graceful').map((e) => e.message)).toContain('Stopping container main');
  });

  test('a killed container whose output something outside still holds ends anyway, with a warning', async () => {
    sh('held', 'sleep 120');
    await running('held');
    const uid = getPod(store, 'held')?.metadata.uid ?? '';
    // The container's process on the host, the child the kubelet reads the container's output from.
    const sandboxPid = processesMentioning(`${uid}/containers/main/root`).find(
      (p) => readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(process.pid),
    )?.pid;
    if (sandboxPid === undefined) throw new Error('no sandbox process for the pod');
    // A process outside the pod takes a copy of the container's stdout (pidfd_getfd, with Perl, which the runtime
    // itself may use; syscall numbers from 424 on are the same on every architecture): the socket cannot close
    // when the pod's processes end.
    const holder = spawn(
      'perl',
      [
        '-e',
        'my $pidfd = syscall(434, $ARGV[0] + 0, 0); ' +
          'die "pidfd_getfd failed: $!\\n" if $pidfd < 0 || syscall(438, $pidfd, 1, 0) < 0; ' +
          '$| = 1; print "holding\\n"; sleep 60;',
        String(sandboxPid),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    onTestFinished(() => {
      holder.kill('SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`the holder exited with code ${code}`)));
    });
    const pod = getPod(store, 'held');
    if (pod === undefined) throw new Error('pod missing');
    pod.metadata.deletionTimestamp = new Date().toISOString();
    pod.metadata.deletionGracePeriodSeconds = 1;
    delete pod.metadata.resourceVersion;
    store.update('pods', pod);
    // Without closing the held output the pod would never go; how soon it goes is not the point.
    await waitFor('pod removed', () => getPod(store, 'held') === undefined, 60_000);
    expect(eventsFor(store, 'held').map((e) => e.message)).toContain(
      'Container main left processes holding its output; closing it',
    );
  });

  test('a hostNetwork pod shares the host network: its namespace, and connections to host ports', async () => {
    store.create(
      'pods',
      podObject('hostnet', {
        hostNetwork: true,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', '60'] }],
      }),
    );
    sh('ownnet', 'sleep 60');
    await running('hostnet');
    await running('ownnet');
    const netOf = async (name: string): Promise<string> =>
      (
        await run(
          kubelet.exec('default', name, undefined, ['readlink', '/proc/self/ns/net'], { stdin: false, tty: false }),
        )
      ).stdout.trim();
    expect(await netOf('hostnet')).toBe(readlinkSync('/proc/self/ns/net'));
    expect(await netOf('ownnet')).not.toBe(readlinkSync('/proc/self/ns/net'));
    // A connection into the pod reaches a port of the host.
    const server = createServer((socket) => socket.end('from the host\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      server.close();
    });
    const port = (server.address() as AddressInfo).port;
    expect(await collect(await kubelet.connect('default', 'hostnet', port))).toBe('from the host\n');
  });

  test('stop() leaves no process behind', async () => {
    // A duration no other test uses: the last check looks at every process of the machine.
    sh('last', 'sleep 1207');
    await running('last');
    // The pod processes: containers and infra processes (named after the state dir, as the relays are) and what
    // runs inside them.
    const podProcesses = descendantsOf(process.pid).filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes(stateDir) || cmdline.includes('sleep');
      } catch {
        return false;
      }
    });
    expect(podProcesses.length).toBeGreaterThan(4);
    await kubelet.stop();
    expect(stillRunning(podProcesses)).toEqual([]);
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(processesMentioning('sleep 1207')).toEqual([]);
  });
});

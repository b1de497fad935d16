/**
 * Pods as real processes, driven the way users drive them: the real kubectl against a sandbox started through
 * its CLI. A Deployment of the ratings image rolls out, a deleted pod is replaced, logs and exec reach the
 * container, an unknown image shows ImagePullBackOff; and a kubelet killed outright leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { descendantsOf, processesMentioning, stillRunning, waitFor } from '../../sandbox/src/kubelet/testkit.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await sandbox.kubectl(
    args,
    input === undefined ? { timeoutMs: 90_000 } : { input, timeoutMs: 90_000 },
  );
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
  return result.stdout;
}

const RATINGS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ratings
spec:
  replicas: 2
  selector: {matchLabels: {app: ratings}}
  template:
    metadata: {labels: {app: ratings}}
    spec:
      containers:
      - name: ratings
        image: docker.io/devmode/ratings:1.0
        ports: [{containerPort: 9080}]
        readinessProbe:
          httpGet: {path: /health, port: 9080}
          periodSeconds: 1
`;

async function podNames(selector: string): Promise<string[]> {
  const out = await kubectl([
    'get',
    'pods',
    '-l',
    selector,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}{" "}{.status.phase}{" "}{.metadata.deletionTimestamp}{"\\n"}{end}',
  ]);
  return out
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter(([name, phase, deleting]) => name && phase === 'Running' && !deleting)
    .map(([name]) => name ?? '');
}

describe('pods through kubectl', () => {
  it('rolls out a Deployment of devmode/ratings and replaces a deleted pod', async () => {
    await kubectl(['apply', '-f', '-'], RATINGS);
    const status = await kubectl(['rollout', 'status', 'deployment/ratings', '--timeout=60s']);
    expect(status).toContain('deployment "ratings" successfully rolled out');
    const table = await kubectl(['get', 'pods', '-l', 'app=ratings']);
    expect(table.split('\n').filter((line) => /^ratings-\S+\s+1\/1\s+Running\s+0\s/.test(line))).toHaveLength(2);
    const [victim] = await podNames('app=ratings');
    if (victim === undefined) throw new Error('no ratings pod');
    expect(await kubectl(['delete', 'pod', victim])).toContain(`pod "${victim}" deleted`);
    const after = await waitFor(
      'replacement pod',
      async () => {
        const names = await podNames('app=ratings');
        return names.length === 2 && !names.includes(victim) ? names : undefined;
      },
      30_000,
    );
    expect(after).not.toContain(victim);
    await kubectl(['rollout', 'status', 'deployment/ratings', '--timeout=60s']);
  }, 120_000);

  it('shows container logs and runs exec inside the container with its exit code', async () => {
    const [pod] = await podNames('app=ratings');
    if (pod === undefined) throw new Error('no ratings pod');
    expect(await kubectl(['logs', pod])).toContain('ratings listening on port 9080');
    const exec = await sandbox.kubectl(['exec', pod, '--', 'sh', '-c', 'echo "$PORT $(hostname) $(pwd)"; exit 3']);
    expect(exec.code).toBe(3);
    expect(exec.stdout).toBe(`9080 ${pod} /app\n`);
    const health = await kubectl([
      'exec',
      pod,
      '--',
      'node',
      '-e',
      'fetch("http://127.0.0.1:9080/ratings/1").then((r) => r.text()).then(console.log)',
    ]);
    expect(JSON.parse(health)).toEqual({ id: 1, ratings: { Reviewer1: 5, Reviewer2: 4 } });
  }, 60_000);

  it('an unknown image ends in ImagePullBackOff with a Failed event', async () => {
    await kubectl(['run', 'nosuch', '--image=registry.example/nosuch:1', '--restart=Never']);
    const status = await waitFor(
      'ImagePullBackOff',
      async () => {
        const out = await kubectl(['get', 'pod', 'nosuch', '--no-headers']);
        return /ImagePullBackOff/.test(out) ? out : undefined;
      },
      30_000,
    );
    expect(status).toMatch(/^nosuch\s+0\/1\s+ImagePullBackOff\s+0\s/);
    const events = await kubectl([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=nosuch',
      '-o',
      'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}',
    ]);
    expect(events).toMatch(/^Warning Failed Failed to pull image "registry.example\/nosuch:1": .*not found$/m);
  }, 60_000);
});

/** True once both the pod's sandbox command and its container command run under `root` as processes of their own. */
function runningCommands(root: number): boolean {
  const commands = descendantsOf(root).map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      return '';
    }
  });
  return commands.includes('sleep infinity') && commands.includes('sleep 300');
}

describe('a kubelet that dies', () => {
  it('takes its pod processes with it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'kubelet-killed-'));
    const dist = (path: string): string => pathToFileURL(join(ROOT, 'sandbox', 'dist', path)).href;
    const script = `
      const { Kubelet } = await import(${JSON.stringify(dist('kubelet/index.js'))});
      const { MemoryStore } = await import(${JSON.stringify(dist('store.js'))});
      const { RESOURCES } = await import(${JSON.stringify(dist('resources.js'))});
      const store = new MemoryStore(RESOURCES);
      store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
      await new Kubelet({ store, stateDir: ${JSON.stringify(stateDir)}, nodeName: 'n' }).start();
      store.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }] } });
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    // Whatever this test asserts, the kubelet it started must not outlive it.
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    // The container's root directory is under the state dir, so its command line names it.
    await waitFor('pod processes', () => processesMentioning(stateDir).length >= 2, 20_000);
    // Both commands must run as themselves (not just appear on the command line of the setpriv, nsenter or unshare
    // that will start them): a process killed mid-start is a different test. The sandbox holds `sleep infinity`.
    await waitFor('pod sandbox and container running', () => runningCommands(child.pid ?? -1), 20_000);
    const podProcesses = descendantsOf(child.pid ?? -1);
    child.kill('SIGKILL');
    await waitFor('no pod process left', () => stillRunning(podProcesses).length === 0, 10_000).catch(
      (error: Error) => {
        const left = stillRunning(podProcesses).map((pid) => {
          try {
            return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`;
          } catch {
            return `${pid}`;
          }
        });
        throw new Error(`${error.message}; still running: ${left.join('; ')}`);
      },
    );
    expect(processesMentioning(stateDir)).toEqual([]);
  }, 60_000);
});

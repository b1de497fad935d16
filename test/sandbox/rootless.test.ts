/**
 * The sandbox without root: started by an unprivileged user, its pods live in a user namespace of their own (the
 * user is root inside it) and keep every isolation guarantee: own network (two pods on one port), own PIDs, own
 * files, exec and connections into the pod, nothing left after stop.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProcesses } from '../../sandbox/src/processes.js';
import { run, sandboxCli } from '../helpers/sandbox.js';

/** `nobody`: an unprivileged user that exists on every Linux system. */
const USER = 65534;
const scratch = mkdtempSync(join(tmpdir(), 'devmode-rootless-'));
const stateDir = join(scratch, 'state');
const home = join(scratch, 'home');
const kubeconfig = join(stateDir, 'kubeconfig');
const asUser = { user: USER, env: { ...process.env, HOME: home, XDG_CACHE_HOME: '' } };

function kubectl(args: string[]) {
  return run('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    env: { ...process.env, HOME: join(scratch, 'kubectl') },
    timeoutMs: 60_000,
  });
}

const pods = `apiVersion: v1
kind: Pod
metadata: {name: one}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: main, image: devmode/dev, command: [serve, "8080"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: main, image: devmode/ratings, env: [{name: PORT, value: "8080"}]}]
`;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test starts the sandbox as another user, which needs root');
  chmodSync(scratch, 0o755);
  for (const dir of [stateDir, home]) {
    mkdirSync(dir);
    chownSync(dir, USER, USER);
  }
  const started = await sandboxCli(['start'], stateDir, asUser);
  if (started.code !== 0) throw new Error(`sandbox start as an unprivileged user failed:\n${started.stdout}`);
  const applied = await run('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], {
    input: pods,
    env: { ...process.env, HOME: join(scratch, 'kubectl') },
  });
  if (applied.code !== 0) throw new Error(`kubectl apply failed: ${applied.stderr}`);
  const ready = await kubectl(['wait', '--for=condition=Ready', 'pod/one', 'pod/two', '--timeout=60s']);
  if (ready.code !== 0) throw new Error(`pods not ready: ${ready.stderr}`);
}, 120_000);

afterAll(async () => {
  await sandboxCli(['stop'], stateDir, asUser);
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe('the sandbox without root', () => {
  it('runs pods in a user namespace, each with its own network, PIDs and files', async () => {
    const daemon = Number(readFileSync(join(stateDir, 'sandbox.pid'), 'utf8').trim());
    expect(readFileSync(`/proc/${daemon}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${USER}\\s`, 'm'));
    const inside = await kubectl(['exec', 'one', '--', 'sh', '-c', 'id -u; cat /proc/self/uid_map; echo $$']);
    expect(inside.code, inside.stderr).toBe(0);
    const [uid, map, pid] = inside.stdout.trim().split('\n');
    expect(uid).toBe('0');
    expect(map?.trim().split(/\s+/)).toEqual(['0', String(USER), '1']);
    expect(Number(pid)).toBeLessThan(100);
    // Both pods listen on 8080, each in its own network namespace, and each answers its own server.
    const fetch = (path: string) => [
      'node',
      '-e',
      `fetch("http://127.0.0.1:8080${path}").then((r) => r.text()).then(console.log)`,
    ];
    expect((await kubectl(['exec', 'one', '--', ...fetch('/')])).stdout).toContain('README');
    expect(JSON.parse((await kubectl(['exec', 'two', '--', ...fetch('/ratings/5')])).stdout)).toMatchObject({ id: 5 });
    const write = await kubectl(['exec', 'one', '--', 'sh', '-c', 'echo secret > /tmp/only-here']);
    expect(write.code).toBe(0);
    expect((await kubectl(['exec', 'two', '--', 'ls', '/tmp/only-here'])).code).not.toBe(0);
    expect((await kubectl(['logs', 'two'])).stdout).toContain('ratings listening on port 8080');
  }, 120_000);

  it('stop leaves no process of its pods behind', async () => {
    const stopped = await sandboxCli(['stop'], stateDir, asUser);
    expect(stopped.code, stopped.stdout).toBe(0);
    const left = listProcesses().filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(stateDir);
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
  }, 60_000);
});

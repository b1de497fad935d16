/**
 * The real control plane harness itself: it serves the pinned Kubernetes version, both identities authenticate and
 * RBAC governs the restricted one, the controllers and the scheduler run (a Deployment gets its pod, and the pod is
 * Unschedulable for want of a node), and stop leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { realDeveloperContext, startControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { waitUntil } from '../e2e/devModeHelpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cluster: TestControlPlane;

beforeAll(async () => {
  cluster = await startControlPlane();
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** The pids of processes that run one of the control plane's binaries with files in `stateDir`. */
function controlPlanePids(binDir: string, stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const args = commandLine.split('\0');
      if (args[0]?.startsWith(`${binDir}/`) === true && args.some((arg) => arg.includes(stateDir)))
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe('the real control plane', () => {
  test('serves Kubernetes v1.32.4 to kubectl', async () => {
    const version = await cluster.kubectl(['version', '-o', 'json']);
    expect(version.code).toBe(0);
    const server = (
      JSON.parse(version.stdout) as { serverVersion: { gitVersion: string; major: string; minor: string } }
    ).serverVersion;
    expect(server).toMatchObject({ gitVersion: 'v1.32.4', major: '1', minor: '32' });
  });

  test('the admin sees every namespace; the developer is denied by RBAC', async () => {
    const namespaces = await cluster.kubectl(['get', 'namespaces', '-o', 'name']);
    expect(namespaces.stdout.split('\n')).toEqual(
      expect.arrayContaining(['namespace/default', 'namespace/kube-system']),
    );
    const denied = await cluster.kubectl(['--context', realDeveloperContext, 'get', 'pods']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('pods is forbidden: User "developer" cannot list resource "pods"');
  });

  test('a Deployment gets a pod, which the scheduler finds no node for', async () => {
    const created = await cluster.kubectl(['create', 'deployment', 'web', '--image=registry.invalid/web:1']);
    expect(created.code).toBe(0);
    let reason = '';
    await waitUntil(
      async () => {
        const pods = await cluster.kubectl([
          'get',
          'pods',
          '-l',
          'app=web',
          '-o',
          'jsonpath={.items[0].status.conditions[?(@.type=="PodScheduled")].message}',
        ]);
        reason = pods.stdout;
        return reason !== '';
      },
      60_000,
      'the scheduler to judge the pod',
    );
    expect(reason).toContain('no nodes available to schedule pods');
  });
});

describe('stopping the control plane', () => {
  test('leaves no process and no state directory behind', async () => {
    const second = await startControlPlane({ controllers: false });
    // etcd and kube-apiserver (this one runs no controllers).
    expect(controlPlanePids(second.binDir, second.stateDir).length).toBe(2);
    await second.stop();
    expect(controlPlanePids(second.binDir, second.stateDir)).toEqual([]);
    expect(() => readFileSync(second.kubeconfig)).toThrow();
  }, 180_000);
});

describe('a test worker that dies', () => {
  test('takes its control plane with it, even killed with SIGKILL (no exit hook runs)', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'devmode-crash-')), 'report.json');
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const runner = spawn(
      process.execPath,
      [vitest, 'run', '--config', join(ROOT, 'test', 'realCluster', 'fixtures', 'vitest.config.ts')],
      { cwd: ROOT, env: { ...process.env, DEVMODE_CRASH_REPORT: report }, stdio: 'ignore', detached: true },
    );
    try {
      await waitUntil(
        async () => Promise.resolve(existsSync(report)),
        120_000,
        'the worker to start its control plane',
      );
      const worker = JSON.parse(readFileSync(report, 'utf8')) as { pid: number; stateDir: string; binDir: string };
      expect(controlPlanePids(worker.binDir, worker.stateDir).length).toBe(2);
      process.kill(worker.pid, 'SIGKILL');
      await waitUntil(
        async () => Promise.resolve(controlPlanePids(worker.binDir, worker.stateDir).length === 0),
        30_000,
        'etcd and kube-apiserver to die with their worker',
      );
      // The killed worker could not clean up after itself.
      rmSync(worker.stateDir, { recursive: true, force: true });
    } finally {
      // The runner ends by itself once its worker is gone; this is for a test that failed before.
      try {
        if (runner.pid !== undefined) process.kill(-runner.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      rmSync(dirname(report), { recursive: true, force: true });
    }
  }, 180_000);
});

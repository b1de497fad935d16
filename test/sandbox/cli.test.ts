/**
 * The sandbox CLI as a user meets it: start, status, a second start, stop, a second stop, a stale pid file,
 * a restart that keeps the cluster's objects, and clear messages when what pods are made with is missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/src/kubelet/testkit.js';
import { listProcesses } from '../../sandbox/src/processes.js';
import { sandboxCli, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

describe('sandbox CLI', () => {
  it('writes a private kubeconfig for the devmode-sandbox context', () => {
    const kubeconfig = readFileSync(sandbox.kubeconfig, 'utf8');
    expect(statSync(sandbox.kubeconfig).mode & 0o777).toBe(0o600);
    expect(kubeconfig).toContain('current-context: devmode-sandbox\n');
    expect(kubeconfig).toMatch(/server: https:\/\/127\.0\.0\.1:\d+\n/);
    expect(kubeconfig).toMatch(/certificate-authority-data: [A-Za-z0-9+/=]+\n/);
  });

  it('reports status and refuses to start twice', async () => {
    const status = await sandboxCli(['status'], sandbox.stateDir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^the sandbox is running \(pid \d+\)\nAPI: https:\/\/127\.0\.0\.1:\d+\n/);
    expect(status.stdout).toContain(`kubeconfig: ${sandbox.kubeconfig}\n`);
    expect(status.stdout).toMatch(/pods: \d+\n/);
    const again = await sandboxCli(['start'], sandbox.stateDir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^the sandbox is already running \(pid \d+, API https:\/\/127\.0\.0\.1:\d+\)\n/);
  });

  it('keeps objects and its address across a stop and a start', async () => {
    const server = /server: (\S+)/.exec(readFileSync(sandbox.kubeconfig, 'utf8'))?.[1];
    const created = await sandbox.kubectl(['create', 'configmap', 'kept', '--from-literal=a=1']);
    expect(created.stdout).toBe('configmap/kept created\n');

    const stopped = await sandboxCli(['stop'], sandbox.stateDir);
    expect(stopped).toMatchObject({ code: 0 });
    expect(stopped.stdout).toMatch(/^sandbox stopped \(pid \d+\)\n$/);
    const stoppedAgain = await sandboxCli(['stop'], sandbox.stateDir);
    expect(stoppedAgain).toMatchObject({ code: 0, stdout: 'the sandbox is not running\n' });
    const status = await sandboxCli(['status'], sandbox.stateDir);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('the sandbox is not running');

    const restarted = await sandboxCli(['start'], sandbox.stateDir);
    expect(restarted.code).toBe(0);
    expect(restarted.stdout).toContain(`kubeconfig: ${sandbox.kubeconfig}\n`);
    expect(/server: (\S+)/.exec(readFileSync(sandbox.kubeconfig, 'utf8'))?.[1]).toBe(server);
    const kept = await sandbox.kubectl(['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}']);
    expect(kept.stdout).toBe('1');
  }, 60_000);

  it('stops promptly while an exec session and a watch are open', async () => {
    await sandbox.kubectl(['run', 'idle', '--image=busybox', '--', 'sleep', '3600']);
    const ready = await sandbox.kubectl(['wait', '--for=condition=Ready', 'pod/idle', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(ready.code).toBe(0);
    const session = sandbox.kubectl(['exec', 'idle', '--', 'sleep', '300'], { timeoutMs: 60_000 });
    const watch = sandbox.kubectl(['get', 'pods', '-w'], { timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = Date.now();
    const stopped = await sandboxCli(['stop'], sandbox.stateDir);
    expect(stopped.stdout).toMatch(/^sandbox stopped \(pid \d+\)\n$/);
    // The exec session would keep it up for 300 s: stopping well before that is the behaviour.
    expect(Date.now() - started).toBeLessThan(45_000);
    expect((await session).code).not.toBe(0);
    expect((await watch).stdout).toContain('idle');
    expect((await sandboxCli(['start'], sandbox.stateDir)).code).toBe(0);
  }, 90_000);

  it('never signals an unrelated process named by a stale pid file', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'devmode-sandbox-reused-'));
    try {
      writeFileSync(join(stateDir, 'sandbox.pid'), `${process.pid}\n`);
      const stopped = await sandboxCli(['stop'], stateDir);
      expect(stopped.stdout).toBe(
        `removed a stale pid file (process ${process.pid} is not a running sandbox)\nthe sandbox is not running\n`,
      );
      expect(stopped.code).toBe(0);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('kills what a killed sandbox left of its pods, and nothing else of its session', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'devmode-sandbox-leftover-'));
    // A stand-in for a daemon killed mid-start: a session leader that is gone, leaving two processes in its
    // session, one naming the state directory as pod processes do, one not.
    const leader = spawn(
      'sh',
      ['-c', `sh -c 'sleep 300; :' ${stateDir}/pods/p1 & sh -c 'sleep 301; :' elsewhere & echo started`],
      { detached: true, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await new Promise((resolve) => leader.once('exit', resolve));
    const session = leader.pid ?? -1;
    const members = (): { pid: number; args: string }[] =>
      listProcesses()
        .filter((p) => p.sid === session)
        .map((p) => ({ pid: p.pid, args: readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ') }));
    try {
      await waitFor('both processes', () => members().filter((m) => m.args.startsWith('sh -c')).length === 2);
      const podProcess = members().find((m) => m.args.includes(stateDir));
      writeFileSync(join(stateDir, 'sandbox.pid'), `${session}\n`);
      const status = await sandboxCli(['status'], stateDir);
      expect(status.stdout).toBe(
        `removed a stale pid file (process ${session} is not a running sandbox)\n` +
          `killed 1 pod process(es) the stopped sandbox left running: ${podProcess?.pid}\n` +
          `the sandbox is not running (state directory ${stateDir})\n`,
      );
      await waitFor('the pod process to end', () => !members().some((m) => m.args.includes(stateDir)));
      expect(members().filter((m) => m.args.includes('elsewhere'))).toHaveLength(1);
    } finally {
      for (const member of members()) process.kill(member.pid, 'SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('clears a stale pid file', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'devmode-sandbox-stale-'));
    try {
      writeFileSync(join(stateDir, 'sandbox.pid'), '2147483646\n');
      const status = await sandboxCli(['status'], stateDir);
      expect(status.code).toBe(3);
      expect(status.stdout).toBe(
        `removed a stale pid file (process 2147483646 is not a running sandbox)\nthe sandbox is not running (state directory ${stateDir})\n`,
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('shows the end of the log when the daemon dies during start', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busyPort = String((blocker.address() as AddressInfo).port);
    const stateDir = mkdtempSync(join(tmpdir(), 'devmode-sandbox-busy-'));
    try {
      const result = await sandboxCli(['start', '--port', busyPort], stateDir);
      expect(result.stdout).toMatch(/^the sandbox daemon exited \(code 1\) before its API answered; last lines of /);
      expect(result.stdout).toContain('EADDRINUSE');
      expect(result.code).toBe(1);
      expect(readFileSync(join(stateDir, 'sandbox.log'), 'utf8')).toContain('the sandbox failed to start');
    } finally {
      await sandboxCli(['stop'], stateDir);
      blocker.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('explains what to install when util-linux is missing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'devmode-sandbox-noutil-'));
    try {
      const result = await sandboxCli(['start'], stateDir, { hide: ['unshare'] });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        'cannot start the sandbox: unshare (util-linux) is not installed; the sandbox makes pods with it. Install util-linux.',
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("says what to install when nothing can bring up a pod's loopback device (neither ip nor perl)", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'devmode-sandbox-nolo-'));
    try {
      const result = await sandboxCli(['start'], stateDir, { hide: ['ip', 'perl'] });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        "cannot start the sandbox: neither ip (iproute2) nor perl is installed: cannot bring up a pod's loopback device",
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('rejects unknown commands and options with usage', async () => {
    const result = await sandboxCli(['launch'], sandbox.stateDir);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('unknown command "launch"');
    expect(result.stdout).toContain('usage: sandbox <command>');
  });
});

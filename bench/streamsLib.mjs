// Helpers for the benchmarks that need a cluster: a sandbox started through its CLI, kubectl with a throw-away
// HOME, the devmode server over stdio, and plain HTTP on a fresh connection.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeconfigTarget, startNetemProcess, writeProxiedKubeconfig } from './netem.mjs';

const sandboxEntry = fileURLToPath(new URL('../sandbox/dist/main.js', import.meta.url));
const devmodeBin = fileURLToPath(new URL('../server/bin/devmode.mjs', import.meta.url));

export function runCommand(command, args, { env = process.env, input = '', timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/**
 * Starts a sandbox cluster in a temporary state directory; `kubeconfig` reaches it through the network emulator
 * when BENCH_NET names a profile, `directKubeconfig` always directly.
 */
export async function startSandbox() {
  const stateDir = mkdtempSync(join(tmpdir(), 'devmode-bench-sandbox-'));
  const home = mkdtempSync(join(tmpdir(), 'devmode-bench-home-'));
  const started = await runCommand(process.execPath, [sandboxEntry, 'sandbox', 'start', '--state-dir', stateDir]);
  if (started.code !== 0) throw new Error(`sandbox start failed: ${started.stdout}${started.stderr}`);
  const directKubeconfig = join(stateDir, 'kubeconfig');
  // Over an emulated network (BENCH_NET), every client but the benchmark's own /metrics scrapes goes through it.
  let netem;
  let kubeconfig = directKubeconfig;
  if (process.env.BENCH_NET !== undefined) {
    const target = kubeconfigTarget(directKubeconfig);
    netem = await startNetemProcess(target, process.env.BENCH_NET);
    kubeconfig = join(stateDir, 'kubeconfig-netem');
    writeProxiedKubeconfig(directKubeconfig, kubeconfig, target, netem.port);
  }
  const env = { ...process.env, HOME: home, KUBECONFIG: kubeconfig };
  const kubectl = async (args, options = {}) => {
    const result = await runCommand('kubectl', ['--kubeconfig', kubeconfig, ...args], { env, ...options });
    if (result.code !== 0 && options.check !== false) {
      throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
    }
    return result;
  };
  return {
    kubeconfig,
    directKubeconfig,
    netem,
    env,
    kubectl,
    async stop() {
      await netem?.close();
      await runCommand(process.execPath, [sandboxEntry, 'sandbox', 'stop', '--state-dir', stateDir]);
      rmSync(home, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Starts `devmode serve --stdio` and initializes it; notifications are recorded. */
export async function startDevmode(env) {
  const { spawnServer } = await import('../server/dist/rpc/client.js');
  const server = spawnServer({ command: process.execPath, args: [devmodeBin] }, { env });
  const listeners = new Set();
  server.connection.onNotification((method, params) => {
    for (const listener of listeners) listener(method, params);
  });
  await server.connection.sendRequest('initialize', { clientInfo: { name: 'bench' } });
  await server.connection.sendNotification('initialized', {});
  return {
    request: (method, params) => server.connection.sendRequest(method, params),
    notify: (method, params) => server.connection.sendNotification(method, params),
    onNotification(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      await server.connection.sendRequest('shutdown').catch(() => undefined);
      await server.connection.sendNotification('exit').catch(() => undefined);
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      server.child.kill('SIGKILL');
      server.connection.dispose();
    },
  };
}

/** One GET on a new connection; resolves with the status and body size. */
export function httpGet(port, path, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.once('end', () => resolve({ status: res.statusCode, bytes }));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.once('error', reject);
    req.end();
  });
}

export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function readyPods(sandbox, selector) {
  const { stdout } = await sandbox.kubectl(['get', 'pods', '-l', selector, '-o', 'json']);
  return JSON.parse(stdout)
    .items.filter((pod) => pod.metadata.deletionTimestamp === undefined)
    .filter((pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((pod) => pod.metadata.name);
}

export const elapsedMs = (started) => Number(process.hrtime.bigint() - started) / 1e6;

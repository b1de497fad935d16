/**
 * dist/devmode on a machine without Node: the server over stdio, the CLI, and the sandbox with a pod whose image
 * and helper processes come out of the executable itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RawServer } from '../helpers/rawServer.js';
import { BINARY, BUNDLE, ROOT, SYSTEM_PATH, ensureBinary, nodelessView, runNodeless } from './nodeless.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'server', 'package.json'), 'utf8')) as { version: string }).version;
const scratch = mkdtempSync(join(tmpdir(), 'devmode-binary-'));
const home = join(scratch, 'home');
const kubeconfig = join(scratch, 'kubeconfig.yaml');
writeFileSync(
  kubeconfig,
  `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: { server: "https://127.0.0.1:6443" }
contexts:
- name: dev
  context: { cluster: dev-cluster, user: dev-user, namespace: team-a }
users:
- name: dev-user
  user: { token: never-logged }
`,
);
/** Whether a process runs; a zombie (exited, not yet reaped by whoever adopted it) does not. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The whole environment the executable sees: no inherited variables, a fresh HOME (so a fresh cache). */
const env: NodeJS.ProcessEnv = { PATH: SYSTEM_PATH, HOME: home, KUBECONFIG: kubeconfig };

beforeAll(() => {
  ensureBinary();
}, 200_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the single executable without Node', () => {
  test('the view it runs in has no node', async () => {
    const probe = await runNodeless('/bin/sh', ['-c', 'command -v node || echo "no node"'], env);
    expect(probe.stdout.trim()).toBe('no node');
  });

  test('--version prints the version', async () => {
    const result = await runNodeless(BINARY, ['--version'], env);
    expect(result).toMatchObject({ code: 0, stdout: `devmode ${version}\n` });
  });

  test('answers initialize and cluster/list over stdio', async () => {
    const server = new RawServer(env, ['serve', '--stdio'], {
      command: nodelessView()[0] ?? 'unshare',
      args: [...nodelessView().slice(1), BINARY],
    });
    try {
      const initialized = await server.initialize();
      expect(initialized.result).toMatchObject({ serverInfo: { name: 'devmode', version } });
      const listed = await server.request('cluster/list', {});
      expect(listed.result).toMatchObject({
        files: [kubeconfig],
        contexts: [{ name: 'dev', server: 'https://127.0.0.1:6443', namespace: 'team-a', current: true }],
      });
      expect(server.strayStdout).toBe('');
      expect(server.stderr).not.toContain('never-logged');
    } finally {
      server.kill();
    }
  });

  test('a native library directory on a noexec mount is a clear error', async () => {
    const script = 'mount -t tmpfs -o noexec tmpfs "$1" && shift && exec "$@"';
    const nativeDir = join(scratch, 'noexec');
    const state = join(scratch, 'noexec-state');
    const result = await runNodeless(
      'unshare',
      ['-m', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', scratch, BINARY, 'sandbox', 'status'],
      { ...env, DEVMODE_NATIVE_DIR: nativeDir, HOME: state },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('mounted noexec; set DEVMODE_NATIVE_DIR');
  });
});

describe('the sandbox from the single executable without Node', () => {
  const stateDir = join(scratch, 'sandbox');
  const kubectlHome = join(scratch, 'kubectl-home');
  const sandboxKubeconfig = join(stateDir, 'kubeconfig');
  const kubectl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolveRun, reject) => {
      const child = spawn('kubectl', ['--kubeconfig', sandboxKubeconfig, ...args], {
        env: { PATH: process.env.PATH, HOME: kubectlHome },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolveRun({ code: code ?? 1, stdout, stderr }));
    });

  afterAll(async () => {
    await runNodeless(BINARY, ['sandbox', 'stop', '--state-dir', stateDir], env);
  });

  test('sandbox start runs a pod from an embedded image, reachable by port-forward; sandbox stop ends it', async () => {
    const started = await runNodeless(BINARY, ['sandbox', 'start', '--state-dir', stateDir], env);
    expect(started.stdout, started.stderr).toContain('sandbox started');
    const daemon = Number(readFileSync(join(stateDir, 'sandbox.pid'), 'utf8').trim());

    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ratings' } };
    const spec = { containers: [{ name: 'ratings', image: 'devmode/ratings', ports: [{ containerPort: 9080 }] }] };
    const manifest = join(scratch, 'pod.json');
    writeFileSync(manifest, JSON.stringify({ ...pod, spec }));
    expect((await kubectl(['apply', '-f', manifest])).code).toBe(0);
    const ready = await kubectl(['wait', '--for=condition=Ready', 'pod/ratings', '--timeout=60s']);
    expect(ready.code, ready.stderr).toBe(0);

    // The image's files were extracted from the executable (sandbox/images is hidden in the view).
    const file = await kubectl(['exec', 'ratings', '--', 'head', '-1', '/app/ratings.cjs']);
    expect(file.stdout).toContain('A small ratings service');

    // Port-forward goes through the pod's relay, a helper process the executable runs as itself.
    const forward = spawn('kubectl', ['--kubeconfig', sandboxKubeconfig, 'port-forward', 'pod/ratings', ':9080'], {
      env: { PATH: process.env.PATH, HOME: kubectlHome },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const localPort = await new Promise<number>((resolvePort, reject) => {
        let seen = '';
        forward.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          seen += chunk;
          const match = /127\.0\.0\.1:(\d+) ->/.exec(seen);
          if (match?.[1] !== undefined) resolvePort(Number(match[1]));
        });
        forward.once('exit', (code) => reject(new Error(`kubectl port-forward exited with ${code}`)));
      });
      const body = await new Promise<string>((resolveBody, reject) => {
        get(`http://127.0.0.1:${localPort}/ratings/7`, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolveBody(text));
        }).on('error', reject);
      });
      expect(JSON.parse(body)).toMatchObject({ id: 7 });
    } finally {
      forward.kill();
    }
    const relays = await kubectl(['get', 'pod/ratings', '-o', 'jsonpath={.status.phase}']);
    expect(relays.stdout).toBe('Running');

    const stopped = await runNodeless(BINARY, ['sandbox', 'stop', '--state-dir', stateDir], env);
    expect(stopped.stdout).toContain('sandbox stopped');
    expect(isRunning(daemon)).toBe(false);
  }, 180_000);
});

describe('the bundle', () => {
  test('does not load @kubernetes/client-node before the first initialize response', async () => {
    // Logs every require of the bundle; undici, the client library's HTTP stack, is the one user of node:http2.
    const preload = join(scratch, 'log-requires.cjs');
    writeFileSync(
      preload,
      `const Module = require('node:module');
const original = Module.prototype.require;
Module.prototype.require = function (id) {
  process.stderr.write('require ' + id + '\\n');
  return original.apply(this, arguments);
};
`,
    );
    const server = new RawServer({ ...env, PATH: process.env.PATH }, ['serve', '--stdio'], {
      command: process.execPath,
      args: ['-r', preload, BUNDLE],
    });
    try {
      await server.initialize();
      expect(server.stderr).toContain('require node:readline');
      expect(server.stderr).not.toContain('require node:http2');
      // Opening the context's namespaces loads the library, which the log shows.
      await server.request('tree/children', { nodeId: 'context/dev' });
      expect(server.stderr).toContain('require node:http2');
    } finally {
      server.kill();
    }
  });
});

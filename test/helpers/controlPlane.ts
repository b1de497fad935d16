/**
 * Starts a real Kubernetes control plane for a test: etcd and kube-apiserver (and, unless asked not to,
 * kube-controller-manager and kube-scheduler), built by `npm run build:control-plane`, on loopback ports chosen
 * free, in a temporary state directory. No node joins it, so pods are scheduled nowhere: they stay Pending with the
 * scheduler's reason, which is what the tests that use it need.
 *
 * - Certificates are made in process, as the sandbox makes its own (sandbox/src/api/credentials.ts); clients
 *   authenticate with bearer tokens from a token file: `admin` (group system:masters) and `developer` (no group, so
 *   RBAC grants it nothing until a test binds a role), the same two identities the sandbox has.
 * - The kubeconfig has two contexts, `devmode-real` (admin, current) and `devmode-real-developer`.
 * - Every process runs under `setpriv --pdeathsig KILL` in its own process group, and an exit hook kills the groups:
 *   a test worker that crashes or is killed leaves nothing running. `stop()` ends them and fails if any is left.
 *
 * The returned object is a TestSandbox, so the e2e helpers (snapshot, apply, kubectlJson) work with it unchanged.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCredentials } from '../../sandbox/src/api/credentials.js';
import { run, type TestSandbox } from './sandbox.js';
import { freePort } from './freePort.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const realContext = 'devmode-real';
export const realDeveloperContext = 'devmode-real-developer';

export interface ControlPlaneOptions {
  /** Also run kube-controller-manager and kube-scheduler (default true). */
  controllers?: boolean;
}

export interface TestControlPlane extends TestSandbox {
  /** The API server's URL, https://127.0.0.1:<port>. */
  server: string;
  adminToken: string;
  developerToken: string;
  /** The folder of the four binaries. */
  binDir: string;
}

interface Component {
  name: string;
  child: ChildProcess;
  logFile: string;
}

/** The bin folder of the built control plane; fails with the command that builds it when it is missing. */
export function controlPlaneBinDir(): string {
  const result = spawnSync(process.execPath, [join(ROOT, 'build', 'controlPlane.mjs'), '--print-dir'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      'the real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) is not ' +
        `built${result.stdout.trim() !== '' ? ` in ${result.stdout.trim()}` : ''}: run \`npm run build:control-plane\` ` +
        '(about 10 minutes cold; needs the Go toolchain). `npm test` and .ci/run build it first.',
    );
  }
  return result.stdout.trim();
}

const running = new Set<Component>();
/** The temporary folders of the control planes this process started and has not stopped yet. */
const folders = new Set<string>();

/** Kills a component's whole process group; safe to call for one that has already exited. */
function killGroup(component: Component, signal: NodeJS.Signals): void {
  const pid = component.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

process.on('exit', () => {
  for (const component of running) killGroup(component, 'SIGKILL');
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function logTail(component: Component): string {
  try {
    return readFileSync(component.logFile, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

function startComponent(name: string, binary: string, args: string[], stateDir: string): Component {
  const logFile = join(stateDir, `${name}.log`);
  const log = openSync(logFile, 'a');
  // pdeathsig: if the test worker dies without running its exit hooks, the kernel kills the component.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args], {
    cwd: stateDir,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const component = { name, child, logFile };
  running.add(component);
  child.on('exit', () => running.delete(component));
  return component;
}

/** GET `path` on the API server as admin; resolves with the status code and body, or undefined when unreachable. */
function get(
  server: string,
  caCert: string,
  token: string,
  path: string,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolveGet) => {
    const req = request(
      `${server}${path}`,
      { ca: caCert, headers: { Authorization: `Bearer ${token}` }, timeout: 5000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolveGet({ status: response.statusCode ?? 0, body }));
        response.on('error', () => resolveGet(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveGet(undefined));
    req.end();
  });
}

async function waitFor(
  what: string,
  components: Component[],
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = components.find((component) => hasExited(component.child));
    if (dead !== undefined) {
      throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}):\n${logTail(dead)}`);
    }
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}:\n${components.map((c) => `--- ${c.name}\n${logTail(c)}`).join('\n')}`,
      );
    }
    await new Promise((wake) => setTimeout(wake, 250));
  }
}

function kubeconfigYaml(server: string, caCert: string, adminToken: string, developerToken: string): string {
  const ca = Buffer.from(caCert).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: ${realContext}
  cluster: {server: "${server}", certificate-authority-data: "${ca}"}
users:
- name: admin
  user: {token: "${adminToken}"}
- name: developer
  user: {token: "${developerToken}"}
contexts:
- name: ${realContext}
  context: {cluster: ${realContext}, user: admin, namespace: default}
- name: ${realDeveloperContext}
  context: {cluster: ${realContext}, user: developer, namespace: default}
current-context: ${realContext}
`;
}

async function stopComponents(components: Component[]): Promise<void> {
  // Newest first: the controllers before the API server, the API server before etcd.
  for (const component of [...components].reverse()) {
    if (hasExited(component.child)) continue;
    const exited = new Promise<void>((resolveExit) => component.child.once('exit', () => resolveExit()));
    killGroup(component, 'SIGTERM');
    const timer = setTimeout(() => killGroup(component, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Starts a control plane in a fresh temporary state directory and waits until it serves. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<TestControlPlane> {
  const binDir = controlPlaneBinDir();
  const stateDir = mkdtempSync(join(tmpdir(), 'devmode-control-plane-'));
  const home = mkdtempSync(join(tmpdir(), 'devmode-home-'));
  folders.add(stateDir).add(home);
  const credentials = await ensureCredentials(stateDir);
  const pki = join(stateDir, 'pki');
  const serviceAccountKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(pki, 'sa.key'), serviceAccountKey.privateKey.export({ type: 'pkcs1', format: 'pem' }), {
    mode: 0o600,
  });
  writeFileSync(join(pki, 'sa.pub'), serviceAccountKey.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(
    join(stateDir, 'tokens.csv'),
    `${credentials.token},admin,admin,system:masters\n${credentials.developerToken},developer,developer\n`,
    { mode: 0o600 },
  );

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(stateDir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, credentials.caCert, credentials.token, credentials.developerToken), {
    mode: 0o600,
  });

  const components: Component[] = [];
  const stopAll = async (): Promise<void> => {
    await stopComponents(components);
    const left = components.filter((component) => !hasExited(component.child));
    rmSync(home, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
    folders.delete(home);
    folders.delete(stateDir);
    if (left.length > 0) throw new Error(`still running after stop: ${left.map((c) => c.name).join(', ')}`);
  };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    components.push(
      startComponent(
        'etcd',
        join(binDir, 'etcd'),
        [
          '--name=devmode',
          `--data-dir=${join(stateDir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=devmode=${peerUrl}`,
          // A throw-away store: durability is not worth an fsync per write on a busy machine.
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        stateDir,
      ),
    );
    components.push(
      startComponent(
        'kube-apiserver',
        join(binDir, 'kube-apiserver'),
        [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${join(stateDir, 'apiserver')}`,
          `--tls-cert-file=${join(pki, 'server.crt')}`,
          `--tls-private-key-file=${join(pki, 'server.key')}`,
          `--client-ca-file=${join(pki, 'ca.crt')}`,
          `--token-auth-file=${join(stateDir, 'tokens.csv')}`,
          '--authorization-mode=RBAC,Node',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${join(pki, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          // Only one API server, and not reachable from any pod network: it must not publish itself as the
          // `kubernetes` Service's endpoint.
          '--endpoint-reconciler-type=none',
          '--allow-privileged=true',
          '--profiling=false',
        ],
        stateDir,
      ),
    );
    const ready = async (): Promise<boolean> =>
      (await get(server, credentials.caCert, credentials.token, '/readyz'))?.status === 200;
    await waitFor('kube-apiserver /readyz', components, ready, 120_000);

    if (options.controllers ?? true) {
      components.push(
        startComponent(
          'kube-controller-manager',
          join(binDir, 'kube-controller-manager'),
          [
            `--kubeconfig=${kubeconfig}`,
            '--leader-elect=false',
            '--secure-port=0',
            '--use-service-account-credentials=false',
            `--service-account-private-key-file=${join(pki, 'sa.key')}`,
            `--root-ca-file=${join(pki, 'ca.crt')}`,
            '--cluster-name=devmode-real',
          ],
          stateDir,
        ),
      );
      components.push(
        startComponent(
          'kube-scheduler',
          join(binDir, 'kube-scheduler'),
          [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0'],
          stateDir,
        ),
      );
      // Pods can be created once the service account controller has made the default namespace's account.
      const accountReady = async (): Promise<boolean> =>
        (await get(server, credentials.caCert, credentials.token, '/api/v1/namespaces/default/serviceaccounts/default'))
          ?.status === 200;
      await waitFor('the default service account', components, accountReady, 120_000);
    }
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }

  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, KUBECONFIG: kubeconfig };
  return {
    kubeconfig,
    stateDir,
    env,
    server,
    adminToken: credentials.token,
    developerToken: credentials.developerToken,
    binDir,
    kubectl: (args, runOptions = {}) =>
      run('kubectl', ['--kubeconfig', kubeconfig, ...args], { ...runOptions, env: { ...env, ...runOptions.env } }),
    stop: stopAll,
  };
}

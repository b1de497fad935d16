/**
 * The sandbox daemon: the object store, the API server, the kubelet and the controllers in one process, with
 * its state (credentials, kubeconfig, objects) kept in a state directory.
 *
 * Objects survive a restart through `state.json`, written on stop and every few seconds while running. Pods
 * are kept too: after a restart the kubelet starts their containers again (their status starts over from
 * Pending), and controllers keep owning them. Pods that were being deleted are dropped.
 */
import { processFamily, stillRunning } from './processes.js';
import { hostname } from 'node:os';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiServer } from './api/server.js';
import { ensureCredentials, type Credentials } from './api/credentials.js';
import { applyDefaults, initialStatus } from './api/defaults.js';
import type { KubeObject } from './contracts.js';
import { startControllers } from './controllers/index.js';
import { Kubelet } from './kubelet/index.js';
import { RESOURCES } from './resources.js';
import { MemoryStore, type StoreSnapshot } from './store.js';

export const CONTEXT_NAME = 'devmode-sandbox';
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const SAVE_INTERVAL_MS = 5_000;
const KUBELET_STOP_TIMEOUT_MS = 10_000;

/** The files a sandbox keeps in its state directory. */
export function sandboxPaths(stateDir: string): {
  kubeconfig: string;
  pid: string;
  log: string;
  state: string;
  info: string;
} {
  return {
    kubeconfig: join(stateDir, 'kubeconfig'),
    pid: join(stateDir, 'sandbox.pid'),
    log: join(stateDir, 'sandbox.log'),
    state: join(stateDir, 'state.json'),
    info: join(stateDir, 'sandbox.json'),
  };
}

/** What a running daemon records about itself for `sandbox status` and `sandbox start`. */
export interface SandboxInfo {
  pid: number;
  url: string;
  port: number;
  kubeconfig: string;
  startedAt: string;
}

export interface RunSandboxOptions {
  stateDir: string;
  /** 0 or undefined: the port used last time if it is free, else any free port. */
  port?: number;
  /** Where progress lines go; the daemon's log. */
  log?: (line: string) => void;
}

export interface RunningSandbox {
  url: string;
  port: number;
  kubeconfig: string;
  store: MemoryStore;
  stop(): Promise<void>;
}

/** The node's name: the machine's host name, made a valid object name. */
export function nodeNameOf(host = hostname()): string {
  const name = host
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return name === '' ? 'sandbox-node' : name.slice(0, 63);
}

export function kubeconfigText(url: string, credentials: Credentials): string {
  const ca = Buffer.from(credentials.caCert).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${CONTEXT_NAME}`,
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${ca}`,
    'contexts:',
    `- name: ${CONTEXT_NAME}`,
    '  context:',
    `    cluster: ${CONTEXT_NAME}`,
    `    user: ${CONTEXT_NAME}`,
    '    namespace: default',
    // A second user whose rights come only from RBAC objects: for trying namespace-scoped kubeconfigs.
    `- name: ${CONTEXT_NAME}-developer`,
    '  context:',
    `    cluster: ${CONTEXT_NAME}`,
    `    user: ${CONTEXT_NAME}-developer`,
    '    namespace: default',
    `current-context: ${CONTEXT_NAME}`,
    'users:',
    `- name: ${CONTEXT_NAME}`,
    '  user:',
    `    token: ${credentials.token}`,
    `- name: ${CONTEXT_NAME}-developer`,
    '  user:',
    `    token: ${credentials.developerToken}`,
    '',
  ].join('\n');
}

async function writeAtomically(path: string, text: string, mode = 0o600): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Prepares a saved snapshot for a fresh start: pods being deleted go, the others start over as Pending. */
function restartable(snapshot: StoreSnapshot): StoreSnapshot {
  const objects: StoreSnapshot['objects'] = [];
  for (const entry of snapshot.objects) {
    if (entry.resource !== 'pods') {
      objects.push(entry);
      continue;
    }
    const pod: KubeObject = entry.object;
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    pod.status = initialStatus('pods');
    objects.push({ resource: 'pods', object: pod });
  }
  return { resourceVersion: snapshot.resourceVersion, objects };
}

function ensureNamespaces(store: MemoryStore): void {
  for (const name of SYSTEM_NAMESPACES) {
    if (store.get('namespaces', undefined, name) !== undefined) continue;
    const ns: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
      spec: { finalizers: ['kubernetes'] },
    };
    applyDefaults('namespaces', ns);
    ns.status = initialStatus('namespaces');
    store.create('namespaces', ns);
  }
}

/** The port a kubeconfig written earlier points at, so that a restart keeps existing kubeconfigs valid. */
async function portOfKubeconfig(path: string): Promise<number | undefined> {
  try {
    const match = /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(await readFile(path, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

async function listen(api: ApiServer, wanted: number | undefined, previous: number | undefined): Promise<number> {
  if (wanted !== undefined && wanted !== 0) return api.start(wanted);
  if (previous !== undefined) {
    try {
      return await api.start(previous);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return api.start(0);
}

/** Runs a sandbox in this process until `stop()` is called. */
export async function runSandbox(options: RunSandboxOptions): Promise<RunningSandbox> {
  const log = options.log ?? ((): void => undefined);
  const { stateDir } = options;
  const paths = sandboxPaths(stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const credentials = await ensureCredentials(stateDir);
  const store = new MemoryStore(RESOURCES);
  const saved = await readJson<StoreSnapshot>(paths.state);
  if (saved !== undefined) {
    store.restore(restartable(saved));
    log(`restored ${saved.objects.length} objects from ${paths.state}`);
  }
  ensureNamespaces(store);
  const previousPort = await portOfKubeconfig(paths.kubeconfig);

  const nodeName = nodeNameOf();
  const kubelet = new Kubelet({ store, stateDir, nodeName });
  await kubelet.start();
  const controllers = startControllers(store, { nodeName, caCert: credentials.caCert });
  const api = new ApiServer({ store, credentials, runtime: kubelet });
  let port: number;
  try {
    port = await listen(api, options.port, previousPort);
  } catch (error) {
    controllers.stop();
    await kubelet.stop();
    throw error;
  }
  const url = api.url;
  await writeAtomically(paths.kubeconfig, kubeconfigText(url, credentials));
  const info: SandboxInfo = {
    pid: process.pid,
    url,
    port,
    kubeconfig: paths.kubeconfig,
    startedAt: new Date().toISOString(),
  };
  await writeAtomically(paths.info, `${JSON.stringify(info, null, 2)}\n`);
  log(`API server listening on ${url}; node ${nodeName}; kubeconfig ${paths.kubeconfig}`);

  let savedVersion = '';
  const save = async (): Promise<void> => {
    const version = store.currentResourceVersion();
    if (version === savedVersion) return;
    await writeAtomically(paths.state, JSON.stringify(store.snapshot()));
    savedVersion = version;
  };
  const saver = setInterval(() => {
    save().catch((error: unknown) => log(`saving state failed: ${String(error)}`));
  }, SAVE_INTERVAL_MS);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(saver);
      await api.stop();
      log('API server stopped');
      controllers.stop();
      // Pod processes die with the daemon in any case; a kubelet that cannot stop them must not hang it.
      const stopped = await Promise.race([
        kubelet.stop().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), KUBELET_STOP_TIMEOUT_MS).unref()),
      ]);
      log(
        stopped
          ? 'every pod is stopped'
          : `the kubelet did not stop its pods within ${KUBELET_STOP_TIMEOUT_MS / 1000} s`,
      );
      // Whatever is left (a container that was starting while the kubelet stopped) ends with the daemon, now.
      const leftover = await killDescendants(process.pid, 3000);
      if (leftover > 0) log(`${leftover} pod process(es) were still running and were killed`);
      await save();
      await rm(paths.info, { force: true });
      log('sandbox stopped');
    })();
    return stopping;
  };
  return { url, port, kubeconfig: paths.kubeconfig, store, stop };
}

/** Sends SIGKILL to every descendant of `pid` and waits (bounded) until they are gone; returns how many there were. */
async function killDescendants(pid: number, timeoutMs: number): Promise<number> {
  const descendants = processFamily(pid).filter((p) => p.pid !== pid);
  for (const p of descendants) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // It ended on its own meanwhile.
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (stillRunning(descendants).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return descendants.length;
}

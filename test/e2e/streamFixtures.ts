/** Shared set-up for the port-forward, terminal and logs end-to-end tests: workloads and small witnesses. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { TestSandbox } from '../helpers/sandbox.js';

export async function applyManifest(sandbox: TestSandbox, manifest: string, namespace = 'default'): Promise<void> {
  const result = await sandbox.kubectl(['apply', '-n', namespace, '-f', '-'], { input: manifest });
  if (result.code !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
}

/** A Deployment of the ratings service with a readiness probe, so that Ready means it answers HTTP. */
export function ratingsDeployment(name: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: ratings
        image: devmode/ratings
        ports: [{containerPort: 9080}]
        readinessProbe:
          httpGet: {path: /health, port: 9080}
          periodSeconds: 1
`;
}

/** A pod of the dev image (shell tools) that runs `command`. */
export function devPod(name: string, command: string[], extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: devmode/dev
    command: ${JSON.stringify(command)}
${extra}`;
}

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

/** The names of the ready pods matching `selector`, per the real kubectl. */
export async function readyPods(sandbox: TestSandbox, selector: string, namespace = 'default'): Promise<string[]> {
  const result = await sandbox.kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get pods failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as PodList).items
    .filter((pod) => pod.metadata.deletionTimestamp === undefined)
    .filter((pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((pod) => pod.metadata.name);
}

/** Polls `check` until it gives a value; `what` (or what it returns, read at the end) names the wait in the error. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function waitForReadyPod(sandbox: TestSandbox, selector: string, exclude: string[] = []): Promise<string> {
  return waitUntil(
    async () => (await readyPods(sandbox, selector)).find((name) => !exclude.includes(name)),
    90_000,
    `a ready pod with ${selector}`,
  );
}

export async function waitForPodReady(sandbox: TestSandbox, pod: string): Promise<void> {
  const result = await sandbox.kubectl(['wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=90s'], {
    timeoutMs: 100_000,
  });
  if (result.code !== 0) throw new Error(`pod ${pod} did not become ready: ${result.stdout}${result.stderr}`);
}

export interface HttpResult {
  status: number;
  body: Buffer;
}

/** One GET on its own connection (no keep-alive), so that each request is a new forwarded connection. */
export function httpGet(port: number, path: string, timeoutMs = 30_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.once('error', reject);
    req.end();
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Host processes whose command line contains `text` (sandbox pods are host processes). */
export function processesMatching(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(text) && !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * Runs a scenario's steps against one cluster and records each answer in a comparable form: kubectl's exit code,
 * stdout and stderr; an HTTP request's status and body; a typed client call's result or error. Every step runs
 * in the scenario's own namespace, named the same on both clusters.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { run } from '../helpers/sandbox.js';
import { normaliseJson, normaliseOutput } from './normalise.js';

/** A cluster the scenarios run against: a kubeconfig whose current context is its admin. */
export interface ConformanceCluster {
  name: string;
  kubeconfig: string;
  /** Environment for kubectl: a throw-away HOME, so discovery caches start empty. */
  env: NodeJS.ProcessEnv;
}

/** Picks what is compared from a parsed answer, which is loosely typed JSON. */
type Pick = (value: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `{ns}` in arguments, paths, bodies and input stands for the scenario's namespace. */
export type Step =
  | {
      /** kubectl arguments (`--kubeconfig` is added). */
      kubectl: string[];
      /** YAML or JSON written to kubectl's stdin. */
      stdin?: string;
      /** Picks what is compared from JSON output (e.g. one field of `-o json`); the whole output otherwise. */
      pick?: Pick;
      /** Output the scenario does not compare, replaced by `<masked>` (say why where it is used). */
      mask?: RegExp;
    }
  | {
      /** A raw request with the kubeconfig's credentials, as client-node authenticates it. */
      request: { method: string; path: string; body?: unknown; contentType?: string };
      pick?: Pick;
    }
  | {
      /** A typed @kubernetes/client-node call; its result (or ApiException code and body) is compared. */
      client: (clients: Clients, namespace: string) => Promise<unknown>;
      pick?: Pick;
    }
  | {
      /** Waits until `until` holds (at most 30 s); only whether it held is compared. */
      wait: (clients: Clients, namespace: string) => Promise<boolean>;
      what: string;
    };

export interface Scenario {
  name: string;
  steps: Step[];
}

export interface Clients {
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  objects: k8s.KubernetesObjectApi;
}

export function clientsFor(kubeconfig: string): Clients {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfig);
  return {
    config,
    core: config.makeApiClient(k8s.CoreV1Api),
    apps: config.makeApiClient(k8s.AppsV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(config),
  };
}

function substitute<T>(value: T, namespace: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll('{ns}', namespace)) as T;
}

/** Sends one request with the kubeconfig's server, CA and token; resolves with the status and parsed body. */
export async function rawRequest(
  config: k8s.KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: unknown }> {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  const options: RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: { Accept: 'application/json' },
  };
  await config.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (payload !== undefined) options.headers = { ...options.headers, 'Content-Type': contentType };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          // A text answer (logs, health) is compared as text.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function clientOutcome(call: Promise<unknown>): Promise<unknown> {
  try {
    return { result: await call };
  } catch (error) {
    if (error instanceof k8s.ApiException) {
      const body: unknown = typeof error.body === 'string' ? safeParse(error.body) : error.body;
      return { error: { code: error.code, body } };
    }
    return { error: String(error) };
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function picked(pick: Pick | undefined, value: unknown): unknown {
  if (pick === undefined) return value;
  try {
    return pick(value);
  } catch (error) {
    return `pick failed: ${String(error)} on ${JSON.stringify(value)}`;
  }
}

async function waitFor(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** Runs one step and returns its normalised answer. */
export async function runStep(
  cluster: ConformanceCluster,
  clients: Clients,
  namespace: string,
  step: Step,
): Promise<unknown> {
  if ('kubectl' in step) {
    const args = substitute(step.kubectl, namespace);
    const input = step.stdin === undefined ? undefined : substitute(step.stdin, namespace);
    const result = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], {
      env: cluster.env,
      timeoutMs: 60_000,
      ...(input !== undefined ? { input } : {}),
    });
    const masked = (text: string): string => (step.mask === undefined ? text : text.replace(step.mask, '<masked>'));
    let stdout: unknown = normaliseOutput(masked(result.stdout));
    if (step.pick !== undefined) stdout = normaliseJson(picked(step.pick, safeParse(result.stdout)));
    return {
      command: `kubectl ${args.join(' ')}`,
      exit: result.code,
      stdout,
      stderr: normaliseOutput(masked(result.stderr)),
    };
  }
  if ('request' in step) {
    const { method, path, body, contentType } = substitute(step.request, namespace);
    const answer = await rawRequest(clients.config, method, path, body, contentType);
    return { request: `${method} ${path}`, status: answer.status, body: normaliseJson(picked(step.pick, answer.body)) };
  }
  if ('client' in step) {
    return { client: normaliseJson(picked(step.pick, await clientOutcome(step.client(clients, namespace)))) };
  }
  return { wait: step.what, held: await waitFor(() => step.wait(clients, namespace)) };
}

/** Runs a scenario in a fresh namespace and returns every step's answer. */
export async function runScenario(
  cluster: ConformanceCluster,
  clients: Clients,
  namespace: string,
  scenario: Scenario,
): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const step of scenario.steps) answers.push(await runStep(cluster, clients, namespace, step));
  return answers;
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestSandbox } from '../helpers/sandbox.js';

export const fixtures = fileURLToPath(new URL('../fixtures/workloads/', import.meta.url));

/** Server-owned metadata; everything else of a workload must come back byte for byte after DevMode. */
const serverOwned = ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp'];

/** The object as `kubectl get -o json` shows it, minus what the API server and controllers own. */
export async function snapshot(
  sandbox: TestSandbox,
  resource: string,
  name: string,
  namespace = 'default',
): Promise<string> {
  const result = await sandbox.kubectl(['get', resource, name, '-n', namespace, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get ${resource}/${name} failed: ${result.stderr}`);
  const object = JSON.parse(result.stdout) as { metadata: Record<string, unknown>; status?: unknown };
  for (const field of serverOwned) delete object.metadata[field];
  const annotations = object.metadata.annotations as Record<string, string> | undefined;
  if (annotations !== undefined) {
    delete annotations['deployment.kubernetes.io/revision'];
    if (Object.keys(annotations).length === 0) delete object.metadata.annotations;
  }
  delete object.status;
  return JSON.stringify(sortKeys(object), null, 1);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

export async function apply(sandbox: TestSandbox, file: string, namespace = 'default'): Promise<void> {
  const result = await sandbox.kubectl(['apply', '-n', namespace, '-f', join(fixtures, file)]);
  if (result.code !== 0) throw new Error(`kubectl apply ${file} failed: ${result.stderr}`);
}

export async function kubectlJson<T>(sandbox: TestSandbox, args: string[]): Promise<T> {
  const result = await sandbox.kubectl([...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** A local project folder with an optional devmode.yaml. */
export function projectDir(devmodeYaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'devmode-project-'));
  writeFileSync(join(dir, 'app.js'), 'console.log("hello from the local folder");\n');
  if (devmodeYaml !== undefined) writeFileSync(join(dir, 'devmode.yaml'), devmodeYaml);
  return dir;
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function rolledOut(sandbox: TestSandbox, resource: string): Promise<void> {
  const result = await sandbox.kubectl(['rollout', 'status', resource, '--timeout=90s'], { timeoutMs: 100_000 });
  if (result.code !== 0) throw new Error(`rollout of ${resource} did not finish: ${result.stdout}${result.stderr}`);
}

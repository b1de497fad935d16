import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { NamedError } from '../namedError.js';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

/** Why a kubeconfig could not be used, with the file and, when known, the line. */
export class KubeconfigError extends NamedError {
  public constructor(
    public readonly file: string,
    public readonly reason: string,
    public readonly line?: number,
  ) {
    super('KubeconfigInvalid', `${file}${line === undefined ? '' : `:${line}`}: ${reason}`, {
      file,
      ...(line !== undefined ? { line } : {}),
      reason,
      hint: kubeconfigHint(reason),
    });
    this.name = 'KubeconfigError';
  }

  public override get clientMessage(): string {
    return `Kubeconfig ${this.message}`;
  }
}

/** What a person can do about a kubeconfig error; with no kubeconfig at all, a local sandbox cluster is offered. */
function kubeconfigHint(reason: string): string {
  const fix = 'Point KUBECONFIG (or the kubeconfig option of initialize) at a valid kubeconfig file';
  if (reason !== 'no such file') return `${fix}.`;
  return `${fix}, or try devmode on a local sandbox cluster: run \`devmode sandbox start\`, then set KUBECONFIG to the kubeconfig it prints.`;
}

export interface KubeconfigCluster {
  name: string;
  server?: string;
  /** Everything else of the cluster entry, with file paths made absolute. */
  raw: Record<string, unknown>;
}

export interface KubeconfigUser {
  name: string;
  raw: Record<string, unknown>;
}

export interface KubeconfigContext {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

/** Several kubeconfig files merged with kubectl's rules: the first file to define a name or a value wins. */
export interface Kubeconfig {
  files: string[];
  /** Files of the list that do not exist; kubectl skips them, and so do we. */
  missingFiles: string[];
  currentContext?: string;
  contexts: KubeconfigContext[];
  clusters: KubeconfigCluster[];
  users: KubeconfigUser[];
}

/**
 * The kubeconfig files to read: an explicit list (as `KUBECONFIG` spells it) if given, else `KUBECONFIG`, else
 * `~/.kube/config`.
 */
export function kubeconfigPaths(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const list = explicit ?? env.KUBECONFIG;
  if (list !== undefined && list.trim() !== '') {
    return list
      .split(delimiter)
      .filter((path) => path !== '')
      .map((path) => resolve(path));
  }
  return [join(env.HOME ?? homedir(), '.kube', 'config')];
}

/** Reads and merges the given kubeconfig files. Throws `KubeconfigError` naming the file at fault. */
export function loadKubeconfig(paths: string[]): Kubeconfig {
  const merged: Kubeconfig = { files: [], missingFiles: [], contexts: [], clusters: [], users: [] };
  for (const file of paths) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        merged.missingFiles.push(file);
        continue;
      }
      throw new KubeconfigError(file, `cannot be read (${code ?? (error as Error).message})`);
    }
    merged.files.push(file);
    mergeFile(merged, file, text);
  }
  if (merged.files.length === 0) {
    const which = paths.length === 1 ? (paths[0] ?? '') : paths.join(delimiter);
    throw new KubeconfigError(which, 'no such file');
  }
  return merged;
}

function mergeFile(merged: Kubeconfig, file: string, text: string): void {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  const firstError = document.errors[0];
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0]?.line;
    throw new KubeconfigError(file, `is not valid YAML: ${firstError.message.split('\n')[0] ?? ''}`, line);
  }
  const root: unknown = document.toJS();
  if (root === null || root === undefined) return; // An empty file contributes nothing, as with kubectl.
  if (typeof root !== 'object' || Array.isArray(root)) {
    throw new KubeconfigError(file, 'is not a kubeconfig: the top level must be a mapping');
  }
  const config = root as Record<string, unknown>;
  const lineOf = (path: (string | number)[]): number | undefined => nodeLine(document, lineCounter, path);

  const current = config['current-context'];
  if (typeof current === 'string' && current !== '' && merged.currentContext === undefined) {
    merged.currentContext = current;
  }
  for (const [index, entry] of namedEntries(file, config, 'contexts', lineOf)) {
    const body = entry.context;
    if (typeof body !== 'object' || body === null) {
      throw new KubeconfigError(file, `contexts[${index}].context must be a mapping`, lineOf(['contexts', index]));
    }
    const { cluster, user, namespace } = body as Record<string, unknown>;
    if (typeof cluster !== 'string' || cluster === '') {
      throw new KubeconfigError(file, `contexts[${index}].context.cluster must be a name`, lineOf(['contexts', index]));
    }
    if (merged.contexts.some((context) => context.name === entry.name)) continue;
    merged.contexts.push({
      name: entry.name,
      cluster,
      user: typeof user === 'string' ? user : '',
      ...(typeof namespace === 'string' && namespace !== '' ? { namespace } : {}),
    });
  }
  for (const [, entry] of namedEntries(file, config, 'clusters', lineOf)) {
    if (merged.clusters.some((cluster) => cluster.name === entry.name)) continue;
    const raw = absolutePaths(file, asRecord(entry.cluster), ['certificate-authority']);
    merged.clusters.push({ name: entry.name, raw, ...(typeof raw.server === 'string' ? { server: raw.server } : {}) });
  }
  for (const [, entry] of namedEntries(file, config, 'users', lineOf)) {
    if (merged.users.some((user) => user.name === entry.name)) continue;
    merged.users.push({
      name: entry.name,
      raw: absolutePaths(file, asRecord(entry.user), ['client-certificate', 'client-key', 'tokenFile']),
    });
  }
}

interface NamedEntry {
  name: string;
  [key: string]: unknown;
}

function namedEntries(
  file: string,
  config: Record<string, unknown>,
  key: 'contexts' | 'clusters' | 'users',
  lineOf: (path: (string | number)[]) => number | undefined,
): [number, NamedEntry][] {
  const list = config[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubeconfigError(file, `${key} must be a list`, lineOf([key]));
  return list.map((entry: unknown, index): [number, NamedEntry] => {
    if (typeof entry !== 'object' || entry === null || typeof (entry as NamedEntry).name !== 'string') {
      throw new KubeconfigError(file, `${key}[${index}] must have a name`, lineOf([key, index]));
    }
    return [index, entry as NamedEntry];
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? { ...(value as Record<string, unknown>) } : {};
}

/** kubectl resolves relative file references against the directory of the kubeconfig that holds them. */
function absolutePaths(file: string, raw: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  for (const key of keys) {
    const value = raw[key];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) raw[key] = resolve(dirname(file), value);
  }
  return raw;
}

function nodeLine(document: Document, lineCounter: LineCounter, path: (string | number)[]): number | undefined {
  const node = document.getIn(path, true);
  if ((isMap(node) || isSeq(node) || typeof node === 'object') && node !== null) {
    const range = (node as { range?: [number, number, number] }).range;
    if (range !== undefined) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

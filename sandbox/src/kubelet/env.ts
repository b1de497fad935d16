/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * A container's environment, command line and working directory, resolved from the pod spec and the image
 * config as a container runtime does it: `command` replaces the entrypoint, `args` the default arguments, and
 * `$(VAR)` references are expanded.
 */
import type { KubeObject, Store } from '../contracts.js';
import type { ImageConfig } from './images.js';

/** A pod spec asks for something that does not exist (a config map key, a secret); the container cannot start. */
export class ContainerConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; containerName?: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

/** Expands `$(NAME)` from `env`; `$$(NAME)` is an escaped literal, unknown names stay as written. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? (env[name] ?? '') : match;
  });
}

function fieldValue(pod: KubeObject, path: string): string {
  const meta = pod.metadata;
  const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (labelMatch !== null) {
    const bag = labelMatch[1] === 'labels' ? meta.labels : meta.annotations;
    return bag?.[labelMatch[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return meta.name;
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return String(pod.spec?.nodeName ?? '');
    case 'spec.serviceAccountName':
      return String(pod.spec?.serviceAccountName ?? 'default');
    case 'status.podIP':
    case 'status.podIPs':
    case 'status.hostIP':
    case 'status.hostIPs':
      return '127.0.0.1';
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath "${path}"`);
  }
}

function lookup(
  store: Store,
  kind: 'configmap' | 'secret',
  namespace: string,
  name: string,
): Record<string, string> | undefined {
  const object = store.get(kind === 'configmap' ? 'configmaps' : 'secrets', namespace, name);
  if (object === undefined) return undefined;
  if (kind === 'configmap') return { ...((object.data ?? {}) as Record<string, string>) };
  const decoded: Record<string, string> = {};
  for (const [key, value] of Object.entries((object.data ?? {}) as Record<string, string>)) {
    decoded[key] = Buffer.from(value, 'base64').toString();
  }
  for (const [key, value] of Object.entries((object.stringData ?? {}) as Record<string, string>)) decoded[key] = value;
  return decoded;
}

function keyRef(
  store: Store,
  kind: 'configmap' | 'secret',
  namespace: string,
  ref: { name: string; key: string; optional?: boolean },
): string | undefined {
  const data = lookup(store, kind, namespace, ref.name);
  if (data === undefined) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
  }
  if (!Object.hasOwn(data, ref.key)) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(
      `couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${namespace}/${ref.name}`,
    );
  }
  return data[ref.key];
}

export interface ContainerLaunch {
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
}

/** Resolves everything a container needs to start; throws `ContainerConfigError` for a missing reference. */
export function resolveLaunch(
  store: Store,
  pod: KubeObject,
  container: Record<string, unknown>,
  image: ImageConfig,
): ContainerLaunch {
  const namespace = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const item of image.env ?? []) {
    const eq = item.indexOf('=');
    if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  env.HOSTNAME = pod.metadata.name;
  env.HOME ??= '/root';
  for (const source of (container.envFrom ?? []) as EnvFromSource[]) {
    const ref = source.configMapRef ?? source.secretRef;
    if (ref === undefined) continue;
    const kind = source.configMapRef ? 'configmap' : 'secret';
    const data = lookup(store, kind, namespace, ref.name);
    if (data === undefined) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const item of (container.env ?? []) as EnvVar[]) {
    let value: string | undefined;
    const from = item.valueFrom;
    if (from?.fieldRef) value = fieldValue(pod, from.fieldRef.fieldPath);
    else if (from?.configMapKeyRef) value = keyRef(store, 'configmap', namespace, from.configMapKeyRef);
    else if (from?.secretKeyRef) value = keyRef(store, 'secret', namespace, from.secretKeyRef);
    else if (from?.resourceFieldRef) value = '0';
    else value = expand(item.value ?? '', env);
    if (value !== undefined) env[item.name] = value;
  }
  const command = container.command as string[] | undefined;
  const args = container.args as string[] | undefined;
  const entry = command ?? image.entrypoint ?? [];
  const rest = args ?? (command !== undefined ? [] : (image.cmd ?? []));
  const argv = [...entry, ...rest].map((part) => expand(part, env));
  if (argv.length === 0) throw new ContainerConfigError('no command specified');
  const workingDir = (container.workingDir as string | undefined) || image.workingDir || '/';
  return { argv, env, workingDir };
}

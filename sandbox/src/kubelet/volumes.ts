/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * Pod volumes on the host: emptyDir under the pod's directory, configMap/secret volumes written out as files,
 * persistentVolumeClaim volumes under `<stateDir>/volumes/<namespace>/<claim>` so their data outlives the pod,
 * and hostPath. Containers see them through bind mounts.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { KubeObject, Store } from '../contracts.js';
import type { Mount } from './sandbox.js';
import type { Loose } from '../controllers/util.js';

/** A volume cannot be set up yet (a missing config map, an unbound claim); the kubelet retries. */
export class VolumeError extends Error {
  public constructor(
    public readonly volume: string,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeError';
  }
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** A name from a pod spec made safe as one directory name (the store does not validate nested names). */
export function pathSegment(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return clean === '' || clean === '.' || clean === '..' ? `_${clean}` : clean;
}

function safeRelative(path: string): string {
  const clean = normalize(path);
  if (clean.startsWith('..') || clean.startsWith('/')) throw new Error(`invalid path "${path}"`);
  return clean;
}

function writeFiles(dir: string, data: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const wanted: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of wanted) {
    const content = data[item.key];
    if (content === undefined) continue;
    const file = join(dir, safeRelative(item.path));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, item.mode ?? mode);
  }
}

function objectData(object: KubeObject, secret: boolean): Record<string, Buffer> {
  const data: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries((object.data ?? {}) as Record<string, string>)) {
    data[key] = secret ? Buffer.from(value, 'base64') : Buffer.from(value);
  }
  for (const [key, value] of Object.entries((object.binaryData ?? {}) as Record<string, string>)) {
    data[key] = Buffer.from(value, 'base64');
  }
  return data;
}

/** The claim directory a PVC's data lives in. */
export function claimDir(stateDir: string, namespace: string, claim: string): string {
  return join(stateDir, 'volumes', namespace, claim);
}

/**
 * Sets up every volume of a pod and returns the host directory of each. Throws `VolumeError` for a volume
 * that cannot be set up yet.
 */
export function prepareVolumes(store: Store, pod: KubeObject, podDir: string, stateDir: string): Map<string, string> {
  const namespace = pod.metadata.namespace ?? 'default';
  const result = new Map<string, string>();
  for (const volume of (pod.spec?.volumes ?? []) as Loose[]) {
    const name = String(volume.name);
    const dir = join(podDir, 'volumes', pathSegment(name));
    if (volume.configMap || volume.secret) {
      const secret = volume.secret !== undefined;
      const source = secret ? volume.secret : volume.configMap;
      const refName = String(secret ? source.secretName : source.name);
      const object = store.get(secret ? 'secrets' : 'configmaps', namespace, refName);
      if (object === undefined && !source.optional) {
        throw new VolumeError(name, `${secret ? 'secret' : 'configmap'} "${refName}" not found`);
      }
      const mode = (source.defaultMode as number | undefined) ?? 0o644;
      writeFiles(dir, object ? objectData(object, secret) : {}, source.items as KeyToPath[] | undefined, mode);
      result.set(name, dir);
    } else if (volume.persistentVolumeClaim) {
      const claim = String(volume.persistentVolumeClaim.claimName);
      const pvc = store.get('persistentvolumeclaims', namespace, claim);
      if (pvc === undefined) throw new VolumeError(name, `persistentvolumeclaim "${claim}" not found`);
      const target = claimDir(stateDir, namespace, claim);
      mkdirSync(target, { recursive: true });
      result.set(name, target);
    } else if (volume.hostPath) {
      const path = String(volume.hostPath.path);
      if (!existsSync(path)) {
        if (volume.hostPath.type === 'DirectoryOrCreate') mkdirSync(path, { recursive: true });
        else if (volume.hostPath.type && volume.hostPath.type !== '') {
          throw new VolumeError(name, `hostPath type check failed: ${path} does not exist`);
        }
      }
      result.set(name, path);
    } else if (volume.projected) {
      writeProjected(store, namespace, dir, volume.projected);
      result.set(name, dir);
    } else {
      // emptyDir, and any volume type the sandbox does not model, is an empty directory owned by the pod.
      mkdirSync(dir, { recursive: true });
      result.set(name, dir);
    }
  }
  return result;
}

/**
 * A projected volume (the `kube-api-access-*` volume every pod gets): its config map, secret and namespace
 * files. No service account token is written: the sandbox gives pods no credentials for its API server.
 */
function writeProjected(store: Store, namespace: string, dir: string, projected: Loose): void {
  const mode = (projected.defaultMode as number | undefined) ?? 0o644;
  const files: Record<string, Buffer> = {};
  for (const source of (projected.sources ?? []) as Loose[]) {
    const ref = source.configMap ?? source.secret;
    if (ref !== undefined) {
      const secret = source.secret !== undefined;
      const object = store.get(secret ? 'secrets' : 'configmaps', namespace, String(ref.name));
      const data = object ? objectData(object, secret) : {};
      const items = (ref.items ?? Object.keys(data).map((key) => ({ key, path: key }))) as KeyToPath[];
      for (const item of items) if (data[item.key] !== undefined) files[item.path] = data[item.key] as Buffer;
    }
    for (const item of (source.downwardAPI?.items ?? []) as Loose[]) {
      if (item.fieldRef?.fieldPath === 'metadata.namespace') files[String(item.path)] = Buffer.from(namespace);
    }
  }
  writeFiles(
    dir,
    files,
    Object.keys(files).map((path) => ({ key: path, path })),
    mode,
  );
}

interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

/** The bind mounts of one container. */
export function containerMounts(
  container: Record<string, unknown>,
  volumes: Map<string, string>,
  readOnlyVolumes: Set<string>,
): Mount[] {
  const mounts: Mount[] = [];
  for (const mount of (container.volumeMounts ?? []) as VolumeMount[]) {
    const base = volumes.get(mount.name);
    if (base === undefined) throw new VolumeError(mount.name, `volume "${mount.name}" is not defined in the pod`);
    let source = base;
    if (mount.subPath) {
      source = join(base, safeRelative(mount.subPath));
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
    }
    mounts.push({
      source,
      target: mount.mountPath,
      readOnly: mount.readOnly === true || readOnlyVolumes.has(mount.name),
    });
  }
  return mounts;
}

/** Volumes a container may only read: config maps, secrets and projected volumes, as on a real node. */
export function readOnlyVolumeNames(pod: KubeObject): Set<string> {
  const names = new Set<string>();
  for (const volume of (pod.spec?.volumes ?? []) as Record<string, unknown>[]) {
    if (volume.configMap || volume.secret || volume.projected) names.add(String(volume.name));
  }
  return names;
}

/**
 * What DevMode does to a pod template, as pure functions: pick the dev container, rewrite it, add the workDir
 * and persistent-dir volumes, drop probes, mark the session, apply the user's patches. devModePatch.ts decides
 * which object the rewritten template goes into.
 */
import { createHash } from 'node:crypto';
import type { DevPatch, EffectiveDevConfig } from './devConfig.js';
import { devCommand } from './devCommand.js';
import {
  cloneJson,
  ensureObjectAt,
  isJsonObject,
  type JsonObject,
  type KubeObject,
  objectList,
  sessionLabel,
} from './objects.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from './patches.js';

/** The pod annotation that names the container `kubectl exec` and `kubectl logs` use when none is given. */
const defaultContainerAnnotation = 'kubectl.kubernetes.io/default-container';

/** The emptyDir (or PVC) volume mounted at workDir in the dev container. */
export const workDirVolumeName = 'devmode-workdir';

/** The workDir volume of a container that `containers.<name>.dev` adds to DevMode: one per container. */
export function addedWorkDirVolumeName(container: string): string {
  return boundedName(`${workDirVolumeName}-${container}`, '');
}

export type DevModePlanErrorCode =
  | 'UnsupportedKind'
  | 'InvalidWorkload'
  | 'InvalidSessionId'
  | 'ContainerNotFound'
  | 'PodHasOwner'
  | 'OwnedByController'
  | 'AlreadyInDevMode'
  | 'PatchFailed'
  | 'InvalidRecord'
  | 'RecordTooLarge';

/** A workload DevMode cannot be planned for, with a named code and, for ContainerNotFound, the choices. */
export class DevModePlanError extends Error {
  override readonly name = 'DevModePlanError';
  constructor(
    readonly code: DevModePlanErrorCode,
    message: string,
    readonly details: {
      available?: string[];
      owner?: { machine: string; user: string };
      controller?: { apiVersion: string; kind: string; name: string };
      hint?: string;
    } = {},
  ) {
    super(message);
  }
}

/** A pod template as plain JSON: `{metadata: {labels, annotations}, spec}`. */
export interface PodTemplate extends JsonObject {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec: JsonObject;
}

/** The first `n` hex digits of the SHA-1 of a text. */
export function shortHash(text: string, n: number): string {
  return createHash('sha1').update(text).digest('hex').slice(0, n);
}

/**
 * `base + suffix` when it fits in `max` characters; otherwise `base` is cut and a hash of the full base inserted,
 * so that two long names sharing a prefix still give different results.
 */
export function boundedName(base: string, suffix: string, max = 63): string {
  if (base.length + suffix.length <= max) return base + suffix;
  const hash = shortHash(base, 6);
  const cut = base.slice(0, Math.max(1, max - suffix.length - hash.length - 1)).replace(/[-.]+$/, '');
  return `${cut}-${hash}${suffix}`;
}

/** The containers of a pod spec by name, in order. */
export function containerNames(spec: JsonObject | undefined): string[] {
  return objectList(spec?.containers)
    .map((container) => container.name)
    .filter((name): name is string => typeof name === 'string');
}

/** The dev container's name: the requested one, or the first container; ContainerNotFound otherwise. */
export function resolveDevContainer(template: PodTemplate, requested: string | undefined, workload: string): string {
  const names = containerNames(template.spec);
  const chosen = requested ?? names[0];
  if (chosen === undefined || !names.includes(chosen)) {
    const what = requested === undefined ? 'has no containers' : `has no container "${requested}"`;
    throw new DevModePlanError(
      'ContainerNotFound',
      `${workload} ${what}; its containers: ${names.join(', ') || 'none'}`,
      {
        available: names,
      },
    );
  }
  return chosen;
}

/** A persistent directory with the names of its volume and claim. */
export interface PlannedPersistentDir {
  path: string;
  volumeName: string;
  claimName: string;
  capacity: string;
  storageClass?: string;
}

/** A container `containers.<name>.dev` adds to DevMode, rewritten like the target container. */
export interface AddedDevContainer {
  config: EffectiveDevConfig;
  persistentDirs: PlannedPersistentDir[];
}

export interface RewriteInput {
  template: PodTemplate;
  container: string;
  config: EffectiveDevConfig;
  persistentDirs: PlannedPersistentDir[];
  sessionId: string;
  /** Further containers in DevMode, each with a workDir volume of its own; their patches follow the target's. */
  added?: AddedDevContainer[];
}

/** Applies every DevMode change to a copy of a pod template, the user's patches last. */
export function rewritePodTemplate(input: RewriteInput): PodTemplate {
  const template = cloneJson(input.template);
  const spec = template.spec;
  for (const field of ['containers', 'initContainers']) {
    for (const container of objectList(spec[field])) {
      // Probes would restart or unready a dev container that idles until the developer starts the program.
      delete container.livenessProbe;
      delete container.readinessProbe;
      delete container.startupProbe;
    }
  }
  rewriteContainer(spec, input.container, input.config, input.persistentDirs, workDirVolumeName);
  const added = input.added ?? [];
  for (const other of added) {
    const name = other.config.container;
    rewriteContainer(spec, name, other.config, other.persistentDirs, addedWorkDirVolumeName(name));
  }

  const annotations = ensureObjectAt(template, 'metadata', 'annotations');
  annotations[sessionLabel] = input.sessionId;
  // With several containers in DevMode, a terminal or log stream that names none (ours, kubectl's) reaches the
  // target container, as it does when the target is the only one.
  if (added.length > 0) annotations[defaultContainerAnnotation] = input.container;
  ensureObjectAt(template, 'metadata', 'labels')[sessionLabel] = input.sessionId;
  return applyDevPatches(template, [...input.config.patches, ...added.flatMap((other) => other.config.patches)]);
}

/** The dev image, command, workDir, env and resources of one container, and the volumes its dirs need. */
function rewriteContainer(
  spec: JsonObject,
  name: string,
  config: EffectiveDevConfig,
  persistentDirs: PlannedPersistentDir[],
  workDirVolume: string,
): void {
  const dev = objectList(spec.containers).find((container) => container.name === name);
  if (dev === undefined) throw new DevModePlanError('ContainerNotFound', `no container "${name}"`);
  if (config.image !== undefined) dev.image = config.image;
  const launch = devCommand(config);
  dev.command = launch.command;
  delete dev.args;
  dev.workingDir = config.workDir;
  mergeEnv(dev, { ...config.env, ...launch.env });
  if (config.resources !== undefined) dev.resources = cloneJson(config.resources);

  const workDir = normalizeDir(config.workDir);
  const workDirClaim = persistentDirs.find((dir) => normalizeDir(dir.path) === workDir);
  const others = persistentDirs.filter((dir) => dir !== workDirClaim);
  const ourMountPaths = new Set([workDir, ...others.map((dir) => normalizeDir(dir.path))]);
  const mounts = objectList(dev.volumeMounts).filter(
    (mount) => typeof mount.mountPath !== 'string' || !ourMountPaths.has(normalizeDir(mount.mountPath)),
  );
  mounts.push({ name: workDirVolume, mountPath: config.workDir });
  for (const dir of others) mounts.push({ name: dir.volumeName, mountPath: dir.path });
  dev.volumeMounts = mounts;

  const ourVolumes = new Set([workDirVolume, ...others.map((dir) => dir.volumeName)]);
  const volumes = objectList(spec.volumes).filter((volume) => !ourVolumes.has(volume.name as string));
  volumes.push(
    workDirClaim === undefined
      ? { name: workDirVolume, emptyDir: {} }
      : { name: workDirVolume, persistentVolumeClaim: { claimName: workDirClaim.claimName } },
  );
  for (const dir of others) volumes.push({ name: dir.volumeName, persistentVolumeClaim: { claimName: dir.claimName } });
  spec.volumes = volumes;
}

/** Config variables replace same-named ones in place (keeping order) and the rest are appended. */
function mergeEnv(container: JsonObject, env: Record<string, string>): void {
  const entries = Object.entries(env);
  if (entries.length === 0) return;
  const list = objectList(container.env);
  for (const [name, value] of entries) {
    const position = list.findIndex((entry) => entry.name === name);
    if (position >= 0) list[position] = { name, value };
    else list.push({ name, value });
  }
  container.env = list;
}

function normalizeDir(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

/** Applies the config's patches in order; a failing patch is a PatchFailed error naming it. */
export function applyDevPatches(template: PodTemplate, patches: DevPatch[]): PodTemplate {
  let result: unknown = template;
  patches.forEach((patch, index) => {
    try {
      if (patch.type === 'json') result = applyJsonPatch(result, patch.patch);
      else if (patch.type === 'merge') result = applyMergePatch(result, patch.patch);
      else result = applyStrategicMergePatch(result as JsonObject, patch.patch);
    } catch (error) {
      if (!(error instanceof PatchError)) throw error;
      throw new DevModePlanError('PatchFailed', `patches[${index}] (${patch.type}) failed at ${error.message}`);
    }
    if (!isJsonObject(result) || !isJsonObject(result.spec)) {
      throw new DevModePlanError('PatchFailed', `patches[${index}] (${patch.type}) left no pod template spec`);
    }
  });
  return result as PodTemplate;
}

/** The pod template of a workload (a Pod's own labels, annotations and spec for a bare Pod). */
export function podTemplateOf(workload: KubeObject, spec: JsonObject): PodTemplate {
  const where = `${workload.kind} ${workload.metadata.name}`;
  if (workload.kind === 'Pod') {
    return cloneJson({
      metadata: {
        ...(workload.metadata.labels && { labels: workload.metadata.labels }),
        ...(workload.metadata.annotations && { annotations: workload.metadata.annotations }),
      },
      spec,
    });
  }
  const holder = workload.kind === 'CronJob' ? (spec.jobTemplate as JsonObject | undefined)?.spec : spec;
  const template = isJsonObject(holder) ? holder.template : undefined;
  if (!isJsonObject(template) || !isJsonObject(template.spec)) {
    throw new DevModePlanError('InvalidWorkload', `${where} has no pod template`);
  }
  const { metadata, spec: podSpec, ...rest } = cloneJson(template);
  return { metadata: isJsonObject(metadata) ? metadata : {}, spec: podSpec, ...rest } as PodTemplate;
}

/** Labels the Job controller puts on its pod templates; a generated Deployment must not carry them. */
const jobControllerLabels = [
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
];

/**
 * Makes a template taken from another kind valid in a Deployment: pods restart always; a bare Pod's node binding,
 * ephemeral containers, resolved priority and injected service-account volume go (the API server injects a fresh one); Job
 * controller labels go; StatefulSet claim templates become emptyDirs, since a Deployment has no claim templates;
 * a duplicate drops host ports.
 */
export function templateForDeployment(
  workload: KubeObject,
  template: PodTemplate,
  spec: JsonObject,
  mode: 'replace' | 'duplicate',
): PodTemplate {
  const result = cloneJson(template);
  result.spec.restartPolicy = 'Always';
  if (mode === 'duplicate') {
    // The copy runs next to the original, possibly on the same node, where the original holds its host ports.
    for (const field of ['containers', 'initContainers']) {
      for (const container of objectList(result.spec[field])) {
        for (const port of objectList(container.ports)) delete port.hostPort;
      }
    }
  }
  if (workload.kind === 'Pod') {
    delete result.spec.nodeName;
    delete result.spec.ephemeralContainers;
    // Admission derives the priority from priorityClassName again; a stale copy would be rejected.
    delete result.spec.priority;
    const injected = new Set(
      objectList(result.spec.volumes)
        .filter((volume) => typeof volume.name === 'string' && volume.name.startsWith('kube-api-access-'))
        .map((volume) => volume.name),
    );
    if (injected.size > 0) {
      result.spec.volumes = objectList(result.spec.volumes).filter((volume) => !injected.has(volume.name));
      for (const field of ['containers', 'initContainers']) {
        for (const container of objectList(result.spec[field])) {
          if (container.volumeMounts === undefined) continue;
          container.volumeMounts = objectList(container.volumeMounts).filter((mount) => !injected.has(mount.name));
        }
      }
    }
  }
  if (result.metadata.labels !== undefined) {
    for (const label of jobControllerLabels) delete result.metadata.labels[label];
  }
  if (workload.kind === 'StatefulSet') {
    const volumes = objectList(result.spec.volumes);
    for (const claim of objectList(spec.volumeClaimTemplates)) {
      const name = (claim.metadata as JsonObject | undefined)?.name;
      if (typeof name === 'string' && !volumes.some((volume) => volume.name === name)) {
        volumes.push({ name, emptyDir: {} });
      }
    }
    if (volumes.length > 0) result.spec.volumes = volumes;
  }
  return result;
}

/**
 * Several containers of one pod in DevMode: the target container, plus every container that a dev config marks
 * with `containers.<name>.dev: true`. Each added container takes its own `containers.<name>` settings and the
 * built-in defaults (the top-level keys are the target container's), so it has its own image, command, workDir,
 * env, resources, port-forwards and sync folder.
 *
 * Which folder each container syncs: `sync.localPath`, relative to the session's local folder (where devmode.yaml
 * is) and inside it; the target container syncs the session's folder when it names none, an added container syncs
 * nothing. The checks here are the ones no single container's schema can make, each reported with the file, line
 * and field that caused it:
 *   - `containers.<name>` must name a container of the workload;
 *   - a sync folder must be a folder inside the session's folder (an annotation, written by whoever owns the
 *     workload, must not send the person's other files into the cluster), symbolic links resolved;
 *   - a two-way sync folder may not be, contain or lie in another container's sync folder: files one container
 *     writes back would be sent on to the other, and two containers would write into one folder;
 *   - two containers may not forward the same local port;
 *   - the start timeout is the pod's: an added container may not set its own.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import {
  devConfigFieldError,
  effectiveDevConfig,
  type DevConfigSourceKind,
  type EffectiveDevConfig,
  type EffectiveDevConfigInput,
  type RawDevConfig,
} from './devConfig.js';
import type { SchemaPath } from './jsonSchema.js';

/** The dev config sources of one start, as read. */
export interface DevConfigSources {
  annotation?: RawDevConfig;
  file?: { file: string; config: RawDevConfig };
  request?: RawDevConfig;
}

/** One container in DevMode with its effective config and the local folder synced into it. */
export interface DevContainer {
  config: EffectiveDevConfig;
  /** The absolute local folder synced into the container; undefined when it syncs nothing. */
  localDir?: string;
}

/** Every container a start puts into DevMode: the target first, then the added ones in the pod's order. */
export interface DevContainerSet {
  target: DevContainer;
  added: DevContainer[];
}

export interface DevContainerSetInput {
  sources: DevConfigSources;
  /** The target container. */
  target: string;
  /** The containers of the workload's pod template, in order. */
  podContainers: string[];
  /** What the workload is called in messages (`Deployment web`). */
  workload: string;
  /** The session's local folder (absolute). */
  localDir: string;
}

/** The effective configs and sync folders of every container a dev config puts into DevMode, checked. */
export function devContainerSet(input: DevContainerSetInput): DevContainerSet {
  const { sources } = input;
  const layers = sourceLayers(sources);
  for (const [kind, config] of layers) {
    for (const name of Object.keys(config.containers ?? {})) {
      if (input.podContainers.includes(name)) continue;
      throw fieldError(
        sources,
        kind,
        ['containers', name],
        `names no container of ${input.workload}; its containers: ${input.podContainers.join(', ') || 'none'}`,
      );
    }
  }
  const merged = (container: string, ownSettingsOnly: boolean) =>
    effectiveDevConfig({ container, ...mergeInput(sources), ownSettingsOnly });
  const entries: { result: ReturnType<typeof merged>; localDir?: string }[] = [];
  for (const container of [input.target, ...input.podContainers]) {
    if (entries.some((entry) => entry.result.config.container === container)) continue;
    const isTarget = container === input.target;
    if (!isTarget && !isDev(layers, container)) continue;
    const result = merged(container, !isTarget);
    if (!isTarget && result.sources.startTimeoutSeconds !== 'default') {
      throw fieldError(
        sources,
        result.sources.startTimeoutSeconds as DevConfigSourceKind,
        result.writtenAt.startTimeoutSeconds ?? [],
        'is the whole pod start timeout: set it at the top level, for the target container',
      );
    }
    const localPath = result.config.sync.localPath;
    const localDir =
      localPath === undefined
        ? isTarget
          ? input.localDir
          : undefined
        : syncFolder(input.localDir, localPath, () =>
            fieldRef(sources, result.sources['sync.localPath'], result.writtenAt['sync.localPath']),
          );
    entries.push({ result, ...(localDir !== undefined ? { localDir } : {}) });
  }
  checkAcross(sources, entries);
  const [target, ...added] = entries.map((entry): DevContainer => ({
    config: entry.result.config,
    ...(entry.localDir !== undefined ? { localDir: entry.localDir } : {}),
  }));
  return { target: target as DevContainer, added };
}

/** Whether a container is put into DevMode: the highest source that sets its `dev` decides. */
function isDev(layers: [DevConfigSourceKind, RawDevConfig][], container: string): boolean {
  let dev = false;
  for (const [, config] of layers) {
    const value = config.containers?.[container]?.dev;
    if (value !== undefined) dev = value;
  }
  return dev;
}

function sourceLayers(sources: DevConfigSources): [DevConfigSourceKind, RawDevConfig][] {
  const layers: [DevConfigSourceKind, RawDevConfig][] = [];
  if (sources.annotation !== undefined) layers.push(['annotation', sources.annotation]);
  if (sources.file !== undefined) layers.push(['file', sources.file.config]);
  if (sources.request !== undefined) layers.push(['request', sources.request]);
  return layers;
}

function mergeInput(sources: DevConfigSources): Omit<EffectiveDevConfigInput, 'container'> {
  return {
    ...(sources.annotation !== undefined ? { annotationConfig: sources.annotation } : {}),
    ...(sources.file !== undefined ? { fileConfig: sources.file.config } : {}),
    ...(sources.request !== undefined ? { requestConfig: sources.request } : {}),
  };
}

interface FieldRef {
  sources: DevConfigSources;
  kind: DevConfigSourceKind;
  path: SchemaPath;
}

function fieldRef(sources: DevConfigSources, origin: string | undefined, path: SchemaPath | undefined): FieldRef {
  return { sources, kind: (origin ?? 'request') as DevConfigSourceKind, path: path ?? [] };
}

function fieldError(sources: DevConfigSources, kind: DevConfigSourceKind, path: SchemaPath, problem: string) {
  const file = kind === 'file' ? sources.file?.file : undefined;
  return devConfigFieldError({ kind, ...(file !== undefined ? { file } : {}) }, path, problem);
}

/** The absolute folder `localPath` names, checked to be a folder inside the session's folder. */
function syncFolder(localDir: string, localPath: string, where: () => FieldRef): string {
  const fail = (problem: string): never => {
    const ref = where();
    throw fieldError(ref.sources, ref.kind, ref.path, problem);
  };
  const folder = resolve(localDir, localPath);
  const outside = (): never => fail(`must name a folder inside the local folder ${localDir}, not ${folder}`);
  if (!isInside(localDir, folder)) outside();
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    return fail(`names ${folder}, which does not exist`);
  }
  // A symbolic link on the way may lead out of the local folder.
  if (!isInside(realpathSync(localDir), real)) outside();
  if (!statSync(real).isDirectory()) return fail(`names ${folder}, which is not a folder`);
  return real;
}

/** True when `path` is `folder` or lies inside it. */
function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function checkAcross(
  sources: DevConfigSources,
  entries: { result: ReturnType<typeof effectiveDevConfig>; localDir?: string }[],
): void {
  const ports = new Map<number, string>();
  entries.forEach((entry, index) => {
    const { config, sources: origins, writtenAt } = entry.result;
    for (const forward of config.portForward) {
      const other = ports.get(forward.local);
      if (other !== undefined) {
        throw fieldError(
          sources,
          origins.portForward as DevConfigSourceKind,
          writtenAt.portForward ?? [],
          `forwards local port ${forward.local}, which container ${other} forwards already`,
        );
      }
      ports.set(forward.local, config.container);
    }
    if (entry.localDir === undefined) return;
    for (const earlier of entries.slice(0, index)) {
      if (earlier.localDir === undefined) continue;
      const overlap = isInside(earlier.localDir, entry.localDir) || isInside(entry.localDir, earlier.localDir);
      const twoWay = [earlier, entry].find((candidate) => candidate.result.config.sync.mode === 'both');
      if (!overlap || twoWay === undefined) continue;
      // The later container has a sync folder only because it names one: that is the field to change.
      throw fieldError(
        sources,
        entry.result.sources['sync.localPath'] as DevConfigSourceKind,
        entry.result.writtenAt['sync.localPath'] ?? [],
        `syncs ${entry.localDir}, which overlaps ${earlier.localDir} of container ${earlier.result.config.container}, ` +
          `and container ${twoWay.result.config.container} syncs both ways: what one container writes back would ` +
          'reach the other; give each container a folder of its own',
      );
    }
  });
}

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
  type DevConfigError,
  type DevConfigOrigin,
  type DevConfigSourceKind,
  type EffectiveDevConfig,
  type EffectiveDevConfigInput,
  type EffectiveDevConfigResult,
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
  /** Where each value of the config came from, by dotted path (as `devConfig/get` reports it). */
  sources: Record<string, DevConfigOrigin>;
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

type Merged = EffectiveDevConfigResult & { localDir?: string };

/** The effective configs and sync folders of every container a dev config puts into DevMode, checked. */
export function devContainerSet(input: DevContainerSetInput): DevContainerSet {
  const { sources } = input;
  const layers = sourceLayers(sources);
  for (const [kind, config] of layers) {
    for (const name of Object.keys(config.containers ?? {})) {
      if (input.podContainers.includes(name)) continue;
      throw fieldError(
        sources,
        { kind, path: ['containers', name] },
        `names no container of ${input.workload}; its containers: ${input.podContainers.join(', ') || 'none'}`,
      );
    }
  }
  const merged: Merged[] = [];
  for (const container of [input.target, ...input.podContainers]) {
    if (merged.some((entry) => entry.config.container === container)) continue;
    const isTarget = container === input.target;
    if (!isTarget && !isDev(layers, container)) continue;
    const result = effectiveDevConfig({ container, ...mergeInput(sources), ownSettingsOnly: !isTarget });
    if (!isTarget && result.sources.startTimeoutSeconds !== 'default') {
      throw fieldError(
        sources,
        whereSet(result, 'startTimeoutSeconds'),
        'is the whole pod start timeout: set it at the top level, for the target container',
      );
    }
    const localPath = result.config.sync.localPath;
    const localDir =
      localPath !== undefined
        ? syncFolder(input.localDir, localPath, (problem) =>
            fieldError(sources, whereSet(result, 'sync.localPath'), problem),
          )
        : isTarget
          ? input.localDir
          : undefined;
    merged.push({ ...result, ...(localDir !== undefined ? { localDir } : {}) });
  }
  checkAcross(sources, merged);
  const [target, ...added] = merged.map((entry): DevContainer => ({
    config: entry.config,
    sources: entry.sources,
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

/** A field as written in one source. */
interface FieldSite {
  kind: DevConfigSourceKind;
  path: SchemaPath;
}

/** Where a field of a merged config was set; only called for fields a source set. */
function whereSet(result: EffectiveDevConfigResult, field: string): FieldSite {
  const origin = result.sources[field];
  return {
    kind: origin === undefined || origin === 'default' ? 'request' : origin,
    path: result.writtenAt[field] ?? field.split('.'),
  };
}

function fieldError(sources: DevConfigSources, site: FieldSite, problem: string): DevConfigError {
  const file = site.kind === 'file' ? sources.file?.file : undefined;
  return devConfigFieldError({ kind: site.kind, ...(file !== undefined ? { file } : {}) }, site.path, problem);
}

/** The absolute folder `localPath` names, checked to be a folder inside the session's folder. */
function syncFolder(localDir: string, localPath: string, fault: (problem: string) => DevConfigError): string {
  const folder = resolve(localDir, localPath);
  const outside = `must name a folder inside the local folder ${localDir}, not ${folder}`;
  if (!isInside(localDir, folder)) throw fault(outside);
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    throw fault(`names ${folder}, which does not exist`);
  }
  // A symbolic link on the way may lead out of the local folder.
  if (!isInside(realpathSync(localDir), real)) throw fault(outside);
  if (!statSync(real).isDirectory()) throw fault(`names ${folder}, which is not a folder`);
  return real;
}

/** True when `path` is `folder` or lies inside it. */
function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function checkAcross(sources: DevConfigSources, merged: Merged[]): void {
  const ports = new Map<number, string>();
  merged.forEach((entry, index) => {
    const { config } = entry;
    for (const forward of config.portForward) {
      const other = ports.get(forward.local);
      if (other !== undefined) {
        throw fieldError(
          sources,
          whereSet(entry, 'portForward'),
          `forwards local port ${forward.local}, which container ${other} forwards already`,
        );
      }
      ports.set(forward.local, config.container);
    }
    if (entry.localDir === undefined) return;
    for (const earlier of merged.slice(0, index)) {
      if (earlier.localDir === undefined) continue;
      const overlap = isInside(earlier.localDir, entry.localDir) || isInside(entry.localDir, earlier.localDir);
      const twoWay = [earlier, entry].find((candidate) => candidate.config.sync.mode === 'both');
      if (!overlap || twoWay === undefined) continue;
      // The later container has a sync folder only because it names one: that is the field to change.
      throw fieldError(
        sources,
        whereSet(entry, 'sync.localPath'),
        `syncs ${entry.localDir}, which overlaps ${earlier.localDir} of container ${earlier.config.container}, ` +
          `and container ${twoWay.config.container} syncs both ways: what one container writes back would ` +
          'reach the other; give each container a folder of its own',
      );
    }
  });
}

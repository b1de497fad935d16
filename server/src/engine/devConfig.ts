/**
 * Dev config: what DevMode does to a container, read from three sources and merged into one effective config.
 *
 * Sources, lowest to highest precedence:
 *   1. built-in defaults (below);
 *   2. the workload annotation `devmode.dev/config` (YAML or JSON), per-workload defaults set by whoever owns it;
 *   3. the file `devmode.yaml` in the local project folder;
 *   4. the `config` of the start request.
 * Within each source, `containers.<name>.<key>` overrides the top-level `<key>`, so the order of layers is:
 * default, annotation, annotation.containers.<name>, file, file.containers.<name>, request,
 * request.containers.<name>. Each field is taken whole from the highest layer that sets it, except:
 *   - `env` merges by variable name (`env.DEBUG` from the file, `env.PORT` from the annotation);
 *   - `sync` merges by key (`sync.mode`, `sync.ignore`, `sync.include`, `sync.useGitignore`);
 *   - `resources` merges `limits` and `requests` separately.
 * `effectiveDevConfig` reports the winning source of every field by its dotted path (`sync.mode`, `env.DEBUG`).
 *
 * All sources share one schema (devConfigSchema.ts), which is also what `devConfig/schema` publishes. An invalid
 * source fails with a DevConfigError naming the file, the line of the offending YAML node and the field's dotted
 * path (`containers.api.sync.mode`, `patches[0].type`).
 *
 * A source is bounded before it is parsed (devConfigLimits.maxDevConfigBytes) and aliases are bounded while it is
 * turned into a value, so an oversized file or a YAML bomb is refused in milliseconds instead of holding the server.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { type Document, LineCounter, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { devConfigLimits, devConfigSchema } from './devConfigSchema.js';
import { type SchemaError, type SchemaPath, validateSchema } from './jsonSchema.js';
import { configAnnotation, type JsonObject, type KubeObject } from './objects.js';
import type { JsonPatchOperation } from './patches.js';
import { EngineError } from './engineError.js';

/** The file name of the dev config in the local project folder. */
export const devConfigFileName = 'devmode.yaml';

/** Where a config came from. */
export type DevConfigSourceKind = 'file' | 'annotation' | 'request';

/** Where an effective value came from. */
export type DevConfigOrigin = 'default' | DevConfigSourceKind;

/** A patch of the pod template. */
export type DevPatch =
  { type: 'strategic' | 'merge'; patch: JsonObject } | { type: 'json'; patch: JsonPatchOperation[] };

type Quantity = string | number;
type EnvValue = string | number | boolean;

/** The settings of one container as written in a source (validated, defaults not filled in). */
export interface RawContainerConfig {
  /** Under `containers.<name>` only: that container goes into DevMode too (devContainers.ts). */
  dev?: boolean;
  image?: string;
  workDir?: string;
  shell?: string;
  command?: string[];
  env?: Record<string, EnvValue> | { name: string; value: EnvValue }[];
  resources?: { limits?: Record<string, Quantity>; requests?: Record<string, Quantity> };
  portForward?: (string | number)[];
  sync?: { mode?: 'send' | 'both'; ignore?: string[]; include?: string[]; useGitignore?: boolean; localPath?: string };
  persistentDirs?: { path: string; capacity?: string; storageClass?: string }[];
  patches?: DevPatch[];
  startTimeoutSeconds?: number;
  onSync?: RawOnSyncRule | RawOnSyncRule[];
  debug?: DebugConfig;
}

/** One `onSync` rule as written: `match` may be one pattern or a list. */
export interface RawOnSyncRule {
  match?: string | string[];
  exec?: string[];
  restart?: true;
}

/** One `onSync` rule with its patterns as a list (empty: every batch) and exactly one action. */
export type OnSyncRule = { match: string[] } & ({ exec: string[] } | { restart: true });

export type DebugKind = 'node' | 'python' | 'java' | 'go' | 'custom';

export interface DebugConfig {
  port: number;
  kind: DebugKind;
}

/** A whole source as written: container defaults at the top level plus per-container overrides. */
export interface RawDevConfig extends RawContainerConfig {
  containers?: Record<string, RawContainerConfig>;
}

export interface PortForwardSpec {
  local: number;
  remote: number;
}

export interface PersistentDir {
  path: string;
  capacity: string;
  storageClass?: string;
}

/** The merged config of one container, every default filled in. */
export interface EffectiveDevConfig {
  /** The container this config applies to. */
  container: string;
  /** The dev image; undefined keeps the container's image. */
  image?: string;
  workDir: string;
  /** The terminal shell; undefined lets the caller pick the first of bash and sh found in the image. */
  shell?: string;
  command: string[];
  env: Record<string, string>;
  /** The dev container's resources; undefined keeps the container's own. */
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  portForward: PortForwardSpec[];
  sync: { mode: 'send' | 'both'; ignore: string[]; include: string[]; useGitignore: boolean; localPath?: string };
  persistentDirs: PersistentDir[];
  patches: DevPatch[];
  startTimeoutSeconds: number;
  /** What runs after each sync batch lands, in order; empty when nothing does. */
  onSync: OnSyncRule[];
  /** Remote debugging of the dev command; undefined without. */
  debug?: DebugConfig;
}

/**
 * The default dev command. It keeps the container running without a busy loop and without needing `tail`,
 * `sleep infinity` (GNU only) or a particular shell: `sh` runs as PID 1, which ignores SIGTERM unless a handler is
 * installed, so the `trap` makes pod deletion immediate instead of waiting out the grace period; sleeping in the
 * background and `wait`ing lets the trap run as soon as the signal arrives.
 */
export const defaultDevCommand: readonly string[] = Object.freeze([
  '/bin/sh',
  '-c',
  "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done",
]);

export const defaultWorkDir = '/home/devmode';
export const defaultPersistentDirCapacity = '1Gi';
export const defaultStartTimeoutSeconds = 300;

const sourceNames: Record<DevConfigSourceKind, string> = {
  file: devConfigFileName,
  annotation: `annotation ${configAnnotation}`,
  request: 'request config',
};

/** An invalid dev config: where it is (file and line when known) and which field is wrong. */
export class DevConfigError extends EngineError {
  override readonly name = 'DevConfigError';
  readonly file: string | undefined;
  readonly line: number | undefined;
  /** The dotted path of the offending field; empty when the whole document is at fault. */
  readonly field: string;
  readonly sourceKind: DevConfigSourceKind;
  /** The problem alone, without the location. */
  readonly problem: string;

  constructor(details: {
    file?: string;
    line?: number;
    field: string;
    sourceKind: DevConfigSourceKind;
    problem: string;
  }) {
    const where = details.file ?? sourceNames[details.sourceKind];
    const line = details.line === undefined ? '' : `:${details.line}`;
    const field = details.field === '' ? '' : `${details.field} `;
    super('DevConfigInvalid', `${where}${line}: ${field}${details.problem}`, {
      ...(details.file !== undefined ? { file: details.file } : {}),
      ...(details.line !== undefined ? { line: details.line } : {}),
      field: details.field,
      hint: 'Fix the field named above; devConfig/schema describes every field.',
    });
    this.file = details.file;
    this.line = details.line;
    this.field = details.field;
    this.sourceKind = details.sourceKind;
    this.problem = details.problem;
  }
}

export interface DevConfigSource {
  file?: string;
  kind: DevConfigSourceKind;
}

/** Parses and validates the text of a dev config (YAML or JSON). */
export function parseDevConfig(text: string, source: DevConfigSource): RawDevConfig {
  const bytes = Buffer.byteLength(text);
  if (bytes > devConfigLimits.maxDevConfigBytes) throw tooLarge(source, bytes, largestField(text));
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const syntaxError = document.errors[0];
  if (syntaxError !== undefined) {
    throw new DevConfigError({
      file: source.file,
      line: lineCounter.linePos(syntaxError.pos[0]).line,
      field: '',
      sourceKind: source.kind,
      problem: `is not valid YAML: ${syntaxError.message.split('\n')[0] ?? ''}`,
    });
  }
  const value = toValue(document, source, lineCounter);
  const errors = findErrors(value);
  if (errors.length > 0) {
    // Locating costs a walk of the document per error; the first few in document order are all that is reported.
    const located = errors.slice(0, maxLocatedErrors).map((error) => ({ error, offset: locate(document, error) }));
    located.sort((a, b) => (a.offset ?? Infinity) - (b.offset ?? Infinity));
    const first = located[0];
    if (first !== undefined) {
      const line = first.offset === undefined ? undefined : lineCounter.linePos(first.offset).line;
      throw toDevConfigError(first.error, source, line);
    }
  }
  return value as RawDevConfig;
}

const maxLocatedErrors = 100;

/** The document as a plain value; aliases that would expand it beyond reason (a "billion laughs") are refused. */
function toValue(document: Document, source: DevConfigSource, lineCounter: LineCounter): unknown {
  try {
    return document.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    // The yaml library's message names an attack; say what is wrong with the file and where the aliases start.
    let firstAlias: number | undefined;
    visit(document, {
      Alias(_key, node) {
        firstAlias = node.range?.[0];
        return visit.BREAK;
      },
    });
    throw new DevConfigError({
      file: source.file,
      line: firstAlias === undefined ? undefined : lineCounter.linePos(firstAlias).line,
      field: '',
      sourceKind: source.kind,
      problem: 'uses aliases (*name) that expand to far more than a dev config needs; write the values out instead',
    });
  }
}

/** The top-level field that takes the most room, with its line, to say where an oversized source went wrong. */
interface LargestField {
  field: string;
  line?: number;
  bytes: number;
}

/** The largest top-level field of a source's text, written as JSON (parsed at native speed) or as YAML. */
function largestField(text: string): LargestField | undefined {
  if (text.trimStart().startsWith('{')) {
    try {
      return largestJsonField(JSON.parse(text));
    } catch {
      // Not JSON after all: flow-style YAML, scanned below.
    }
  }
  return largestYamlField(text);
}

/** Finds the largest top-level block of a YAML text by scanning its lines for unindented keys, without parsing. */
function largestYamlField(text: string): LargestField | undefined {
  let largest: LargestField | undefined;
  let current: { field: string; line: number; start: number } | undefined;
  const close = (end: number): void => {
    if (current !== undefined && (largest === undefined || end - current.start > largest.bytes)) {
      largest = { field: current.field, line: current.line, bytes: end - current.start };
    }
  };
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline + 1;
    const key = /^([A-Za-z_][-\w.]*)[ \t]*:/.exec(text.slice(start, Math.min(end, start + 256)))?.[1];
    if (key !== undefined) {
      close(start);
      current = { field: key, line, start };
    }
    start = end;
  }
  close(text.length);
  return largest;
}

/** The largest top-level field of a value by its JSON size. */
function largestJsonField(value: unknown): LargestField | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  let largest: LargestField | undefined;
  for (const [field, child] of Object.entries(value)) {
    const bytes = Buffer.byteLength(JSON.stringify(child) ?? '');
    if (largest === undefined || bytes > largest.bytes) largest = { field, bytes };
  }
  return largest;
}

function tooLarge(source: DevConfigSource, bytes: number, largest: LargestField | undefined): DevConfigError {
  const bound = `a dev config may be at most ${formatBytes(devConfigLimits.maxDevConfigBytes)}`;
  return new DevConfigError({
    file: source.file,
    line: largest?.line,
    field: largest?.field ?? '',
    sourceKind: source.kind,
    problem:
      largest === undefined
        ? `is ${formatBytes(bytes)}, and ${bound}`
        : `takes ${formatBytes(largest.bytes)} of ${formatBytes(bytes)}, and ${bound}`,
  });
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Validates a dev config given as a value (the request's `config`), without line information. */
export function validateDevConfig(value: unknown, source: DevConfigSource): RawDevConfig {
  const bytes = Buffer.byteLength(JSON.stringify(value ?? {}) ?? '');
  if (bytes > devConfigLimits.maxDevConfigBytes) throw tooLarge(source, bytes, largestJsonField(value));
  const first = findErrors(value ?? {})[0];
  if (first !== undefined) throw toDevConfigError(first, source, undefined);
  return value ?? {};
}

/** Reads `devmode.yaml` from a local folder; undefined when the folder has none. */
export function loadDevConfigFile(localDir: string): { file: string; config: RawDevConfig } | undefined {
  const file = join(localDir, devConfigFileName);
  let text: string;
  try {
    text = readBounded(file);
  } catch (error) {
    if (error instanceof DevConfigError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DevConfigError({ file, field: '', sourceKind: 'file', problem: `cannot be read: ${reason}` });
  }
  return { file, config: parseDevConfig(text, { file, kind: 'file' }) };
}

/**
 * Files up to this size are read whole to say which field makes them too large; beyond it only the size is told.
 */
const maxScannedBytes = 16 * 1024 * 1024;

/** Reads a regular file, refusing one over the size bound before reading it all (and a FIFO that would block). */
function readBounded(file: string): string {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it has no effect on a regular file.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new DevConfigError({ file, field: '', sourceKind: 'file', problem: 'is not a regular file' });
    }
    if (stat.size > maxScannedBytes) throw tooLarge({ file, kind: 'file' }, stat.size, undefined);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const count = readSync(fd, buffer, read, buffer.length - read, read);
      if (count === 0) break;
      read += count;
    }
    return buffer.toString('utf8', 0, read);
  } finally {
    closeSync(fd);
  }
}

/** The per-workload defaults from the `devmode.dev/config` annotation; undefined when absent. */
export function annotationDevConfig(workload: KubeObject): RawDevConfig | undefined {
  const text = workload.metadata.annotations?.[configAnnotation];
  return text === undefined ? undefined : parseDevConfig(text, { kind: 'annotation' });
}

function findErrors(value: unknown): SchemaError[] {
  const errors = validateSchema(devConfigSchema, value);
  return errors.length > 0 ? errors : findDuplicates(value as RawDevConfig);
}

/** Rules the schema cannot express: no two persistent dirs on one path, no two forwards from one local port. */
function findDuplicates(config: RawDevConfig): SchemaError[] {
  const scopes: [SchemaPath, RawContainerConfig][] = [[[], config]];
  for (const [name, containerConfig] of Object.entries(config.containers ?? {})) {
    scopes.push([['containers', name], containerConfig]);
  }
  const errors: SchemaError[] = [];
  for (const [prefix, scope] of scopes) {
    const dirs = (scope.persistentDirs ?? []).map((dir) => dir.path.replace(/\/+$/, '') || '/');
    errors.push(...duplicatesIn(dirs, [...prefix, 'persistentDirs'], 'path', 'repeats the path of an earlier entry'));
    const locals = (scope.portForward ?? []).map((forward) => parsePortForward(forward).local);
    errors.push(...duplicatesIn(locals, [...prefix, 'portForward'], undefined, 'repeats an earlier local port'));
  }
  return errors;
}

function duplicatesIn(keys: unknown[], path: SchemaPath, field: string | undefined, message: string): SchemaError[] {
  return keys.flatMap((key, index) =>
    keys.indexOf(key) < index
      ? [{ path: field === undefined ? [...path, index] : [...path, index, field], keyword: 'unique', message }]
      : [],
  );
}

function toDevConfigError(error: SchemaError, source: DevConfigSource, line: number | undefined): DevConfigError {
  return new DevConfigError({
    file: source.file,
    line,
    field: formatFieldPath(error.path),
    sourceKind: source.kind,
    problem: error.message,
  });
}

/**
 * A DevConfigError about a field found after validation (a rule across containers, a folder that is missing),
 * with the line of the field when its source is a file.
 */
export function devConfigFieldError(source: DevConfigSource, path: SchemaPath, problem: string): DevConfigError {
  let line: number | undefined;
  if (source.file !== undefined) {
    try {
      const lineCounter = new LineCounter();
      const document = parseDocument(readBounded(source.file), { lineCounter, uniqueKeys: true, merge: true });
      const offset = locate(document, { path, keyword: 'rule', message: problem, atKey: true });
      line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
    } catch {
      // The file changed since it was read: the field alone still says where the fault is.
    }
  }
  return new DevConfigError({
    file: source.file,
    line,
    field: formatFieldPath(path),
    sourceKind: source.kind,
    problem,
  });
}

/** `containers.api.patches[0].type` from a path. */
export function formatFieldPath(path: SchemaPath): string {
  return path
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join('');
}

/**
 * The source offset of the node an error is about: the key for an unknown or badly named field, the object
 * holding a missing required field, the value otherwise.
 */
function locate(document: Document, error: SchemaError): number | undefined {
  const path = error.missing === true ? error.path.slice(0, -1) : error.path;
  let node: unknown = document.contents;
  let offset = rangeStart(node);
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return offset;
      if (last && error.atKey === true) return rangeStart(pair.key);
      node = pair.value;
      offset = rangeStart(pair.value) ?? rangeStart(pair.key);
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/** Splits `"8080:9080"`, `"9229"` or `9229` into local and remote ports (the input is already validated). */
export function parsePortForward(forward: string | number): PortForwardSpec {
  const [local, remote] = String(forward).split(':');
  return { local: Number(local), remote: Number(remote ?? local) };
}

export interface EffectiveDevConfigInput {
  container: string;
  annotationConfig?: RawDevConfig;
  fileConfig?: RawDevConfig;
  requestConfig?: RawDevConfig;
  /**
   * True for a container that `containers.<name>.dev` adds to DevMode: it takes its `containers.<name>` settings
   * alone, since the top-level keys are the target container's.
   */
  ownSettingsOnly?: boolean;
}

export interface EffectiveDevConfigResult {
  config: EffectiveDevConfig;
  /** The source of every field, by dotted path (`image`, `sync.mode`, `env.DEBUG`, `resources.limits`). */
  sources: Record<string, DevConfigOrigin>;
  /** Where in its source each field that a source set was written (`containers.api.sync.mode`), by dotted path. */
  writtenAt: Record<string, SchemaPath>;
}

const wholeFields = [
  'image',
  'workDir',
  'shell',
  'command',
  'portForward',
  'persistentDirs',
  'patches',
  'startTimeoutSeconds',
  'onSync',
  'debug',
] as const;
const syncFields = ['mode', 'ignore', 'include', 'useGitignore', 'localPath'] as const;
const resourceFields = ['limits', 'requests'] as const;

/** Merges the sources of one container's config by the precedence rules at the top of this file. */
export function effectiveDevConfig(input: EffectiveDevConfigInput): EffectiveDevConfigResult {
  const values: Record<string, unknown> = {
    image: undefined,
    workDir: defaultWorkDir,
    shell: undefined,
    command: defaultDevCommand,
    portForward: [],
    persistentDirs: [],
    patches: [],
    startTimeoutSeconds: defaultStartTimeoutSeconds,
    onSync: [],
    debug: undefined,
    'sync.mode': 'send',
    'sync.ignore': [],
    'sync.include': [],
    'sync.useGitignore': true,
    'sync.localPath': undefined,
    'resources.limits': undefined,
    'resources.requests': undefined,
  };
  const sources: Record<string, DevConfigOrigin> = {};
  for (const field of Object.keys(values)) sources[field] = 'default';
  const writtenAt: Record<string, SchemaPath> = {};
  const env: Record<string, string> = {};

  const layers: [DevConfigSourceKind, RawDevConfig | undefined][] = [
    ['annotation', input.annotationConfig],
    ['file', input.fileConfig],
    ['request', input.requestConfig],
  ];
  for (const [kind, config] of layers) {
    const scoped: [SchemaPath, RawContainerConfig | undefined][] = [
      [['containers', input.container], config?.containers?.[input.container]],
    ];
    if (input.ownSettingsOnly !== true) scoped.unshift([[], config]);
    for (const [prefix, layer] of scoped) {
      if (layer === undefined) continue;
      const set = (field: string, value: unknown): void => {
        if (value === undefined) return;
        values[field] = value;
        sources[field] = kind;
        writtenAt[field] = [...prefix, ...field.split('.')];
      };
      for (const field of wholeFields) set(field, layer[field]);
      for (const field of syncFields) set(`sync.${field}`, layer.sync?.[field]);
      for (const field of resourceFields) set(`resources.${field}`, layer.resources?.[field]);
      for (const [name, value] of envEntries(layer.env)) {
        env[name] = String(value);
        sources[`env.${name}`] = kind;
        writtenAt[`env.${name}`] = [...prefix, 'env'];
      }
    }
  }

  const limits = values['resources.limits'] as Record<string, Quantity> | undefined;
  const requests = values['resources.requests'] as Record<string, Quantity> | undefined;
  const dirs = values.persistentDirs as NonNullable<RawContainerConfig['persistentDirs']>;
  const config: EffectiveDevConfig = {
    container: input.container,
    image: values.image as string | undefined,
    workDir: values.workDir as string,
    shell: values.shell as string | undefined,
    command: [...(values.command as string[])],
    env,
    resources:
      limits === undefined && requests === undefined
        ? undefined
        : { ...(limits && { limits: quantities(limits) }), ...(requests && { requests: quantities(requests) }) },
    portForward: (values.portForward as (string | number)[]).map(parsePortForward),
    sync: {
      mode: values['sync.mode'] as 'send' | 'both',
      ignore: [...(values['sync.ignore'] as string[])],
      include: [...(values['sync.include'] as string[])],
      useGitignore: values['sync.useGitignore'] as boolean,
      ...(values['sync.localPath'] !== undefined && { localPath: values['sync.localPath'] as string }),
    },
    persistentDirs: dirs.map((dir) => ({
      path: dir.path,
      capacity: dir.capacity ?? defaultPersistentDirCapacity,
      ...(dir.storageClass !== undefined && { storageClass: dir.storageClass }),
    })),
    patches: structuredClone(values.patches as DevPatch[]),
    startTimeoutSeconds: values.startTimeoutSeconds as number,
    onSync: onSyncRules(values.onSync as RawContainerConfig['onSync']),
    ...(values.debug !== undefined && { debug: { ...(values.debug as DebugConfig) } }),
  };
  if (config.image === undefined) delete config.image;
  if (config.shell === undefined) delete config.shell;
  if (config.resources === undefined) delete config.resources;
  return { config, sources, writtenAt };
}

/** The rules of `onSync` as a list, each with its patterns as a list. */
function onSyncRules(onSync: RawContainerConfig['onSync']): OnSyncRule[] {
  if (onSync === undefined) return [];
  return (Array.isArray(onSync) ? onSync : [onSync]).map((rule) => {
    const match = rule.match === undefined ? [] : Array.isArray(rule.match) ? [...rule.match] : [rule.match];
    return rule.exec !== undefined ? { match, exec: [...rule.exec] } : { match, restart: true };
  });
}

function envEntries(env: RawContainerConfig['env']): [string, EnvValue][] {
  if (env === undefined) return [];
  if (Array.isArray(env)) return env.map((entry) => [entry.name, entry.value]);
  return Object.entries(env);
}

function quantities(list: Record<string, Quantity>): Record<string, string> {
  return Object.fromEntries(Object.entries(list).map(([name, amount]) => [name, String(amount)]));
}

/**
 * Where the sandbox finds its own files, and how it runs its helper scripts, in each way devmode can be run.
 *
 * - From the source tree (tsc output or vitest on the sources) files sit next to the code and helpers run as
 *   `node -e <source>`.
 * - From the bundle (`node dist/devmode.cjs`, built by build/buildBinary.mjs) files are read from `dist/assets/`.
 * - From the single executable they are assets embedded in the executable. Directories and native addons are
 *   extracted on first use into a cache directory named after their content hash, so every build gets its own copy.
 *   The executable cannot run `-e`, so helpers run as `devmode sandbox __helper <name> …`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as sea from 'node:sea';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';

/** Replaced by `true` when build/buildBinary.mjs bundles the code; undeclared (so `undefined`) otherwise. */
declare const DEVMODE_BUNDLE: boolean | undefined;

/** The hidden `sandbox` subcommand that runs a helper script inside the single executable. */
export const HELPER_SUBCOMMAND = '__helper';

/** Overrides where native addons are extracted, for hosts whose cache directory is on a `noexec` mount. */
export const NATIVE_DIR_ENV = 'DEVMODE_NATIVE_DIR';

/** The asset holding sandbox/images/ as `{ files: [{ path, mode, data (base64) }] }`. */
export const IMAGES_ASSET = 'images.json';

export interface TreeArchive {
  files: { path: string; mode: number; data: string }[];
}

export function isBundled(): boolean {
  return typeof DEVMODE_BUNDLE !== 'undefined' && DEVMODE_BUNDLE;
}

export function isSingleExecutable(): boolean {
  return sea.isSea();
}

/** The bytes of an asset of the bundle: embedded in the executable, or in `dist/assets/` next to the bundle. */
export function readAsset(name: string): Buffer {
  try {
    if (sea.isSea()) return Buffer.from(sea.getRawAsset(name));
    return readFileSync(join(__dirname, 'assets', name));
  } catch (error) {
    throw new Error(`devmode's embedded file "${name}" is missing from this build: ${(error as Error).message}`);
  }
}

function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'devmode');
}

function contentDir(root: string, data: Buffer): string {
  return join(root, createHash('sha256').update(data).digest('hex').slice(0, 16));
}

/**
 * Writes `data` to `<root>/<hash>/<name>` unless it is already there and returns the path. The file is written
 * under a temporary name and renamed, so two processes starting at once never see half a file. When the cache
 * directory cannot be written (a read-only home), a fresh temporary directory is used instead.
 */
function extractFile(name: string, data: Buffer, root: string): string {
  const write = (dir: string): string => {
    const file = join(dir, name);
    if (existsSync(file) && readFileSync(file).equals(data)) return file;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, data, { mode: 0o755 });
    renameSync(temporary, file);
    return file;
  };
  try {
    return write(contentDir(root, data));
  } catch {
    return write(mkdtempSync(join(tmpdir(), 'devmode-')));
  }
}

/**
 * Extracts a directory archive (see `TreeArchive`) to `<root>/<hash>/<name>/` unless it is there already. It is
 * written to a staging directory and renamed into place, with the same fallback to the temp dir as extractFile.
 */
function extractTree(name: string, data: Buffer, root: string): string {
  const write = (parent: string): string => {
    const dir = join(parent, name);
    if (existsSync(dir)) return dir;
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    const staging = mkdtempSync(`${dir}.tmp-`);
    const archive = JSON.parse(data.toString('utf8')) as TreeArchive;
    for (const file of archive.files) {
      const target = join(staging, file.path);
      if (!target.startsWith(staging + '/')) throw new Error(`bad path "${file.path}" in embedded ${name}`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.from(file.data, 'base64'), { mode: file.mode });
    }
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another process extracted the same content first; its copy is identical.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(dir)) throw error;
    }
    return dir;
  };
  try {
    return write(contentDir(root, data));
  } catch {
    return write(mkdtempSync(join(tmpdir(), 'devmode-')));
  }
}

let imagesDir: string | undefined;

/** The directory holding the sandbox's local images (sandbox/images/ in the source tree). */
export function defaultImagesDir(): string {
  if (imagesDir !== undefined) return imagesDir;
  imagesDir = isBundled()
    ? extractTree('images', readAsset(IMAGES_ASSET), cacheRoot())
    : fileURLToPath(new URL('../images/', import.meta.url));
  return imagesDir;
}

/**
 * Loads a native addon of the bundle (node-pty's `pty.node`). The bundle run by node loads it from `dist/assets/`;
 * the single executable extracts it first, because `dlopen` needs a file.
 */
export function loadNativeAddon(name: string): unknown {
  const file = sea.isSea()
    ? extractFile(`${name}.node`, readAsset(`${name}.node`), process.env[NATIVE_DIR_ENV] || cacheRoot())
    : join(__dirname, 'assets', `${name}.node`);
  const module = { exports: {} as unknown };
  try {
    process.dlopen(module, file, constants.dlopen.RTLD_NOW);
  } catch (error) {
    const message = (error as Error).message;
    const noexec = /failed to map segment|operation not permitted/i.test(message)
      ? ` Its directory is probably on a filesystem mounted noexec; set ${NATIVE_DIR_ENV} to a directory on a` +
        ` filesystem that allows executables.`
      : '';
    throw new Error(`devmode cannot load its native library ${file}: ${message}.${noexec}`);
  }
  return module.exports;
}

/**
 * The argv that runs a Node helper script. Node runs it with `-e`; the single executable runs itself with the
 * hidden helper subcommand, which finds the script by name.
 */
export function helperArgv(name: string, source: string, args: string[]): string[] {
  if (sea.isSea()) return [process.execPath, 'sandbox', HELPER_SUBCOMMAND, name, ...args];
  return [process.execPath, '-e', source, ...args];
}

/**
 * Runs a helper script in this process as `node -e <source> <args>` would: `require` loads built-in modules and
 * `process.argv[1]` is the first argument. The returned promise never settles: the helper ends the process itself
 * (or the process ends when the helper has nothing left to do).
 */
export function runHelperSource(name: string, source: string, args: string[]): Promise<number> {
  process.argv = [process.execPath, ...args];
  const helper = compileFunction(source, ['require'], { filename: `devmode-${name}-helper.js` }) as (
    require: NodeJS.Require,
  ) => void;
  helper(createRequire(process.execPath));
  return new Promise<number>(() => undefined);
}

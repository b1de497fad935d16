/**
 * Paths inside a synced folder. A `RelPath` holds the raw bytes of a path relative to the folder root, one byte per
 * UTF-16 unit (latin1), so that names which are not valid UTF-8 survive every map, set and tar header unchanged.
 * Only `displayPath` decodes them, for people to read.
 */
import { isAbsolute, resolve, sep } from 'node:path';
import { EngineError } from '../engineError.js';

export type RelPath = string;

export class UnsafePathError extends EngineError {
  public constructor(
    public readonly path: RelPath,
    reason: string,
  ) {
    super('UnsafePath', `${displayPath(path)}: ${reason}`, { path: displayPath(path) });
    this.name = 'UnsafePathError';
  }
}

export function relFromBytes(bytes: Buffer): RelPath {
  return bytes.toString('latin1');
}

export function relToBytes(rel: RelPath): Buffer {
  return Buffer.from(rel, 'latin1');
}

/** Converts a path as JavaScript text (UTF-8 on disk) to a RelPath. */
export function relFromText(text: string): RelPath {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** The path as a person would read it; bytes that are not UTF-8 show as U+FFFD. */
export function displayPath(rel: RelPath): string {
  return relToBytes(rel).toString('utf8');
}

/** Why a relative path may not be used, or undefined when it is safe: no `..`, no absolute names, no empty parts. */
export function unsafeReason(rel: RelPath): string | undefined {
  if (rel.length === 0) return 'the path is empty';
  if (rel.includes('\0')) return 'the path contains a NUL byte';
  if (rel.startsWith('/')) return 'absolute paths are not allowed';
  for (const part of rel.split('/')) {
    if (part === '..') return '".." is not allowed';
    if (part === '' || part === '.') return 'empty or "." path segments are not allowed';
  }
  return undefined;
}

export function assertSafe(rel: RelPath): void {
  const reason = unsafeReason(rel);
  if (reason !== undefined) throw new UnsafePathError(rel, reason);
}

/** The absolute path of `rel` under `root`, as bytes (Node's fs accepts Buffer paths). */
export function absoluteBytes(root: string, rel: RelPath): Buffer {
  return Buffer.concat([Buffer.from(root, 'utf8'), Buffer.from('/'), relToBytes(rel)]);
}

export function joinRel(dir: RelPath, name: RelPath): RelPath {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentRel(rel: RelPath): RelPath {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

/** Every ancestor directory of `rel`, outermost first. */
export function ancestors(rel: RelPath): RelPath[] {
  const result: RelPath[] = [];
  let index = rel.indexOf('/');
  while (index >= 0) {
    result.push(rel.slice(0, index));
    index = rel.indexOf('/', index + 1);
  }
  return result;
}

export function isUnder(rel: RelPath, dir: RelPath): boolean {
  return rel.startsWith(`${dir}/`);
}

/**
 * Whether a symlink at `rel` with `target` stays inside the synced folder. Absolute targets never do: inside the
 * container the folder lives elsewhere, so they would point at something else.
 */
export function linkStaysInside(rel: RelPath, target: RelPath): boolean {
  if (target.length === 0 || isAbsolute(target)) return false;
  const root = '/r';
  const resolved = resolve(root, parentRel(rel), target);
  return resolved === root || resolved.startsWith(root + sep);
}

/**
 * Writes what comes back from the container (two-way mode) into the local folder. Every write goes to a temporary
 * name in the target folder and is renamed into place, so an editor never reads half a file; no directory on the way
 * may be a symlink, so nothing lands outside the folder.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  lutimesSync,
} from 'node:fs';
import {
  absoluteBytes,
  ancestors,
  displayPath,
  linkStaysInside,
  parentRel,
  UnsafePathError,
  type RelPath,
} from './paths.js';
import type { ReadEntry } from './tarReader.js';

/** Makes sure every ancestor of `rel` is a real directory, creating the missing ones. */
function prepareParents(root: string, rel: RelPath): void {
  for (const dir of ancestors(rel)) {
    const path = absoluteBytes(root, dir);
    let stats;
    try {
      stats = lstatSync(path);
    } catch {
      mkdirSync(path);
      continue;
    }
    if (!stats.isDirectory())
      throw new UnsafePathError(rel, `${displayPath(dir)} is not a directory in the local folder`);
  }
}

function temporaryName(root: string, rel: RelPath): Buffer {
  const parent = parentRel(rel);
  const name = `.devmode-sync-${randomBytes(6).toString('hex')}.tmp`;
  return absoluteBytes(root, parent === '' ? name : `${parent}/${name}`);
}

function toDate(mtimeNs: bigint): Date {
  return new Date(Number(mtimeNs / 1_000_000n));
}

/** Writes one entry read from the container. */
export function writeLocalEntry(root: string, entry: ReadEntry): void {
  prepareParents(root, entry.path);
  const target = absoluteBytes(root, entry.path);
  if (entry.type === 'dir') {
    let stats;
    try {
      stats = lstatSync(target);
    } catch {
      mkdirSync(target, { mode: entry.mode });
      return;
    }
    if (!stats.isDirectory()) {
      rmSync(target, { force: true });
      mkdirSync(target, { mode: entry.mode });
    }
    return;
  }
  if (entry.type === 'symlink') {
    if (!linkStaysInside(entry.path, entry.linkTarget ?? '')) {
      throw new UnsafePathError(entry.path, 'the link points outside the synced folder');
    }
    const temporary = temporaryName(root, entry.path);
    symlinkSync(Buffer.from(entry.linkTarget ?? '', 'latin1'), temporary);
    lutimesSync(temporary, toDate(entry.mtimeNs), toDate(entry.mtimeNs));
    replace(temporary, target);
    return;
  }
  const temporary = temporaryName(root, entry.path);
  writeFileSync(temporary, entry.data, { mode: entry.mode });
  chmodSync(temporary, entry.mode);
  utimesSync(temporary, toDate(entry.mtimeNs), toDate(entry.mtimeNs));
  replace(temporary, target);
}

function replace(temporary: Buffer, target: Buffer): void {
  try {
    const stats = lstatSync(target);
    if (stats.isDirectory()) rmSync(target, { recursive: true, force: true });
  } catch {
    // Nothing there yet.
  }
  try {
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Removes a local file or empty folder that was deleted in the container (two-way mode only). */
export function removeLocalEntry(root: string, rel: RelPath): void {
  for (const dir of ancestors(rel)) {
    if (!lstatSync(absoluteBytes(root, dir)).isDirectory()) return;
  }
  const target = absoluteBytes(root, rel);
  const stats = lstatSync(target);
  rmSync(target, { recursive: stats.isDirectory(), force: true });
}

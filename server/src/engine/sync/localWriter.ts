/**
 * Writes what comes back from the container (two-way mode) into the local folder. Every write goes to a temporary
 * name in the target folder and is renamed into place, so an editor never reads half a file; no directory on the way
 * may be a symlink, so nothing lands outside the folder. A write that expects a version of the local file happens
 * only if the file is still that version right before the rename (and right after it, for a write that landed in
 * the replaced file meanwhile): a local edit is never overwritten by one from the container.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  linkSync,
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
import { statLocal, unchanged, type FileState } from './manifest.js';

/** The local file is no longer the version the write expected: someone edited it since; nothing was written. */
export class LocalChangedError extends Error {
  public constructor(public readonly path: RelPath) {
    super(`${displayPath(path)} changed locally while the container's version was being brought back`);
    this.name = 'LocalChangedError';
  }
}

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

/**
 * Writes one entry read from the container. With `expect` (a file state, or null for none), a file is written only
 * if the local one is still that version; otherwise it throws `LocalChangedError` and the local file stays.
 */
export function writeLocalEntry(root: string, entry: ReadEntry, expect?: FileState | null): void {
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
  if (expect === null || expect?.type === 'file') replaceChecked(root, entry.path, temporary, target, expect);
  else replace(temporary, target);
}

/** Whether the entry at `path` (lstat'ed now) is the version `expect` names, the same inode included. */
function isVersion(root: string, path: RelPath, expect: FileState): boolean {
  const now = statLocal(root, path);
  return unchanged(expect, now) && (expect.ino === undefined || now?.ino === expect.ino);
}

/**
 * Renames `temporary` to `target` only if the local file is still `expect`. A new file is linked into place, which
 * fails when one appeared meanwhile. An existing one is held under a second name (a hard link) while it is checked
 * and replaced: an edit that lands in it meanwhile shows on the held name, and the local version is put back.
 */
function replaceChecked(root: string, rel: RelPath, temporary: Buffer, target: Buffer, expect: FileState | null): void {
  const parent = parentRel(rel);
  const heldName = `.devmode-sync-${randomBytes(6).toString('hex')}.held`;
  const held = parent === '' ? heldName : `${parent}/${heldName}`;
  try {
    if (expect === null) {
      try {
        linkSync(temporary, target);
      } catch {
        throw new LocalChangedError(rel);
      }
      return;
    }
    try {
      linkSync(target, absoluteBytes(root, held));
    } catch {
      throw new LocalChangedError(rel);
    }
    if (!isVersion(root, held, expect)) throw new LocalChangedError(rel);
    renameSync(temporary, target);
    if (!isVersion(root, held, expect)) {
      renameSync(absoluteBytes(root, held), target);
      throw new LocalChangedError(rel);
    }
  } finally {
    rmSync(temporary, { force: true });
    rmSync(absoluteBytes(root, held), { force: true });
  }
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

/**
 * Removes a local file or empty folder that was deleted in the container (two-way mode only). With `expect`, a file
 * is removed only if it is still that version (checked right before); otherwise it throws `LocalChangedError`.
 */
export function removeLocalEntry(root: string, rel: RelPath, expect?: FileState): void {
  for (const dir of ancestors(rel)) {
    if (!lstatSync(absoluteBytes(root, dir)).isDirectory()) return;
  }
  const target = absoluteBytes(root, rel);
  if (expect?.type === 'file' && !isVersion(root, rel, expect)) throw new LocalChangedError(rel);
  const stats = lstatSync(target);
  rmSync(target, { recursive: stats.isDirectory(), force: true });
}

/**
 * What a file looks like on either side, and the local scan that lists the synced folder. Two states are the same
 * when their type, permission bits and (for files) size and nanosecond mtime agree, or (for links) their targets do.
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import type { SyncSkipReason } from '@devmode/protocol';
import type { RemoteEntry } from './agent.js';
import type { IgnoreRules } from './ignore.js';
import { absoluteBytes, joinRel, linkStaysInside, relFromBytes, type RelPath } from './paths.js';

export interface FileState extends RemoteEntry {
  /** The local inode, used to recognise renames. */
  ino?: bigint;
  /**
   * The file was modified within the timestamp granularity of the moment it was read, so a later change of the same
   * size may keep the same mtime; such a state never counts as unchanged (git calls this "racily clean").
   */
  racy?: boolean;
  /** For a racily read file that was sent: the SHA-256 of the bytes sent, to recognise it unchanged later. */
  sha256?: string;
}

/** File timestamps come from a coarse clock (a few ms); a state read this soon after its mtime is not trusted. */
const RACY_WINDOW_NS = 30_000_000n;

export function sameContent(a: RemoteEntry | undefined, b: RemoteEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.type !== b.type) return false;
  if (a.type === 'file') return a.size === b.size && a.mtimeNs === b.mtimeNs;
  if (a.type === 'symlink') return a.linkTarget === b.linkTarget;
  return true;
}

/**
 * The state the container holds once `local` was sent: tar carries whole seconds, as `kubectl cp` and rsync's
 * default comparison do, which keeps each header to one 512-byte block.
 */
export function asSent(local: RemoteEntry): RemoteEntry {
  const mtimeNs = local.mtimeNs - (((local.mtimeNs % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  return {
    type: local.type,
    size: local.size,
    mode: local.mode,
    mtimeNs,
    ...(local.linkTarget !== undefined ? { linkTarget: local.linkTarget } : {}),
  };
}

/** Whether the container's `remote` is what sending `local` would produce (never for a racily read file). */
export function remoteMatches(local: FileState, remote: RemoteEntry): boolean {
  return local.racy !== true && unchanged(asSent(local), remote);
}

/** Whether to skip sending: equal, and not read so soon after a write that an equal stat could hide a change. */
export function sameState(a: FileState | undefined, b: FileState | undefined): boolean {
  if (a?.type === 'file' && (a.racy === true || b?.racy === true)) return false;
  return unchanged(a, b);
}

/** Equal type, mode and content signature; used where a false "changed" would wrongly report a conflict. */
export function unchanged(a: RemoteEntry | undefined, b: RemoteEntry | undefined): boolean {
  if (!sameContent(a, b)) return false;
  return a === undefined || a.type === 'symlink' || a.mode === b!.mode;
}

function fromStats(stats: BigIntStats, root: string, rel: RelPath): FileState | undefined {
  const base = { size: Number(stats.size), mtimeNs: stats.mtimeNs, mode: Number(stats.mode & 0o7777n), ino: stats.ino };
  if (stats.isFile()) {
    const racy = BigInt(Date.now()) * 1_000_000n - stats.mtimeNs < RACY_WINDOW_NS;
    return { type: 'file', ...base, ...(racy ? { racy } : {}) };
  }
  if (stats.isDirectory()) return { type: 'dir', ...base };
  if (stats.isSymbolicLink()) {
    const target = relFromBytes(readlinkSync(absoluteBytes(root, rel), { encoding: 'buffer' }));
    return { type: 'symlink', ...base, linkTarget: target };
  }
  return undefined;
}

/** A link that points outside the folder, which is never followed nor synced. */
export function isOutsideLink(rel: RelPath, state: FileState | undefined): boolean {
  return state?.type === 'symlink' && !linkStaysInside(rel, state.linkTarget ?? '');
}

/** The local state of one path, or undefined when it is missing or neither a file, a directory nor a symlink. */
export function statLocal(root: string, rel: RelPath): FileState | undefined {
  const found = inspectLocal(root, rel);
  return found === undefined || 'skipped' in found ? undefined : found;
}

/** Why an error reading a path means the path cannot be synced, or undefined when it is simply not there. */
function skipReasonOf(error: unknown): SyncSkipReason | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG') return 'pathTooLong';
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  return undefined;
}

/**
 * The local state of one path; `{ skipped }` when it exists but cannot be synced (a FIFO, socket or device, or a
 * path too long to open); undefined when it is missing.
 */
export function inspectLocal(root: string, rel: RelPath): FileState | { skipped: SyncSkipReason } | undefined {
  let stats: BigIntStats;
  try {
    stats = lstatSync(absoluteBytes(root, rel), { bigint: true });
  } catch (error) {
    const skipped = skipReasonOf(error);
    return skipped === undefined ? undefined : { skipped };
  }
  try {
    return fromStats(stats, root, rel) ?? { skipped: 'unsupportedType' };
  } catch {
    return undefined;
  }
}

export interface LocalScan {
  entries: Map<RelPath, FileState>;
  /** Links pointing outside the folder, left out of `entries`. */
  outsideLinks: RelPath[];
  /** Entries that exist but cannot be synced, and why; left out of `entries`. */
  skipped: Map<RelPath, SyncSkipReason>;
}

/**
 * Lists the synced entries under `dir` ('' for the whole folder), without following symlinks. Ignored directories
 * are not read unless an include pattern reaches inside them.
 */
export function scanLocal(root: string, rules: IgnoreRules, dir: RelPath = ''): LocalScan {
  const scan: LocalScan = { entries: new Map(), outsideLinks: [], skipped: new Map() };
  const pending: RelPath[] = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let names: Buffer[];
    try {
      names = readdirSync(current === '' ? Buffer.from(root, 'utf8') : absoluteBytes(root, current), {
        encoding: 'buffer',
      });
    } catch (error) {
      const skipped = skipReasonOf(error);
      if (skipped !== undefined && current !== '') scan.skipped.set(current, skipped);
      continue;
    }
    for (const name of names) {
      const rel = joinRel(current, relFromBytes(name));
      const found = inspectLocal(root, rel);
      if (found === undefined) continue;
      if ('skipped' in found) {
        // An ignored path is left out silently, whatever it is.
        if (!rules.isIgnored(rel, false)) scan.skipped.set(rel, found.skipped);
        continue;
      }
      const state = found;
      const isDir = state.type === 'dir';
      if (rules.isIgnored(rel, isDir)) {
        if (isDir && rules.mayHoldIncluded(rel)) pending.push(rel);
        continue;
      }
      if (isOutsideLink(rel, state)) {
        scan.outsideLinks.push(rel);
        continue;
      }
      scan.entries.set(rel, state);
      if (isDir) pending.push(rel);
    }
  }
  return scan;
}

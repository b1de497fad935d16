/**
 * What the person has to know about single files: conflicts (changed on both sides) and files that could not be
 * synced, each with its local and container path. `version` changes with every edit, so that state reports carry
 * the lists only when they changed.
 */
import type { SyncConflict, SyncFileError, SyncSkipReason } from '@devmode/protocol';
import { displayPath, isUnder, type RelPath } from './paths.js';

/** The protocol's code for a path that would leave the folder, kept here so the engine stays free of the wire layer. */
export const UNSAFE_PATH_CODE = -31031;
/** The protocol's code for a folder the system does not let the watcher watch whole (WatchLimitReached). */
export const WATCH_LIMIT_CODE = -31030;
/** A tree that fails wholesale (a full disk) is summed up by its first errors, not listed file by file. */
const MAX_REPORTED_ERRORS = 100;

const SKIP_MESSAGES: Record<SyncSkipReason, string> = {
  unsupportedType: 'a FIFO, socket or device file has no content to copy, so it is not synced',
  pathTooLong: 'the path is longer than the system allows (PATH_MAX), so it cannot be opened and is not synced',
  unreadable: 'the folder cannot be read (permission denied), so nothing in it is synced',
};

export class SyncIssues {
  public readonly conflicts = new Map<RelPath, SyncConflict>();
  public readonly errors = new Map<RelPath, SyncFileError>();
  public version = 0;
  /** Paths skipped because of what the container holds there (two-way mode), which local scans leave alone. */
  private readonly remoteSkips = new Set<RelPath>();

  public constructor(
    private readonly localDir: string,
    private readonly workDir: string,
  ) {}

  public addConflict(path: RelPath): void {
    if (this.conflicts.has(path)) return;
    this.conflicts.set(path, {
      localPath: `${this.localDir}/${displayPath(path)}`,
      remotePath: `${this.workDir}/${displayPath(path)}`,
      reason: 'changed on both sides since the last sync; both versions are kept until one is deleted',
    });
    this.version++;
  }

  public removeConflict(path: RelPath): void {
    if (this.conflicts.delete(path)) this.version++;
  }

  public addError(path: RelPath, message: string, code?: number, skipped?: SyncSkipReason): void {
    if (this.errors.size >= MAX_REPORTED_ERRORS && !this.errors.has(path)) return;
    this.errors.set(path, {
      localPath: `${this.localDir}/${displayPath(path)}`,
      remotePath: `${this.workDir}/${displayPath(path)}`,
      message,
      ...(code !== undefined ? { code } : {}),
      ...(skipped !== undefined ? { skipped } : {}),
    });
    this.version++;
  }

  /**
   * Records the entries a scan of `dir` ('' for the whole folder) found but cannot sync, and forgets those it
   * recorded before under `dir` that are gone or can be synced now.
   */
  public noteSkipped(skipped: Map<RelPath, SyncSkipReason>, dir: RelPath): void {
    for (const [path, error] of [...this.errors]) {
      const inside = dir === '' || path === dir || isUnder(path, dir);
      if (error.skipped !== undefined && inside && !skipped.has(path) && !this.remoteSkips.has(path)) {
        this.clearError(path);
      }
    }
    for (const [path, reason] of skipped) this.noteSkip(path, reason);
  }

  /**
   * Two-way mode: records the container's entries that cannot be brought back (a FIFO, socket or device there), from
   * a listing of the whole folder, and forgets those recorded before that are gone.
   */
  public noteRemoteSkipped(paths: Set<RelPath>): void {
    for (const path of [...this.remoteSkips]) {
      if (paths.has(path)) continue;
      this.remoteSkips.delete(path);
      if (this.errors.get(path)?.skipped !== undefined) this.clearError(path);
    }
    for (const path of paths) {
      this.remoteSkips.add(path);
      if (this.errors.get(path)?.skipped === undefined) {
        this.addError(
          path,
          'a FIFO, socket or device file in the container has no content to copy, so it is not synced',
          undefined,
          'unsupportedType',
        );
      }
    }
  }

  /** Records one entry that cannot be synced (unless it is recorded already). */
  public noteSkip(path: RelPath, reason: SyncSkipReason): void {
    if (this.errors.get(path)?.skipped !== reason) this.addError(path, SKIP_MESSAGES[reason], undefined, reason);
  }

  public clearError(path: RelPath): void {
    if (this.errors.delete(path)) this.version++;
  }

  public noteOutsideLinks(paths: RelPath[]): void {
    for (const path of paths) {
      if (!this.errors.has(path)) {
        this.addError(path, 'the symlink points outside the synced folder, so it is not synced', UNSAFE_PATH_CODE);
      }
    }
  }
}

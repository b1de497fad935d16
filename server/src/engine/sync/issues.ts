/**
 * What the person has to know about single files: conflicts (changed on both sides) and files that could not be
 * synced, each with its local and container path. `version` changes with every edit, so that state reports carry
 * the lists only when they changed.
 */
import type { SyncConflict, SyncFileError } from '@devmode/protocol';
import { displayPath, type RelPath } from './paths.js';

/** The protocol's code for a path that would leave the folder, kept here so the engine stays free of the wire layer. */
export const UNSAFE_PATH_CODE = -31031;
/** The protocol's code for a folder the system does not let the watcher watch whole (WatchLimitReached). */
export const WATCH_LIMIT_CODE = -31030;
/** A tree that fails wholesale (a full disk) is summed up by its first errors, not listed file by file. */
const MAX_REPORTED_ERRORS = 100;

export class SyncIssues {
  public readonly conflicts = new Map<RelPath, SyncConflict>();
  public readonly errors = new Map<RelPath, SyncFileError>();
  public version = 0;

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

  public addError(path: RelPath, message: string, code?: number): void {
    if (this.errors.size >= MAX_REPORTED_ERRORS && !this.errors.has(path)) return;
    this.errors.set(path, {
      localPath: `${this.localDir}/${displayPath(path)}`,
      remotePath: `${this.workDir}/${displayPath(path)}`,
      message,
      ...(code !== undefined ? { code } : {}),
    });
    this.version++;
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

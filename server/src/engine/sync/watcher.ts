/**
 * Watches the local folder with chokidar and reports changed paths. It never follows symlinks, skips ignored paths
 * (reading ignored folders only when an include pattern reaches inside), and turns the kernel's watch limit into
 * `WatchLimitError`, which says how to raise it.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { IgnoreRules } from './ignore.js';
import { parentRel, relFromText, type RelPath } from './paths.js';
import { EngineError } from '../engineError.js';

/** U+FFFD as UTF-8 bytes in a RelPath: where chokidar could not decode a name. */
const LOSSY = '\u00ef\u00bf\u00bd';

export class WatchLimitError extends EngineError {
  public constructor(public readonly limit: number | undefined) {
    super(
      'WatchLimitReached',
      `The folder needs more file watches than the system allows (fs.inotify.max_user_watches = ${limit ?? 'unknown'}). ` +
        'Raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.conf to keep it), ' +
        'or leave large folders out with sync.ignore.',
      { ...(limit !== undefined ? { limit } : {}), hint: 'sudo sysctl fs.inotify.max_user_watches=524288' },
    );
    this.name = 'WatchLimitError';
  }
}

export interface WatchHandlers {
  /**
   * A path changed; `isDir` when it is (or was) a directory. A name that is not UTF-8 cannot be named exactly, so
   * its folder arrives instead with `rescan` set ('' for the root).
   */
  onChange(rel: RelPath, isDir: boolean, rescan: boolean): void;
  onError(error: Error): void;
}

/** The watch limit in force: the system-wide one, or a lower one set for this user namespace. */
function inotifyLimit(): number | undefined {
  const limits = ['/proc/sys/fs/inotify/max_user_watches', '/proc/sys/user/max_inotify_watches']
    .map((file) => {
      try {
        return Number(readFileSync(file, 'utf8').trim());
      } catch {
        return NaN;
      }
    })
    .filter((limit) => Number.isFinite(limit));
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

export class FolderWatcher {
  private watcher: FSWatcher | undefined;

  public constructor(
    private readonly root: string,
    private readonly rules: IgnoreRules,
    private readonly handlers: WatchHandlers,
  ) {}

  /** Starts watching and resolves once the initial tree is being watched. */
  public async start(): Promise<void> {
    const watcher = watch(this.root, {
      ignoreInitial: true,
      followSymlinks: false,
      // Renames are reported as such by the sync itself; waiting to pair unlink and add would only add latency.
      atomic: false,
      ignorePermissionErrors: true,
      ignored: (path: string, stats?: { isDirectory(): boolean }) => this.ignored(path, stats),
    });
    this.watcher = watcher;
    watcher.on('all', (event, path) => {
      const text = relative(this.root, path);
      if (text === '' || text.startsWith('..')) return;
      let rel = relFromText(text);
      if (!rel.includes(LOSSY)) {
        this.handlers.onChange(rel, event === 'addDir' || event === 'unlinkDir', false);
        return;
      }
      // chokidar decodes names as UTF-8; for a lossy name, its folder is read again byte-exactly.
      while (rel.includes(LOSSY)) rel = parentRel(rel);
      this.handlers.onChange(rel, true, true);
    });
    watcher.on('error', (error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      this.handlers.onError(
        code === 'ENOSPC' || code === 'EMFILE' ? new WatchLimitError(inotifyLimit()) : (error as Error),
      );
    });
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
  }

  public async close(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  private ignored(path: string, stats?: { isDirectory(): boolean }): boolean {
    const text = relative(this.root, path);
    if (text === '' || text.startsWith('..')) return false;
    const rel = relFromText(text);
    if (stats === undefined) {
      return this.rules.isIgnored(rel, false) && this.rules.isIgnored(rel, true) && !this.rules.mayHoldIncluded(rel);
    }
    const isDir = stats.isDirectory();
    return this.rules.isIgnored(rel, isDir) && !(isDir && this.rules.mayHoldIncluded(rel));
  }
}

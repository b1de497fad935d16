/**
 * Moves entries between the two sides. `sendArchive` sends local entries to the container as one tar archive and
 * reports, per path, what arrived: the state that was sent (with the hash of the bytes for racily read files) or why
 * it failed. `receiveEntries` brings entries back from the container (two-way mode) and writes them locally.
 */
import type { RemoteEntry, SyncAgent } from './agent.js';
import { codecFor, type Codec } from './compression.js';
import { LocalChangedError, writeLocalEntry } from './localWriter.js';
import { statLocal, type FileState } from './manifest.js';
import { absoluteBytes, ancestors, displayPath, UnsafePathError, type RelPath } from './paths.js';
import type { ProgressReport } from './replica.js';
import type { TarEntry } from './tarWriter.js';

export interface SendOutcome {
  /** Every entry now in the container, directories on the way included. */
  sent: Map<RelPath, FileState>;
  failed: Map<RelPath, string>;
  /** Paths the container changed since the expected version: its version was kept, nothing was written. */
  changed: Set<RelPath>;
  /** The content bytes of the files sent, and what crossed the channel for the whole archive. */
  bytes: number;
  wireBytes: number;
  /** How the archive was compressed, if it was. */
  codec?: Codec;
}

/** Batches up to this size whose folders already exist in the container are renamed into place (a typical save). */
const PLACED_BATCH = 32;

/**
 * Whether `sendArchive` puts these files in place one by one (with the expectations checked in the container), as
 * it does for a small batch of files whose folders the container has.
 */
export function isPlaced(sends: Map<RelPath, FileState>, existingDirs: (dir: RelPath) => boolean): boolean {
  return (
    sends.size <= PLACED_BATCH &&
    [...sends].every(([path, state]) => state.type !== 'dir' && ancestors(path).every(existingDirs))
  );
}

export async function sendArchive(
  agent: SyncAgent,
  localDir: string,
  sends: Map<RelPath, FileState>,
  existingDirs: (dir: RelPath) => boolean,
  onProgress?: (progress: ProgressReport) => void,
  expected?: Map<RelPath, RemoteEntry | null>,
): Promise<SendOutcome> {
  const entries = new Map<RelPath, FileState>();
  const placed = isPlaced(sends, existingDirs);
  for (const path of [...sends.keys()].sort()) {
    // Otherwise every directory on the way goes first: tar then makes each a real directory, never following a
    // symlink there (placed batches are checked for symlinked folders by the agent instead).
    for (const dir of placed ? [] : ancestors(path)) {
      if (entries.has(dir)) continue;
      const state = sends.get(dir) ?? statLocal(localDir, dir);
      if (state?.type === 'dir') entries.set(dir, state);
    }
    entries.set(path, sends.get(path)!);
  }
  const tar: TarEntry[] = [...entries].map(([path, state]) => ({
    path,
    type: state.type === 'other' ? 'file' : state.type,
    mode: state.mode,
    mtimeNs: state.mtimeNs,
    ...(state.type === 'file' ? { source: absoluteBytes(localDir, path) } : {}),
    ...(state.type === 'symlink' ? { linkTarget: state.linkTarget ?? '' } : {}),
    ...(state.racy === true ? { hash: true } : {}),
  }));
  const totalBytes = [...entries.values()].reduce((sum, state) => sum + (state.type === 'file' ? state.size : 0), 0);
  const codec = codecFor(
    agent.codec,
    [...entries].map(([path, state]) => ({ path, size: state.type === 'file' ? state.size : 0 })),
  );
  let bytes = 0;
  let reported = 0;
  const { reply, written, wireBytes } = await agent.extract(
    tar,
    (count) => {
      bytes += count;
      const now = Date.now();
      if (onProgress !== undefined && now - reported > 100) {
        reported = now;
        onProgress({ files: 0, totalFiles: sends.size, bytes: Math.min(bytes, totalBytes), totalBytes });
      }
    },
    placed ? [...entries.keys()].map((path) => ({ path, expect: expected?.get(path) })) : undefined,
    codec,
  );
  const failed = new Map<RelPath, string>();
  const changed = new Set<RelPath>();
  if (reply.exitCode !== 0) {
    // GNU tar and mv name the path in each message: "tar: <name>: Cannot open: ...".
    const lines = reply.message.split('\n');
    const listed = [...entries.keys()];
    for (const [, word, index] of reply.message.matchAll(/^(unsafe|failed|changed) (\d+)$/gm)) {
      const path = listed[Number(index)];
      if (path === undefined) continue;
      if (word === 'changed') {
        changed.add(path);
        continue;
      }
      failed.set(
        path,
        word === 'unsafe'
          ? 'a folder on the way is a symlink in the container'
          : 'the file could not be put in place in the container',
      );
    }
    for (const path of entries.keys()) {
      const line = lines.find((text) => text.includes(`${displayPath(path)}:`));
      if (line !== undefined) failed.set(path, line.replace(/^tar: /, ''));
    }
    if (failed.size === 0 && changed.size === 0) {
      const message = reply.message.trim() || `tar exited with code ${reply.exitCode}`;
      for (const path of sends.keys()) failed.set(path, message);
    }
  }
  const incomplete = new Set(written.filter((entry) => !entry.complete).map((entry) => entry.path));
  const hashes = new Map(written.map((entry) => [entry.path, entry.sha256]));
  const sent = new Map<RelPath, FileState>();
  for (const [path, state] of entries) {
    if (failed.has(path) || changed.has(path) || incomplete.has(path)) continue;
    const sha256 = hashes.get(path);
    sent.set(path, sha256 !== undefined ? { ...state, sha256 } : state);
  }
  onProgress?.({ files: sent.size, totalFiles: sends.size, bytes: totalBytes, totalBytes });
  const sentBytes = written.reduce((sum, entry) => sum + Math.max(0, entry.size), 0);
  return { sent, failed, changed, bytes: sentBytes, wireBytes, ...(codec !== undefined ? { codec } : {}) };
}

/** Files brought back from the container are held in memory while they are written; larger ones are reported. */
export const MAX_PULLED_BYTES = 256 * 1024 * 1024;

export interface ReceiveHandlers {
  written(path: RelPath): void;
  failed(path: RelPath, message: string, unsafe: boolean): void;
  /** The local file is no longer the expected version: it was kept, the container's was not written. */
  changed(path: RelPath): void;
}

/** Writes the container's `paths` locally: folders first, then files and links read as one tar archive. */
export async function receiveEntries(
  agent: SyncAgent,
  localDir: string,
  paths: Set<RelPath>,
  remote: Map<RelPath, RemoteEntry>,
  handlers: ReceiveHandlers,
  expected?: Map<RelPath, FileState | null>,
): Promise<void> {
  const write = (path: RelPath, apply: () => void): void => {
    try {
      apply();
      handlers.written(path);
    } catch (error) {
      if (error instanceof LocalChangedError) handlers.changed(path);
      else handlers.failed(path, (error as Error).message, error instanceof UnsafePathError);
    }
  };
  const sorted = [...paths].sort();
  const files: RelPath[] = [];
  for (const path of sorted) {
    const state = remote.get(path);
    if (state?.type === 'dir') {
      const entry = { path, type: 'dir' as const, mode: state.mode, mtimeNs: state.mtimeNs, data: Buffer.alloc(0) };
      write(path, () => writeLocalEntry(localDir, entry));
    } else if (state?.type === 'file' && state.size > MAX_PULLED_BYTES) {
      handlers.failed(path, `files over ${MAX_PULLED_BYTES >> 20} MiB are not brought back from the container`, false);
    } else {
      files.push(path);
    }
  }
  if (files.length === 0) return;
  await agent.pack(files, (entry) => {
    if (!paths.has(entry.path) || entry.type === 'dir') return;
    write(entry.path, () => writeLocalEntry(localDir, entry, expected?.get(entry.path)));
  });
}

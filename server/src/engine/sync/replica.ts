/**
 * The sync's memory of both sides and the transfers that bring them together. `synced` holds each path's local
 * state as of its last transfer, `remoteBase` the container's; a side "changed since the last sync" when it differs
 * from its entry. Local changes go out as deletes, renames and one tar archive per batch; in two-way mode container
 * changes come back, and a path changed on both sides becomes a conflict that neither side overwrites.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SyncMode } from '@devmode/protocol';
import type { RemoteEntry, SyncAgent } from './agent.js';
import type { IgnoreRules } from './ignore.js';
import { SyncIssues, UNSAFE_PATH_CODE } from './issues.js';
import { LocalChangedError, removeLocalEntry } from './localWriter.js';
import {
  asSent,
  inspectLocal,
  isOutsideLink,
  remoteMatches,
  sameContent,
  sameState,
  scanLocal,
  statLocal,
  unchanged,
  type FileState,
} from './manifest.js';
import { absoluteBytes, ancestors, isUnder, type RelPath } from './paths.js';
import type { Codec } from './compression.js';
import { hashFile } from './tarWriter.js';
import { isPlaced, MAX_PULLED_BYTES, receiveEntries, sendArchive } from './transfer.js';

export interface TransferCounts {
  filesTransferred: number;
  filesDeleted: number;
  /** The content bytes of the files sent to the container. */
  bytesSent: number;
  /** What crossed the channel for them: archive headers included, after compression. */
  wireBytes: number;
  /** The compression the archives were sent with, when any was. */
  codec?: Codec;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** What a transfer sent, for people: "1.2 MiB, 310.5 KiB over the network with zstd". */
export function describeBytes(counts: TransferCounts): string {
  const how = counts.codec === undefined ? 'uncompressed' : `with ${counts.codec}`;
  return `${formatBytes(counts.bytesSent)}, ${formatBytes(counts.wireBytes)} over the network ${how}`;
}

export interface ProgressReport {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

interface Plan {
  sends: Map<RelPath, FileState>;
  deletes: Set<RelPath>;
  renames: [RelPath, RelPath][];
  pulls: Set<RelPath>;
  /**
   * Two-way mode: the container version each send was planned against (null: none). The container checks it right
   * before the file is put in place, so an edit made there meanwhile becomes a conflict instead of being overwritten.
   */
  remoteExpected: Map<RelPath, RemoteEntry | null>;
  /** The same for pulls: the local version each was planned against, checked right before it is replaced. */
  localExpected: Map<RelPath, FileState | null>;
}

function emptyPlan(): Plan {
  return {
    sends: new Map(),
    deletes: new Set(),
    renames: [],
    pulls: new Set(),
    remoteExpected: new Map(),
    localExpected: new Map(),
  };
}

/** Drops paths whose ancestor is also in the list: deleting the ancestor covers them. */
function outermost(paths: Iterable<RelPath>): RelPath[] {
  const set = new Set(paths);
  return [...set].sort().filter((path) => !ancestors(path).some((dir) => set.has(dir)));
}

export class Replica {
  public readonly synced = new Map<RelPath, FileState>();
  public readonly remoteBase = new Map<RelPath, RemoteEntry>();
  public readonly issues: SyncIssues;

  public constructor(
    private readonly localDir: string,
    private readonly workDir: string,
    private readonly mode: SyncMode,
    private readonly rules: IgnoreRules,
    private readonly log: (line: string) => void,
  ) {
    this.issues = new SyncIssues(localDir, workDir);
  }

  /** The paths whose local state differs from the last transfer, found by reading the whole folder. */
  public localDifferences(): Set<RelPath> {
    let scan = scanLocal(this.localDir, this.rules);
    // A .gitignore may have changed without the watcher having said so yet: then the folder is read again.
    const isGitignore = (path: RelPath): boolean => path === '.gitignore' || path.endsWith('/.gitignore');
    const stale = [
      ...[...scan.entries].filter(([path, state]) => isGitignore(path) && !sameState(this.synced.get(path), state)),
      ...[...this.synced.keys()].filter((path) => isGitignore(path) && !scan.entries.has(path)).map((path) => [path]),
    ];
    if (stale.length > 0) {
      this.rules.forgetAll();
      scan = scanLocal(this.localDir, this.rules);
    }
    this.issues.noteOutsideLinks(scan.outsideLinks);
    this.issues.noteSkipped(scan.skipped, '');
    const changed = new Set<RelPath>();
    for (const [path, state] of scan.entries) {
      if (!this.localUnchanged(path, state)) changed.add(path);
    }
    for (const path of this.synced.keys()) if (!scan.entries.has(path)) changed.add(path);
    for (const path of scan.outsideLinks) if (this.synced.has(path)) changed.add(path);
    return changed;
  }

  /** Sends the local changes at `paths` (and below `rescans`) to the container. */
  /**
   * Sends what changed among `paths` and under `rescans`. Resolves with how many files landed and every path the
   * batch touched: a new folder brings the files inside it, a deleted folder the files it held.
   */
  public async sendChanges(
    agent: SyncAgent,
    paths: Iterable<RelPath>,
    rescans: Iterable<RelPath>,
  ): Promise<{ landed: number; paths: RelPath[] }> {
    const candidates = new Set(paths);
    for (const dir of rescans) {
      const scan = scanLocal(this.localDir, this.rules, dir);
      this.issues.noteOutsideLinks(scan.outsideLinks);
      this.issues.noteSkipped(scan.skipped, dir);
      for (const [path, state] of scan.entries) if (!this.localUnchanged(path, state)) candidates.add(path);
      for (const path of this.synced.keys())
        if ((dir === '' || isUnder(path, dir)) && !scan.entries.has(path)) candidates.add(path);
    }
    const plan = this.planLocal(candidates);
    if (this.mode === 'both') {
      // A save (a few files put in place) is checked by the agent against the version last seen in the container,
      // right before each rename: asking for the container's state first would cost a round trip more.
      if (this.checkedInPlace(agent, plan)) {
        for (const path of plan.sends.keys()) plan.remoteExpected.set(path, this.remoteBase.get(path) ?? null);
      } else {
        await this.holdRemoteChanges(agent, plan);
      }
    }
    const touched = new Set<RelPath>([...plan.sends.keys(), ...plan.deletes, ...plan.renames.flat()]);
    for (const dir of plan.deletes) for (const path of this.synced.keys()) if (isUnder(path, dir)) touched.add(path);
    const counts = await this.execute(agent, plan);
    return { landed: counts.filesTransferred + counts.filesDeleted, paths: [...touched] };
  }

  /** Compares the whole folder with the container and transfers every difference. */
  public async fullSync(
    agent: SyncAgent,
    options: { forgetRemote: boolean; onProgress?: (progress: ProgressReport) => void },
  ): Promise<TransferCounts> {
    if (options.forgetRemote) this.remoteBase.clear();
    // The container lists its side while this side is read: the request goes out before the (synchronous) scan.
    // When compression depends on the round trip, the scan also waits for the ping sent ahead of the listing: an
    // answer read only after the scan would measure the scan, and a near container would be sent compressed.
    let pinged: () => void = () => undefined;
    const ping = new Promise<void>((resolve) => (pinged = resolve));
    const listed = agent.list(this.rules.prunedNames(), pinged);
    listed.catch(() => undefined);
    if (agent.rttDecides)
      await Promise.race([
        ping,
        listed.then(
          () => undefined,
          () => undefined,
        ),
      ]);
    await new Promise((resolve) => setImmediate(resolve));
    const scan = scanLocal(this.localDir, this.rules);
    this.issues.noteOutsideLinks(scan.outsideLinks);
    this.issues.noteSkipped(scan.skipped, '');
    const listing = await listed;
    if (listing === undefined) this.log('the container cannot list files (no find -printf): sending the whole folder');
    else if (this.mode === 'both') this.noteRemoteOthers(listing);
    const plan = emptyPlan();
    const hashCandidates: RelPath[] = [];
    for (const [path, local] of scan.entries) {
      const remote = listing?.get(path);
      if (remote !== undefined && remote.type !== 'other' && remoteMatches(local, remote)) {
        this.markSynced(path, local, remote);
        continue;
      }
      if (this.issues.conflicts.has(path)) continue;
      if (this.mode === 'both' && remote !== undefined && remote.type !== 'other') {
        const base = this.remoteBase.get(path);
        const remoteChanged = base !== undefined && !sameContent(base, remote);
        const localChanged = !unchanged(this.synced.get(path), local);
        if (remoteChanged && !localChanged) {
          plan.pulls.add(path);
          continue;
        }
        if (remoteChanged) {
          this.issues.addConflict(path);
          continue;
        }
      }
      if (
        remote?.type === 'file' &&
        local.type === 'file' &&
        remote.size === local.size &&
        agent.hashTool !== undefined
      ) {
        hashCandidates.push(path);
        continue;
      }
      if (remote !== undefined && remote.type !== local.type) plan.deletes.add(path);
      plan.sends.set(path, local);
    }
    for (const [path, remote] of listing ?? []) {
      if (scan.entries.has(path) || remote.type === 'other' || this.issues.conflicts.has(path)) continue;
      if (this.isIgnoredPath(path, remote.type === 'dir')) continue;
      if (this.mode === 'send') {
        plan.deletes.add(path);
        continue;
      }
      const base = this.remoteBase.get(path);
      // Deleted locally while the sync was down, and untouched in the container since: the deletion wins.
      if (this.synced.has(path) && base !== undefined && sameContent(base, remote)) plan.deletes.add(path);
      else plan.pulls.add(path);
    }
    if (hashCandidates.length > 0) {
      const remoteHashes = await agent.hash(hashCandidates);
      for (const path of hashCandidates) {
        const local = scan.entries.get(path)!;
        const remoteHash = remoteHashes.get(path);
        if (remoteHash !== undefined && remoteHash === (await this.localHash(path, agent.hashTool!))) {
          this.markSynced(path, local, listing!.get(path)!);
        } else {
          plan.sends.set(path, local);
        }
      }
    }
    this.recheckConflicts(scan.entries, listing, plan);
    if (this.mode === 'both' && listing !== undefined) {
      for (const path of [...plan.sends.keys(), ...plan.deletes])
        plan.remoteExpected.set(path, listing.get(path) ?? null);
      for (const path of plan.pulls) plan.localExpected.set(path, scan.entries.get(path) ?? null);
    }
    return this.execute(agent, plan, options.onProgress, listing);
  }

  /** Two-way mode: brings back what changed in the container since the last look. */
  public async pullRemoteChanges(agent: SyncAgent): Promise<number> {
    const listing = await agent.list(this.rules.prunedNames());
    if (listing === undefined) return 0;
    this.noteRemoteOthers(listing);
    const plan = emptyPlan();
    for (const [path, remote] of listing) {
      if (remote.type === 'other' || this.issues.conflicts.has(path)) continue;
      const base = this.remoteBase.get(path);
      if (sameContent(base, remote)) continue;
      if (this.isIgnoredPath(path, remote.type === 'dir')) continue;
      const local = statLocal(this.localDir, path);
      const previous = this.synced.get(path);
      if (remote.type === 'file' && remote.size > MAX_PULLED_BYTES) {
        if (!this.issues.errors.has(path)) {
          this.issues.addError(
            path,
            `files over ${MAX_PULLED_BYTES >> 20} MiB are not brought back from the container`,
          );
        }
      } else if (local?.type === 'dir' && remote.type !== 'dir') {
        // Replacing a local folder would also remove what in it is never synced (ignored files).
        this.issues.addConflict(path);
      } else if (local !== undefined && sameContent(asSent(local), remote)) {
        this.markSynced(path, local, remote);
      } else if (
        (local === undefined && previous === undefined) ||
        (local !== undefined && unchanged(local, previous))
      ) {
        plan.pulls.add(path);
        plan.localExpected.set(path, local ?? null);
      } else if (local === undefined) {
        // Deleted here, changed there: keep the container's version by bringing it back, nothing is lost.
        plan.pulls.add(path);
        plan.localExpected.set(path, null);
      } else {
        this.issues.addConflict(path);
      }
    }
    // A container whose folder is suddenly empty was most likely replaced; its files are not deleted here.
    const wiped = listing.size === 0 && this.remoteBase.size > 0;
    const removed = new Map<RelPath, FileState>();
    for (const path of this.remoteBase.keys()) {
      if (listing.has(path) || wiped || this.issues.conflicts.has(path)) continue;
      const local = statLocal(this.localDir, path);
      if (local !== undefined && local.type !== 'dir' && unchanged(local, this.synced.get(path))) {
        removed.set(path, local);
      } else if (local === undefined) this.forget(path);
      else this.remoteBase.delete(path);
    }
    let count = 0;
    for (const path of [...removed.keys()].sort().reverse()) {
      try {
        removeLocalEntry(this.localDir, path, removed.get(path));
        this.forget(path);
        count++;
      } catch (error) {
        // Edited here while deleted there: the local version stays and is sent again as a new file.
        if (error instanceof LocalChangedError) this.remoteBase.delete(path);
        else this.issues.addError(path, (error as Error).message);
      }
    }
    this.recheckConflicts(undefined, listing, plan);
    const counts = await this.execute(agent, plan, undefined, listing);
    return count + counts.filesTransferred + counts.filesDeleted;
  }

  /** Two-way mode: what the container holds that cannot come back is reported, unless it is ignored. */
  private noteRemoteOthers(listing: Map<RelPath, RemoteEntry>): void {
    const others = new Set<RelPath>();
    for (const [path, remote] of listing) {
      if (remote.type === 'other' && !this.isIgnoredPath(path, false)) others.add(path);
    }
    this.issues.noteRemoteSkipped(others);
  }

  /**
   * Whether `local` is what was last sent. A racily read file compares equal only when its bytes hash to what was
   * sent; it is then remembered as the settled state, so the hash is computed once.
   */
  private localUnchanged(path: RelPath, local: FileState): boolean {
    const previous = this.synced.get(path);
    if (sameState(previous, local)) return true;
    if (previous?.sha256 === undefined || !unchanged(previous, local)) return false;
    if (hashFile(absoluteBytes(this.localDir, path)) !== previous.sha256) return false;
    this.synced.set(path, local.racy === true ? { ...local, sha256: previous.sha256 } : local);
    return true;
  }

  private isIgnoredPath(path: RelPath, isDir: boolean): boolean {
    return this.rules.isIgnored(path, isDir);
  }

  private planLocal(candidates: Set<RelPath>): Plan {
    const plan = emptyPlan();
    for (const path of [...candidates].sort()) {
      if (this.issues.conflicts.has(path)) continue;
      const found = inspectLocal(this.localDir, path);
      let local = found !== undefined && 'skipped' in found ? undefined : found;
      if (found !== undefined && 'skipped' in found) {
        if (!this.isIgnoredPath(path, false)) this.issues.noteSkip(path, found.skipped);
      } else if (this.issues.errors.get(path)?.skipped !== undefined) {
        this.issues.clearError(path);
      }
      if (local !== undefined && isOutsideLink(path, local)) {
        this.issues.noteOutsideLinks([path]);
        local = undefined;
      } else if (local !== undefined && this.issues.errors.get(path)?.code === UNSAFE_PATH_CODE) {
        this.issues.clearError(path);
      }
      if (local !== undefined && (this.isIgnoredPath(path, local.type === 'dir') || this.hasLocalLinkAncestor(path))) {
        continue;
      }
      const previous = this.synced.get(path);
      if (local === undefined) {
        if (previous !== undefined || this.hasSyncedBelow(path)) plan.deletes.add(path);
        continue;
      }
      if (this.localUnchanged(path, local)) continue;
      if (previous !== undefined && previous.type !== local.type) plan.deletes.add(path);
      plan.sends.set(path, local);
      if (local.type === 'dir' && previous?.type !== 'dir') {
        const scan = scanLocal(this.localDir, this.rules, path);
        this.issues.noteOutsideLinks(scan.outsideLinks);
        this.issues.noteSkipped(scan.skipped, path);
        for (const [child, state] of scan.entries) {
          if (!sameState(this.synced.get(child), state)) plan.sends.set(child, state);
        }
      }
    }
    this.findRenames(plan);
    return plan;
  }

  /** A deleted path whose inode reappears under a new name was renamed: the container renames it too. */
  private findRenames(plan: Plan): void {
    if (plan.deletes.size === 0 || plan.sends.size === 0) return;
    const byInode = new Map<bigint, RelPath>();
    for (const [path, state] of plan.sends) {
      if (state.ino !== undefined && !this.synced.has(path)) byInode.set(state.ino, path);
    }
    for (const from of outermost(plan.deletes)) {
      const previous = this.synced.get(from);
      if (previous?.ino === undefined || statLocal(this.localDir, from) !== undefined) continue;
      const to = byInode.get(previous.ino);
      const now = to === undefined ? undefined : plan.sends.get(to);
      if (to === undefined || now === undefined || now.type !== previous.type) continue;
      if (now.type === 'file' && !sameContent(now, previous)) continue;
      plan.deletes.delete(from);
      plan.renames.push([from, to]);
      byInode.delete(previous.ino);
    }
  }

  /** Whether every transfer of the plan is a send the agent checks in place (see `isPlaced`). */
  private checkedInPlace(agent: SyncAgent, plan: Plan): boolean {
    return (
      agent.canList &&
      plan.deletes.size === 0 &&
      plan.renames.length === 0 &&
      plan.pulls.size === 0 &&
      plan.sends.size > 0 &&
      isPlaced(plan.sends, this.existingDir)
    );
  }

  private readonly existingDir = (dir: RelPath): boolean => this.remoteBase.get(dir)?.type === 'dir';

  /** Two-way mode: any path the container changed since the last sync is held back as a conflict. */
  private async holdRemoteChanges(agent: SyncAgent, plan: Plan): Promise<void> {
    const paths = [
      ...[...plan.sends].filter(([, state]) => state.type !== 'dir').map(([path]) => path),
      ...plan.deletes,
      ...plan.renames.flat(),
    ];
    if (paths.length === 0) return;
    const now = await agent.stat(paths);
    for (const path of paths) {
      const remote = now.get(path);
      if (plan.sends.has(path) || plan.deletes.has(path)) plan.remoteExpected.set(path, remote ?? null);
      if (sameContent(this.remoteBase.get(path), remote)) continue;
      const local = plan.sends.get(path);
      if (local !== undefined && sameContent(asSent(local), remote)) continue;
      if (remote?.type === 'dir' && local === undefined) continue;
      const dropped = (): void => {
        plan.sends.delete(path);
        plan.deletes.delete(path);
        plan.renames = plan.renames.filter(([from, to]) => from !== path && to !== path);
      };
      // Only re-read (racily clean) or deleted here, but changed there: the container's version comes back instead.
      if (local === undefined || unchanged(this.synced.get(path), local)) {
        dropped();
        continue;
      }
      this.issues.addConflict(path);
      dropped();
    }
  }

  private async execute(
    agent: SyncAgent,
    plan: Plan,
    onProgress?: (progress: ProgressReport) => void,
    listing?: Map<RelPath, RemoteEntry>,
  ): Promise<TransferCounts> {
    const counts: TransferCounts = { filesTransferred: 0, filesDeleted: 0, bytesSent: 0, wireBytes: 0 };
    if (plan.renames.length > 0) {
      const reply = await agent.rename(plan.renames);
      const failed = new Set([...reply.message.matchAll(/^(?:unsafe|failed) (\d+)/gm)].map((m) => Number(m[1])));
      plan.renames.forEach(([from, to], index) => {
        if (failed.has(index)) {
          plan.deletes.add(from);
          return;
        }
        this.moveKnown(from, to);
        counts.filesTransferred++;
        // The renamed tree is now compared under its new name; whatever still differs is sent below.
        for (const [path, state] of [...plan.sends]) {
          if ((path === to || isUnder(path, to)) && sameState(this.synced.get(path), state)) plan.sends.delete(path);
        }
      });
    }
    const deletes = outermost(plan.deletes);
    if (deletes.length > 0) {
      const reply = await agent.remove(deletes, plan.remoteExpected);
      const refused = new Set([...reply.message.matchAll(/^unsafe (\d+)/gm)].map((m) => Number(m[1])));
      const changed = new Set([...reply.message.matchAll(/^changed (\d+)/gm)].map((m) => Number(m[1])));
      deletes.forEach((path, index) => {
        if (refused.has(index)) {
          this.issues.addError(path, 'the container refused to delete this path', UNSAFE_PATH_CODE);
          return;
        }
        if (changed.has(index)) {
          // Deleted here, edited there meanwhile: the container's version stays and comes back with the next look.
          plan.sends.delete(path);
          return;
        }
        this.forget(path);
        // What is sent next in its place finds nothing there.
        if (plan.remoteExpected.has(path)) plan.remoteExpected.set(path, null);
        if (!plan.sends.has(path)) counts.filesDeleted++;
      });
      if (reply.exitCode !== 0) this.log(`deleting in the container reported: ${reply.message.trim()}`);
    }
    if (plan.sends.size > 0) {
      const sent = await this.send(agent, plan.sends, onProgress, plan.remoteExpected);
      counts.filesTransferred += sent.files;
      counts.bytesSent += sent.bytes;
      counts.wireBytes += sent.wireBytes;
      if (sent.codec !== undefined) counts.codec = sent.codec;
    }
    if (plan.pulls.size > 0) {
      counts.filesTransferred += await this.pull(agent, plan.pulls, listing, plan.localExpected);
    }
    return counts;
  }

  private async send(
    agent: SyncAgent,
    sends: Map<RelPath, FileState>,
    onProgress?: (progress: ProgressReport) => void,
    expected?: Map<RelPath, RemoteEntry | null>,
  ): Promise<{ files: number; bytes: number; wireBytes: number; codec?: Codec }> {
    const outcome = await sendArchive(agent, this.localDir, sends, this.existingDir, onProgress, expected);
    for (const path of outcome.changed) this.issues.addConflict(path);
    let count = 0;
    for (const [path, state] of outcome.sent) {
      this.issues.clearError(path);
      this.markSynced(path, state, asSent(state));
      if (sends.has(path)) count++;
    }
    for (const [path, message] of outcome.failed) this.issues.addError(path, message);
    return {
      files: count,
      bytes: outcome.bytes,
      wireBytes: outcome.wireBytes,
      ...(outcome.codec !== undefined ? { codec: outcome.codec } : {}),
    };
  }

  private async pull(
    agent: SyncAgent,
    paths: Set<RelPath>,
    listing: Map<RelPath, RemoteEntry> | undefined,
    expected: Map<RelPath, FileState | null>,
  ): Promise<number> {
    const remote = listing ?? (await agent.stat([...paths]));
    let count = 0;
    await receiveEntries(
      agent,
      this.localDir,
      paths,
      remote,
      {
        written: (path) => {
          const local = statLocal(this.localDir, path);
          const state = remote.get(path);
          if (local !== undefined && state !== undefined) this.markSynced(path, local, state);
          this.issues.clearError(path);
          count++;
        },
        failed: (path, message, unsafe) => this.issues.addError(path, message, unsafe ? UNSAFE_PATH_CODE : undefined),
        // Edited here while the container's edit was on its way: both versions stay, as a conflict.
        changed: (path) => this.issues.addConflict(path),
      },
      expected,
    );
    return count;
  }

  private recheckConflicts(
    local: Map<RelPath, FileState> | undefined,
    remote: Map<RelPath, RemoteEntry> | undefined,
    plan: Plan,
  ): void {
    for (const path of [...this.issues.conflicts.keys()]) {
      const here = local !== undefined ? local.get(path) : statLocal(this.localDir, path);
      const there = remote?.get(path);
      if (remote === undefined) continue;
      if (here === undefined && there === undefined) {
        this.resolveConflict(path);
      } else if (here === undefined) {
        this.resolveConflict(path);
        plan.pulls.add(path);
      } else if (there === undefined) {
        this.resolveConflict(path);
        plan.sends.set(path, here);
      }
    }
  }

  private resolveConflict(path: RelPath): void {
    this.issues.removeConflict(path);
    this.synced.delete(path);
    this.remoteBase.delete(path);
  }

  private markSynced(path: RelPath, local: FileState, remote: RemoteEntry): void {
    this.synced.set(path, local);
    this.remoteBase.set(path, remote);
  }

  /** Forgets a path and everything below it on both sides. */
  private forget(path: RelPath): void {
    for (const map of [this.synced, this.remoteBase]) {
      map.delete(path);
      for (const key of map.keys()) if (isUnder(key, path)) map.delete(key);
    }
  }

  private moveKnown(from: RelPath, to: RelPath): void {
    for (const map of [this.synced, this.remoteBase] as Map<RelPath, RemoteEntry>[]) {
      const moved: [RelPath, RemoteEntry][] = [];
      for (const [key, state] of map) {
        if (key === from || isUnder(key, from)) {
          moved.push([to + key.slice(from.length), state]);
          map.delete(key);
        }
      }
      for (const [key, state] of moved) map.set(key, state);
    }
  }

  private hasSyncedBelow(path: RelPath): boolean {
    for (const key of this.synced.keys()) if (isUnder(key, path)) return true;
    return false;
  }

  private hasLocalLinkAncestor(path: RelPath): boolean {
    return ancestors(path).some((dir) => statLocal(this.localDir, dir)?.type !== 'dir');
  }

  private localHash(path: RelPath, tool: string): Promise<string> {
    const hash = createHash(tool === 'md5sum' ? 'md5' : 'sha256');
    return new Promise((resolve, reject) => {
      createReadStream(absoluteBytes(this.localDir, path))
        .on('data', (chunk) => hash.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(hash.digest('hex')));
    });
  }
}

/**
 * Tells listeners where a sync stands, without flooding them: a report goes out when the state, its message or the
 * issue lists changed, and `syncing` only when a batch lasts long enough to be worth showing.
 */
import type { OnSyncRun, SyncConflict, SyncFileError, SyncState } from '@devmode/protocol';
import type { SyncIssues } from './issues.js';

export interface SyncStateChange {
  state: SyncState;
  pendingFiles: number;
  message?: string;
  /** Present when the list changed since the last report. */
  errors?: SyncFileError[];
  /** Present when the list changed since the last report. */
  conflicts?: SyncConflict[];
  /** The latest run of each onSync rule, when a run started or ended. */
  onSyncRuns?: OnSyncRun[];
}

export interface CurrentState {
  state: SyncState;
  message: string | undefined;
  pendingFiles: number;
}

/** Quick batches finish before this and are never announced as `syncing`, so saves do not make the UI flicker. */
const SYNCING_NOTICE_MS = 100;

export class StateReporter {
  private readonly listeners = new Set<(change: SyncStateChange) => void>();
  private reportedKey: string | undefined;
  private reportedIssues = -1;
  private syncingNotice: NodeJS.Timeout | undefined;

  public constructor(
    private readonly current: () => CurrentState,
    private readonly issues: SyncIssues,
    private readonly log: (line: string) => void,
  ) {}

  public subscribe(listener: (change: SyncStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reports the current state if it changed since the last report. */
  public report(): void {
    const { state } = this.current();
    if (!this.changed()) return;
    if (state === 'syncing' && this.issues.version === this.reportedIssues) {
      this.syncingNotice ??= setTimeout(() => {
        this.syncingNotice = undefined;
        if (this.current().state === 'syncing') this.emit();
      }, SYNCING_NOTICE_MS);
      return;
    }
    this.dispose();
    this.emit();
  }

  /** Tells every listener the current state with `extra`, whether or not the state changed (an onSync run did). */
  public announce(extra: Partial<SyncStateChange>): void {
    const { state, message, pendingFiles } = this.current();
    const change: SyncStateChange = { state, pendingFiles, ...(message !== undefined ? { message } : {}), ...extra };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.log(`sync state listener failed: ${(error as Error).message}`);
      }
    }
  }

  public dispose(): void {
    clearTimeout(this.syncingNotice);
    this.syncingNotice = undefined;
  }

  private key(): string {
    const { state, message } = this.current();
    return `${state}\u0000${message ?? ''}`;
  }

  private changed(): boolean {
    return this.key() !== this.reportedKey || this.issues.version !== this.reportedIssues;
  }

  private emit(): void {
    if (!this.changed()) return;
    const { state, message, pendingFiles } = this.current();
    const issuesChanged = this.issues.version !== this.reportedIssues;
    this.reportedKey = this.key();
    this.reportedIssues = this.issues.version;
    const change: SyncStateChange = {
      state,
      pendingFiles,
      ...(message !== undefined ? { message } : {}),
      ...(issuesChanged
        ? { errors: [...this.issues.errors.values()], conflicts: [...this.issues.conflicts.values()] }
        : {}),
    };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.log(`sync state listener failed: ${(error as Error).message}`);
      }
    }
  }
}

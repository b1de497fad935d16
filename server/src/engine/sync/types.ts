import type { UserEvents } from '../userEvents.js';
/** The shapes a sync session is created with and reports through. */
import type { OnSyncRun, SyncConflict, SyncFileError, SyncMode, SyncState } from '@devmode/protocol';
import type { Compression, SyncProcess } from './agent.js';
import type { ProgressReport } from './replica.js';
import type { SyncStateChange } from './stateReporter.js';

export interface SyncConfig {
  mode: SyncMode;
  ignore: string[];
  include: string[];
  useGitignore: boolean;
}

export interface SyncProgress extends ProgressReport {
  operation: 'initial' | 'resync';
}

export interface SyncSnapshot {
  state: SyncState;
  localDir: string;
  remoteDir: string;
  mode: SyncMode;
  pendingFiles: number;
  lastSyncAt?: string;
  errors: SyncFileError[];
  conflicts: SyncConflict[];
  message?: string;
  /** The latest run of each onSync rule, for a sync that has onSync rules. */
  onSyncRuns?: OnSyncRun[];
}

/** Changes that landed in the container. */
export interface LandedBatch {
  paths: readonly string[];
  rescanned: readonly string[];
  full: boolean;
}

export interface SyncSessionOptions {
  localDir: string;
  /** The absolute directory in the container. */
  workDir: string;
  config: SyncConfig;
  /** Starts `command` in the dev container with stdin open (e.g. through `execInPod`). */
  openRemote: (command: string[]) => Promise<SyncProcess>;
  onState?: (change: SyncStateChange) => void;
  onProgress?: (progress: SyncProgress) => void;
  /**
   * Called after changes landed in the container: a batch (the changed paths relative to the local folder, and the
   * folders compared whole), or a full sync that changed the container (`full`: the first one, or the one after
   * reconnecting to a new pod).
   */
  onBatch?: (batch: LandedBatch) => void;
  log?: (line: string) => void;
  /** Where the person hears about background work (the resync after a dev pod restart). */
  events?: UserEvents;
  /** How long a burst of changes may keep growing after its last event, in ms (3). */
  coalesceMs?: number;
  /** The longest a change waits for its burst to end, in ms (25). */
  maxCoalesceMs?: number;
  /** How often the container is listed for changes in two-way mode, in ms (1000). */
  remotePollMs?: number;
  /** The first delay before reconnecting, doubled up to 5 s, in ms (250). */
  reconnectMs?: number;
  /**
   * Whether large archives are compressed when the container can decompress them: `auto` (the default) when the
   * container is at least 10 ms away; true always, false never (for tests and benchmarks).
   */
  compress?: Compression;
  /** The round trip from which `auto` compresses, in ms (10). */
  compressMinRttMs?: number;
}

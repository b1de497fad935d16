import { type integer, MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { WorkDoneProgressParams } from './protocol.$.js';
import type { SyncMode } from './protocol.devConfig.js';

/**
 * Where a session's file sync stands. `scanning` compares the local folder with the container; `syncing`
 * transfers changes; `disconnected` waits for the dev pod to come back; `error` needs the person's attention.
 */
export type SyncState = 'idle' | 'scanning' | 'syncing' | 'paused' | 'disconnected' | 'error';

/**
 * A file changed on both sides since the last sync (in `both` mode), so neither version was copied over the other.
 */
export interface SyncConflict {
  /**
   * The absolute local path.
   */
  localPath: string;

  /**
   * The absolute path in the container.
   */
  remotePath: string;

  /**
   * What happened, e.g. `changed on both sides`.
   */
  reason: string;
}

/**
 * Why a file is left out of the sync although it is not ignored: `unsupportedType` for a FIFO, socket or device
 * (it has no content to copy), `pathTooLong` for a path longer than the system allows (PATH_MAX), which cannot be
 * opened, `unreadable` for a folder that cannot be read (permissions).
 */
export type SyncSkipReason = 'unsupportedType' | 'pathTooLong' | 'unreadable';

/**
 * A file that could not be synced.
 */
export interface SyncFileError {
  /**
   * The absolute local path.
   */
  localPath: string;

  /**
   * The absolute path in the container.
   */
  remotePath: string;

  /**
   * Why the file could not be synced.
   */
  message: string;

  /**
   * The error code, when the failure has one (`UnsafePath`).
   */
  code?: integer;

  /**
   * Present when the file is left out on purpose rather than after a failed transfer: why it is not synced. The
   * entry goes away once the file is gone or can be synced.
   */
  skipped?: SyncSkipReason;
}

/**
 * Where the latest run of an `onSync` rule stands: `running`, `succeeded` (exit code 0) or `failed` (another exit
 * code, or the run could not start).
 */
export type OnSyncRunState = 'running' | 'succeeded' | 'failed';

/**
 * The latest run of one `onSync` rule.
 */
export interface OnSyncRun {
  /**
   * The rule's index in the session's `onSync` rules.
   */
  rule: integer;

  /**
   * What the rule does: run a command (`exec`) or restart the dev command (`restart`).
   */
  action: 'exec' | 'restart';

  /**
   * The run's number for this rule, from 1; each log line of the run carries it.
   */
  run: integer;

  /**
   * Where the run stands.
   */
  state: OnSyncRunState;

  /**
   * When the run started, as an RFC 3339 timestamp.
   */
  startedAt: string;

  /**
   * How long the run took, in milliseconds, once it ended.
   */
  durationMs?: integer;

  /**
   * The command's exit code, once it ended.
   */
  exitCode?: integer;

  /**
   * True when batches landed during this run: exactly one more run follows it.
   */
  pending: boolean;

  /**
   * Why the run could not start or did not finish, when that is not the command's own exit code.
   */
  error?: OnSyncRunError;
}

/**
 * Why an `onSync` run failed outside the command itself.
 */
export interface OnSyncRunError {
  /**
   * The error code, e.g. `MissingTool` (-31015) when the container has no `sh`.
   */
  code: integer;

  /**
   * The error code's name, as `DevModeErrorCodes` spells it (`MissingTool`, `ContainerNotRunning`...).
   */
  codeName: string;

  /**
   * What went wrong.
   */
  message: string;

  /**
   * What the person can do about it.
   */
  hint?: string;
}

/**
 * The state of one session's file sync.
 */
export interface SyncStatus {
  /**
   * The session.
   */
  sessionId: string;

  /**
   * The container this sync writes into (sessions with several containers in DevMode have one sync each).
   */
  container?: string;

  /**
   * Where the sync stands.
   */
  state: SyncState;

  /**
   * The local folder.
   */
  localDir: string;

  /**
   * The directory in the container.
   */
  remoteDir: string;

  /**
   * The sync direction.
   */
  mode: SyncMode;

  /**
   * How many changed files wait to be transferred.
   */
  pendingFiles: integer;

  /**
   * When the last transfer finished, as an RFC 3339 timestamp.
   */
  lastSyncAt?: string;

  /**
   * Files that could not be synced.
   */
  errors: SyncFileError[];

  /**
   * Files changed on both sides.
   */
  conflicts: SyncConflict[];

  /**
   * Why the sync is `disconnected` or in `error`.
   */
  message?: string;

  /**
   * The latest run of each `onSync` rule that has run; absent when the dev config has no `onSync`.
   */
  onSyncRuns?: OnSyncRun[];
}

/**
 * Names the session a sync request is about.
 */
export interface SyncSessionParams {
  /**
   * The DevMode session.
   */
  sessionId: string;

  /**
   * The container in DevMode whose sync is meant; the session's target container when absent.
   */
  container?: string;
}

/**
 * The result of `sync/status`.
 */
export type GetSyncStatusResult = SyncStatus;

/**
 * Returns the state of a session's file sync into one container: the one `container` names, or the target
 * container. A session with several containers in DevMode has one sync per container with a sync folder.
 *
 * @since 0.1.0
 * @errors UnknownId
 * @example
 * {
 *   "params": {"sessionId": "s-4f2a"},
 *   "result": {
 *     "sessionId": "s-4f2a",
 *     "state": "syncing",
 *     "localDir": "/home/dev/src/web",
 *     "remoteDir": "/app",
 *     "mode": "send",
 *     "pendingFiles": 3,
 *     "lastSyncAt": "2026-01-12T09:31:07.000Z",
 *     "errors": [],
 *     "conflicts": []
 *   }
 * }
 */
export namespace GetSyncStatusRequest {
  export const method = 'sync/status' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<SyncSessionParams, GetSyncStatusResult>(method);
}

/**
 * The params of `sync/flush`.
 */
export interface FlushSyncParams {
  /**
   * The DevMode session.
   */
  sessionId: string;

  /**
   * How long to wait before failing with `Timeout`; 30000 when absent.
   */
  timeoutMs?: integer;

  /**
   * The container in DevMode whose sync is meant; the session's target container when absent.
   */
  container?: string;
}

/**
 * The result of `sync/flush`.
 */
export interface FlushSyncResult {
  /**
   * How many files were transferred or deleted to catch up.
   */
  filesTransferred: integer;
}

/**
 * Resolves once every change made to the local folder before the call is visible in the container, including
 * changes the file watcher has not reported yet. Tests and "run" commands call it before using the container.
 *
 * @since 0.1.0
 * @errors UnknownId, SyncDisconnected, Timeout, RequestCancelled
 * @example {"params": {"sessionId": "s-4f2a", "timeoutMs": 10000}, "result": {"filesTransferred": 2}}
 */
export namespace FlushSyncRequest {
  export const method = 'sync/flush' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<FlushSyncParams, FlushSyncResult>(method);
}

/**
 * Stops transferring changes until `sync/resume`; changes are still recorded meanwhile.
 *
 * @since 0.1.0
 * @errors UnknownId
 * @example {"params": {"sessionId": "s-4f2a"}, "result": null}
 */
export namespace PauseSyncRequest {
  export const method = 'sync/pause' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<SyncSessionParams, null>(method);
}

/**
 * Resumes a paused sync and transfers what changed while it was paused.
 *
 * @since 0.1.0
 * @errors UnknownId
 * @example {"params": {"sessionId": "s-4f2a"}, "result": null}
 */
export namespace ResumeSyncRequest {
  export const method = 'sync/resume' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<SyncSessionParams, null>(method);
}

/**
 * The params of `sync/resync`.
 */
export interface ResyncParams extends WorkDoneProgressParams {
  /**
   * The DevMode session.
   */
  sessionId: string;

  /**
   * The container in DevMode whose sync is meant; the session's target container when absent.
   */
  container?: string;
}

/**
 * The result of `sync/resync`.
 */
export interface ResyncResult {
  /**
   * How many files were copied.
   */
  filesTransferred: integer;

  /**
   * How many files were deleted on the receiving side.
   */
  filesDeleted: integer;
}

/**
 * Compares the whole local folder with the container and transfers every difference, for when the person suspects
 * the two have drifted apart.
 *
 * @since 0.1.0
 * @errors UnknownId, SyncDisconnected, RequestCancelled
 * @example {"params": {"sessionId": "s-4f2a", "workDoneToken": "resync-1"}, "result": {"filesTransferred": 4, "filesDeleted": 1}}
 */
export namespace ResyncRequest {
  export const method = 'sync/resync' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<ResyncParams, ResyncResult>(method);
}

/**
 * The params of `sync/conflictContent`.
 */
export interface ConflictContentParams {
  /**
   * The DevMode session.
   */
  sessionId: string;

  /**
   * The absolute local path of a file the session lists in its `conflicts`.
   */
  localPath: string;

  /**
   * The container in DevMode whose sync is meant; the session's target container when absent.
   */
  container?: string;
}

/**
 * The result of `sync/conflictContent`.
 */
export interface ConflictContentResult {
  /**
   * The file's absolute path in the container.
   */
  remotePath: string;

  /**
   * The container's version of the file, base64-encoded (it may not be text).
   */
  contentBase64: string;

  /**
   * True when the file is larger than 8 MiB and only its first 8 MiB are given.
   */
  truncated: boolean;
}

/**
 * Reads the container's version of a file in conflict (two-way mode), so that a client can show it beside the local
 * version. Only files listed in the session's `conflicts` can be read.
 *
 * @since 0.2.0
 * @errors UnknownId, NotFound, SyncDisconnected
 * @example {"params": {"sessionId": "s-4f2a", "localPath": "/home/me/app/main.go"}, "result": {"remotePath": "/home/devmode/main.go", "contentBase64": "cGFja2FnZSBtYWluCg==", "truncated": false}}
 */
export namespace ConflictContentRequest {
  export const method = 'sync/conflictContent' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<ConflictContentParams, ConflictContentResult>(method);
}

/**
 * The params of `sync/didChangeState`.
 */
export interface DidChangeSyncStateParams {
  /**
   * The session.
   */
  sessionId: string;

  /**
   * The container whose sync changed state.
   */
  container?: string;

  /**
   * The new state.
   */
  state: SyncState;

  /**
   * How many changed files wait to be transferred.
   */
  pendingFiles: integer;

  /**
   * Why the sync is `disconnected` or in `error`.
   */
  message?: string;

  /**
   * Files that could not be synced, when that list changed.
   */
  errors?: SyncFileError[];

  /**
   * Files changed on both sides, when that list changed.
   */
  conflicts?: SyncConflict[];

  /**
   * The latest run of each `onSync` rule, when a run started or ended.
   */
  onSyncRuns?: OnSyncRun[];
}

/**
 * Tells the client that a session's sync changed state. While syncing, sent at most a few times a second.
 *
 * @since 0.1.0
 * @example {"params": {"sessionId": "s-4f2a", "state": "idle", "pendingFiles": 0, "onSyncRuns": [{"rule": 0, "action": "exec", "run": 3, "state": "succeeded", "startedAt": "2026-01-12T09:31:07.000Z", "durationMs": 840, "exitCode": 0, "pending": false}]}}
 */
export namespace DidChangeSyncStateNotification {
  export const method = 'sync/didChangeState' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidChangeSyncStateParams>(method);
}

import {
  type ConflictContentResult,
  DidChangeSyncStateNotification,
  type FlushSyncResult,
  type GetSyncStatusResult,
  type ResyncResult,
} from '@devmode/protocol';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import { describeBytes, type SyncSession, type SyncSessions, type SyncStateChange } from '../engine/sync/index.js';
import { devModeError, invalidParams } from './errors.js';
import { WorkDone } from './progress.js';
import {
  kubernetesName,
  optionalInteger,
  optionalString,
  paramsObject,
  requiredString,
  type Params,
} from './validate.js';

/** The syncs of a DevMode session, as the session registry knows them: one per container with a sync folder. */
export interface SyncLookup {
  /** The sync into a container, the session's target container when none is named. */
  syncOf(sessionId: string, container?: string): SyncSession | undefined;
  /** The session's target container, which a request without `container` is about. */
  targetContainer?(sessionId: string): string | undefined;
}

/** The container a sync request names, if any. */
function containerOf(p: Params): string | undefined {
  const container = optionalString(p, 'container');
  if (container !== undefined) kubernetesName(container, 'container', 'label');
  return container;
}

function sessionOf(p: Params, sessions: SyncLookup): SyncSession {
  const sessionId = requiredString(p, 'sessionId');
  const container = containerOf(p);
  const session = sessions.syncOf(sessionId, container);
  if (session === undefined) {
    if (container !== undefined && sessions.syncOf(sessionId) !== undefined) {
      throw devModeError(
        'UnknownId',
        `DevMode session ${sessionId} syncs no files into a container named ${container}`,
        {
          field: 'container',
          hint: 'devMode/list shows the containers of each session and which of them have a sync folder.',
        },
      );
    }
    throw devModeError('UnknownId', `No DevMode session with id ${sessionId} syncs files`, {
      field: 'sessionId',
    });
  }
  return session;
}

function cancelled(token: CancellationToken): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(devModeError('RequestCancelled', 'The request was cancelled'));
    if (token.isCancellationRequested) fail();
    else token.onCancellationRequested(fail);
  });
}

export function syncStatus(params: unknown, sessions: SyncLookup): GetSyncStatusResult {
  const p = paramsObject(params, false);
  const sessionId = requiredString(p, 'sessionId');
  const sync = sessionOf(p, sessions);
  const container = containerOf(p) ?? sessions.targetContainer?.(sessionId);
  return { sessionId, ...(container !== undefined ? { container } : {}), ...sync.status() };
}

export async function syncFlush(
  params: unknown,
  token: CancellationToken,
  sessions: SyncLookup,
): Promise<FlushSyncResult> {
  const p = paramsObject(params, false);
  const timeoutMs = optionalInteger(p, 'timeoutMs', { min: 1, max: 3_600_000 }) ?? 30_000;
  const session = sessionOf(p, sessions);
  return Promise.race([session.flush(timeoutMs), cancelled(token)]);
}

export async function syncConflictContent(params: unknown, sessions: SyncLookup): Promise<ConflictContentResult> {
  const p = paramsObject(params, false);
  const localPath = requiredString(p, 'localPath');
  const read = await sessionOf(p, sessions).conflictContent(localPath);
  return { remotePath: read.remotePath, contentBase64: read.content.toString('base64'), truncated: read.truncated };
}

export function syncPause(params: unknown, sessions: SyncLookup): null {
  sessionOf(paramsObject(params, false), sessions).pause();
  return null;
}

export function syncResume(params: unknown, sessions: SyncLookup): null {
  sessionOf(paramsObject(params, false), sessions).resume();
  return null;
}

export async function syncResync(
  params: unknown,
  token: CancellationToken,
  sessions: SyncLookup,
  connection: MessageConnection,
): Promise<ResyncResult> {
  const p = paramsObject(params, false);
  const session = sessionOf(p, sessions);
  const workDoneToken = p.workDoneToken;
  if (workDoneToken !== undefined && typeof workDoneToken !== 'string' && typeof workDoneToken !== 'number') {
    throw invalidParams('workDoneToken', 'must be a string or an integer');
  }
  const work = new WorkDone(connection, workDoneToken, 'Resyncing files', true);
  work.report('Comparing the local folder with the container', 0);
  try {
    const result = await Promise.race([
      session.resync((progress) => {
        const percentage = progress.totalBytes > 0 ? Math.floor((100 * progress.bytes) / progress.totalBytes) : 100;
        work.report(`${progress.files} of ${progress.totalFiles} files`, Math.min(100, percentage));
      }),
      cancelled(token),
    ]);
    work.done(`${result.filesTransferred} files copied (${describeBytes(result)}), ${result.filesDeleted} deleted`);
    return { filesTransferred: result.filesTransferred, filesDeleted: result.filesDeleted };
  } catch (error) {
    work.done((error as Error).message);
    throw error;
  }
}

/** Sends `sync/didChangeState` for every state change of every registered session. */
export function forwardSyncStates(sessions: SyncSessions, connection: MessageConnection): () => void {
  return sessions.onDidChangeState((sessionId: string, change: SyncStateChange, container: string | undefined) => {
    void connection.sendNotification(DidChangeSyncStateNotification.type, {
      sessionId,
      ...(container !== undefined ? { container } : {}),
      ...change,
    });
  });
}

import { DevModeErrorCodes } from '@devmode/protocol';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancellationTokenSource, type MessageConnection } from 'vscode-jsonrpc';
import { afterEach, describe, expect, test } from 'vitest';
import {
  AgentStartError,
  LocalDirError,
  SyncDisconnectedError,
  SyncSessions,
  SyncTimeoutError,
  WatchLimitError,
} from '../engine/sync/index.js';
import { localContainer, removeTempDirs, type LocalContainer } from '../engine/sync/testkit.js';
import { forwardSyncStates, syncFlush, syncPause, syncResume, syncResync, syncStatus } from './sync.js';
import { toResponseError } from '../rpc/responseError.js';

const contexts: LocalContainer[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.cleanup()));
  removeTempDirs();
});

/** A connection that records what the handlers send to the client. */
function recordingConnection(): { connection: MessageConnection; sent: { method: string; params: unknown }[] } {
  const sent: { method: string; params: unknown }[] = [];
  const connection = {
    sendNotification: (type: string | { method: string }, params: unknown) => {
      sent.push({ method: typeof type === 'string' ? type : type.method, params });
      return Promise.resolve();
    },
  } as unknown as MessageConnection;
  return { connection, sent };
}

describe('sync handlers', () => {
  test('status, flush, pause, resume and resync of a registered session, with state notifications', async () => {
    const context = localContainer();
    contexts.push(context);
    const sessions = new SyncSessions();
    const lookup = { syncOf: (sessionId: string) => sessions.get(sessionId) };
    const { connection, sent } = recordingConnection();
    forwardSyncStates(sessions, connection);
    sessions.add('s-1', context.session);
    writeFileSync(join(context.local, 'a.txt'), 'a');
    await context.session.start();
    const token = new CancellationTokenSource().token;

    expect(syncStatus({ sessionId: 's-1' }, lookup)).toMatchObject({
      sessionId: 's-1',
      state: 'idle',
      localDir: context.local,
      remoteDir: context.remote,
      mode: 'send',
      pendingFiles: 0,
      errors: [],
      conflicts: [],
    });
    writeFileSync(join(context.local, 'b.txt'), 'b');
    expect(await syncFlush({ sessionId: 's-1', timeoutMs: 5000 }, token, lookup)).toEqual({ filesTransferred: 1 });

    expect(syncPause({ sessionId: 's-1' }, lookup)).toBeNull();
    expect(syncStatus({ sessionId: 's-1' }, lookup).state).toBe('paused');
    const paused = await syncFlush({ sessionId: 's-1' }, token, lookup).catch(toResponseError);
    expect(paused).toMatchObject({ code: DevModeErrorCodes.SyncDisconnected });
    expect(syncResume({ sessionId: 's-1' }, lookup)).toBeNull();

    const result = await syncResync({ sessionId: 's-1', workDoneToken: 'r-1' }, token, lookup, connection);
    expect(result).toEqual({ filesTransferred: 0, filesDeleted: 0 });
    const progress = sent.filter((message) => message.method === '$/progress').map((message) => message.params);
    expect(progress[0]).toMatchObject({ token: 'r-1', value: { kind: 'begin', title: 'Resyncing files' } });
    expect(progress.at(-1)).toMatchObject({ token: 'r-1', value: { kind: 'end' } });
    expect(sent).toContainEqual({
      method: 'sync/didChangeState',
      params: expect.objectContaining({ sessionId: 's-1', state: 'paused' }) as unknown,
    });
  });

  test('an unknown session and a missing id are named errors', async () => {
    const sessions = new SyncSessions();
    const lookup = { syncOf: (sessionId: string) => sessions.get(sessionId) };
    const thrown = (call: () => unknown): unknown => {
      try {
        call();
      } catch (error) {
        return toResponseError(error);
      }
      throw new Error('expected an error');
    };
    expect(thrown(() => syncStatus({ sessionId: 'nope' }, lookup))).toMatchObject({
      code: DevModeErrorCodes.UnknownId,
      data: { field: 'sessionId' },
    });
    expect(thrown(() => syncPause({}, lookup))).toMatchObject({
      code: DevModeErrorCodes.InvalidParams,
      data: { field: 'sessionId' },
    });
    const token = new CancellationTokenSource().token;
    const flushed = await syncFlush({ sessionId: 'x', timeoutMs: 0 }, token, lookup).catch(toResponseError);
    expect(flushed).toMatchObject({ code: DevModeErrorCodes.InvalidParams });
  });

  test('engine failures map to the protocol codes a client can act on', () => {
    const code = (error: unknown): number => toResponseError(error).code;
    expect(code(new SyncDisconnectedError('down'))).toBe(DevModeErrorCodes.SyncDisconnected);
    expect(code(new SyncTimeoutError(10))).toBe(DevModeErrorCodes.Timeout);
    expect(code(new LocalDirError('/x', 'does not exist'))).toBe(DevModeErrorCodes.LocalDirInvalid);
    expect(code(new AgentStartError('tar', 'no tar'))).toBe(DevModeErrorCodes.MissingTool);
    const limit = toResponseError(new WatchLimitError(8192));
    expect(limit.code).toBe(DevModeErrorCodes.WatchLimitReached);
    expect(limit.data).toMatchObject({ limit: 8192 });
  });
});

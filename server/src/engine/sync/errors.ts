import { EngineError } from '../engineError.js';

/** The failures a sync session reports to its callers, each named by its protocol error code. */

export class SyncDisconnectedError extends EngineError {
  public constructor(message: string) {
    super('SyncDisconnected', message, {
      hint: 'Wait for the sync to reconnect (sync/didChangeState reports it), or resume it if it is paused.',
    });
    this.name = 'SyncDisconnectedError';
  }
}

export class SyncTimeoutError extends EngineError {
  public constructor(timeoutMs: number) {
    super('Timeout', `The changes did not reach the container within ${timeoutMs} ms`, { retryable: true });
    this.name = 'SyncTimeoutError';
  }
}

export class LocalDirError extends EngineError {
  public constructor(localDir: string, reason: string) {
    super('LocalDirInvalid', `The local folder ${localDir} ${reason}`, { field: 'localDir' });
    this.name = 'LocalDirError';
  }
}

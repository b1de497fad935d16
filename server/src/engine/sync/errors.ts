/** The failures a sync session reports to its callers; handlers map each to a protocol error code. */

export class SyncDisconnectedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SyncDisconnectedError';
  }
}

export class SyncTimeoutError extends Error {
  public constructor(timeoutMs: number) {
    super(`The changes did not reach the container within ${timeoutMs} ms`);
    this.name = 'SyncTimeoutError';
  }
}

export class LocalDirError extends Error {
  public constructor(localDir: string, reason: string) {
    super(`The local folder ${localDir} ${reason}`);
    this.name = 'LocalDirError';
  }
}

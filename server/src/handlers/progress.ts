import { ProgressNotification, type DevModePhase, type ProgressToken } from '@devmode/protocol';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import type { PodWaitOptions } from '../engine/podTargets.js';
import { invalidParams } from './errors.js';
import { optionalInteger } from './validate.js';

/**
 * Reports a long request's progress the LSP way: `$/progress` begin/report/end on the token the client passed.
 * Without a token, nothing is sent (the client did not ask for progress).
 */
export class WorkDone {
  private begun = false;

  public constructor(
    private readonly connection: MessageConnection,
    private readonly token: ProgressToken | undefined,
    private readonly title: string,
    /** True only for work the client can cancel (with `$/cancelRequest`); `begin` says so. */
    private readonly cancellable: boolean,
  ) {}

  /** Reports what is being done; DevMode work passes its phase, which travels as a field of its own. */
  public report(message: string, percentage?: number, phase?: DevModePhase): void {
    if (this.token === undefined) return;
    const extra = { ...(percentage !== undefined ? { percentage } : {}), ...(phase !== undefined ? { phase } : {}) };
    const value = this.begun
      ? { kind: 'report' as const, message, ...extra }
      : { kind: 'begin' as const, title: this.title, message, cancellable: this.cancellable, ...extra };
    this.begun = true;
    void this.connection.sendNotification(ProgressNotification.type, { token: this.token, value });
  }

  public done(message?: string): void {
    if (this.token === undefined) return;
    if (!this.begun) {
      void this.connection.sendNotification(ProgressNotification.type, {
        token: this.token,
        value: { kind: 'begin', title: this.title, cancellable: this.cancellable },
      });
    }
    void this.connection.sendNotification(ProgressNotification.type, {
      token: this.token,
      value: { kind: 'end', ...(message !== undefined ? { message } : {}) },
    });
  }
}

/** An AbortSignal that fires when the client cancels the request. */
export function abortSignalOf(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/** Reads `workDoneToken`: a string or an integer, or absent. */
export function progressToken(params: Record<string, unknown>): ProgressToken | undefined {
  const token = params.workDoneToken;
  if (token === undefined || token === null) return undefined;
  if (typeof token !== 'string' && typeof token !== 'number')
    throw invalidParams('workDoneToken', 'must be a string or an integer');
  return token;
}

/**
 * How a request on a workload target waits for a ready pod: up to `podRunningTimeoutSeconds`, reporting what it
 * waits for as progress on the request's token.
 */
export function podWaitOf(params: Record<string, unknown>, work: WorkDone): PodWaitOptions {
  const seconds = optionalInteger(params, 'podRunningTimeoutSeconds', { min: 1, max: 3600 });
  return {
    ...(seconds !== undefined ? { timeoutMs: seconds * 1000 } : {}),
    onWaiting: (status) => work.report(`Waiting for a ready pod (${status})`),
  };
}

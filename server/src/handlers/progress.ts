import { ProgressNotification, type DevModePhase, type ProgressToken } from '@devmode/protocol';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';

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
  ) {}

  /** Reports what is being done; DevMode work passes its phase, which travels as a field of its own. */
  public report(message: string, percentage?: number, phase?: DevModePhase): void {
    if (this.token === undefined) return;
    const extra = { ...(percentage !== undefined ? { percentage } : {}), ...(phase !== undefined ? { phase } : {}) };
    const value = this.begun
      ? { kind: 'report' as const, message, ...extra }
      : { kind: 'begin' as const, title: this.title, message, cancellable: true, ...extra };
    this.begun = true;
    void this.connection.sendNotification(ProgressNotification.type, { token: this.token, value });
  }

  public done(message?: string): void {
    if (this.token === undefined) return;
    if (!this.begun) {
      void this.connection.sendNotification(ProgressNotification.type, {
        token: this.token,
        value: { kind: 'begin', title: this.title },
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

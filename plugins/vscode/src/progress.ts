/**
 * `$/progress` as VS Code progress notifications, for tokens the extension passes as `workDoneToken` and for
 * tokens the server creates with `window/workDoneProgress/create`. Cancel sends `$/cancelRequest` (through the
 * request's cancellation token) or `window/workDoneProgress/cancel`.
 */
import * as vscode from 'vscode';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import {
  CancelWorkDoneProgressNotification,
  CreateWorkDoneProgressRequest,
  type DevModePhase,
  ProgressNotification,
  type ProgressToken,
  type WorkDoneProgressValue,
} from '@devmode/protocol';
import { progressMessage } from './labels';

interface OpenProgress {
  report(value: WorkDoneProgressValue): void;
  end(): void;
}

export class ProgressView {
  private readonly open = new Map<ProgressToken, OpenProgress>();
  /** Cancel handlers of tokens the extension passed itself, keyed by token. */
  private readonly cancellers = new Map<ProgressToken, () => void>();
  private nextToken = 1;

  public register(connection: MessageConnection): void {
    for (const progress of this.open.values()) progress.end();
    this.open.clear();
    connection.onRequest(CreateWorkDoneProgressRequest.type, () => null);
    connection.onNotification(ProgressNotification.type, ({ token, value }) => {
      if (value.kind === 'begin') this.begin(connection, token, value);
      else if (value.kind === 'report') this.open.get(token)?.report(value);
      else {
        this.open.get(token)?.end();
        this.open.delete(token);
      }
    });
  }

  /** A fresh token for a request, whose Cancel button runs `cancel`. */
  public token(cancel: () => void): ProgressToken {
    const token = `devmode-vscode-${this.nextToken++}`;
    this.cancellers.set(token, cancel);
    return token;
  }

  /** Forgets a token once its request is answered, and closes its notification if the server sent no `end`. */
  public done(token: ProgressToken): void {
    this.cancellers.delete(token);
    this.open.get(token)?.end();
    this.open.delete(token);
  }

  private begin(connection: MessageConnection, token: ProgressToken, begin: WorkDoneProgressValue): void {
    if (begin.kind !== 'begin') return;
    let endProgress: () => void = () => undefined;
    let lastPercentage = 0;
    const ended = new Promise<void>((resolve) => (endProgress = resolve));
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: begin.title, cancellable: begin.cancellable === true },
      (progress, cancellation) => {
        cancellation.onCancellationRequested(() => {
          const cancel = this.cancellers.get(token);
          if (cancel !== undefined) cancel();
          else void connection.sendNotification(CancelWorkDoneProgressNotification.type, { token });
        });
        const show = (value: WorkDoneProgressValue): void => {
          if (value.kind === 'end') return;
          const increment = value.percentage !== undefined ? Math.max(0, value.percentage - lastPercentage) : undefined;
          if (value.percentage !== undefined) lastPercentage = value.percentage;
          const message = progressMessage(value.message, phaseOf(value));
          progress.report({ ...(message !== undefined ? { message } : {}), ...(increment ? { increment } : {}) });
        };
        show(begin);
        this.open.set(token, { report: show, end: endProgress });
        return ended;
      },
    );
  }
}

/** The phase DevMode work reports along with its progress, when the server sends one. */
function phaseOf(value: WorkDoneProgressValue): DevModePhase | undefined {
  const phase = (value as { phase?: unknown }).phase;
  return typeof phase === 'string' ? (phase as DevModePhase) : undefined;
}

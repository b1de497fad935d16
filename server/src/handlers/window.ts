import {
  CreateWorkDoneProgressRequest,
  LogMessageNotification,
  LogTraceNotification,
  MessageType,
  ProgressNotification,
  ShowMessageNotification,
  type TraceValue,
  type WorkDoneProgressValue,
} from '@devmode/protocol';
import { Trace, type MessageConnection, type MessageWriter } from 'vscode-jsonrpc';
import type { BackgroundWork, UserEvents, UserMessageSeverity } from '../engine/userEvents.js';
import { invalidParams } from './errors.js';
import { paramsObject, requiredString } from './validate.js';

const severities: Record<UserMessageSeverity, MessageType> = {
  error: MessageType.Error,
  warning: MessageType.Warning,
  info: MessageType.Info,
};

const traceValues: readonly TraceValue[] = ['off', 'messages', 'verbose'];

/**
 * The client's window: diagnostics as `window/logMessage` (down to the level the client asked for), messages
 * outside any request as `window/showMessage`, background work as server-created progress, and tracing as
 * `$/logTrace`.
 */
export class ClientWindow implements UserEvents {
  /** The least serious `window/logMessage` sent; set by `initialize`'s `logLevel`. */
  public logLevel: MessageType = MessageType.Info;
  /** True once `initialize` said the client answers `window/workDoneProgress/create`. */
  public workDoneProgress = false;
  private readonly cancels = new Map<string, () => void>();
  private nextToken = 1;

  public constructor(
    private readonly connection: MessageConnection,
    /** Writes a message around the connection, so that a `$/logTrace` is never traced itself. */
    private readonly writer: MessageWriter,
  ) {}

  public log(type: MessageType, message: string): void {
    if (type > this.logLevel) return;
    void this.connection.sendNotification(LogMessageNotification.type, { type, message }).catch(() => undefined);
  }

  public show(severity: UserMessageSeverity, message: string): void {
    void this.connection
      .sendNotification(ShowMessageNotification.type, { type: severities[severity], message })
      .catch(() => undefined);
  }

  /**
   * Background work gets a token of the server's own, created with `window/workDoneProgress/create` when the
   * client declared it can; without that capability it is reported nowhere (the client could not show it).
   */
  public work(title: string, cancel?: () => void): BackgroundWork {
    if (!this.workDoneProgress) return { started: Promise.resolve(), report: () => undefined, done: () => undefined };
    const token = `devmode-${this.nextToken++}`;
    let ended = false;
    const created = this.connection.sendRequest(CreateWorkDoneProgressRequest.type, { token }).then(
      () => true,
      () => false,
    );
    const send = (value: WorkDoneProgressValue): void => {
      void created.then((ok) => {
        if (ok) void this.connection.sendNotification(ProgressNotification.type, { token, value });
      });
    };
    if (cancel !== undefined) this.cancels.set(token, cancel);
    send({ kind: 'begin', title, cancellable: cancel !== undefined });
    return {
      started: created.then(() => undefined),
      report: (message, percentage) => {
        if (!ended) send({ kind: 'report', message, ...(percentage !== undefined ? { percentage } : {}) });
      },
      done: (message) => {
        if (ended) return;
        ended = true;
        this.cancels.delete(token);
        send({ kind: 'end', ...(message !== undefined ? { message } : {}) });
      },
    };
  }

  /** `window/workDoneProgress/cancel`: cancels the work behind a token; an unknown or ended token is ignored. */
  public cancel(params: unknown): void {
    const token = paramsObject(params, false).token;
    if (typeof token !== 'string' && typeof token !== 'number') throw invalidParams('token', 'is required');
    const cancel = this.cancels.get(String(token));
    this.cancels.delete(String(token));
    cancel?.();
  }

  /** `$/setTrace`, or `initialize`'s `trace`. */
  public setTrace(params: unknown): void {
    const value = requiredString(paramsObject(params, false), 'value');
    if (!traceValues.includes(value as TraceValue)) {
      throw invalidParams('value', `must be one of ${traceValues.join(', ')}, not "${value}"`);
    }
    void this.connection.trace(Trace.fromString(value), {
      log: (message: string, verbose?: string) => {
        void this.writer.write({
          jsonrpc: '2.0',
          method: LogTraceNotification.method,
          params: { message, ...(verbose !== undefined ? { verbose } : {}) },
        } as Parameters<MessageWriter['write']>[0]);
      },
    });
  }
}

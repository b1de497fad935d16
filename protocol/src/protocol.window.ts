import { MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { ProgressToken } from './protocol.$.js';

/**
 * How serious a message is, with the numbers LSP gives them.
 */
export enum MessageType {
  /**
   * An error the person should see.
   */
  Error = 1,

  /**
   * A warning: something went wrong but the operation went on.
   */
  Warning = 2,

  /**
   * Information about normal progress.
   */
  Info = 3,

  /**
   * A plain log line.
   */
  Log = 4,

  /**
   * A detail useful when looking into a problem.
   */
  Debug = 5,
}

/**
 * The params of `window/logMessage`.
 */
export interface LogMessageParams {
  /**
   * How serious the message is.
   */
  type: MessageType;

  /**
   * The message, one or more lines of text.
   */
  message: string;
}

/**
 * A diagnostic line from the server, meant for an output panel. The server writes the same lines to stderr,
 * never to stdout.
 *
 * @since 0.1.0
 * @example {"params": {"type": 3, "message": "Using kubeconfig /home/dev/.kube/config"}}
 */
export namespace LogMessageNotification {
  export const method = 'window/logMessage' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<LogMessageParams>(method);
}

/**
 * The params of `window/showMessage`.
 */
export interface ShowMessageParams {
  /**
   * How serious the message is.
   */
  type: MessageType;

  /**
   * The message to show.
   */
  message: string;
}

/**
 * A message the client shows to the person right away, for events that happen outside any request (a sync that
 * lost its connection, a workload changed by someone else). A failed request answers with an error instead.
 *
 * @since 0.1.0
 * @example {"params": {"type": 2, "message": "deployment/web was changed by someone else while in DevMode"}}
 */
export namespace ShowMessageNotification {
  export const method = 'window/showMessage' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<ShowMessageParams>(method);
}

/**
 * The params of `window/workDoneProgress/create`.
 */
export interface CreateWorkDoneProgressParams {
  /**
   * The token the server will use in `$/progress`.
   */
  token: ProgressToken;
}

/**
 * Asks the client to prepare a progress indicator for a token the server picked, for work that no client request
 * carries a `workDoneToken` for. Sent only to clients that declare the `workDoneProgress` capability.
 *
 * @since 0.1.0
 * @example {"params": {"token": "devmode-1"}, "result": null}
 */
export namespace CreateWorkDoneProgressRequest {
  export const method = 'window/workDoneProgress/create' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolRequestType<CreateWorkDoneProgressParams, null>(method);
}

/**
 * The params of `window/workDoneProgress/cancel`.
 */
export interface CancelWorkDoneProgressParams {
  /**
   * The token of the progress to cancel.
   */
  token: ProgressToken;
}

/**
 * Cancels the work behind a server-created progress token, as `$/cancelRequest` cancels a request.
 *
 * @since 0.1.0
 * @example {"params": {"token": "devmode-1"}}
 */
export namespace CancelWorkDoneProgressNotification {
  export const method = 'window/workDoneProgress/cancel' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolNotificationType<CancelWorkDoneProgressParams>(method);
}

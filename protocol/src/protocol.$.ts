import { type integer, MessageDirection, ProtocolNotificationType } from './messages.js';
import type { DevModePhase } from './protocol.devMode.js';

/*
 * The `$/` messages that JSON-RPC and LSP specify only in prose, declared here so that the meta-model and
 * PROTOCOL.md describe them like every other message.
 */

/**
 * The params of `$/cancelRequest`.
 */
export interface CancelParams {
  /**
   * The id of the request to cancel, as it was sent.
   */
  id: integer | string;
}

/**
 * Asks the other side to cancel a request it is still working on. The cancelled request still gets a response:
 * its result so far, or the error `RequestCancelled`. A cancelled DevMode operation leaves the cluster as it was
 * before the request or as `devMode/reset` would leave it, never half changed.
 *
 * @since 0.1.0
 * @example {"params": {"id": 7}}
 */
export namespace CancelRequestNotification {
  export const method = '$/cancelRequest' as const;
  export const messageDirection: MessageDirection = MessageDirection.both;
  export const type = new ProtocolNotificationType<CancelParams>(method);
}

/**
 * A token that ties `$/progress` notifications to the operation they report on. The client picks it when it
 * passes `workDoneToken`; the server picks it when it calls `window/workDoneProgress/create`.
 */
export type ProgressToken = integer | string;

/**
 * The mixin of every request that may report progress.
 */
export interface WorkDoneProgressParams {
  /**
   * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
   * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
   */
  workDoneToken?: ProgressToken;
}

/**
 * The first progress payload of an operation, which a client uses to show a progress indicator.
 */
export interface WorkDoneProgressBegin {
  /**
   * Always `begin`.
   */
  kind: 'begin';

  /**
   * A short title for the whole operation, e.g. `Starting DevMode for deployment/web`.
   */
  title: string;

  /**
   * True when the client may offer a cancel button that sends `$/cancelRequest` (or
   * `window/workDoneProgress/cancel` for a server-created token).
   */
  cancellable?: boolean;

  /**
   * What is being done now, shown after the title.
   */
  message?: string;

  /**
   * How far the operation has got, from 0 to 100, when the server can tell.
   */
  percentage?: integer;

  /**
   * For DevMode work (`devMode/start`, `devMode/stop`, `devMode/reset`): the step being worked on. The message
   * describes the step and never repeats its name.
   */
  phase?: DevModePhase;
}

/**
 * A progress payload sent between `begin` and `end`.
 */
export interface WorkDoneProgressReport {
  /**
   * Always `report`.
   */
  kind: 'report';

  /**
   * Whether the operation can still be cancelled; absent means unchanged.
   */
  cancellable?: boolean;

  /**
   * What is being done now; absent means unchanged.
   */
  message?: string;

  /**
   * How far the operation has got, from 0 to 100; absent means unchanged.
   */
  percentage?: integer;

  /**
   * For DevMode work (`devMode/start`, `devMode/stop`, `devMode/reset`): the step being worked on; absent means
   * unchanged.
   */
  phase?: DevModePhase;
}

/**
 * The last progress payload of an operation, sent whether it succeeded, failed or was cancelled.
 */
export interface WorkDoneProgressEnd {
  /**
   * Always `end`.
   */
  kind: 'end';

  /**
   * A closing message, e.g. the reason the operation failed.
   */
  message?: string;
}

/**
 * Any of the three progress payloads, told apart by `kind`.
 */
export type WorkDoneProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

/**
 * The params of `$/progress`.
 */
export interface ProgressParams {
  /**
   * The token the progress belongs to.
   */
  token: ProgressToken;

  /**
   * The progress payload.
   */
  value: WorkDoneProgressValue;
}

/**
 * Reports progress on a long operation: one `begin`, any number of `report`, then one `end`.
 *
 * @since 0.1.0
 * @example {"params": {"token": "start-1", "value": {"kind": "report", "message": "Waiting for the dev pod", "percentage": 40}}}
 */
export namespace ProgressNotification {
  export const method = '$/progress' as const;
  export const messageDirection: MessageDirection = MessageDirection.both;
  export const type = new ProtocolNotificationType<ProgressParams>(method);
}

/**
 * How much the server traces through `$/logTrace`: nothing, one line per message, or each message with its
 * params.
 */
export type TraceValue = 'off' | 'messages' | 'verbose';

/**
 * The params of `$/setTrace`.
 */
export interface SetTraceParams {
  /**
   * The new trace level.
   */
  value: TraceValue;
}

/**
 * Changes how much the server traces through `$/logTrace`. The level starts at `off`.
 *
 * @since 0.1.0
 * @example {"params": {"value": "messages"}}
 */
export namespace SetTraceNotification {
  export const method = '$/setTrace' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolNotificationType<SetTraceParams>(method);
}

/**
 * The params of `$/logTrace`.
 */
export interface LogTraceParams {
  /**
   * The trace line.
   */
  message: string;

  /**
   * More detail, sent only when the trace level is `verbose`.
   */
  verbose?: string;
}

/**
 * A trace line about the server's own work, sent only while the trace level is not `off`.
 *
 * @since 0.1.0
 * @example {"params": {"message": "Received request 'devMode/start - (3)'."}}
 */
export namespace LogTraceNotification {
  export const method = '$/logTrace' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<LogTraceParams>(method);
}

import { type integer, MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { PodTarget, Target } from './protocol.devMode.js';
import type { WorkDoneProgressParams } from './protocol.$.js';

/**
 * The output of a DevMode session's `onSync` runs (its `exec` commands and restarts), as a log source of its own.
 */
export interface OnSyncLogsTarget {
  /**
   * The DevMode session.
   */
  sessionId: string;

  /**
   * The log source: `onSync` for the runs of the session's `onSync` rules.
   */
  source: 'onSync';

  /**
   * The container in DevMode whose rules ran; the session's target container when absent.
   */
  container?: string;
}

/**
 * Whose logs to stream: every pod of a workload, one named pod, or a session's `onSync` runs.
 */
export type LogsTarget = Target | PodTarget | OnSyncLogsTarget;

/**
 * The params of `logs/open`.
 */
export interface OpenLogsParams extends WorkDoneProgressParams {
  /**
   * Whose logs to stream.
   */
  target: LogsTarget;

  /**
   * On a workload target with no ready pod yet (its pod is being replaced), how long to wait for one before
   * failing with `ContainerNotRunning` and the reason from the pod's events, as kubectl's `--pod-running-timeout`.
   * 60 when absent.
   */
  podRunningTimeoutSeconds?: integer;

  /**
   * The container; the target's container, or the first container, when absent.
   */
  container?: string;

  /**
   * True to stream every container of each pod instead of one; each line's text then starts with `[container] `.
   */
  allContainers?: boolean;

  /**
   * True to keep streaming new lines until `logs/close`; false to send what exists and end.
   */
  follow?: boolean;

  /**
   * How many of the last lines to start with; all lines when absent.
   */
  tailLines?: integer;

  /**
   * Only lines written in the last this many seconds.
   */
  sinceSeconds?: integer;

  /**
   * True to fill `LogLine.timestamp`.
   */
  timestamps?: boolean;

  /**
   * True for the logs of the container's previous run, e.g. after a crash.
   */
  previous?: boolean;
}

/**
 * The result of `logs/open`.
 */
export interface OpenLogsResult {
  /**
   * The new stream's id.
   */
  streamId: string;

  /**
   * The pods whose logs the stream carries.
   */
  pods: string[];
}

/**
 * Opens a log stream. Lines arrive through `logs/didAppend`; `logs/didEnd` follows when the stream ends. With a
 * target `{sessionId, source: "onSync"}` the stream carries the output of the session's `onSync` runs (each line
 * with its `onSync` rule and run, plus a line devmode adds before and after each run): the lines kept so far
 * (the last 2000, or `tailLines`), then, with `follow`, each new line until the session ends (`completed`).
 *
 * @since 0.1.0
 * @errors ContextNotFound, ClusterUnreachable, Forbidden, NotFound, ContainerNotRunning, UnknownId
 * @example
 * {
 *   "params": {"target": {"namespace": "shop", "kind": "Deployment", "name": "web"}, "follow": true, "tailLines": 100},
 *   "result": {"streamId": "l-1", "pods": ["web-7c9d8b6f5-x2x7q"]}
 * }
 */
export namespace OpenLogsRequest {
  export const method = 'logs/open' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<OpenLogsParams, OpenLogsResult>(method);
}

/**
 * One log line.
 */
export interface LogLine {
  /**
   * The pod that wrote it.
   */
  pod: string;

  /**
   * The container that wrote it.
   */
  container: string;

  /**
   * The line, without its line break.
   */
  text: string;

  /**
   * When the line was written, as an RFC 3339 timestamp; only when `timestamps` was asked for.
   */
  timestamp?: string;

  /**
   * For an `onSync` stream: the rule and run the line belongs to.
   */
  onSync?: OnSyncLineOrigin;
}

/**
 * The `onSync` run a log line belongs to, as `OnSyncRun` names it.
 */
export interface OnSyncLineOrigin {
  /**
   * The rule's index in the session's `onSync` rules.
   */
  rule: integer;

  /**
   * The run's number for that rule.
   */
  run: integer;
}

/**
 * A pod or container a followed stream attached to after it opened: a new pod of the workload, or a container
 * instance that replaced one that stopped (a restart).
 */
export interface LogAttachment {
  /**
   * The pod.
   */
  pod: string;

  /**
   * The container.
   */
  container: string;

  /**
   * Why the stream attached: a new pod of the workload appeared, or the container restarted.
   */
  reason: 'newPod' | 'containerRestarted';
}

/**
 * The params of `logs/didAppend`.
 */
export interface DidAppendLogsParams {
  /**
   * The stream.
   */
  streamId: string;

  /**
   * The new lines, in the order each pod wrote them.
   */
  lines: LogLine[];

  /**
   * What the stream attached to since the previous notification; the lines of this notification that come from
   * those pods or containers were written after the attachment.
   */
  attached?: LogAttachment[];
}

/**
 * Carries new log lines, batched so that a busy stream sends a few notifications a second.
 *
 * @since 0.1.0
 * @example {"params": {"streamId": "l-1", "lines": [{"pod": "web-7c9d8b6f5-x2x7q", "container": "web", "text": "listening on :8080"}]}}
 */
export namespace DidAppendLogsNotification {
  export const method = 'logs/didAppend' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidAppendLogsParams>(method);
}

/**
 * Why a log stream ended: it sent everything without `follow`, the client closed it, the pod or container is
 * gone, or an error cut it.
 */
export type LogsEndReason = 'completed' | 'closed' | 'podDeleted' | 'containerTerminated' | 'error';

/**
 * The params of `logs/didEnd`.
 */
export interface DidEndLogsParams {
  /**
   * The stream.
   */
  streamId: string;

  /**
   * Why it ended.
   */
  reason: LogsEndReason;

  /**
   * More detail, e.g. the error.
   */
  message?: string;
}

/**
 * Tells the client a log stream ended. No lines follow it.
 *
 * @since 0.1.0
 * @example {"params": {"streamId": "l-1", "reason": "podDeleted", "message": "pod web-7c9d8b6f5-x2x7q was deleted"}}
 */
export namespace DidEndLogsNotification {
  export const method = 'logs/didEnd' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidEndLogsParams>(method);
}

/**
 * The params of `logs/close`.
 */
export interface CloseLogsParams {
  /**
   * The stream.
   */
  streamId: string;
}

/**
 * Closes a log stream. `logs/didEnd` with reason `closed` follows.
 *
 * @since 0.1.0
 * @errors UnknownId
 * @example {"params": {"streamId": "l-1"}, "result": null}
 */
export namespace CloseLogsRequest {
  export const method = 'logs/close' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<CloseLogsParams, null>(method);
}

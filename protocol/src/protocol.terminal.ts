import { type integer, MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { PodTarget, Target } from './protocol.devMode.js';
import type { WorkDoneProgressParams } from './protocol.$.js';

/**
 * A shell on the machine the server runs on.
 */
export interface LocalShell {
  /**
   * The working directory; the `rootPath` from `initialize` when absent.
   */
  cwd?: string;

  /**
   * The shell to run; `$SHELL` (or `/bin/sh`) when absent.
   */
  shell?: string;
}

/**
 * Asks for a terminal on the local machine rather than in a container.
 */
export interface LocalTerminalTarget {
  /**
   * Where and which shell to run.
   */
  local: LocalShell;
}

/**
 * Where a terminal runs: a container of a workload (its DevMode pod when in DevMode), a container of a named pod,
 * or the local machine.
 */
export type TerminalTarget = Target | PodTarget | LocalTerminalTarget;

/**
 * The params of `terminal/open`.
 */
export interface OpenTerminalParams extends WorkDoneProgressParams {
  /**
   * Where the terminal runs.
   */
  target: TerminalTarget;

  /**
   * On a workload target with no ready pod yet (its pod is being replaced), how long to wait for one before
   * failing with `ContainerNotRunning` and the reason from the pod's events, as kubectl's `--pod-running-timeout`.
   * 60 when absent.
   */
  podRunningTimeoutSeconds?: integer;

  /**
   * The command to run, as an argv array; the dev config's shell (or `sh`) when absent.
   */
  command?: string[];

  /**
   * The terminal's width in columns.
   */
  cols: integer;

  /**
   * The terminal's height in rows.
   */
  rows: integer;
}

/**
 * The result of `terminal/open`.
 */
export interface OpenTerminalResult {
  /**
   * The new terminal's id.
   */
  terminalId: string;

  /**
   * For a terminal in a pod: the pod it runs in (the one picked for a workload target), so a client can name it.
   */
  pod?: string;

  /**
   * For a terminal in a pod: the container it runs in, when the pod names it.
   */
  container?: string;
}

/**
 * Opens an interactive terminal with a pseudo-terminal. Output arrives through `terminal/didOutput`, and
 * `terminal/didExit` follows when the command ends.
 *
 * @since 0.1.0
 * @errors ContextNotFound, ClusterUnreachable, Forbidden, NotFound, ContainerNotRunning, MissingTool
 * @example
 * {
 *   "params": {"target": {"namespace": "shop", "kind": "Deployment", "name": "web", "container": "web"}, "cols": 120, "rows": 30},
 *   "result": {"terminalId": "t-1"}
 * }
 */
export namespace OpenTerminalRequest {
  export const method = 'terminal/open' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<OpenTerminalParams, OpenTerminalResult>(method);
}

/**
 * The params of `terminal/input`.
 */
export interface SendTerminalInputParams {
  /**
   * The terminal.
   */
  terminalId: string;

  /**
   * What the person typed, as text (control keys as their control characters, e.g. `\u0003` for Ctrl-C).
   */
  data: string;
}

/**
 * Sends keyboard input to a terminal. Input for an unknown or exited terminal is dropped, since a notification
 * cannot fail.
 *
 * @since 0.1.0
 * @example {"params": {"terminalId": "t-1", "data": "npm test\r"}}
 */
export namespace SendTerminalInputNotification {
  export const method = 'terminal/input' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolNotificationType<SendTerminalInputParams>(method);
}

/**
 * The params of `terminal/resize`.
 */
export interface ResizeTerminalParams {
  /**
   * The terminal.
   */
  terminalId: string;

  /**
   * The new width in columns.
   */
  cols: integer;

  /**
   * The new height in rows.
   */
  rows: integer;
}

/**
 * Tells the terminal its window changed size.
 *
 * @since 0.1.0
 * @example {"params": {"terminalId": "t-1", "cols": 100, "rows": 40}}
 */
export namespace ResizeTerminalNotification {
  export const method = 'terminal/resize' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolNotificationType<ResizeTerminalParams>(method);
}

/**
 * The params of `terminal/close`.
 */
export interface CloseTerminalParams {
  /**
   * The terminal.
   */
  terminalId: string;
}

/**
 * Ends a terminal's command (hang-up, then kill) and frees the terminal. `terminal/didExit` is still sent.
 *
 * @since 0.1.0
 * @errors UnknownId
 * @example {"params": {"terminalId": "t-1"}, "result": null}
 */
export namespace CloseTerminalRequest {
  export const method = 'terminal/close' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<CloseTerminalParams, null>(method);
}

/**
 * The params of `terminal/didOutput`.
 */
export interface DidOutputTerminalParams {
  /**
   * The terminal.
   */
  terminalId: string;

  /**
   * The output, decoded as UTF-8; a character split across reads arrives whole in one notification.
   */
  data: string;
}

/**
 * Carries a terminal's output, in order, batched so that a busy terminal sends a few notifications a second.
 *
 * @since 0.1.0
 * @example {"params": {"terminalId": "t-1", "data": "root@web-7c9d8b6f5-x2x7q:/app# "}}
 */
export namespace DidOutputTerminalNotification {
  export const method = 'terminal/didOutput' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidOutputTerminalParams>(method);
}

/**
 * The params of `terminal/didExit`.
 */
export interface DidExitTerminalParams {
  /**
   * The terminal.
   */
  terminalId: string;

  /**
   * The command's exit code, or null when it was ended by a signal or the connection was lost.
   */
  exitCode: integer | null;

  /**
   * Why the terminal ended, when it was not the command exiting on its own (e.g. `the dev pod was deleted`).
   */
  reason?: string;
}

/**
 * Tells the client a terminal's command ended. No output follows it.
 *
 * @since 0.1.0
 * @example {"params": {"terminalId": "t-1", "exitCode": 0}}
 */
export namespace DidExitTerminalNotification {
  export const method = 'terminal/didExit' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidExitTerminalParams>(method);
}

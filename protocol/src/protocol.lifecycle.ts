import { MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { TraceValue } from './protocol.$.js';
import type { MessageType } from './protocol.window.js';

/**
 * The protocol version this package describes. A client compares it with `InitializeResult.protocolVersion`.
 */
export const protocolVersion = '0.1.0';

/**
 * Information about the client, sent in `initialize`.
 */
export interface ClientInfo {
  /**
   * The client's name, e.g. `devmode-vscode`.
   */
  name: string;

  /**
   * The client's version, when it has one.
   */
  version?: string;
}

/**
 * What the client can do. Every field is optional; a missing field means the client lacks the capability.
 */
export interface ClientCapabilities {
  /**
   * True when the client answers `window/workDoneProgress/create` and renders `$/progress`.
   */
  workDoneProgress?: boolean;
}

/**
 * The params of `initialize`.
 */
export interface InitializeParams {
  /**
   * The client's name and version.
   */
  clientInfo?: ClientInfo;

  /**
   * What the client supports.
   */
  capabilities?: ClientCapabilities;

  /**
   * The folder the editor has open; the default local folder for DevMode.
   */
  rootPath?: string;

  /**
   * The kubeconfig file(s) to use instead of `KUBECONFIG` or `~/.kube/config`; several files are separated
   * as in `KUBECONFIG` (`:` on Linux and macOS).
   */
  kubeconfig?: string;

  /**
   * The least serious `window/logMessage` the client wants: the server sends a diagnostic only when its `type`
   * is at most this number (`Error` = 1 sends errors only, `Debug` = 5 sends everything). `Info` when absent.
   * Every diagnostic also goes to the server's stderr, whatever the level.
   */
  logLevel?: MessageType;

  /**
   * The initial trace level, as `$/setTrace` sets it later: `messages` or `verbose` makes the server send a
   * `$/logTrace` for every message it receives or sends. `off` when absent.
   */
  trace?: TraceValue;
}

/**
 * Information about the server.
 */
export interface ServerInfo {
  /**
   * Always `devmode`.
   */
  name: string;

  /**
   * The server's version.
   */
  version: string;
}

/**
 * What the server implements. A client shows only the features listed here.
 */
export interface ServerCapabilities {
  /**
   * The methods this server answers, by name.
   */
  methods: string[];

  /**
   * True when the server reports progress on long requests through `$/progress`.
   */
  workDoneProgress: boolean;
}

/**
 * The result of `initialize`.
 */
export interface InitializeResult {
  /**
   * The server's name and version.
   */
  serverInfo: ServerInfo;

  /**
   * The version of the devmode protocol the server speaks.
   */
  protocolVersion: string;

  /**
   * What the server implements.
   */
  capabilities: ServerCapabilities;
}

/**
 * The first request a client sends. Any other request before it fails with `ServerNotInitialized`.
 *
 * @since 0.1.0
 * @example
 * {
 *   "params": {"clientInfo": {"name": "devmode-vscode", "version": "0.1.0"}, "capabilities": {"workDoneProgress": true}, "rootPath": "/home/dev/src/web"},
 *   "result": {
 *     "serverInfo": {"name": "devmode", "version": "0.1.0"},
 *     "protocolVersion": "0.1.0",
 *     "capabilities": {"methods": ["initialize", "shutdown", "cluster/list", "devMode/start"], "workDoneProgress": true}
 *   }
 * }
 */
export namespace InitializeRequest {
  export const method = 'initialize' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<InitializeParams, InitializeResult>(method);
}

/**
 * The params of `initialized`: none.
 */
export type InitializedParams = Record<string, never>;

/**
 * Sent by the client once it has processed the `initialize` result.
 *
 * @since 0.1.0
 */
export namespace InitializedNotification {
  export const method = 'initialized' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolNotificationType<InitializedParams>(method);
}

/**
 * Asks the server to stop every session's local parts (sync, forwards, terminals, log streams). It does not end
 * DevMode in the cluster: a later server can pick the sessions up again or reset them.
 *
 * @since 0.1.0
 */
export namespace ShutdownRequest {
  export const method = 'shutdown' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<void, null>(method);
}

/**
 * Asks the server process to exit: with code 0 after `shutdown`, 1 otherwise.
 *
 * @since 0.1.0
 */
export namespace ExitNotification {
  export const method = 'exit' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolNotificationType<void>(method);
}

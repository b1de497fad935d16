import { type integer, MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { PodTarget, Target } from './protocol.devMode.js';

/**
 * What a port-forward connects to: a workload (whose ready pod is picked, and picked again when it is replaced)
 * or one named pod.
 */
export type PortForwardTarget = Target | PodTarget;

/**
 * Where a port-forward stands. `reconnecting` means the pod went away, the connection dropped or the API server
 * cannot be reached, and the server is looking for the next ready pod; the local port stays bound and new local
 * connections wait (up to 10 seconds) for it. `failed` means it gave up (its pod was deleted); `stopped` that it
 * was stopped.
 */
export type PortForwardState = 'active' | 'reconnecting' | 'failed' | 'stopped';

/**
 * One port-forward.
 */
export interface PortForward {
  /**
   * The port-forward's id.
   */
  id: string;

  /**
   * What the port-forward connects to.
   */
  target: PortForwardTarget;

  /**
   * The pod currently forwarded to, when there is one.
   */
  pod?: string;

  /**
   * The local address listened on.
   */
  address: string;

  /**
   * The local port listened on.
   */
  localPort: integer;

  /**
   * The port in the pod.
   */
  remotePort: integer;

  /**
   * Where the port-forward stands.
   */
  state: PortForwardState;

  /**
   * The DevMode session that started it, when a session did.
   */
  sessionId?: string;

  /**
   * Why the port-forward is `reconnecting` or `failed`.
   */
  error?: string;

  /**
   * Something the person should know while the port-forward stays `active`: the pod refuses connections on the
   * remote port (nothing listens there), with how many were refused. Each refused local connection is closed at
   * once. Absent again once a connection gets an answer.
   */
  warning?: string;
}

/**
 * The params of `portForward/start`.
 */
export interface StartPortForwardParams {
  /**
   * What to connect to.
   */
  target: PortForwardTarget;

  /**
   * The port in the pod.
   */
  remotePort: integer;

  /**
   * The local port; `remotePort` when absent. 0 asks for any free port.
   */
  localPort?: integer;

  /**
   * The local address to listen on; `127.0.0.1` when absent.
   */
  address?: string;

  /**
   * True to take the next free port above `localPort` when it is in use, instead of failing with `PortInUse`.
   */
  allowNextFreePort?: boolean;
}

/**
 * The result of `portForward/start`.
 */
export interface StartPortForwardResult {
  /**
   * The new port-forward's id.
   */
  id: string;

  /**
   * The local port listened on.
   */
  localPort: integer;

  /**
   * The local address listened on.
   */
  address: string;
}

/**
 * Starts forwarding a local port to a port in a pod. The response is sent once the local port is listening.
 *
 * @since 0.1.0
 * @errors ContextNotFound, ClusterUnreachable, Forbidden, NotFound, PortInUse, ContainerNotRunning
 * @example
 * {
 *   "params": {"target": {"namespace": "shop", "pod": "web-7c9d8b6f5-x2x7q"}, "remotePort": 9229, "allowNextFreePort": true},
 *   "result": {"id": "pf-2", "localPort": 9230, "address": "127.0.0.1"}
 * }
 */
export namespace StartPortForwardRequest {
  export const method = 'portForward/start' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<StartPortForwardParams, StartPortForwardResult>(method);
}

/**
 * The params of `portForward/stop`.
 */
export interface StopPortForwardParams {
  /**
   * The port-forward's id.
   */
  id: string;
}

/**
 * Stops a port-forward and closes its open connections.
 *
 * @since 0.1.0
 * @errors UnknownId
 * @example {"params": {"id": "pf-2"}, "result": null}
 */
export namespace StopPortForwardRequest {
  export const method = 'portForward/stop' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<StopPortForwardParams, null>(method);
}

/**
 * The params of `portForward/list`.
 */
export interface ListPortForwardsParams {
  /**
   * Only the port-forwards of this DevMode session, when given.
   */
  sessionId?: string;
}

/**
 * The result of `portForward/list`.
 */
export interface ListPortForwardsResult {
  /**
   * The port-forwards of this server that are not stopped, oldest first.
   */
  forwards: PortForward[];
}

/**
 * Lists this server's port-forwards.
 *
 * @since 0.1.0
 * @errors UnknownId
 * @example
 * {
 *   "params": {},
 *   "result": {
 *     "forwards": [
 *       {
 *         "id": "pf-2",
 *         "target": {"namespace": "shop", "pod": "web-7c9d8b6f5-x2x7q"},
 *         "pod": "web-7c9d8b6f5-x2x7q",
 *         "address": "127.0.0.1",
 *         "localPort": 9230,
 *         "remotePort": 9229,
 *         "state": "active"
 *       }
 *     ]
 *   }
 * }
 */
export namespace ListPortForwardsRequest {
  export const method = 'portForward/list' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<ListPortForwardsParams, ListPortForwardsResult>(method);
}

/**
 * The params of `portForward/didChangeState`.
 */
export interface DidChangePortForwardStateParams {
  /**
   * The port-forward's id.
   */
  id: string;

  /**
   * The new state.
   */
  state: PortForwardState;

  /**
   * Why the port-forward is `reconnecting` or `failed`.
   */
  error?: string;

  /**
   * The current warning (see `PortForward.warning`); absent when there is none. A change of the warning alone is
   * sent at most every few seconds.
   */
  warning?: string;

  /**
   * The pod now forwarded to, after a reconnect picked another pod.
   */
  pod?: string;
}

/**
 * Tells the client that a port-forward changed state.
 *
 * @since 0.1.0
 * @example {"params": {"id": "pf-1", "state": "reconnecting", "error": "pod web-7c9d8b6f5-x2x7q was deleted"}}
 */
export namespace DidChangePortForwardStateNotification {
  export const method = 'portForward/didChangeState' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidChangePortForwardStateParams>(method);
}

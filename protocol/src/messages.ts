import { NotificationType, ParameterStructures, RequestType, ResponseError } from 'vscode-jsonrpc';

/**
 * A whole number on the wire. JSON has one number type; this alias tells the generated bindings (Lua, Kotlin) to
 * use an integer type where the TypeScript says `number` would be too loose.
 */
export type integer = number;

/**
 * Which side sends a message. Recorded on every declaration so that the meta-model and the plugins know who
 * may send what.
 */
export enum MessageDirection {
  clientToServer = 'clientToServer',
  serverToClient = 'serverToClient',
  both = 'both',
}

/**
 * A request whose params always travel by name (a JSON object), never as a positional array.
 */
export class ProtocolRequestType<P, R> extends RequestType<P, R, DevModeErrorData> {
  public constructor(method: string) {
    super(method, ParameterStructures.byName);
  }
}

/**
 * A notification whose params always travel by name (a JSON object).
 */
export class ProtocolNotificationType<P> extends NotificationType<P> {
  public constructor(method: string) {
    super(method, ParameterStructures.byName);
  }
}

/**
 * The data carried by every devmode error, so that an editor can show the person something to act on.
 */
export interface DevModeErrorData {
  /**
   * A sentence that tells the person what to do about the error, when there is something to do.
   */
  hint?: string;

  /**
   * True when sending the same request again later may succeed (a timeout, a conflict, a lost connection).
   */
  retryable?: boolean;

  /**
   * The file the error is about, when it comes from a file (a kubeconfig, a dev config).
   */
  file?: string;

  /**
   * The 1-based line in `file`, when known.
   */
  line?: integer;

  /**
   * The name of the field or parameter at fault, as a dotted path (`target.namespace`).
   */
  field?: string;

  /**
   * Further details specific to the error code.
   */
  [key: string]: unknown;
}

/**
 * Error codes of the devmode protocol. They sit in -31999 … -31000, outside the range JSON-RPC reserves
 * (-32768 … -32000) and the range LSP reserves (-32899 … -32800). Standard JSON-RPC codes keep their meaning.
 */
export namespace DevModeErrorCodes {
  /** JSON-RPC: the message is not a valid request (a batch, a request after `shutdown`, a second `initialize`). */
  export const InvalidRequest = -32600;
  /** JSON-RPC: the method does not exist. */
  export const MethodNotFound = -32601;
  /** JSON-RPC: the params do not match the method's declaration; `data.field` names the field. */
  export const InvalidParams = -32602;
  /** JSON-RPC: an unexpected failure inside the server. */
  export const InternalError = -32603;
  /** LSP: a request arrived before `initialize`. */
  export const ServerNotInitialized = -32002;
  /** LSP: the client cancelled the request. */
  export const RequestCancelled = -32800;

  /** The kubeconfig is missing, unreadable or not valid YAML; `data.file` names it. */
  export const KubeconfigInvalid = -31001;
  /** The named kubeconfig context does not exist. */
  export const ContextNotFound = -31002;
  /** The cluster could not be reached (connection refused, DNS, TLS). */
  export const ClusterUnreachable = -31003;
  /** The API server denied the request (RBAC); `data.verb` and `data.resource` say what was denied. */
  export const Forbidden = -31004;
  /** The workload, pod or container named by a target does not exist. */
  export const NotFound = -31005;
  /** The workload kind is not one DevMode supports. */
  export const UnsupportedKind = -31006;

  /** The dev config is invalid; `data.file`, `data.line` and `data.field` locate the fault. */
  export const DevConfigInvalid = -31010;
  /** The workload is already in DevMode, started by someone else; `data.owner` names them. */
  export const AlreadyInDevMode = -31011;
  /** The workload is not in DevMode, so there is nothing to stop or reset. */
  export const NotInDevMode = -31012;
  /** The dev pod did not start; `data.reason` carries the reason from the pod's events. */
  export const PodNotStarted = -31013;
  /** The dev image could not be pulled. */
  export const ImagePullFailed = -31014;
  /** The dev container lacks a tool devmode needs (a shell, tar); `data.tool` names it. */
  export const MissingTool = -31015;
  /** The workload was changed by someone else while in DevMode. */
  export const WorkloadConflict = -31016;
  /** The operation did not finish in time. */
  export const Timeout = -31017;
  /** The local folder does not exist or is not a directory; `data.field` names the parameter. */
  export const LocalDirInvalid = -31018;
  /**
   * The workload is controlled by another object (a Pod by its ReplicaSet, a Deployment by an operator's custom
   * resource), whose controller would undo DevMode; `data.controller` names it (apiVersion, kind, name).
   */
  export const OwnedByController = -31019;

  /** The local port is already in use. */
  export const PortInUse = -31020;
  /** No port-forward, terminal, log stream or session has that id. */
  export const UnknownId = -31021;
  /** The file watcher hit the system's inotify limit; `data.limit` gives it. */
  export const WatchLimitReached = -31030;
  /** A sync path would land outside the session's workDir or follow a link out of the local folder. */
  export const UnsafePath = -31031;
  /** The sync connection to the container is down, so the request cannot complete now. */
  export const SyncDisconnected = -31032;
  /** The container is not running (it is waiting, or it has terminated), so it cannot be attached to. */
  export const ContainerNotRunning = -31040;
}

/**
 * The error type every handler throws for an expected failure.
 */
export type DevModeError = ResponseError<DevModeErrorData>;

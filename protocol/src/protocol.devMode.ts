import { type integer, MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { WorkDoneProgressParams } from './protocol.$.js';
import type { DebugKind, DevConfig } from './protocol.devConfig.js';
import type { PortForward } from './protocol.portForward.js';
import type { SyncStatus } from './protocol.sync.js';

/**
 * The workload kinds DevMode supports, spelled as the Kubernetes API spells them.
 */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'Pod';

/**
 * A workload (or one of its containers) named the Kubernetes way.
 */
export interface Target {
  /**
   * The kubeconfig context; the kubeconfig's current context when absent.
   */
  context?: string;

  /**
   * The namespace the workload lives in.
   */
  namespace: string;

  /**
   * The workload's kind.
   */
  kind: WorkloadKind;

  /**
   * The workload's name.
   */
  name: string;

  /**
   * The container; the first container of the pod template when absent.
   */
  container?: string;
}

/**
 * One pod (or one of its containers) named directly, for operations that work on a single pod.
 */
export interface PodTarget {
  /**
   * The kubeconfig context; the kubeconfig's current context when absent.
   */
  context?: string;

  /**
   * The namespace the pod lives in.
   */
  namespace: string;

  /**
   * The pod's name.
   */
  pod: string;

  /**
   * The container; the pod's first container when absent.
   */
  container?: string;
}

/**
 * How DevMode takes over a workload: by changing the workload in place (`replace`), or by creating a copy of it
 * with its own labels and leaving the original untouched (`duplicate`).
 */
export type DevModeMode = 'replace' | 'duplicate';

/**
 * Where a DevMode session stands. `stale` is a session found in the cluster whose owning server has not renewed
 * its heartbeat for longer than the stale threshold: it is most likely abandoned (the server was killed, the
 * machine went away), and `devMode/reset` restores the workload.
 */
export type DevModeState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' | 'stale';

/**
 * The steps of `devMode/start`, in order, and the one step of `devMode/stop` and `devMode/reset`.
 * `loadConfig` merges the dev config; `replaceImage` swaps in the dev image and records the original;
 * `restartPod` rolls the pods; `waitPod` waits for the dev pod to be ready; `portForward` starts the configured
 * forwards; `sync` runs the first full sync and starts watching; `terminal` is reached once the session is ready
 * for a terminal. `restoreWorkload` puts the recorded original back.
 */
export type DevModePhase =
  'loadConfig' | 'replaceImage' | 'restartPod' | 'waitPod' | 'portForward' | 'sync' | 'terminal' | 'restoreWorkload';

/**
 * The params of `devMode/start`.
 */
export interface StartDevModeParams extends WorkDoneProgressParams {
  /**
   * The workload and container to develop in.
   */
  target: Target;

  /**
   * The absolute path of the local folder to sync into the container's workDir.
   */
  localDir: string;

  /**
   * How to take over the workload; `replace` when absent.
   */
  mode?: DevModeMode;

  /**
   * Values that override the dev config from the cluster annotation and the local file for this session.
   */
  config?: DevConfig;

  /**
   * How long to wait for the dev pod to become ready before failing with `Timeout`; 300 when absent.
   */
  timeoutSeconds?: integer;
}

/**
 * What a debugger client needs to attach to the dev command of a session started with `debug` in its dev config.
 */
export interface DebugAttachInfo {
  /**
   * The debugger the dev command was started with, which tells the client which protocol to speak.
   */
  kind: DebugKind;

  /**
   * The local address the debug port is forwarded on (127.0.0.1).
   */
  address: string;

  /**
   * The local port to attach to: the forward of the debug port.
   */
  localPort: integer;

  /**
   * The debug port in the container.
   */
  remotePort: integer;

  /**
   * The folder the sources are synced to in the container (the workDir), for mapping remote paths to local ones.
   */
  remoteRoot: string;

  /**
   * The local folder synced into `remoteRoot`.
   */
  localRoot: string;
}

/**
 * One container of a session in DevMode: where its files go, its sync and its port-forwards.
 */
export interface DevModeContainer {
  /**
   * The container's name.
   */
  container: string;

  /**
   * The directory in the container that its local folder is synced into and its dev command starts in.
   */
  workDir: string;

  /**
   * The local folder synced into it; absent when it syncs nothing, and for sessions of other servers.
   */
  localDir?: string;

  /**
   * The state of its file sync; absent when it has none.
   */
  sync?: SyncStatus;

  /**
   * The port-forwards its dev config started.
   */
  portForwards: PortForward[];

  /**
   * How to attach a debugger to its dev command, when its dev config asks for `debug`.
   */
  debug?: DebugAttachInfo;
}

/**
 * Someone other than DevMode who manages the workload and may undo what DevMode changes: a Helm release, an Argo CD
 * application, a Flux Kustomization or HelmRelease, an operator's owner reference, a HorizontalPodAutoscaler.
 */
export interface DevModeWarning {
  /**
   * Who manages the workload, named for a person: `Helm release shop`, `Argo CD application shop`,
   * `HorizontalPodAutoscaler web`.
   */
  manager: string;

  /**
   * What shows it, each as found on the workload: `label app.kubernetes.io/managed-by=Helm`,
   * `annotation meta.helm.sh/release-name=shop`, `managedFields manager helm`, `owner reference Foo x`.
   */
  evidence: string[];

  /**
   * A sentence for the person: what the manager may do to the workload in DevMode.
   */
  message: string;

  /**
   * What to do about it; for a manager that may undo DevMode, duplicate mode, which leaves the original untouched.
   */
  hint: string;
}

/**
 * The result of `devMode/start`: a session that is running.
 */
export interface StartDevModeResult {
  /**
   * The id of the new session, used by `devMode/stop`, `sync/*` and `devMode/didChangeState`.
   */
  sessionId: string;

  /**
   * The name of the dev pod.
   */
  pod: string;

  /**
   * The name of the dev container in that pod.
   */
  container: string;

  /**
   * The port-forwards the dev config asked for, as they stand once the session is running.
   */
  portForwards: PortForward[];

  /**
   * The state of the target container's file sync after the first full sync; absent while it has no file sync.
   */
  sync?: SyncStatus;

  /**
   * How to attach a debugger: to the target container's dev command, or the first container whose dev config asks
   * for `debug`; absent when none does.
   */
  debug?: DebugAttachInfo;

  /**
   * Every container in DevMode, the target container first, then those `containers.<name>.dev` added, each with
   * its own sync and port-forwards.
   */
  containers: DevModeContainer[];

  /**
   * Who else manages the workload and may undo DevMode (replace mode only: a duplicate leaves the original
   * untouched); absent when nobody does. The same sentences went out as progress while starting.
   */
  warnings?: DevModeWarning[];
}

/**
 * Puts a workload into DevMode: replaces the container's image with the dev image, restarts the pod, starts the
 * configured port-forwards and the file sync. Every container the dev config marks `containers.<name>.dev` goes
 * into DevMode in the same start, with its own settings, sync folder and forwards (`containers` in the result).
 * Progress is reported on `workDoneToken` and through
 * `devMode/didChangeState` with the current `phase`. When cancelled or when a step fails, the workload is restored
 * before the response is sent. Waiting for the dev pod ends early, with the cluster's reason, on what will not clear
 * by itself: an image that cannot be pulled (`ImagePullFailed`), a crash loop (`PodNotStarted`), or a pod no node can
 * run (`PodNotStarted` with `data.reason` `Unschedulable` and the scheduler's message), judged after 5 s during which
 * no replaced pod was still being deleted and no node autoscaler announced a node for it.
 *
 * Before changing anything, the start looks at who else manages the workload: its managedFields managers, its
 * labels and annotations (Helm, Argo CD, Flux), the HorizontalPodAutoscalers that target it and its owner
 * references. A workload whose owner reference says `controller: true` (a Pod of a ReplicaSet, a Deployment of an
 * operator) is refused with `OwnedByController`, nothing changed. Any other manager gives a warning in `warnings`
 * (and as progress), whose hint offers duplicate mode.
 *
 * @since 0.1.0
 * @errors ContextNotFound, ClusterUnreachable, Forbidden, NotFound, UnsupportedKind, OwnedByController, LocalDirInvalid, DevConfigInvalid, AlreadyInDevMode, ImagePullFailed, PodNotStarted, MissingTool, PortInUse, WatchLimitReached, Timeout, RequestCancelled
 * @example
 * {
 *   "params": {
 *     "target": {"namespace": "shop", "kind": "Deployment", "name": "web"},
 *     "localDir": "/home/dev/src/web",
 *     "workDoneToken": "start-1"
 *   },
 *   "result": {
 *     "sessionId": "s-4f2a",
 *     "pod": "web-7c9d8b6f5-x2x7q",
 *     "container": "web",
 *     "portForwards": [
 *       {
 *         "id": "pf-1",
 *         "target": {"namespace": "shop", "kind": "Deployment", "name": "web"},
 *         "address": "127.0.0.1",
 *         "localPort": 8080,
 *         "remotePort": 8080,
 *         "state": "active",
 *         "sessionId": "s-4f2a"
 *       }
 *     ],
 *     "sync": {
 *       "sessionId": "s-4f2a",
 *       "container": "web",
 *       "state": "idle",
 *       "localDir": "/home/dev/src/web",
 *       "remoteDir": "/app",
 *       "mode": "send",
 *       "pendingFiles": 0,
 *       "lastSyncAt": "2026-01-12T09:30:00.000Z",
 *       "errors": [],
 *       "conflicts": []
 *     },
 *     "debug": {
 *       "kind": "node",
 *       "address": "127.0.0.1",
 *       "localPort": 9229,
 *       "remotePort": 9229,
 *       "remoteRoot": "/app",
 *       "localRoot": "/home/dev/src/web"
 *     },
 *     "containers": [
 *       {"container": "web", "workDir": "/app", "localDir": "/home/dev/src/web", "portForwards": [], "sync": {"sessionId": "s-4f2a", "container": "web", "state": "idle", "localDir": "/home/dev/src/web", "remoteDir": "/app", "mode": "send", "pendingFiles": 0, "errors": [], "conflicts": []}},
 *       {"container": "worker", "workDir": "/home/devmode", "portForwards": []}
 *     ]
 *   }
 * }
 */
export namespace StartDevModeRequest {
  export const method = 'devMode/start' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<StartDevModeParams, StartDevModeResult>(method);
}

/**
 * Names the session to stop by its id.
 */
export interface StopDevModeBySessionParams extends WorkDoneProgressParams {
  /**
   * The id `devMode/start` returned.
   */
  sessionId: string;
}

/**
 * Names the session to stop by its workload.
 */
export interface StopDevModeByTargetParams extends WorkDoneProgressParams {
  /**
   * The workload in DevMode.
   */
  target: Target;

  /**
   * Stop the session even though another server (or an earlier run of this one) started it. Without it, such a
   * stop is refused with `AlreadyInDevMode`; the owning server is told that its session was ended.
   */
  takeOver?: boolean;
}

/**
 * The params of `devMode/stop`: a session id or a target.
 */
export type StopDevModeParams = StopDevModeBySessionParams | StopDevModeByTargetParams;

/**
 * The result of `devMode/stop`.
 */
export interface StopDevModeResult {
  /**
   * The workload that was restored.
   */
  target: Target;

  /**
   * Set when the workload was restored but its pods are not ready and will not become so by themselves, or are
   * still not ready after two minutes: why, from the cluster ("pod web-5d9c-x2x cannot be scheduled: no nodes
   * available to schedule pods", "pod web-5d9c-x2x: container web is in ImagePullBackOff (...)"). The restore itself
   * succeeded; the workload is as it was before DevMode, including whatever keeps its pods from running.
   */
  podsNotReady?: string;
}

/**
 * Ends a DevMode session of this server: stops its sync, port-forwards and terminals, and restores the workload as
 * it was before `devMode/start`. A stop sent while the session is still starting cancels the start (which then
 * answers `RequestCancelled`), waits for its rollback and answers once the workload is restored. A session started
 * by another server is refused with `AlreadyInDevMode` unless `takeOver` is set (or `devMode/reset` is used).
 * After the restore it waits for the workload's pods to be ready, and answers with `podsNotReady` when they cannot
 * become so by themselves (or are still not ready after two minutes).
 *
 * @since 0.1.0
 * @errors UnknownId, NotInDevMode, AlreadyInDevMode, ClusterUnreachable, Forbidden, WorkloadConflict, Timeout, RequestCancelled
 * @example
 * {
 *   "params": {"sessionId": "s-4f2a"},
 *   "result": {"target": {"namespace": "shop", "kind": "Deployment", "name": "web", "container": "web"}}
 * }
 */
export namespace StopDevModeRequest {
  export const method = 'devMode/stop' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<StopDevModeParams, StopDevModeResult>(method);
}

/**
 * The params of `devMode/reset`.
 */
export interface ResetDevModeParams extends WorkDoneProgressParams {
  /**
   * The workload to restore.
   */
  target: Target;
}

/**
 * The result of `devMode/reset`.
 */
export interface ResetDevModeResult {
  /**
   * The workload that was restored.
   */
  target: Target;

  /**
   * The ids of this server's sessions on that workload that were ended by the reset.
   */
  endedSessions: string[];

  /**
   * Set when the workload was restored but its pods are not ready and will not become so by themselves, or are
   * still not ready after two minutes: why, from the cluster ("pod web-5d9c-x2x cannot be scheduled: no nodes
   * available to schedule pods", "pod web-5d9c-x2x: container web is in ImagePullBackOff (...)"). The restore itself
   * succeeded; the workload is as it was before DevMode, including whatever keeps its pods from running.
   */
  podsNotReady?: string;
}

/**
 * Restores a workload from what DevMode recorded in the cluster, whoever started DevMode and even after the
 * server that started it crashed. Any session of this server on that workload ends. Like `devMode/stop`, it then
 * waits for the workload's pods and says in `podsNotReady` why they are not ready when they cannot become so.
 *
 * @since 0.1.0
 * @errors ContextNotFound, ClusterUnreachable, Forbidden, NotFound, NotInDevMode, Timeout, RequestCancelled
 * @example
 * {
 *   "params": {"target": {"namespace": "shop", "kind": "Deployment", "name": "web"}},
 *   "result": {"target": {"namespace": "shop", "kind": "Deployment", "name": "web"}, "endedSessions": []}
 * }
 */
export namespace ResetDevModeRequest {
  export const method = 'devMode/reset' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<ResetDevModeParams, ResetDevModeResult>(method);
}

/**
 * The params of `devMode/list`.
 */
export interface ListDevModeSessionsParams {
  /**
   * The kubeconfig context to look in; the current context when absent.
   */
  context?: string;

  /**
   * The namespace to look in; every namespace the user may list when absent.
   */
  namespace?: string;
}

/**
 * Why a session found in the cluster is shown as `stale`: its owner stopped renewing the heartbeat on the workload.
 */
export interface DevModeStaleness {
  /**
   * The user who started the session, as recorded in the cluster.
   */
  user: string;

  /**
   * The machine the session was started on, as recorded in the cluster.
   */
  machine: string;

  /**
   * The owner's last sign of life, as an RFC 3339 timestamp: its last heartbeat, or the start when it never wrote
   * one (`heartbeat` false).
   */
  since: string;

  /**
   * True when `since` is a heartbeat; false when the owner never wrote one (a server without heartbeats), so
   * `since` is when DevMode started.
   */
  heartbeat: boolean;

  /**
   * How long an owner may be silent before its session counts as stale, in seconds, on the listing server.
   */
  thresholdSeconds: integer;

  /**
   * What to do about it: `devMode/reset` restores the workload from the cluster's record.
   */
  hint: string;
}

/**
 * A workload in DevMode.
 */
export interface DevModeSession {
  /**
   * The session id, when the session belongs to this server.
   */
  sessionId?: string;

  /**
   * The workload and dev container.
   */
  target: Target;

  /**
   * Where the session stands; workloads found only in the cluster are `running`, or `stale` when their owner has
   * been silent past the stale threshold (see `stale`).
   */
  state: DevModeState;

  /**
   * How the workload was taken over.
   */
  mode: DevModeMode;

  /**
   * True when this server process started the session, false when another machine, another server of the same
   * user or a previous server did.
   */
  mine: boolean;

  /**
   * Who started DevMode, as recorded in the cluster (user and host).
   */
  owner?: string;

  /**
   * The local folder being synced, for sessions of this server.
   */
  localDir?: string;

  /**
   * The name of the dev pod, when it exists.
   */
  pod?: string;

  /**
   * When DevMode was started, as an RFC 3339 timestamp.
   */
  startedAt?: string;

  /**
   * How to attach a debugger, for sessions of this server started with `debug` in their dev config.
   */
  debug?: DebugAttachInfo;

  /**
   * The containers in DevMode, the target container first; for sessions of this server with their sync and
   * port-forwards. Absent while a session of this server is starting.
   */
  containers?: DevModeContainer[];

  /**
   * Set, with `state` `stale`, when the session's owner has stopped renewing its heartbeat: who, since when, and
   * the hint to reset. Never set for this server's own sessions.
   */
  stale?: DevModeStaleness;
}

/**
 * The result of `devMode/list`.
 */
export interface ListDevModeSessionsResult {
  /**
   * This server's sessions first, then the other workloads found in DevMode, each workload once.
   */
  sessions: DevModeSession[];
}

/**
 * Lists this server's DevMode sessions plus every workload found in DevMode in the cluster. The server that owns a
 * session renews a heartbeat on the workload while it runs (every `DEVMODE_HEARTBEAT_SECONDS`, 15 by default); a
 * session of another server whose last heartbeat (or, without any, its start) is older than
 * `DEVMODE_STALE_AFTER_SECONDS` (60 by default) is listed as `stale`, with `stale` saying who and since when.
 *
 * @since 0.1.0
 * @errors ContextNotFound, ClusterUnreachable, Forbidden
 * @example
 * {
 *   "params": {"namespace": "shop"},
 *   "result": {
 *     "sessions": [
 *       {
 *         "sessionId": "s-4f2a",
 *         "target": {"namespace": "shop", "kind": "Deployment", "name": "web", "container": "web"},
 *         "state": "running",
 *         "mode": "replace",
 *         "mine": true,
 *         "owner": "ana@laptop",
 *         "localDir": "/home/dev/src/web",
 *         "pod": "web-7c9d8b6f5-x2x7q",
 *         "startedAt": "2026-01-12T09:29:41.000Z"
 *       },
 *       {
 *         "target": {"namespace": "shop", "kind": "StatefulSet", "name": "db", "container": "postgres"},
 *         "state": "running",
 *         "mode": "replace",
 *         "mine": false,
 *         "owner": "ben@desktop"
 *       },
 *       {
 *         "target": {"namespace": "shop", "kind": "Deployment", "name": "cart", "container": "cart"},
 *         "state": "stale",
 *         "mode": "replace",
 *         "mine": false,
 *         "owner": "cleo@build-7",
 *         "startedAt": "2026-01-11T17:02:10.000Z",
 *         "stale": {
 *           "user": "cleo",
 *           "machine": "build-7",
 *           "since": "2026-01-11T18:45:03.000Z",
 *           "heartbeat": true,
 *           "thresholdSeconds": 60,
 *           "hint": "Its server has been silent since 2026-01-11T18:45:03.000Z. If that session is abandoned, devMode/reset restores the workload."
 *         }
 *       }
 *     ]
 *   }
 * }
 */
export namespace ListDevModeSessionsRequest {
  export const method = 'devMode/list' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<ListDevModeSessionsParams, ListDevModeSessionsResult>(method);
}

/**
 * The params of `devMode/didChangeState`.
 */
export interface DidChangeDevModeStateParams {
  /**
   * The session, when it belongs to this server.
   */
  sessionId?: string;

  /**
   * The workload the change is about.
   */
  target: Target;

  /**
   * The new state.
   */
  state: DevModeState;

  /**
   * The step being worked on, while `starting` or `stopping`: one notification is sent as each step begins.
   */
  phase?: DevModePhase;

  /**
   * A sentence for the person: what is happening, or why the session failed.
   */
  message?: string;

  /**
   * The error code of the failure, when `state` is `failed`.
   */
  errorCode?: integer;
}

/**
 * Tells the client that a DevMode session changed state or moved to another phase. Sent for this server's
 * sessions, including `stopped` (with a message, and a `window/showMessage`) when someone else ended the session.
 *
 * @since 0.1.0
 * @example
 * {
 *   "params": {
 *     "sessionId": "s-4f2a",
 *     "target": {"namespace": "shop", "kind": "Deployment", "name": "web"},
 *     "state": "starting",
 *     "phase": "waitPod",
 *     "message": "Waiting for pod web-7c9d8b6f5-x2x7q to be ready"
 *   }
 * }
 */
export namespace DidChangeDevModeStateNotification {
  export const method = 'devMode/didChangeState' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidChangeDevModeStateParams>(method);
}

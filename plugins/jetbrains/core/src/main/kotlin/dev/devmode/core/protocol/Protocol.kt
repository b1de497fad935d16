// Generated from protocol/metaModel.json by build/generateKotlinProtocol.mjs: do not edit.
// Run `npm run generate` after changing protocol/src; `npm run check:protocol` fails while this file is stale.
@file:Suppress("unused", "ktlint")

package dev.devmode.core.protocol

import com.google.gson.Gson
import com.google.gson.GsonBuilder
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParseException
import com.google.gson.TypeAdapter
import com.google.gson.TypeAdapterFactory
import com.google.gson.reflect.TypeToken
import com.google.gson.stream.JsonReader
import com.google.gson.stream.JsonWriter
import java.util.concurrent.CompletableFuture
import org.eclipse.lsp4j.jsonrpc.messages.Either
import org.eclipse.lsp4j.jsonrpc.services.JsonNotification
import org.eclipse.lsp4j.jsonrpc.services.JsonRequest

/** The protocol version these types were generated from; `initialize` answers with the server's. */
const val PROTOCOL_VERSION: String = "0.1.0"

/**
 * What the client calls on the server: every client-to-server request and notification.
 */
interface DevModeServerApi {
    /**
     * The first request a client sends. Any other request before it fails with `ServerNotInitialized`.
     */
    @JsonRequest("initialize")
    fun initialize(params: InitializeParams): CompletableFuture<InitializeResult>

    /**
     * Asks the server to stop every session's local parts (sync, forwards, terminals, log streams). It does not end
     * DevMode in the cluster: a later server can pick the sessions up again or reset them.
     */
    @JsonRequest("shutdown")
    fun shutdown(): CompletableFuture<Void>

    /**
     * Lists the kubeconfig contexts and whether each one's API server answers (a bounded probe, so the answer takes
     * at most about 2 s however many contexts there are). A missing or broken kubeconfig fails with
     * `KubeconfigInvalid` naming the file and the reason.
     */
    @JsonRequest("cluster/list")
    fun clusterList(params: ListClustersParams): CompletableFuture<ListClustersResult>

    /**
     * Lists the children of a tree node. Asking for a node starts watching its children, so that
     * `tree/didChange` reports what changes later; clients never poll.
     */
    @JsonRequest("tree/children")
    fun treeChildren(params: TreeChildrenParams): CompletableFuture<TreeChildrenResult>

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
     */
    @JsonRequest("devMode/start")
    fun devModeStart(params: StartDevModeParams): CompletableFuture<StartDevModeResult>

    /**
     * Ends a DevMode session of this server: stops its sync, port-forwards and terminals, and restores the workload as
     * it was before `devMode/start`. A stop sent while the session is still starting cancels the start (which then
     * answers `RequestCancelled`), waits for its rollback and answers once the workload is restored. A session started
     * by another server is refused with `AlreadyInDevMode` unless `takeOver` is set (or `devMode/reset` is used).
     * After the restore it waits for the workload's pods to be ready, and answers with `podsNotReady` when they cannot
     * become so by themselves (or are still not ready after two minutes).
     */
    @JsonRequest("devMode/stop")
    fun devModeStop(params: StopDevModeParams): CompletableFuture<StopDevModeResult>

    /**
     * Restores a workload from what DevMode recorded in the cluster, whoever started DevMode and even after the
     * server that started it crashed. Any session of this server on that workload ends. Like `devMode/stop`, it then
     * waits for the workload's pods and says in `podsNotReady` why they are not ready when they cannot become so.
     */
    @JsonRequest("devMode/reset")
    fun devModeReset(params: ResetDevModeParams): CompletableFuture<ResetDevModeResult>

    /**
     * Lists this server's DevMode sessions plus every workload found in DevMode in the cluster. The server that owns a
     * session renews a heartbeat on the workload while it runs (every `DEVMODE_HEARTBEAT_SECONDS`, 15 by default); a
     * session of another server whose last heartbeat (or, without any, its start) is older than
     * `DEVMODE_STALE_AFTER_SECONDS` (60 by default) is listed as `stale`, with `stale` saying who and since when.
     */
    @JsonRequest("devMode/list")
    fun devModeList(params: ListDevModeSessionsParams): CompletableFuture<ListDevModeSessionsResult>

    /**
     * Returns the dev config `devMode/start` would use for a target and local folder, and where each value came from.
     * An invalid file fails with `DevConfigInvalid` locating the fault.
     */
    @JsonRequest("devConfig/get")
    fun devConfigGet(params: GetDevConfigParams): CompletableFuture<GetDevConfigResult>

    /**
     * Returns the JSON Schema of the dev config file.
     */
    @JsonRequest("devConfig/schema")
    fun devConfigSchema(params: GetDevConfigSchemaParams): CompletableFuture<GetDevConfigSchemaResult>

    /**
     * Starts forwarding a local port to a port in a pod. The response is sent once the local port is listening.
     */
    @JsonRequest("portForward/start")
    fun portForwardStart(params: StartPortForwardParams): CompletableFuture<StartPortForwardResult>

    /**
     * Stops a port-forward and closes its open connections.
     */
    @JsonRequest("portForward/stop")
    fun portForwardStop(params: StopPortForwardParams): CompletableFuture<Void>

    /**
     * Lists this server's port-forwards.
     */
    @JsonRequest("portForward/list")
    fun portForwardList(params: ListPortForwardsParams): CompletableFuture<ListPortForwardsResult>

    /**
     * Returns the state of a session's file sync into one container: the one `container` names, or the target
     * container. A session with several containers in DevMode has one sync per container with a sync folder.
     */
    @JsonRequest("sync/status")
    fun syncStatus(params: SyncSessionParams): CompletableFuture<GetSyncStatusResult>

    /**
     * Resolves once every change made to the local folder before the call is visible in the container, including
     * changes the file watcher has not reported yet. Tests and "run" commands call it before using the container.
     */
    @JsonRequest("sync/flush")
    fun syncFlush(params: FlushSyncParams): CompletableFuture<FlushSyncResult>

    /**
     * Stops transferring changes until `sync/resume`; changes are still recorded meanwhile.
     */
    @JsonRequest("sync/pause")
    fun syncPause(params: SyncSessionParams): CompletableFuture<Void>

    /**
     * Resumes a paused sync and transfers what changed while it was paused.
     */
    @JsonRequest("sync/resume")
    fun syncResume(params: SyncSessionParams): CompletableFuture<Void>

    /**
     * Compares the whole local folder with the container and transfers every difference, for when the person suspects
     * the two have drifted apart.
     */
    @JsonRequest("sync/resync")
    fun syncResync(params: ResyncParams): CompletableFuture<ResyncResult>

    /**
     * Reads the container's version of a file in conflict (two-way mode), so that a client can show it beside the local
     * version. Only files listed in the session's `conflicts` can be read.
     */
    @JsonRequest("sync/conflictContent")
    fun syncConflictContent(params: ConflictContentParams): CompletableFuture<ConflictContentResult>

    /**
     * Opens an interactive terminal with a pseudo-terminal. Output arrives through `terminal/didOutput`, and
     * `terminal/didExit` follows when the command ends.
     */
    @JsonRequest("terminal/open")
    fun terminalOpen(params: OpenTerminalParams): CompletableFuture<OpenTerminalResult>

    /**
     * Ends a terminal's command (hang-up, then kill) and frees the terminal. `terminal/didExit` is still sent.
     */
    @JsonRequest("terminal/close")
    fun terminalClose(params: CloseTerminalParams): CompletableFuture<Void>

    /**
     * Opens a log stream. Lines arrive through `logs/didAppend`; `logs/didEnd` follows when the stream ends. With a
     * target `{sessionId, source: "onSync"}` the stream carries the output of the session's `onSync` runs (each line
     * with its `onSync` rule and run, plus a line devmode adds before and after each run): the lines kept so far
     * (the last 2000, or `tailLines`), then, with `follow`, each new line until the session ends (`completed`).
     */
    @JsonRequest("logs/open")
    fun logsOpen(params: OpenLogsParams): CompletableFuture<OpenLogsResult>

    /**
     * Closes a log stream. `logs/didEnd` with reason `closed` follows.
     */
    @JsonRequest("logs/close")
    fun logsClose(params: CloseLogsParams): CompletableFuture<Void>

    /**
     * Sent by the client once it has processed the `initialize` result.
     */
    @JsonNotification("initialized")
    fun initialized(params: InitializedParams)

    /**
     * Asks the server process to exit: with code 0 after `shutdown`, 1 otherwise.
     */
    @JsonNotification("exit")
    fun exit()

    /**
     * Reports progress on a long operation: one `begin`, any number of `report`, then one `end`.
     */
    @JsonNotification("$/progress")
    fun progress(params: ProgressParams)

    /**
     * Changes how much the server traces through `$/logTrace`. The level starts at `off`.
     */
    @JsonNotification("$/setTrace")
    fun setTrace(params: SetTraceParams)

    /**
     * Cancels the work behind a server-created progress token, as `$/cancelRequest` cancels a request.
     */
    @JsonNotification("window/workDoneProgress/cancel")
    fun windowWorkDoneProgressCancel(params: CancelWorkDoneProgressParams)

    /**
     * Sends keyboard input to a terminal. Input for an unknown or exited terminal is dropped, since a notification
     * cannot fail.
     */
    @JsonNotification("terminal/input")
    fun terminalInput(params: SendTerminalInputParams)

    /**
     * Tells the terminal its window changed size.
     */
    @JsonNotification("terminal/resize")
    fun terminalResize(params: ResizeTerminalParams)
}

/**
 * What the server calls on the client: every server-to-client request and notification.
 */
interface DevModeClientApi {
    /**
     * Asks the client to prepare a progress indicator for a token the server picked, for work that no client request
     * carries a `workDoneToken` for. Sent only to clients that declare the `workDoneProgress` capability.
     */
    @JsonRequest("window/workDoneProgress/create")
    fun windowWorkDoneProgressCreate(params: CreateWorkDoneProgressParams): CompletableFuture<Void>

    /**
     * Reports progress on a long operation: one `begin`, any number of `report`, then one `end`.
     */
    @JsonNotification("$/progress")
    fun progress(params: ProgressParams)

    /**
     * A trace line about the server's own work, sent only while the trace level is not `off`.
     */
    @JsonNotification("$/logTrace")
    fun logTrace(params: LogTraceParams)

    /**
     * A diagnostic line from the server, meant for an output panel. The server writes the same lines to stderr,
     * never to stdout.
     */
    @JsonNotification("window/logMessage")
    fun windowLogMessage(params: LogMessageParams)

    /**
     * A message the client shows to the person right away, for events that happen outside any request (a sync that
     * lost its connection, a workload changed by someone else). A failed request answers with an error instead.
     */
    @JsonNotification("window/showMessage")
    fun windowShowMessage(params: ShowMessageParams)

    /**
     * Tells the client which parts of the tree to fetch again, driven by watches on the cluster.
     */
    @JsonNotification("tree/didChange")
    fun treeDidChange(params: DidChangeTreeParams)

    /**
     * Tells the client that a DevMode session changed state or moved to another phase. Sent for this server's
     * sessions, including `stopped` (with a message, and a `window/showMessage`) when someone else ended the session.
     */
    @JsonNotification("devMode/didChangeState")
    fun devModeDidChangeState(params: DidChangeDevModeStateParams)

    /**
     * Tells the client that a port-forward changed state.
     */
    @JsonNotification("portForward/didChangeState")
    fun portForwardDidChangeState(params: DidChangePortForwardStateParams)

    /**
     * Tells the client that a session's sync changed state. While syncing, sent at most a few times a second.
     */
    @JsonNotification("sync/didChangeState")
    fun syncDidChangeState(params: DidChangeSyncStateParams)

    /**
     * Carries a terminal's output, in order, batched so that a busy terminal sends a few notifications a second.
     */
    @JsonNotification("terminal/didOutput")
    fun terminalDidOutput(params: DidOutputTerminalParams)

    /**
     * Tells the client a terminal's command ended. No output follows it.
     */
    @JsonNotification("terminal/didExit")
    fun terminalDidExit(params: DidExitTerminalParams)

    /**
     * Carries new log lines, batched so that a busy stream sends a few notifications a second.
     */
    @JsonNotification("logs/didAppend")
    fun logsDidAppend(params: DidAppendLogsParams)

    /**
     * Tells the client a log stream ended. No lines follow it.
     */
    @JsonNotification("logs/didEnd")
    fun logsDidEnd(params: DidEndLogsParams)
}

/**
 * The params of `$/cancelRequest`.
 */
data class CancelParams(
    /**
     * The id of the request to cancel, as it was sent.
     */
    val id: Either<Int, String>,
)

/**
 * The params of `window/workDoneProgress/cancel`.
 */
data class CancelWorkDoneProgressParams(
    /**
     * The token of the progress to cancel.
     */
    val token: ProgressToken,
)

/**
 * What the client can do. Every field is optional; a missing field means the client lacks the capability.
 */
data class ClientCapabilities(
    /**
     * True when the client answers `window/workDoneProgress/create` and renders `$/progress`.
     */
    val workDoneProgress: Boolean? = null,
)

/**
 * Information about the client, sent in `initialize`.
 */
data class ClientInfo(
    /**
     * The client's name, e.g. `devmode-vscode`.
     */
    val name: String,
    /**
     * The client's version, when it has one.
     */
    val version: String? = null,
)

/**
 * The params of `logs/close`.
 */
data class CloseLogsParams(
    /**
     * The stream.
     */
    val streamId: String,
)

/**
 * The params of `terminal/close`.
 */
data class CloseTerminalParams(
    /**
     * The terminal.
     */
    val terminalId: String,
)

/**
 * One kubeconfig context.
 */
data class ClusterContext(
    /**
     * The context's name, as `kubectl config get-contexts` shows it.
     */
    val name: String,
    /**
     * The name of the cluster entry the context points at.
     */
    val cluster: String,
    /**
     * The context's default namespace (`default` when the context sets none).
     */
    val namespace: String,
    /**
     * The name of the user entry the context uses.
     */
    val user: String,
    /**
     * True for the kubeconfig's current context.
     */
    val current: Boolean,
    /**
     * True when the context's API server answered a version probe (`GET /version`, any HTTP status) within 2 s,
     * false when it did not or the context cannot be used (no such cluster, a credential plugin that fails). Every
     * context is probed at once; a probe's answer is reused for 5 s.
     */
    val reachable: Boolean,
    /**
     * The API server address of that cluster, when the kubeconfig has it.
     */
    val server: String? = null,
)

/**
 * The params of `sync/conflictContent`.
 */
data class ConflictContentParams(
    /**
     * The DevMode session.
     */
    val sessionId: String,
    /**
     * The absolute local path of a file the session lists in its `conflicts`.
     */
    val localPath: String,
    /**
     * The container in DevMode whose sync is meant; the session's target container when absent.
     */
    val container: String? = null,
)

/**
 * The result of `sync/conflictContent`.
 */
data class ConflictContentResult(
    /**
     * The file's absolute path in the container.
     */
    val remotePath: String,
    /**
     * The container's version of the file, base64-encoded (it may not be text).
     */
    val contentBase64: String,
    /**
     * True when the file is larger than 8 MiB and only its first 8 MiB are given.
     */
    val truncated: Boolean,
)

/**
 * The effective dev config of one more container that `containers.<name>.dev` puts into DevMode.
 */
data class ContainerDevConfig(
    /**
     * The container's name.
     */
    val container: String,
    /**
     * Its effective dev config (its `containers.<name>` settings and the built-in defaults).
     */
    val config: EffectiveDevConfig,
)

/**
 * The params of `window/workDoneProgress/create`.
 */
data class CreateWorkDoneProgressParams(
    /**
     * The token the server will use in `$/progress`.
     */
    val token: ProgressToken,
)

/**
 * What a debugger client needs to attach to the dev command of a session started with `debug` in its dev config.
 */
data class DebugAttachInfo(
    /**
     * The debugger the dev command was started with, which tells the client which protocol to speak.
     */
    val kind: DebugKind,
    /**
     * The local address the debug port is forwarded on (127.0.0.1).
     */
    val address: String,
    /**
     * The local port to attach to: the forward of the debug port.
     */
    val localPort: Int,
    /**
     * The debug port in the container.
     */
    val remotePort: Int,
    /**
     * The folder the sources are synced to in the container (the workDir), for mapping remote paths to local ones.
     */
    val remoteRoot: String,
    /**
     * The local folder synced into `remoteRoot`.
     */
    val localRoot: String,
)

/**
 * The dev config file (`devmode.yaml` in the local folder), the workload annotation `devmode.dev/config` and the
 * `config` param of `devMode/start` share this shape: top-level fields are the defaults of the target container,
 * and `containers.<name>` overrides them for one container.
 */
data class DevConfig(
    /**
     * Under `containers.<name>` only: true puts that container into DevMode too, in the same start as the target
     * container, with its own settings from `containers.<name>` (the top-level defaults are the target container's
     * alone). Each such container gets its own workDir volume, sync folder (`sync.localPath`) and port-forwards.
     */
    val dev: Boolean? = null,
    /**
     * The dev image that replaces the container's image.
     */
    val image: String? = null,
    /**
     * The directory in the container that the local folder is synced into.
     */
    val workDir: String? = null,
    /**
     * The shell a terminal runs, e.g. `/bin/bash`.
     */
    val shell: String? = null,
    /**
     * The command the dev container runs instead of the image's, as an argv array; by default a command that
     * keeps the container idle so that the developer starts the program from a terminal.
     */
    val command: List<String>? = null,
    /**
     * Environment variables added to the container: a map by name, or a list of `{name, value}` as in a
     * container spec.
     */
    val env: JsonElement? = null,
    /**
     * The container's resources in DevMode.
     */
    val resources: DevResources? = null,
    /**
     * Port-forwards started with the session, each `"local:remote"` (e.g. `"8080:80"`) or a single port used on
     * both sides.
     */
    val portForward: List<String>? = null,
    /**
     * How the local folder is synced.
     */
    val sync: DevSyncConfig? = null,
    /**
     * Directories kept across pod restarts.
     */
    val persistentDirs: List<DevPersistentDir>? = null,
    /**
     * Further changes to the pod template.
     */
    val patches: List<DevPatch>? = null,
    /**
     * How long `devMode/start` waits for the dev pod before it gives up and restores the workload; 300 when absent.
     */
    val startTimeoutSeconds: Int? = null,
    /**
     * What runs after each sync batch lands: one rule, or rules each with its own `match`.
     */
    val onSync: JsonElement? = null,
    /**
     * Remote debugging of the dev command.
     */
    val debug: DevDebugConfig? = null,
    /**
     * Per-container overrides, by container name.
     */
    val containers: Map<String, DevContainerConfig>? = null,
)

/**
 * The dev config of one container, as written in the dev config file, the workload annotation or the
 * `config` param of `devMode/start`. Every field is optional; absent fields come from the next source down.
 */
data class DevContainerConfig(
    /**
     * Under `containers.<name>` only: true puts that container into DevMode too, in the same start as the target
     * container, with its own settings from `containers.<name>` (the top-level defaults are the target container's
     * alone). Each such container gets its own workDir volume, sync folder (`sync.localPath`) and port-forwards.
     */
    val dev: Boolean? = null,
    /**
     * The dev image that replaces the container's image.
     */
    val image: String? = null,
    /**
     * The directory in the container that the local folder is synced into.
     */
    val workDir: String? = null,
    /**
     * The shell a terminal runs, e.g. `/bin/bash`.
     */
    val shell: String? = null,
    /**
     * The command the dev container runs instead of the image's, as an argv array; by default a command that
     * keeps the container idle so that the developer starts the program from a terminal.
     */
    val command: List<String>? = null,
    /**
     * Environment variables added to the container: a map by name, or a list of `{name, value}` as in a
     * container spec.
     */
    val env: JsonElement? = null,
    /**
     * The container's resources in DevMode.
     */
    val resources: DevResources? = null,
    /**
     * Port-forwards started with the session, each `"local:remote"` (e.g. `"8080:80"`) or a single port used on
     * both sides.
     */
    val portForward: List<String>? = null,
    /**
     * How the local folder is synced.
     */
    val sync: DevSyncConfig? = null,
    /**
     * Directories kept across pod restarts.
     */
    val persistentDirs: List<DevPersistentDir>? = null,
    /**
     * Further changes to the pod template.
     */
    val patches: List<DevPatch>? = null,
    /**
     * How long `devMode/start` waits for the dev pod before it gives up and restores the workload; 300 when absent.
     */
    val startTimeoutSeconds: Int? = null,
    /**
     * What runs after each sync batch lands: one rule, or rules each with its own `match`.
     */
    val onSync: JsonElement? = null,
    /**
     * Remote debugging of the dev command.
     */
    val debug: DevDebugConfig? = null,
)

/**
 * Remote debugging: the dev command is started with a debugger listening on `port`, which is forwarded.
 */
data class DevDebugConfig(
    /**
     * The port the debugger listens on in the container.
     */
    val port: Int,
    /**
     * The debugger; how the dev command is changed to start it.
     */
    val kind: DebugKind,
)

/**
 * One environment variable, as a container spec lists it.
 */
data class DevEnvVar(
    /**
     * The variable's name.
     */
    val name: String,
    /**
     * The variable's value.
     */
    val value: String,
)

/**
 * One container of a session in DevMode: where its files go, its sync and its port-forwards.
 */
data class DevModeContainer(
    /**
     * The container's name.
     */
    val container: String,
    /**
     * The directory in the container that its local folder is synced into and its dev command starts in.
     */
    val workDir: String,
    /**
     * The port-forwards its dev config started.
     */
    val portForwards: List<PortForward>,
    /**
     * The local folder synced into it; absent when it syncs nothing, and for sessions of other servers.
     */
    val localDir: String? = null,
    /**
     * The state of its file sync; absent when it has none.
     */
    val sync: SyncStatus? = null,
    /**
     * How to attach a debugger to its dev command, when its dev config asks for `debug`.
     */
    val debug: DebugAttachInfo? = null,
)

/**
 * The data carried by every devmode error, so that an editor can show the person something to act on.
 */
data class DevModeErrorData(
    /**
     * A sentence that tells the person what to do about the error, when there is something to do.
     */
    val hint: String? = null,
    /**
     * True when sending the same request again later may succeed (a timeout, a conflict, a lost connection).
     */
    val retryable: Boolean? = null,
    /**
     * The file the error is about, when it comes from a file (a kubeconfig, a dev config).
     */
    val file: String? = null,
    /**
     * The 1-based line in `file`, when known.
     */
    val line: Int? = null,
    /**
     * The name of the field or parameter at fault, as a dotted path (`target.namespace`).
     */
    val field: String? = null,
)

/**
 * A workload in DevMode.
 */
data class DevModeSession(
    /**
     * The workload and dev container.
     */
    val target: Target,
    /**
     * Where the session stands; workloads found only in the cluster are `running`, or `stale` when their owner has
     * been silent past the stale threshold (see `stale`).
     */
    val state: DevModeState,
    /**
     * How the workload was taken over.
     */
    val mode: DevModeMode,
    /**
     * True when this server process started the session, false when another machine, another server of the same
     * user or a previous server did.
     */
    val mine: Boolean,
    /**
     * The session id, when the session belongs to this server.
     */
    val sessionId: String? = null,
    /**
     * Who started DevMode, as recorded in the cluster (user and host).
     */
    val owner: String? = null,
    /**
     * The local folder being synced, for sessions of this server.
     */
    val localDir: String? = null,
    /**
     * The name of the dev pod, when it exists.
     */
    val pod: String? = null,
    /**
     * When DevMode was started, as an RFC 3339 timestamp.
     */
    val startedAt: String? = null,
    /**
     * How to attach a debugger, for sessions of this server started with `debug` in their dev config.
     */
    val debug: DebugAttachInfo? = null,
    /**
     * The containers in DevMode, the target container first; for sessions of this server with their sync and
     * port-forwards. Absent while a session of this server is starting.
     */
    val containers: List<DevModeContainer>? = null,
    /**
     * Set, with `state` `stale`, when the session's owner has stopped renewing its heartbeat: who, since when, and
     * the hint to reset. Never set for this server's own sessions.
     */
    val stale: DevModeStaleness? = null,
)

/**
 * Why a session found in the cluster is shown as `stale`: its owner stopped renewing the heartbeat on the workload.
 */
data class DevModeStaleness(
    /**
     * The user who started the session, as recorded in the cluster.
     */
    val user: String,
    /**
     * The machine the session was started on, as recorded in the cluster.
     */
    val machine: String,
    /**
     * The owner's last sign of life, as an RFC 3339 timestamp: its last heartbeat, or the start when it never wrote
     * one (`heartbeat` false).
     */
    val since: String,
    /**
     * True when `since` is a heartbeat; false when the owner never wrote one (a server without heartbeats), so
     * `since` is when DevMode started.
     */
    val heartbeat: Boolean,
    /**
     * How long an owner may be silent before its session counts as stale, in seconds, on the listing server.
     */
    val thresholdSeconds: Int,
    /**
     * What to do about it: `devMode/reset` restores the workload from the cluster's record.
     */
    val hint: String,
)

/**
 * Someone other than DevMode who manages the workload and may undo what DevMode changes: a Helm release, an Argo CD
 * application, a Flux Kustomization or HelmRelease, an operator's owner reference, a HorizontalPodAutoscaler.
 */
data class DevModeWarning(
    /**
     * Who manages the workload, named for a person: `Helm release shop`, `Argo CD application shop`,
     * `HorizontalPodAutoscaler web`.
     */
    val manager: String,
    /**
     * What shows it, each as found on the workload: `label app.kubernetes.io/managed-by=Helm`,
     * `annotation meta.helm.sh/release-name=shop`, `managedFields manager helm`, `owner reference Foo x`.
     */
    val evidence: List<String>,
    /**
     * A sentence for the person: what the manager may do to the workload in DevMode.
     */
    val message: String,
    /**
     * What to do about it; for a manager that may undo DevMode, duplicate mode, which leaves the original untouched.
     */
    val hint: String,
)

/**
 * A change to the pod template beyond the fields above, applied after them.
 */
data class DevPatch(
    /**
     * How `patch` is applied.
     */
    val type: DevPatchType,
    /**
     * The patch: an object for `strategic` and `merge`, an array of operations for `json`.
     */
    val patch: JsonElement,
)

/**
 * A directory of the dev container kept on a persistent volume, so its content outlives pod restarts.
 */
data class DevPersistentDir(
    /**
     * The absolute path in the container.
     */
    val path: String,
    /**
     * The size of the volume in Kubernetes quantity notation; `1Gi` when absent.
     */
    val capacity: String? = null,
    /**
     * The StorageClass of the volume; the cluster's default when absent.
     */
    val storageClass: String? = null,
)

/**
 * A port-forward of the dev config: a local port and the container port it reaches.
 */
data class DevPortForward(
    /**
     * The local port (127.0.0.1).
     */
    val local: Int,
    /**
     * The port in the dev container.
     */
    val remote: Int,
)

/**
 * The resources of the dev container, as in a container spec.
 */
data class DevResources(
    /**
     * What the scheduler reserves for the container.
     */
    val requests: ResourceQuantities? = null,
    /**
     * What the container may use at most.
     */
    val limits: ResourceQuantities? = null,
)

/**
 * How the local folder is synced into the container, as written in a dev config.
 */
data class DevSyncConfig(
    /**
     * The sync direction; `send` when absent.
     */
    val mode: SyncMode? = null,
    /**
     * Gitignore-style patterns of local paths never to sync.
     */
    val ignore: List<String>? = null,
    /**
     * Gitignore-style patterns of paths to sync even when `ignore` or `.gitignore` excludes them.
     */
    val include: List<String>? = null,
    /**
     * True when the local `.gitignore` files also exclude paths; true when absent.
     */
    val useGitignore: Boolean? = null,
    /**
     * The local folder synced into this container, relative to the session's local folder (where `devmode.yaml`
     * is) and inside it. The target container syncs the session's local folder when absent; another container in
     * DevMode (`containers.<name>.dev`) syncs nothing unless it names a folder here.
     */
    val localPath: String? = null,
)

/**
 * The params of `logs/didAppend`.
 */
data class DidAppendLogsParams(
    /**
     * The stream.
     */
    val streamId: String,
    /**
     * The new lines, in the order each pod wrote them.
     */
    val lines: List<LogLine>,
    /**
     * What the stream attached to since the previous notification; the lines of this notification that come from
     * those pods or containers were written after the attachment.
     */
    val attached: List<LogAttachment>? = null,
)

/**
 * The params of `devMode/didChangeState`.
 */
data class DidChangeDevModeStateParams(
    /**
     * The workload the change is about.
     */
    val target: Target,
    /**
     * The new state.
     */
    val state: DevModeState,
    /**
     * The session, when it belongs to this server.
     */
    val sessionId: String? = null,
    /**
     * The step being worked on, while `starting` or `stopping`: one notification is sent as each step begins.
     */
    val phase: DevModePhase? = null,
    /**
     * A sentence for the person: what is happening, or why the session failed.
     */
    val message: String? = null,
    /**
     * The error code of the failure, when `state` is `failed`.
     */
    val errorCode: Int? = null,
)

/**
 * The params of `portForward/didChangeState`.
 */
data class DidChangePortForwardStateParams(
    /**
     * The port-forward's id.
     */
    val id: String,
    /**
     * The new state.
     */
    val state: PortForwardState,
    /**
     * Why the port-forward is `reconnecting` or `failed`.
     */
    val error: String? = null,
    /**
     * The current warning (see `PortForward.warning`); absent when there is none. A change of the warning alone is
     * sent at most every few seconds.
     */
    val warning: String? = null,
    /**
     * The pod now forwarded to, after a reconnect picked another pod.
     */
    val pod: String? = null,
)

/**
 * The params of `sync/didChangeState`.
 */
data class DidChangeSyncStateParams(
    /**
     * The session.
     */
    val sessionId: String,
    /**
     * The new state.
     */
    val state: SyncState,
    /**
     * How many changed files wait to be transferred.
     */
    val pendingFiles: Int,
    /**
     * The container whose sync changed state.
     */
    val container: String? = null,
    /**
     * Why the sync is `disconnected` or in `error`.
     */
    val message: String? = null,
    /**
     * Files that could not be synced, when that list changed.
     */
    val errors: List<SyncFileError>? = null,
    /**
     * Files changed on both sides, when that list changed.
     */
    val conflicts: List<SyncConflict>? = null,
    /**
     * The latest run of each `onSync` rule, when a run started or ended.
     */
    val onSyncRuns: List<OnSyncRun>? = null,
)

/**
 * The params of `tree/didChange`.
 */
data class DidChangeTreeParams(
    /**
     * The nodes whose children or own fields changed; the client asks `tree/children` again for them. An empty
     * list means the whole tree.
     */
    val nodeIds: List<String>,
)

/**
 * The params of `logs/didEnd`.
 */
data class DidEndLogsParams(
    /**
     * The stream.
     */
    val streamId: String,
    /**
     * Why it ended.
     */
    val reason: LogsEndReason,
    /**
     * More detail, e.g. the error.
     */
    val message: String? = null,
)

/**
 * The params of `terminal/didExit`.
 */
data class DidExitTerminalParams(
    /**
     * The terminal.
     */
    val terminalId: String,
    /**
     * The command's exit code, or null when it was ended by a signal or the connection was lost.
     */
    val exitCode: Int?,
    /**
     * Why the terminal ended, when it was not the command exiting on its own (e.g. `the dev pod was deleted`).
     */
    val reason: String? = null,
)

/**
 * The params of `terminal/didOutput`.
 */
data class DidOutputTerminalParams(
    /**
     * The terminal.
     */
    val terminalId: String,
    /**
     * The output, decoded as UTF-8; a character split across reads arrives whole in one notification.
     */
    val data: String,
)

/**
 * The dev config of one container once every source is merged and every default filled in.
 */
data class EffectiveDevConfig(
    /**
     * The directory in the container that the local folder is synced into.
     */
    val workDir: String,
    /**
     * The command the dev container runs.
     */
    val command: List<String>,
    /**
     * Environment variables added to the container, by name.
     */
    val env: Map<String, String>,
    /**
     * Port-forwards started with the session.
     */
    val portForward: List<DevPortForward>,
    /**
     * How the local folder is synced.
     */
    val sync: EffectiveSyncConfig,
    /**
     * Directories kept across pod restarts.
     */
    val persistentDirs: List<DevPersistentDir>,
    /**
     * Further changes to the pod template.
     */
    val patches: List<DevPatch>,
    /**
     * How long `devMode/start` waits for the dev pod.
     */
    val startTimeoutSeconds: Int,
    /**
     * The rules of `onSync`, in order; empty when nothing runs after a sync.
     */
    val onSync: List<OnSyncRule>,
    /**
     * The dev image; absent when the container keeps its own image.
     */
    val image: String? = null,
    /**
     * The shell a terminal runs; absent when the first of bash and sh found in the image is used.
     */
    val shell: String? = null,
    /**
     * The container's resources in DevMode; absent when the original container's resources are kept.
     */
    val resources: DevResources? = null,
    /**
     * Remote debugging; absent when the dev command runs without a debugger.
     */
    val debug: DevDebugConfig? = null,
)

/**
 * The sync settings with every default filled in.
 */
data class EffectiveSyncConfig(
    /**
     * The sync direction.
     */
    val mode: SyncMode,
    /**
     * Patterns of local paths never synced.
     */
    val ignore: List<String>,
    /**
     * Patterns of paths synced even when ignored.
     */
    val include: List<String>,
    /**
     * Whether `.gitignore` files exclude paths.
     */
    val useGitignore: Boolean,
    /**
     * The local folder synced into the container, relative to the session's local folder, when the config names
     * one.
     */
    val localPath: String? = null,
)

/**
 * The params of `sync/flush`.
 */
data class FlushSyncParams(
    /**
     * The DevMode session.
     */
    val sessionId: String,
    /**
     * How long to wait before failing with `Timeout`; 30000 when absent.
     */
    val timeoutMs: Int? = null,
    /**
     * The container in DevMode whose sync is meant; the session's target container when absent.
     */
    val container: String? = null,
)

/**
 * The result of `sync/flush`.
 */
data class FlushSyncResult(
    /**
     * How many files were transferred or deleted to catch up.
     */
    val filesTransferred: Int,
)

/**
 * The params of `devConfig/get`.
 */
data class GetDevConfigParams(
    /**
     * The workload and container.
     */
    val target: Target,
    /**
     * The absolute path of the local folder whose dev config file is read.
     */
    val localDir: String,
)

/**
 * The result of `devConfig/get`.
 */
data class GetDevConfigResult(
    /**
     * The container the config applies to (the target's container or the first container).
     */
    val container: String,
    /**
     * The effective dev config.
     */
    val config: EffectiveDevConfig,
    /**
     * Where each value came from, keyed by the field's dotted path (`image`, `sync.mode`, `env.DEBUG`).
     */
    val sources: Map<String, DevConfigSource>,
    /**
     * The other containers the config puts into DevMode with the target container, in the pod's order; absent when
     * there are none.
     */
    val devContainers: List<ContainerDevConfig>? = null,
    /**
     * The dev config file that was read, when one exists.
     */
    val file: String? = null,
)

/**
 * The result of `devConfig/schema`.
 */
data class GetDevConfigSchemaResult(
    /**
     * The JSON Schema (draft 2020-12) of the dev config file, for editor validation and completion.
     */
    val schema: JsonObject,
)

/**
 * The params of `initialize`.
 */
data class InitializeParams(
    /**
     * The client's name and version.
     */
    val clientInfo: ClientInfo? = null,
    /**
     * What the client supports.
     */
    val capabilities: ClientCapabilities? = null,
    /**
     * The folder the editor has open; the default local folder for DevMode.
     */
    val rootPath: String? = null,
    /**
     * The kubeconfig file(s) to use instead of `KUBECONFIG` or `~/.kube/config`; several files are separated
     * as in `KUBECONFIG` (`:` on Linux and macOS).
     */
    val kubeconfig: String? = null,
    /**
     * The least serious `window/logMessage` the client wants: the server sends a diagnostic only when its `type`
     * is at most this number (`Error` = 1 sends errors only, `Debug` = 5 sends everything). `Info` when absent.
     * Every diagnostic also goes to the server's stderr, whatever the level.
     */
    val logLevel: MessageType? = null,
    /**
     * The initial trace level, as `$/setTrace` sets it later: `messages` or `verbose` makes the server send a
     * `$/logTrace` for every message it receives or sends. `off` when absent.
     */
    val trace: TraceValue? = null,
)

/**
 * The result of `initialize`.
 */
data class InitializeResult(
    /**
     * The server's name and version.
     */
    val serverInfo: ServerInfo,
    /**
     * The version of the devmode protocol the server speaks.
     */
    val protocolVersion: String,
    /**
     * What the server implements.
     */
    val capabilities: ServerCapabilities,
)

/**
 * The result of `cluster/list`.
 */
data class ListClustersResult(
    /**
     * The contexts of the kubeconfig, in file order.
     */
    val contexts: List<ClusterContext>,
    /**
     * The kubeconfig files that were read, in the order they were merged.
     */
    val files: List<String>,
)

/**
 * The params of `devMode/list`.
 */
data class ListDevModeSessionsParams(
    /**
     * The kubeconfig context to look in; the current context when absent.
     */
    val context: String? = null,
    /**
     * The namespace to look in; every namespace the user may list when absent.
     */
    val namespace: String? = null,
)

/**
 * The result of `devMode/list`.
 */
data class ListDevModeSessionsResult(
    /**
     * This server's sessions first, then the other workloads found in DevMode, each workload once.
     */
    val sessions: List<DevModeSession>,
)

/**
 * The params of `portForward/list`.
 */
data class ListPortForwardsParams(
    /**
     * Only the port-forwards of this DevMode session, when given.
     */
    val sessionId: String? = null,
)

/**
 * The result of `portForward/list`.
 */
data class ListPortForwardsResult(
    /**
     * The port-forwards of this server that are not stopped, oldest first.
     */
    val forwards: List<PortForward>,
)

/**
 * A shell on the machine the server runs on.
 */
data class LocalShell(
    /**
     * The working directory; the `rootPath` from `initialize` when absent.
     */
    val cwd: String? = null,
    /**
     * The shell to run; `$SHELL` (or `/bin/sh`) when absent.
     */
    val shell: String? = null,
)

/**
 * Asks for a terminal on the local machine rather than in a container.
 */
data class LocalTerminalTarget(
    /**
     * Where and which shell to run.
     */
    val local: LocalShell,
) : TerminalTarget

/**
 * A pod or container a followed stream attached to after it opened: a new pod of the workload, or a container
 * instance that replaced one that stopped (a restart).
 */
data class LogAttachment(
    /**
     * The pod.
     */
    val pod: String,
    /**
     * The container.
     */
    val container: String,
    /**
     * Why the stream attached: a new pod of the workload appeared, or the container restarted.
     */
    val reason: String,
)

/**
 * One log line.
 */
data class LogLine(
    /**
     * The pod that wrote it.
     */
    val pod: String,
    /**
     * The container that wrote it.
     */
    val container: String,
    /**
     * The line, without its line break.
     */
    val text: String,
    /**
     * When the line was written, as an RFC 3339 timestamp; only when `timestamps` was asked for.
     */
    val timestamp: String? = null,
    /**
     * For an `onSync` stream: the rule and run the line belongs to.
     */
    val onSync: OnSyncLineOrigin? = null,
)

/**
 * The params of `window/logMessage`.
 */
data class LogMessageParams(
    /**
     * How serious the message is.
     */
    val type: MessageType,
    /**
     * The message, one or more lines of text.
     */
    val message: String,
)

/**
 * The params of `$/logTrace`.
 */
data class LogTraceParams(
    /**
     * The trace line.
     */
    val message: String,
    /**
     * More detail, sent only when the trace level is `verbose`.
     */
    val verbose: String? = null,
)

/**
 * The `onSync` run a log line belongs to, as `OnSyncRun` names it.
 */
data class OnSyncLineOrigin(
    /**
     * The rule's index in the session's `onSync` rules.
     */
    val rule: Int,
    /**
     * The run's number for that rule.
     */
    val run: Int,
)

/**
 * The output of a DevMode session's `onSync` runs (its `exec` commands and restarts), as a log source of its own.
 */
data class OnSyncLogsTarget(
    /**
     * The DevMode session.
     */
    val sessionId: String,
    /**
     * The log source: `onSync` for the runs of the session's `onSync` rules.
     */
    val source: String,
    /**
     * The container in DevMode whose rules ran; the session's target container when absent.
     */
    val container: String? = null,
) : LogsTarget

/**
 * One rule of `onSync`: what runs in the dev container after a sync batch that changed a matching path lands.
 * Exactly one of `exec` and `restart` is given.
 */
data class OnSyncRule(
    /**
     * Gitignore-style patterns of paths (relative to the local folder) that trigger the rule, e.g. `*.go` or
     * `web/&#42;*`; every batch triggers it when absent.
     */
    val match: JsonElement? = null,
    /**
     * A command to run in the dev container, as an argv array, in workDir. Its output is a log stream (`logs/open`
     * with an `onSync` target).
     */
    val exec: List<String>? = null,
    /**
     * True to restart the dev command in place (the pod and the synced files stay).
     */
    val restart: Boolean? = null,
)

/**
 * The latest run of one `onSync` rule.
 */
data class OnSyncRun(
    /**
     * The rule's index in the session's `onSync` rules.
     */
    val rule: Int,
    /**
     * What the rule does: run a command (`exec`) or restart the dev command (`restart`).
     */
    val action: String,
    /**
     * The run's number for this rule, from 1; each log line of the run carries it.
     */
    val run: Int,
    /**
     * Where the run stands.
     */
    val state: OnSyncRunState,
    /**
     * When the run started, as an RFC 3339 timestamp.
     */
    val startedAt: String,
    /**
     * True when batches landed during this run: exactly one more run follows it.
     */
    val pending: Boolean,
    /**
     * How long the run took, in milliseconds, once it ended.
     */
    val durationMs: Int? = null,
    /**
     * The command's exit code, once it ended.
     */
    val exitCode: Int? = null,
    /**
     * Why the run could not start or did not finish, when that is not the command's own exit code.
     */
    val error: OnSyncRunError? = null,
)

/**
 * Why an `onSync` run failed outside the command itself.
 */
data class OnSyncRunError(
    /**
     * The error code, e.g. `MissingTool` (-31015) when the container has no `sh`.
     */
    val code: Int,
    /**
     * The error code's name, as `DevModeErrorCodes` spells it (`MissingTool`, `ContainerNotRunning`...).
     */
    val codeName: String,
    /**
     * What went wrong.
     */
    val message: String,
    /**
     * What the person can do about it.
     */
    val hint: String? = null,
)

/**
 * The params of `logs/open`.
 */
data class OpenLogsParams(
    /**
     * Whose logs to stream.
     */
    val target: LogsTarget,
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
    /**
     * On a workload target with no ready pod yet (its pod is being replaced), how long to wait for one before
     * failing with `ContainerNotRunning` and the reason from the pod's events, as kubectl's `--pod-running-timeout`.
     * 60 when absent.
     */
    val podRunningTimeoutSeconds: Int? = null,
    /**
     * The container; the target's container, or the first container, when absent.
     */
    val container: String? = null,
    /**
     * True to stream every container of each pod instead of one; each line's text then starts with `[container] `.
     */
    val allContainers: Boolean? = null,
    /**
     * True to keep streaming new lines until `logs/close`; false to send what exists and end.
     */
    val follow: Boolean? = null,
    /**
     * How many of the last lines to start with; all lines when absent.
     */
    val tailLines: Int? = null,
    /**
     * Only lines written in the last this many seconds.
     */
    val sinceSeconds: Int? = null,
    /**
     * True to fill `LogLine.timestamp`.
     */
    val timestamps: Boolean? = null,
    /**
     * True for the logs of the container's previous run, e.g. after a crash.
     */
    val previous: Boolean? = null,
)

/**
 * The result of `logs/open`.
 */
data class OpenLogsResult(
    /**
     * The new stream's id.
     */
    val streamId: String,
    /**
     * The pods whose logs the stream carries.
     */
    val pods: List<String>,
)

/**
 * The params of `terminal/open`.
 */
data class OpenTerminalParams(
    /**
     * Where the terminal runs.
     */
    val target: TerminalTarget,
    /**
     * The terminal's width in columns.
     */
    val cols: Int,
    /**
     * The terminal's height in rows.
     */
    val rows: Int,
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
    /**
     * On a workload target with no ready pod yet (its pod is being replaced), how long to wait for one before
     * failing with `ContainerNotRunning` and the reason from the pod's events, as kubectl's `--pod-running-timeout`.
     * 60 when absent.
     */
    val podRunningTimeoutSeconds: Int? = null,
    /**
     * The command to run, as an argv array; the dev config's shell (or `sh`) when absent.
     */
    val command: List<String>? = null,
)

/**
 * The result of `terminal/open`.
 */
data class OpenTerminalResult(
    /**
     * The new terminal's id.
     */
    val terminalId: String,
    /**
     * For a terminal in a pod: the pod it runs in (the one picked for a workload target), so a client can name it.
     */
    val pod: String? = null,
    /**
     * For a terminal in a pod: the container it runs in, when the pod names it.
     */
    val container: String? = null,
)

/**
 * One pod (or one of its containers) named directly, for operations that work on a single pod.
 */
data class PodTarget(
    /**
     * The namespace the pod lives in.
     */
    val namespace: String,
    /**
     * The pod's name.
     */
    val pod: String,
    /**
     * The kubeconfig context; the kubeconfig's current context when absent.
     */
    val context: String? = null,
    /**
     * The container; the pod's first container when absent.
     */
    val container: String? = null,
) : LogsTarget, PortForwardTarget, TerminalTarget, TreeNodeTarget

/**
 * One port-forward.
 */
data class PortForward(
    /**
     * The port-forward's id.
     */
    val id: String,
    /**
     * What the port-forward connects to.
     */
    val target: PortForwardTarget,
    /**
     * The local address listened on.
     */
    val address: String,
    /**
     * The local port listened on.
     */
    val localPort: Int,
    /**
     * The port in the pod.
     */
    val remotePort: Int,
    /**
     * Where the port-forward stands.
     */
    val state: PortForwardState,
    /**
     * The pod currently forwarded to, when there is one.
     */
    val pod: String? = null,
    /**
     * The DevMode session that started it, when a session did.
     */
    val sessionId: String? = null,
    /**
     * Why the port-forward is `reconnecting` or `failed`.
     */
    val error: String? = null,
    /**
     * Something the person should know while the port-forward stays `active`: the pod refuses connections on the
     * remote port (nothing listens there), with how many were refused. Each refused local connection is closed at
     * once. Absent again once a connection gets an answer.
     */
    val warning: String? = null,
)

/**
 * The params of `$/progress`.
 */
data class ProgressParams(
    /**
     * The token the progress belongs to.
     */
    val token: ProgressToken,
    /**
     * The progress payload.
     */
    val value: WorkDoneProgressValue,
)

/**
 * The params of `devMode/reset`.
 */
data class ResetDevModeParams(
    /**
     * The workload to restore.
     */
    val target: Target,
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
)

/**
 * The result of `devMode/reset`.
 */
data class ResetDevModeResult(
    /**
     * The workload that was restored.
     */
    val target: Target,
    /**
     * The ids of this server's sessions on that workload that were ended by the reset.
     */
    val endedSessions: List<String>,
    /**
     * Set when the workload was restored but its pods are not ready and will not become so by themselves, or are
     * still not ready after two minutes: why, from the cluster ("pod web-5d9c-x2x cannot be scheduled: no nodes
     * available to schedule pods", "pod web-5d9c-x2x: container web is in ImagePullBackOff (...)"). The restore itself
     * succeeded; the workload is as it was before DevMode, including whatever keeps its pods from running.
     */
    val podsNotReady: String? = null,
)

/**
 * The params of `terminal/resize`.
 */
data class ResizeTerminalParams(
    /**
     * The terminal.
     */
    val terminalId: String,
    /**
     * The new width in columns.
     */
    val cols: Int,
    /**
     * The new height in rows.
     */
    val rows: Int,
)

/**
 * Resource amounts in Kubernetes quantity notation.
 */
data class ResourceQuantities(
    /**
     * CPU, e.g. `500m` or `2`.
     */
    val cpu: String? = null,
    /**
     * Memory, e.g. `512Mi`.
     */
    val memory: String? = null,
)

/**
 * The params of `sync/resync`.
 */
data class ResyncParams(
    /**
     * The DevMode session.
     */
    val sessionId: String,
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
    /**
     * The container in DevMode whose sync is meant; the session's target container when absent.
     */
    val container: String? = null,
)

/**
 * The result of `sync/resync`.
 */
data class ResyncResult(
    /**
     * How many files were copied.
     */
    val filesTransferred: Int,
    /**
     * How many files were deleted on the receiving side.
     */
    val filesDeleted: Int,
)

/**
 * The params of `terminal/input`.
 */
data class SendTerminalInputParams(
    /**
     * The terminal.
     */
    val terminalId: String,
    /**
     * What the person typed, as text (control keys as their control characters, e.g. `\u0003` for Ctrl-C).
     */
    val data: String,
)

/**
 * What the server implements. A client shows only the features listed here.
 */
data class ServerCapabilities(
    /**
     * The methods this server answers, by name.
     */
    val methods: List<String>,
    /**
     * True when the server reports progress on long requests through `$/progress`.
     */
    val workDoneProgress: Boolean,
)

/**
 * Information about the server.
 */
data class ServerInfo(
    /**
     * Always `devmode`.
     */
    val name: String,
    /**
     * The server's version.
     */
    val version: String,
)

/**
 * The params of `$/setTrace`.
 */
data class SetTraceParams(
    /**
     * The new trace level.
     */
    val value: TraceValue,
)

/**
 * The params of `window/showMessage`.
 */
data class ShowMessageParams(
    /**
     * How serious the message is.
     */
    val type: MessageType,
    /**
     * The message to show.
     */
    val message: String,
)

/**
 * The params of `devMode/start`.
 */
data class StartDevModeParams(
    /**
     * The workload and container to develop in.
     */
    val target: Target,
    /**
     * The absolute path of the local folder to sync into the container's workDir.
     */
    val localDir: String,
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
    /**
     * How to take over the workload; `replace` when absent.
     */
    val mode: DevModeMode? = null,
    /**
     * Values that override the dev config from the cluster annotation and the local file for this session.
     */
    val config: DevConfig? = null,
    /**
     * How long to wait for the dev pod to become ready before failing with `Timeout`; 300 when absent.
     */
    val timeoutSeconds: Int? = null,
)

/**
 * The result of `devMode/start`: a session that is running.
 */
data class StartDevModeResult(
    /**
     * The id of the new session, used by `devMode/stop`, `sync/&#42;` and `devMode/didChangeState`.
     */
    val sessionId: String,
    /**
     * The name of the dev pod.
     */
    val pod: String,
    /**
     * The name of the dev container in that pod.
     */
    val container: String,
    /**
     * The port-forwards the dev config asked for, as they stand once the session is running.
     */
    val portForwards: List<PortForward>,
    /**
     * Every container in DevMode, the target container first, then those `containers.<name>.dev` added, each with
     * its own sync and port-forwards.
     */
    val containers: List<DevModeContainer>,
    /**
     * The state of the target container's file sync after the first full sync; absent while it has no file sync.
     */
    val sync: SyncStatus? = null,
    /**
     * How to attach a debugger: to the target container's dev command, or the first container whose dev config asks
     * for `debug`; absent when none does.
     */
    val debug: DebugAttachInfo? = null,
    /**
     * Who else manages the workload and may undo DevMode (replace mode only: a duplicate leaves the original
     * untouched); absent when nobody does. The same sentences went out as progress while starting.
     */
    val warnings: List<DevModeWarning>? = null,
)

/**
 * The params of `portForward/start`.
 */
data class StartPortForwardParams(
    /**
     * What to connect to.
     */
    val target: PortForwardTarget,
    /**
     * The port in the pod.
     */
    val remotePort: Int,
    /**
     * The local port; `remotePort` when absent. 0 asks for any free port.
     */
    val localPort: Int? = null,
    /**
     * The local address to listen on; `127.0.0.1` when absent.
     */
    val address: String? = null,
    /**
     * True to take the next free port above `localPort` when it is in use, instead of failing with `PortInUse`.
     */
    val allowNextFreePort: Boolean? = null,
)

/**
 * The result of `portForward/start`.
 */
data class StartPortForwardResult(
    /**
     * The new port-forward's id.
     */
    val id: String,
    /**
     * The local port listened on.
     */
    val localPort: Int,
    /**
     * The local address listened on.
     */
    val address: String,
)

/**
 * Names the session to stop by its id.
 */
data class StopDevModeBySessionParams(
    /**
     * The id `devMode/start` returned.
     */
    val sessionId: String,
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
) : StopDevModeParams

/**
 * Names the session to stop by its workload.
 */
data class StopDevModeByTargetParams(
    /**
     * The workload in DevMode.
     */
    val target: Target,
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
    /**
     * Stop the session even though another server (or an earlier run of this one) started it. Without it, such a
     * stop is refused with `AlreadyInDevMode`; the owning server is told that its session was ended.
     */
    val takeOver: Boolean? = null,
) : StopDevModeParams

/**
 * The result of `devMode/stop`.
 */
data class StopDevModeResult(
    /**
     * The workload that was restored.
     */
    val target: Target,
    /**
     * Set when the workload was restored but its pods are not ready and will not become so by themselves, or are
     * still not ready after two minutes: why, from the cluster ("pod web-5d9c-x2x cannot be scheduled: no nodes
     * available to schedule pods", "pod web-5d9c-x2x: container web is in ImagePullBackOff (...)"). The restore itself
     * succeeded; the workload is as it was before DevMode, including whatever keeps its pods from running.
     */
    val podsNotReady: String? = null,
)

/**
 * The params of `portForward/stop`.
 */
data class StopPortForwardParams(
    /**
     * The port-forward's id.
     */
    val id: String,
)

/**
 * A file changed on both sides since the last sync (in `both` mode), so neither version was copied over the other.
 */
data class SyncConflict(
    /**
     * The absolute local path.
     */
    val localPath: String,
    /**
     * The absolute path in the container.
     */
    val remotePath: String,
    /**
     * What happened, e.g. `changed on both sides`.
     */
    val reason: String,
)

/**
 * A file that could not be synced.
 */
data class SyncFileError(
    /**
     * The absolute local path.
     */
    val localPath: String,
    /**
     * The absolute path in the container.
     */
    val remotePath: String,
    /**
     * Why the file could not be synced.
     */
    val message: String,
    /**
     * The error code, when the failure has one (`UnsafePath`).
     */
    val code: Int? = null,
    /**
     * Present when the file is left out on purpose rather than after a failed transfer: why it is not synced. The
     * entry goes away once the file is gone or can be synced.
     */
    val skipped: SyncSkipReason? = null,
)

/**
 * Names the session a sync request is about.
 */
data class SyncSessionParams(
    /**
     * The DevMode session.
     */
    val sessionId: String,
    /**
     * The container in DevMode whose sync is meant; the session's target container when absent.
     */
    val container: String? = null,
)

/**
 * The state of one session's file sync.
 */
data class SyncStatus(
    /**
     * The session.
     */
    val sessionId: String,
    /**
     * Where the sync stands.
     */
    val state: SyncState,
    /**
     * The local folder.
     */
    val localDir: String,
    /**
     * The directory in the container.
     */
    val remoteDir: String,
    /**
     * The sync direction.
     */
    val mode: SyncMode,
    /**
     * How many changed files wait to be transferred.
     */
    val pendingFiles: Int,
    /**
     * Files that could not be synced.
     */
    val errors: List<SyncFileError>,
    /**
     * Files changed on both sides.
     */
    val conflicts: List<SyncConflict>,
    /**
     * The container this sync writes into (sessions with several containers in DevMode have one sync each).
     */
    val container: String? = null,
    /**
     * When the last transfer finished, as an RFC 3339 timestamp.
     */
    val lastSyncAt: String? = null,
    /**
     * Why the sync is `disconnected` or in `error`.
     */
    val message: String? = null,
    /**
     * The latest run of each `onSync` rule that has run; absent when the dev config has no `onSync`.
     */
    val onSyncRuns: List<OnSyncRun>? = null,
)

/**
 * A workload (or one of its containers) named the Kubernetes way.
 */
data class Target(
    /**
     * The namespace the workload lives in.
     */
    val namespace: String,
    /**
     * The workload's kind.
     */
    val kind: WorkloadKind,
    /**
     * The workload's name.
     */
    val name: String,
    /**
     * The kubeconfig context; the kubeconfig's current context when absent.
     */
    val context: String? = null,
    /**
     * The container; the first container of the pod template when absent.
     */
    val container: String? = null,
) : LogsTarget, PortForwardTarget, TerminalTarget, TreeNodeTarget

/**
 * The params of `tree/children`.
 */
data class TreeChildrenParams(
    /**
     * The node whose children to list; the roots (one node per kubeconfig context) when absent.
     */
    val nodeId: String? = null,
)

/**
 * The result of `tree/children`.
 */
data class TreeChildrenResult(
    /**
     * The children, sorted as they should be shown.
     */
    val nodes: List<TreeNode>,
)

/**
 * One node of the cluster tree.
 */
data class TreeNode(
    /**
     * A stable id, the same across calls while the object exists; pass it back as `nodeId`.
     */
    val id: String,
    /**
     * What the node stands for.
     */
    val kind: TreeNodeKind,
    /**
     * The text to show, usually the object's name.
     */
    val label: String,
    /**
     * True when `tree/children` may return children for this node.
     */
    val hasChildren: Boolean,
    /**
     * What the client may offer on this node.
     */
    val actions: List<TreeNodeAction>,
    /**
     * Secondary text, e.g. `2/2 ready` or `DevMode by ana@laptop`.
     */
    val description: String? = null,
    /**
     * A longer text for a hover.
     */
    val tooltip: String? = null,
    /**
     * The state to show, when the node has one.
     */
    val state: TreeNodeState? = null,
    /**
     * The workload or pod the node stands for, ready to pass to `devMode/start`, `terminal/open` or `logs/open`;
     * present on `workload`, `pod` and `container` nodes.
     */
    val target: TreeNodeTarget? = null,
)

/**
 * The first progress payload of an operation, which a client uses to show a progress indicator.
 */
data class WorkDoneProgressBegin(
    /**
     * Always `begin`.
     */
    val kind: String,
    /**
     * A short title for the whole operation, e.g. `Starting DevMode for deployment/web`.
     */
    val title: String,
    /**
     * True when the client may offer a cancel button that sends `$/cancelRequest` (or
     * `window/workDoneProgress/cancel` for a server-created token).
     */
    val cancellable: Boolean? = null,
    /**
     * What is being done now, shown after the title.
     */
    val message: String? = null,
    /**
     * How far the operation has got, from 0 to 100, when the server can tell.
     */
    val percentage: Int? = null,
    /**
     * For DevMode work (`devMode/start`, `devMode/stop`, `devMode/reset`): the step being worked on. The message
     * describes the step and never repeats its name.
     */
    val phase: DevModePhase? = null,
) : WorkDoneProgressValue

/**
 * The last progress payload of an operation, sent whether it succeeded, failed or was cancelled.
 */
data class WorkDoneProgressEnd(
    /**
     * Always `end`.
     */
    val kind: String,
    /**
     * A closing message, e.g. the reason the operation failed.
     */
    val message: String? = null,
) : WorkDoneProgressValue

/**
 * The mixin of every request that may report progress.
 */
data class WorkDoneProgressParams(
    /**
     * A token the server uses to send `$/progress` about this request. Without it, the server reports no progress
     * for the request (or creates its own token when the client supports `window/workDoneProgress/create`).
     */
    val workDoneToken: ProgressToken? = null,
)

/**
 * A progress payload sent between `begin` and `end`.
 */
data class WorkDoneProgressReport(
    /**
     * Always `report`.
     */
    val kind: String,
    /**
     * Whether the operation can still be cancelled; absent means unchanged.
     */
    val cancellable: Boolean? = null,
    /**
     * What is being done now; absent means unchanged.
     */
    val message: String? = null,
    /**
     * How far the operation has got, from 0 to 100; absent means unchanged.
     */
    val percentage: Int? = null,
    /**
     * For DevMode work (`devMode/start`, `devMode/stop`, `devMode/reset`): the step being worked on; absent means
     * unchanged.
     */
    val phase: DevModePhase? = null,
) : WorkDoneProgressValue

/**
 * The debuggers devmode knows how to start: `node` (the inspector), `python` (debugpy), `java` (JDWP), `go` (Delve),
 * or `custom` (the dev command already starts one).
 */
typealias DebugKind = String

/** The values of [DebugKind] this protocol version declares. */
object DebugKindValues {
    const val node: String = "node"
    const val python: String = "python"
    const val java: String = "java"
    const val go: String = "go"
    const val custom: String = "custom"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(node, python, java, go, custom)
}

/**
 * Where a value of the effective dev config came from: a built-in default, the workload's annotation, the local
 * dev config file, or the `config` param of the request. Later sources override earlier ones.
 */
typealias DevConfigSource = String

/** The values of [DevConfigSource] this protocol version declares. */
object DevConfigSourceValues {
    const val default: String = "default"
    const val annotation: String = "annotation"
    const val file: String = "file"
    const val request: String = "request"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(default, annotation, file, request)
}

/**
 * How DevMode takes over a workload: by changing the workload in place (`replace`), or by creating a copy of it
 * with its own labels and leaving the original untouched (`duplicate`).
 */
typealias DevModeMode = String

/** The values of [DevModeMode] this protocol version declares. */
object DevModeModeValues {
    const val replace: String = "replace"
    const val duplicate: String = "duplicate"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(replace, duplicate)
}

/**
 * The steps of `devMode/start`, in order, and the one step of `devMode/stop` and `devMode/reset`.
 * `loadConfig` merges the dev config; `replaceImage` swaps in the dev image and records the original;
 * `restartPod` rolls the pods; `waitPod` waits for the dev pod to be ready; `portForward` starts the configured
 * forwards; `sync` runs the first full sync and starts watching; `terminal` is reached once the session is ready
 * for a terminal. `restoreWorkload` puts the recorded original back.
 */
typealias DevModePhase = String

/** The values of [DevModePhase] this protocol version declares. */
object DevModePhaseValues {
    const val loadConfig: String = "loadConfig"
    const val replaceImage: String = "replaceImage"
    const val restartPod: String = "restartPod"
    const val waitPod: String = "waitPod"
    const val portForward: String = "portForward"
    const val sync: String = "sync"
    const val terminal: String = "terminal"
    const val restoreWorkload: String = "restoreWorkload"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(loadConfig, replaceImage, restartPod, waitPod, portForward, sync, terminal, restoreWorkload)
}

/**
 * Where a DevMode session stands. `stale` is a session found in the cluster whose owning server has not renewed
 * its heartbeat for longer than the stale threshold: it is most likely abandoned (the server was killed, the
 * machine went away), and `devMode/reset` restores the workload.
 */
typealias DevModeState = String

/** The values of [DevModeState] this protocol version declares. */
object DevModeStateValues {
    const val starting: String = "starting"
    const val running: String = "running"
    const val stopping: String = "stopping"
    const val stopped: String = "stopped"
    const val failed: String = "failed"
    const val stale: String = "stale"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(starting, running, stopping, stopped, failed, stale)
}

/**
 * How a patch is applied to the pod template: as a strategic merge patch (containers, volumes and env merged by
 * name, as kubectl patch does), a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902, paths relative to the pod
 * template).
 */
typealias DevPatchType = String

/** The values of [DevPatchType] this protocol version declares. */
object DevPatchTypeValues {
    const val strategic: String = "strategic"
    const val merge: String = "merge"
    const val json: String = "json"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(strategic, merge, json)
}

/**
 * Why a log stream ended: it sent everything without `follow`, the client closed it, the pod or container is
 * gone, or an error cut it.
 */
typealias LogsEndReason = String

/** The values of [LogsEndReason] this protocol version declares. */
object LogsEndReasonValues {
    const val completed: String = "completed"
    const val closed: String = "closed"
    const val podDeleted: String = "podDeleted"
    const val containerTerminated: String = "containerTerminated"
    const val error: String = "error"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(completed, closed, podDeleted, containerTerminated, error)
}

/**
 * How serious a message is, with the numbers LSP gives them.
 */
typealias MessageType = Int

/** The values of [MessageType] this protocol version declares. */
object MessageTypeValues {
    /**
     * An error the person should see.
     */
    const val Error: Int = 1
    /**
     * A warning: something went wrong but the operation went on.
     */
    const val Warning: Int = 2
    /**
     * Information about normal progress.
     */
    const val Info: Int = 3
    /**
     * A plain log line.
     */
    const val Log: Int = 4
    /**
     * A detail useful when looking into a problem.
     */
    const val Debug: Int = 5

    /** Every value, in the order the protocol declares them. */
    val all: List<Int> = listOf(Error, Warning, Info, Log, Debug)
}

/**
 * Where the latest run of an `onSync` rule stands: `running`, `succeeded` (exit code 0) or `failed` (another exit
 * code, or the run could not start).
 */
typealias OnSyncRunState = String

/** The values of [OnSyncRunState] this protocol version declares. */
object OnSyncRunStateValues {
    const val running: String = "running"
    const val succeeded: String = "succeeded"
    const val failed: String = "failed"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(running, succeeded, failed)
}

/**
 * Where a port-forward stands. `reconnecting` means the pod went away, the connection dropped or the API server
 * cannot be reached, and the server is looking for the next ready pod; the local port stays bound and new local
 * connections wait (up to 10 seconds) for it. `failed` means it gave up (its pod was deleted); `stopped` that it
 * was stopped.
 */
typealias PortForwardState = String

/** The values of [PortForwardState] this protocol version declares. */
object PortForwardStateValues {
    const val active: String = "active"
    const val reconnecting: String = "reconnecting"
    const val failed: String = "failed"
    const val stopped: String = "stopped"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(active, reconnecting, failed, stopped)
}

/**
 * Whether sync only sends local changes to the container (`send`) or also brings changes made in the container
 * back to the local folder (`both`).
 */
typealias SyncMode = String

/** The values of [SyncMode] this protocol version declares. */
object SyncModeValues {
    const val send: String = "send"
    const val both: String = "both"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(send, both)
}

/**
 * Why a file is left out of the sync although it is not ignored: `unsupportedType` for a FIFO, socket or device
 * (it has no content to copy), `pathTooLong` for a path longer than the system allows (PATH_MAX), which cannot be
 * opened, `unreadable` for a folder that cannot be read (permissions).
 */
typealias SyncSkipReason = String

/** The values of [SyncSkipReason] this protocol version declares. */
object SyncSkipReasonValues {
    const val unsupportedType: String = "unsupportedType"
    const val pathTooLong: String = "pathTooLong"
    const val unreadable: String = "unreadable"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(unsupportedType, pathTooLong, unreadable)
}

/**
 * Where a session's file sync stands. `scanning` compares the local folder with the container; `syncing`
 * transfers changes; `disconnected` waits for the dev pod to come back; `error` needs the person's attention.
 */
typealias SyncState = String

/** The values of [SyncState] this protocol version declares. */
object SyncStateValues {
    const val idle: String = "idle"
    const val scanning: String = "scanning"
    const val syncing: String = "syncing"
    const val paused: String = "paused"
    const val disconnected: String = "disconnected"
    const val error: String = "error"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(idle, scanning, syncing, paused, disconnected, error)
}

/**
 * How much the server traces through `$/logTrace`: nothing, one line per message, or each message with its
 * params.
 */
typealias TraceValue = String

/** The values of [TraceValue] this protocol version declares. */
object TraceValueValues {
    const val off: String = "off"
    const val messages: String = "messages"
    const val verbose: String = "verbose"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(off, messages, verbose)
}

/**
 * What a client may offer on a node; the server lists only the actions that make sense in the node's state.
 */
typealias TreeNodeAction = String

/** The values of [TreeNodeAction] this protocol version declares. */
object TreeNodeActionValues {
    const val startDevMode: String = "startDevMode"
    const val stopDevMode: String = "stopDevMode"
    const val resetDevMode: String = "resetDevMode"
    const val openDevConfig: String = "openDevConfig"
    const val openTerminal: String = "openTerminal"
    const val openLogs: String = "openLogs"
    const val startPortForward: String = "startPortForward"
    const val syncStatus: String = "syncStatus"
    const val refresh: String = "refresh"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(startDevMode, stopDevMode, resetDevMode, openDevConfig, openTerminal, openLogs, startPortForward, syncStatus, refresh)
}

/**
 * What a tree node stands for. A `group` gathers the workloads of one kind in a namespace (`Deployments`, ...).
 */
typealias TreeNodeKind = String

/** The values of [TreeNodeKind] this protocol version declares. */
object TreeNodeKindValues {
    const val context: String = "context"
    const val namespace: String = "namespace"
    const val group: String = "group"
    const val workload: String = "workload"
    const val pod: String = "pod"
    const val container: String = "container"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(context, namespace, group, workload, pod, container)
}

/**
 * The state a client shows on a node (icon, colour). `devMode-mine` is a workload in DevMode started by this
 * server; `devMode-other` one started elsewhere; `devMode-stale` one whose owning server stopped renewing its
 * heartbeat (see `devMode/list`). `unreachable` is a context whose cluster does not answer.
 */
typealias TreeNodeState = String

/** The values of [TreeNodeState] this protocol version declares. */
object TreeNodeStateValues {
    const val running: String = "running"
    const val pending: String = "pending"
    const val succeeded: String = "succeeded"
    const val failed: String = "failed"
    const val terminating: String = "terminating"
    const val devModeStarting: String = "devMode-starting"
    const val devModeMine: String = "devMode-mine"
    const val devModeOther: String = "devMode-other"
    const val devModeStale: String = "devMode-stale"
    const val unreachable: String = "unreachable"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(running, pending, succeeded, failed, terminating, devModeStarting, devModeMine, devModeOther, devModeStale, unreachable)
}

/**
 * The workload kinds DevMode supports, spelled as the Kubernetes API spells them.
 */
typealias WorkloadKind = String

/** The values of [WorkloadKind] this protocol version declares. */
object WorkloadKindValues {
    const val Deployment: String = "Deployment"
    const val StatefulSet: String = "StatefulSet"
    const val DaemonSet: String = "DaemonSet"
    const val Job: String = "Job"
    const val CronJob: String = "CronJob"
    const val Pod: String = "Pod"

    /** Every value, in the order the protocol declares them. */
    val all: List<String> = listOf(Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod)
}

/**
 * The params of `devConfig/schema`: none.
 */
class GetDevConfigSchemaParams

/**
 * The result of `sync/status`.
 */
typealias GetSyncStatusResult = SyncStatus

/**
 * The params of `initialized`: none.
 */
class InitializedParams

/**
 * The params of `cluster/list`: none.
 */
class ListClustersParams

/**
 * Whose logs to stream: every pod of a workload, one named pod, or a session's `onSync` runs.
 */
sealed interface LogsTarget

/**
 * What a port-forward connects to: a workload (whose ready pod is picked, and picked again when it is replaced)
 * or one named pod.
 */
sealed interface PortForwardTarget

/**
 * A token that ties `$/progress` notifications to the operation they report on. The client picks it when it
 * passes `workDoneToken`; the server picks it when it calls `window/workDoneProgress/create`.
 */
typealias ProgressToken = Either<Int, String>

/**
 * The params of `devMode/stop`: a session id or a target.
 */
sealed interface StopDevModeParams

/**
 * Where a terminal runs: a container of a workload (its DevMode pod when in DevMode), a container of a named pod,
 * or the local machine.
 */
sealed interface TerminalTarget

/**
 * Any of the three progress payloads, told apart by `kind`.
 */
sealed interface WorkDoneProgressValue

/** Any of [Target], [PodTarget]. */
sealed interface TreeNodeTarget

/** The error codes a response can carry, by name. */
object DevModeErrorCodes {
    /**
     * JSON-RPC: the message is not a valid request (a batch, a request after `shutdown`, a second `initialize`).
     */
    const val InvalidRequest: Int = -32600
    /**
     * JSON-RPC: the method does not exist.
     */
    const val MethodNotFound: Int = -32601
    /**
     * JSON-RPC: the params do not match the method's declaration; `data.field` names the field.
     */
    const val InvalidParams: Int = -32602
    /**
     * JSON-RPC: an unexpected failure inside the server.
     */
    const val InternalError: Int = -32603
    /**
     * LSP: a request arrived before `initialize`.
     */
    const val ServerNotInitialized: Int = -32002
    /**
     * LSP: the client cancelled the request.
     */
    const val RequestCancelled: Int = -32800
    /**
     * The kubeconfig is missing, unreadable or not valid YAML; `data.file` names it.
     */
    const val KubeconfigInvalid: Int = -31001
    /**
     * The named kubeconfig context does not exist.
     */
    const val ContextNotFound: Int = -31002
    /**
     * The cluster could not be reached (connection refused, DNS, TLS).
     */
    const val ClusterUnreachable: Int = -31003
    /**
     * The API server denied the request (RBAC); `data.verb` and `data.resource` say what was denied.
     */
    const val Forbidden: Int = -31004
    /**
     * The workload, pod or container named by a target does not exist.
     */
    const val NotFound: Int = -31005
    /**
     * The workload kind is not one DevMode supports.
     */
    const val UnsupportedKind: Int = -31006
    /**
     * The dev config is invalid; `data.file`, `data.line` and `data.field` locate the fault.
     */
    const val DevConfigInvalid: Int = -31010
    /**
     * The workload is already in DevMode, started by someone else; `data.owner` names them.
     */
    const val AlreadyInDevMode: Int = -31011
    /**
     * The workload is not in DevMode, so there is nothing to stop or reset.
     */
    const val NotInDevMode: Int = -31012
    /**
     * The dev pod did not start; `data.reason` carries the reason from the pod's events.
     */
    const val PodNotStarted: Int = -31013
    /**
     * The dev image could not be pulled.
     */
    const val ImagePullFailed: Int = -31014
    /**
     * The dev container lacks a tool devmode needs (a shell, tar); `data.tool` names it.
     */
    const val MissingTool: Int = -31015
    /**
     * The workload was changed by someone else while in DevMode.
     */
    const val WorkloadConflict: Int = -31016
    /**
     * The operation did not finish in time.
     */
    const val Timeout: Int = -31017
    /**
     * The local folder does not exist or is not a directory; `data.field` names the parameter.
     */
    const val LocalDirInvalid: Int = -31018
    /**
     * The workload is controlled by another object (a Pod by its ReplicaSet, a Deployment by an operator's custom
     * resource), whose controller would undo DevMode; `data.controller` names it (apiVersion, kind, name).
     */
    const val OwnedByController: Int = -31019
    /**
     * The local port is already in use.
     */
    const val PortInUse: Int = -31020
    /**
     * No port-forward, terminal, log stream or session has that id.
     */
    const val UnknownId: Int = -31021
    /**
     * The file watcher hit the system's inotify limit; `data.limit` gives it.
     */
    const val WatchLimitReached: Int = -31030
    /**
     * A sync path would land outside the session's workDir or follow a link out of the local folder.
     */
    const val UnsafePath: Int = -31031
    /**
     * The sync connection to the container is down, so the request cannot complete now.
     */
    const val SyncDisconnected: Int = -31032
    /**
     * The container is not running (it is waiting, or it has terminated), so it cannot be attached to.
     */
    const val ContainerNotRunning: Int = -31040

    /** The name of a code, for messages and logs. */
    fun nameOf(code: Int): String? = when (code) {
        -32600 -> "InvalidRequest"
        -32601 -> "MethodNotFound"
        -32602 -> "InvalidParams"
        -32603 -> "InternalError"
        -32002 -> "ServerNotInitialized"
        -32800 -> "RequestCancelled"
        -31001 -> "KubeconfigInvalid"
        -31002 -> "ContextNotFound"
        -31003 -> "ClusterUnreachable"
        -31004 -> "Forbidden"
        -31005 -> "NotFound"
        -31006 -> "UnsupportedKind"
        -31010 -> "DevConfigInvalid"
        -31011 -> "AlreadyInDevMode"
        -31012 -> "NotInDevMode"
        -31013 -> "PodNotStarted"
        -31014 -> "ImagePullFailed"
        -31015 -> "MissingTool"
        -31016 -> "WorkloadConflict"
        -31017 -> "Timeout"
        -31018 -> "LocalDirInvalid"
        -31019 -> "OwnedByController"
        -31020 -> "PortInUse"
        -31021 -> "UnknownId"
        -31030 -> "WatchLimitReached"
        -31031 -> "UnsafePath"
        -31032 -> "SyncDisconnected"
        -31040 -> "ContainerNotRunning"
        else -> null
    }
}

/** One alternative of a union: its class, its string-literal fields and its required fields. */
class UnionMember(val type: Class<*>, val literals: Map<String, String>, val required: Set<String>)

/**
 * Gson support for the protocol's unions: writes an alternative as itself, and reads one back by its string-literal
 * fields (`kind` of the progress values) or, failing that, as the alternative whose required fields are all present
 * (the one with the most of them, so `{namespace, kind, name}` is a Target and `{namespace, pod}` a PodTarget).
 */
object ProtocolGson : TypeAdapterFactory {
    val unions: Map<Class<*>, List<UnionMember>> = mapOf(
        LogsTarget::class.java to listOf(
            UnionMember(Target::class.java, mapOf(), setOf("namespace", "kind", "name")),
            UnionMember(PodTarget::class.java, mapOf(), setOf("namespace", "pod")),
            UnionMember(OnSyncLogsTarget::class.java, mapOf("source" to "onSync"), setOf("sessionId", "source")),
        ),
        PortForwardTarget::class.java to listOf(
            UnionMember(Target::class.java, mapOf(), setOf("namespace", "kind", "name")),
            UnionMember(PodTarget::class.java, mapOf(), setOf("namespace", "pod")),
        ),
        StopDevModeParams::class.java to listOf(
            UnionMember(StopDevModeBySessionParams::class.java, mapOf(), setOf("sessionId")),
            UnionMember(StopDevModeByTargetParams::class.java, mapOf(), setOf("target")),
        ),
        TerminalTarget::class.java to listOf(
            UnionMember(Target::class.java, mapOf(), setOf("namespace", "kind", "name")),
            UnionMember(PodTarget::class.java, mapOf(), setOf("namespace", "pod")),
            UnionMember(LocalTerminalTarget::class.java, mapOf(), setOf("local")),
        ),
        TreeNodeTarget::class.java to listOf(
            UnionMember(Target::class.java, mapOf(), setOf("namespace", "kind", "name")),
            UnionMember(PodTarget::class.java, mapOf(), setOf("namespace", "pod")),
        ),
        WorkDoneProgressValue::class.java to listOf(
            UnionMember(WorkDoneProgressBegin::class.java, mapOf("kind" to "begin"), setOf("kind", "title")),
            UnionMember(WorkDoneProgressReport::class.java, mapOf("kind" to "report"), setOf("kind")),
            UnionMember(WorkDoneProgressEnd::class.java, mapOf("kind" to "end"), setOf("kind")),
        ),
    )

    /** Registers the union adapters; pass it to lsp4j's `Launcher.Builder.configureGson`. */
    fun configure(builder: GsonBuilder): GsonBuilder = builder.registerTypeAdapterFactory(this)

    override fun <T : Any?> create(gson: Gson, type: TypeToken<T>): TypeAdapter<T>? {
        val members = unions[type.rawType] ?: return null
        val elements = gson.getAdapter(JsonElement::class.java)
        return object : TypeAdapter<T>() {
            override fun write(out: JsonWriter, value: T?) {
                if (value == null) out.nullValue() else elements.write(out, gson.toJsonTree(value, value.javaClass))
            }

            @Suppress("UNCHECKED_CAST")
            override fun read(reader: JsonReader): T? {
                val element = elements.read(reader)
                if (element == null || element.isJsonNull) return null
                if (!element.isJsonObject) throw JsonParseException("${type.rawType.simpleName} must be an object, got $element")
                val json = element.asJsonObject
                val byLiteral = members.filter { it.literals.isNotEmpty() }.firstOrNull { member ->
                    member.literals.all { (name, literal) -> json.get(name)?.takeIf { it.isJsonPrimitive }?.asString == literal }
                }
                val member = byLiteral
                    ?: members.filter { m -> m.literals.isEmpty() && m.required.all { json.has(it) } }.maxByOrNull { it.required.size }
                    ?: throw JsonParseException("${type.rawType.simpleName} matches none of ${members.map { it.type.simpleName }}: $json")
                return gson.fromJson(json, member.type) as T
            }
        }
    }
}

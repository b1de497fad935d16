package dev.devmode.core

import dev.devmode.core.logs.LogStreams
import dev.devmode.core.portforward.PortForwards
import dev.devmode.core.progress.ProgressHandle
import dev.devmode.core.progress.ProgressRouter
import dev.devmode.core.progress.ProgressSink
import dev.devmode.core.progress.ProgressSinkFactory
import dev.devmode.core.protocol.CreateWorkDoneProgressParams
import dev.devmode.core.protocol.DevModeClientApi
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DidAppendLogsParams
import dev.devmode.core.protocol.DidChangeDevModeStateParams
import dev.devmode.core.protocol.DidChangePortForwardStateParams
import dev.devmode.core.protocol.DidChangeSyncStateParams
import dev.devmode.core.protocol.DidChangeTreeParams
import dev.devmode.core.protocol.DidEndLogsParams
import dev.devmode.core.protocol.DidExitTerminalParams
import dev.devmode.core.protocol.DidOutputTerminalParams
import dev.devmode.core.protocol.InitializeResult
import dev.devmode.core.protocol.LogMessageParams
import dev.devmode.core.protocol.LogTraceParams
import dev.devmode.core.protocol.MessageType
import dev.devmode.core.protocol.MessageTypeValues
import dev.devmode.core.protocol.ProgressParams
import dev.devmode.core.protocol.ShowMessageParams
import dev.devmode.core.server.DevModeServer
import dev.devmode.core.server.ServerListener
import dev.devmode.core.server.ServerOptions
import dev.devmode.core.server.ServerState
import dev.devmode.core.session.DevModeSessions
import dev.devmode.core.sync.SyncStates
import dev.devmode.core.terminal.Terminals
import dev.devmode.core.tree.ClusterTree
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CopyOnWriteArrayList

/** Messages for the person: `window/showMessage` becomes a notification, `window/logMessage` a line of the server log. */
interface MessageListener {
    fun showMessage(type: MessageType, message: String) {}
    fun logMessage(type: MessageType, message: String) {}
}

/**
 * Everything the IDE layer holds for one project: the server process and the view models it feeds. The IDE layer
 * renders the models and forwards the person's actions to them; it decides nothing itself.
 *
 * [serverProgress] makes a sink for work the server starts on its own (`window/workDoneProgress/create`); the IDE
 * layer answers with a background task, or null to leave that work without an indicator.
 */
class DevModeCore(
    options: ServerOptions,
    serverProgress: (ProgressHandle) -> ProgressSink? = { null },
) : AutoCloseable {
    private val messageListeners = CopyOnWriteArrayList<MessageListener>()
    private val client = Client()
    val server = DevModeServer(options, client)
    private val api: () -> DevModeServerApi = { server.api }

    val progress = ProgressRouter(api, serverProgress)
    val tree = ClusterTree(api)
    val sessions = DevModeSessions(api, progress)
    val portForwards = PortForwards(api)
    val sync = SyncStates(api)
    val terminals = Terminals(api)
    val logs = LogStreams(api)

    init {
        server.addListener(object : ServerListener {
            override fun stateChanged(state: ServerState) {
                if (state is ServerState.Restarting || state is ServerState.Failed) {
                    val reason = "the devmode server exited"
                    terminals.serverExited(reason)
                    logs.serverExited(reason)
                }
            }

            override fun restarted(initialize: InitializeResult) {
                // What the old process knew is gone from the client's mirror; read it again from the new one.
                tree.invalidateAll()
                refreshSessions()
                portForwards.refresh()
            }
        })
    }

    fun addMessageListener(listener: MessageListener) {
        messageListeners.add(listener)
    }

    /**
     * Starts the server, then reads the sessions it reports in the background: a cluster that cannot be reached
     * must not keep the IDE from the server, so that failure goes to the server log instead.
     */
    fun start(): InitializeResult {
        val result = server.start()
        refreshSessions()
        return result
    }

    private fun refreshSessions() {
        sessions.refresh().whenComplete { _, error ->
            if (error != null) {
                val text = "could not list the DevMode sessions: ${DevModeFailure.of(error).text}"
                messageListeners.forEach { it.logMessage(MessageTypeValues.Warning, text) }
            }
        }
    }

    override fun close() = server.close()

    /** The server's notifications and requests, each handed to the model it concerns. */
    private inner class Client : DevModeClientApi {
        override fun windowWorkDoneProgressCreate(params: CreateWorkDoneProgressParams): CompletableFuture<Void> {
            progress.created(params.token)
            return CompletableFuture.completedFuture(null)
        }

        override fun progress(params: ProgressParams) = progress.progress(params)

        override fun logTrace(params: LogTraceParams) = messageListeners.forEach { it.logMessage(4, params.message) }

        override fun windowLogMessage(params: LogMessageParams) = messageListeners.forEach { it.logMessage(params.type, params.message) }

        override fun windowShowMessage(params: ShowMessageParams) = messageListeners.forEach { it.showMessage(params.type, params.message) }

        override fun treeDidChange(params: DidChangeTreeParams) = tree.didChange(params)

        override fun devModeDidChangeState(params: DidChangeDevModeStateParams) = sessions.didChangeState(params)

        override fun portForwardDidChangeState(params: DidChangePortForwardStateParams) = portForwards.didChangeState(params)

        override fun syncDidChangeState(params: DidChangeSyncStateParams) = sync.didChangeState(params)

        override fun terminalDidOutput(params: DidOutputTerminalParams) = terminals.didOutput(params)

        override fun terminalDidExit(params: DidExitTerminalParams) = terminals.didExit(params)

        override fun logsDidAppend(params: DidAppendLogsParams) = logs.didAppend(params)

        override fun logsDidEnd(params: DidEndLogsParams) = logs.didEnd(params)
    }
}

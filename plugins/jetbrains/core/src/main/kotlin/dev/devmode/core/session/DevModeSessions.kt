package dev.devmode.core.session

import dev.devmode.core.progress.ProgressHandle
import dev.devmode.core.progress.ProgressRouter
import dev.devmode.core.progress.ProgressSinkFactory
import dev.devmode.core.protocol.DevModeMode
import dev.devmode.core.protocol.DevModePhase
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DevModeSession
import dev.devmode.core.protocol.DevModeStaleness
import dev.devmode.core.protocol.DevModeState
import dev.devmode.core.protocol.DidChangeDevModeStateParams
import dev.devmode.core.protocol.ListDevModeSessionsParams
import dev.devmode.core.protocol.ResetDevModeParams
import dev.devmode.core.protocol.ResetDevModeResult
import dev.devmode.core.protocol.StartDevModeParams
import dev.devmode.core.protocol.StartDevModeResult
import dev.devmode.core.protocol.StopDevModeBySessionParams
import dev.devmode.core.protocol.StopDevModeByTargetParams
import dev.devmode.core.protocol.StopDevModeResult
import dev.devmode.core.protocol.Target
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

/** One workload in DevMode (or on its way in or out), as the sessions view shows it. */
data class SessionView(
    val target: Target,
    val sessionId: String?,
    val state: DevModeState,
    /** The step being worked on while starting or stopping, as the server names it. */
    val phase: DevModePhase?,
    val message: String?,
    val errorCode: Int?,
    val mine: Boolean,
    val owner: String?,
    val pod: String?,
    /** Set when the session's owner stopped renewing its heartbeat: who left it and since when. */
    val stale: DevModeStaleness? = null,
) {
    /**
     * One line for the person: "ratings: starting (waitPod)", "ratings: failed: <why>", "ratings: DevMode by
     * alice@laptop", "ratings: stale, DevMode by alice@laptop, silent since <time>; reset restores it".
     */
    val summary: String
        get() = buildString {
            append(target.name).append(": ").append(state)
            phase?.let { append(" (").append(it).append(')') }
            message?.let { append(": ").append(it) }
            if (!mine && owner != null) append(", DevMode by ").append(owner)
            stale?.let {
                append(if (it.heartbeat) ", silent since " else ", no heartbeat since ").append(it.since)
                append("; reset restores it")
            }
        }
}

fun interface SessionsListener {
    fun changed(session: SessionView)
}

/**
 * DevMode sessions: the list the server reports (`devMode/list`), kept current by `devMode/didChangeState`, and the
 * start/stop/reset requests with their progress routed to a sink.
 */
class DevModeSessions(private val server: () -> DevModeServerApi, private val progress: ProgressRouter) {
    private val sessions = ConcurrentHashMap<String, SessionView>()
    private val listeners = CopyOnWriteArrayList<SessionsListener>()

    fun addListener(listener: SessionsListener) {
        listeners.add(listener)
    }

    fun all(): List<SessionView> = sessions.values.sortedBy { keyOf(it.target) }

    fun of(target: Target): SessionView? = sessions[keyOf(target)]

    /** Asks the server for every session it knows of and replaces the local view with that. */
    fun refresh(): CompletableFuture<List<SessionView>> =
        server().devModeList(ListDevModeSessionsParams()).thenApply { result ->
            val fresh = result.sessions.associate { keyOf(it.target) to viewOf(it) }
            sessions.keys.retainAll(fresh.keys)
            for ((key, view) in fresh) {
                sessions[key] = view
                listeners.forEach { it.changed(view) }
            }
            all()
        }

    fun start(target: Target, localDir: String, mode: DevModeMode? = null, sink: ProgressSinkFactory? = null): CompletableFuture<StartDevModeResult> {
        val handle = sink?.let { progress.track(it) }
        val params = StartDevModeParams(target = target, localDir = localDir, mode = mode, workDoneToken = handle?.token)
        return tracked(handle, server().devModeStart(params))
    }

    fun stop(sessionId: String, sink: ProgressSinkFactory?): CompletableFuture<StopDevModeResult> {
        val handle = sink?.let { progress.track(it) }
        return tracked(handle, server().devModeStop(StopDevModeBySessionParams(sessionId = sessionId, workDoneToken = handle?.token)))
    }

    /** Stops DevMode on a workload by naming it, e.g. a session this client has no id for. */
    fun stopTarget(target: Target, sink: ProgressSinkFactory?): CompletableFuture<StopDevModeResult> {
        val handle = sink?.let { progress.track(it) }
        return tracked(handle, server().devModeStop(StopDevModeByTargetParams(target = target, workDoneToken = handle?.token)))
    }

    fun reset(target: Target, sink: ProgressSinkFactory?): CompletableFuture<ResetDevModeResult> {
        val handle = sink?.let { progress.track(it) }
        return tracked(handle, server().devModeReset(ResetDevModeParams(target = target, workDoneToken = handle?.token)))
    }

    /**
     * Ties a request to its progress handle, so cancelling the indicator cancels the request. The request's future
     * itself is returned: cancelling it is what makes lsp4j send `$/cancelRequest`.
     */
    private fun <T> tracked(handle: ProgressHandle?, request: CompletableFuture<T>): CompletableFuture<T> {
        if (handle != null) {
            handle.request = request
            // A request that fails before the server begins its progress never sends `end`; forget its sink.
            request.whenComplete { _, error -> if (error != null && error !is java.util.concurrent.CancellationException) progress.forget(handle.token) }
        }
        return request
    }

    /** `devMode/didChangeState`. */
    fun didChangeState(params: DidChangeDevModeStateParams) {
        val key = keyOf(params.target)
        val view = sessions.compute(key) { _, previous ->
            SessionView(
                target = params.target,
                sessionId = params.sessionId ?: previous?.sessionId,
                state = params.state,
                phase = params.phase,
                message = params.message,
                errorCode = params.errorCode,
                mine = params.sessionId != null || previous?.mine == true,
                owner = previous?.owner,
                pod = previous?.pod,
                // A state the server reports is newer news than a silence seen in a list.
                stale = null,
            )
        }!!
        listeners.forEach { it.changed(view) }
    }

    private fun viewOf(session: DevModeSession) = SessionView(
        target = session.target,
        sessionId = session.sessionId,
        state = session.state,
        phase = null,
        message = null,
        errorCode = null,
        mine = session.mine,
        owner = session.owner,
        pod = session.pod,
        stale = session.stale,
    )

    // The context stays out of the key: a request may leave it out where the server's notification names it.
    private fun keyOf(target: Target): String = listOf(target.namespace, target.kind, target.name).joinToString("/")
}

package dev.devmode.core.progress

import dev.devmode.core.protocol.CancelWorkDoneProgressParams
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.ProgressParams
import dev.devmode.core.protocol.ProgressToken
import dev.devmode.core.protocol.WorkDoneProgressBegin
import dev.devmode.core.protocol.WorkDoneProgressEnd
import dev.devmode.core.protocol.WorkDoneProgressReport
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import org.eclipse.lsp4j.jsonrpc.messages.Either

/**
 * Where one operation's `$/progress` goes: the IDE layer renders it (a Task.Backgroundable's indicator). The values
 * arrive as the protocol declares them, so every structured field the server sends (percentage, cancellable, the
 * DevMode phase) is there to render; nothing is parsed out of the message text.
 */
interface ProgressSink {
    fun begin(value: WorkDoneProgressBegin)
    fun report(value: WorkDoneProgressReport)
    fun end(value: WorkDoneProgressEnd)
}

/** A handle the IDE layer keeps to cancel the operation its indicator shows. */
class ProgressHandle internal constructor(val token: ProgressToken, private val router: ProgressRouter) {
    /** Asks the server to cancel the work (`window/workDoneProgress/cancel`). */
    fun cancel() = router.cancel(token)
}

/**
 * Routes `$/progress` by token: to the sink the client registered when it passed a `workDoneToken`, or to a sink made
 * by [serverSinks] for a token the server announced with `window/workDoneProgress/create`.
 */
class ProgressRouter(
    private val server: () -> DevModeServerApi,
    private val serverSinks: (ProgressHandle) -> ProgressSink?,
) {
    private val sinks = ConcurrentHashMap<String, ProgressSink>()
    private val counter = AtomicInteger()

    /** A fresh token for a request's `workDoneToken`, with [sink] receiving its progress. */
    fun track(sink: ProgressSink): ProgressHandle {
        val token: ProgressToken = Either.forRight("jetbrains-${counter.incrementAndGet()}")
        sinks[key(token)] = sink
        return ProgressHandle(token, this)
    }

    /** The server announced a token (`window/workDoneProgress/create`). */
    fun created(token: ProgressToken) {
        val sink = serverSinks(ProgressHandle(token, this)) ?: return
        sinks[key(token)] = sink
    }

    fun progress(params: ProgressParams) {
        val sink = sinks[key(params.token)] ?: return
        when (val value = params.value) {
            is WorkDoneProgressBegin -> sink.begin(value)
            is WorkDoneProgressReport -> sink.report(value)
            is WorkDoneProgressEnd -> {
                sinks.remove(key(params.token))
                sink.end(value)
            }
        }
    }

    fun cancel(token: ProgressToken) = server().windowWorkDoneProgressCancel(CancelWorkDoneProgressParams(token))

    /** Forgets a token whose request failed before its `end` arrived. */
    fun forget(token: ProgressToken) {
        sinks.remove(key(token))
    }

    private fun key(token: ProgressToken): String = if (token.isLeft) "n:${token.left}" else "s:${token.right}"
}

package dev.devmode.core.progress

import dev.devmode.core.protocol.CancelWorkDoneProgressParams
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.ProgressParams
import dev.devmode.core.protocol.ProgressToken
import dev.devmode.core.protocol.WorkDoneProgressBegin
import dev.devmode.core.protocol.WorkDoneProgressEnd
import dev.devmode.core.protocol.WorkDoneProgressReport
import java.util.concurrent.CompletableFuture
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

/** Makes the sink for one operation, given the handle that cancels it (the indicator's cancel button calls it). */
fun interface ProgressSinkFactory {
    fun create(handle: ProgressHandle): ProgressSink
}

/**
 * A handle the IDE layer keeps to cancel the operation its indicator shows. Work the client asked for is cancelled by
 * cancelling its request (lsp4j sends `$/cancelRequest`); work the server announced, by `window/workDoneProgress/cancel`.
 */
class ProgressHandle internal constructor(val token: ProgressToken, private val onCancel: (ProgressHandle) -> Unit) {
    /** The request this progress reports on, when the client sent it. */
    @Volatile var request: CompletableFuture<*>? = null

    fun cancel() = onCancel(this)
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

    /** A fresh token for a request's `workDoneToken`, with the sink [factory] makes receiving its progress. */
    fun track(factory: ProgressSinkFactory): ProgressHandle {
        val token: ProgressToken = Either.forRight("jetbrains-${counter.incrementAndGet()}")
        val handle = ProgressHandle(token) { it.request?.cancel(true) }
        sinks[key(token)] = factory.create(handle)
        return handle
    }

    /** The server announced a token (`window/workDoneProgress/create`). */
    fun created(token: ProgressToken) {
        val handle = ProgressHandle(token) { server().windowWorkDoneProgressCancel(CancelWorkDoneProgressParams(token)) }
        val sink = serverSinks(handle) ?: return
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

    /** Forgets a token whose request failed before its `end` arrived. */
    fun forget(token: ProgressToken) {
        sinks.remove(key(token))
    }

    private fun key(token: ProgressToken): String = if (token.isLeft) "n:${token.left}" else "s:${token.right}"
}

package dev.devmode.core.logs

import dev.devmode.core.protocol.CloseLogsParams
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DidAppendLogsParams
import dev.devmode.core.protocol.DidEndLogsParams
import dev.devmode.core.protocol.LogLine
import dev.devmode.core.protocol.LogsEndReason
import dev.devmode.core.protocol.OpenLogsParams
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap

/** What a log console prints: lines, a marker where a container (re)started, and the end of the stream. */
sealed interface LogEvent {
    data class Line(val line: LogLine) : LogEvent
    /** The stream attached to a new pod or a restarted container; the console prints a separator here. */
    data class Restarted(val pod: String, val container: String, val reason: String) : LogEvent {
        val text: String get() = "──── ${if (reason == "containerRestarted") "container $container restarted" else "new pod $pod"} ────"
    }
    data class Ended(val reason: LogsEndReason, val message: String?) : LogEvent
}

/** One open log stream; [sink] receives its events on the connection's thread. */
class LogStream internal constructor(val streamId: String, val pods: List<String>, private val streams: LogStreams) {
    fun close() = streams.close(streamId)
}

/** The open log streams, fed by `logs/didAppend` and `logs/didEnd`. */
class LogStreams(private val server: () -> DevModeServerApi) {
    private val sinks = ConcurrentHashMap<String, (LogEvent) -> Unit>()
    private val early = ConcurrentHashMap<String, MutableList<LogEvent>>()

    fun open(params: OpenLogsParams, sink: (LogEvent) -> Unit): CompletableFuture<LogStream> =
        server().logsOpen(params).thenApply { opened ->
            synchronized(this) {
                sinks[opened.streamId] = sink
                early.remove(opened.streamId)?.forEach(sink)
            }
            LogStream(opened.streamId, opened.pods, this)
        }

    fun didAppend(params: DidAppendLogsParams) {
        val events = mutableListOf<LogEvent>()
        // Attachments come first: they mark where the lines of a new pod or restarted container begin.
        params.attached?.forEach { events += LogEvent.Restarted(it.pod, it.container, it.reason) }
        params.lines.forEach { events += LogEvent.Line(it) }
        deliver(params.streamId, events)
    }

    fun didEnd(params: DidEndLogsParams) {
        deliver(params.streamId, listOf(LogEvent.Ended(params.reason, params.message)))
        sinks.remove(params.streamId)
    }

    /** The server went away: its streams have ended. */
    fun serverExited(reason: String) {
        for ((id, sink) in sinks) sink(LogEvent.Ended("error", reason)).also { sinks.remove(id) }
    }

    internal fun close(streamId: String): CompletableFuture<Void> {
        sinks.remove(streamId)
        return server().logsClose(CloseLogsParams(streamId))
    }

    private fun deliver(streamId: String, events: List<LogEvent>) {
        val sink = synchronized(this) {
            sinks[streamId] ?: run {
                early.getOrPut(streamId) { mutableListOf() }.addAll(events)
                null
            }
        }
        sink?.let { events.forEach(it) }
    }
}

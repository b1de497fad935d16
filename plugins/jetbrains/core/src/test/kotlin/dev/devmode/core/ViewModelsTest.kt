package dev.devmode.core

import dev.devmode.core.logs.LogEvent
import dev.devmode.core.logs.LogStreams
import dev.devmode.core.progress.ProgressRouter
import dev.devmode.core.progress.ProgressSink
import dev.devmode.core.session.DevModeSessions
import dev.devmode.core.protocol.CancelWorkDoneProgressParams
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DevModeSession
import dev.devmode.core.protocol.DevModeStaleness
import dev.devmode.core.protocol.DidChangeDevModeStateParams
import dev.devmode.core.protocol.DidAppendLogsParams
import dev.devmode.core.protocol.DidExitTerminalParams
import dev.devmode.core.protocol.DidOutputTerminalParams
import dev.devmode.core.protocol.LogAttachment
import dev.devmode.core.protocol.ListDevModeSessionsResult
import dev.devmode.core.protocol.LogLine
import dev.devmode.core.protocol.OpenLogsParams
import dev.devmode.core.protocol.OpenLogsResult
import dev.devmode.core.protocol.OpenTerminalResult
import dev.devmode.core.protocol.PodTarget
import dev.devmode.core.protocol.ProgressParams
import dev.devmode.core.protocol.Target
import dev.devmode.core.protocol.WorkDoneProgressBegin
import dev.devmode.core.protocol.WorkDoneProgressEnd
import dev.devmode.core.protocol.WorkDoneProgressReport
import dev.devmode.core.terminal.Terminals
import java.lang.reflect.Proxy
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit
import org.eclipse.lsp4j.jsonrpc.messages.Either
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * The routing the end-to-end suite cannot provoke at will: server-announced progress, and notifications that arrive
 * before the response that names their terminal or stream. The server side is a recording stand-in for the
 * connection's proxy; what it answers is what the real server answers for these calls.
 */
class ViewModelsTest {
    private val calls = CopyOnWriteArrayList<Pair<String, Any?>>()
    private val answers = mutableMapOf<String, Any?>()

    private val server: DevModeServerApi = Proxy.newProxyInstance(
        DevModeServerApi::class.java.classLoader,
        arrayOf(DevModeServerApi::class.java),
    ) { _, method, args ->
        calls.add(method.name to args?.firstOrNull())
        if (method.returnType == CompletableFuture::class.java) answers[method.name] ?: CompletableFuture.completedFuture(null) else null
    } as DevModeServerApi

    @Test
    fun `server-announced progress reaches the sink the IDE made, and its cancel is window-workDoneProgress-cancel`() {
        val events = CopyOnWriteArrayList<Any>()
        var cancel: (() -> Unit)? = null
        val router = ProgressRouter({ server }) { handle ->
            cancel = { handle.cancel() }
            object : ProgressSink {
                override fun begin(value: WorkDoneProgressBegin) { events.add(value) }
                override fun report(value: WorkDoneProgressReport) { events.add(value) }
                override fun end(value: WorkDoneProgressEnd) { events.add(value) }
            }
        }
        val token = Either.forRight<Int, String>("devmode-1")
        router.created(token)
        router.progress(ProgressParams(token, WorkDoneProgressBegin(kind = "begin", title = "Reconnecting sync", cancellable = true)))
        router.progress(ProgressParams(token, WorkDoneProgressReport(kind = "report", percentage = 50)))
        cancel!!()
        router.progress(ProgressParams(token, WorkDoneProgressEnd(kind = "end")))
        router.progress(ProgressParams(token, WorkDoneProgressReport(kind = "report", message = "after the end")))
        assertEquals(listOf("begin", "report", "end"), events.map { (it as? WorkDoneProgressBegin)?.kind ?: (it as? WorkDoneProgressReport)?.kind ?: (it as WorkDoneProgressEnd).kind })
        assertEquals(listOf("windowWorkDoneProgressCancel" to CancelWorkDoneProgressParams(token)), calls.toList())
    }

    @Test
    fun `a stale session from devMode-list says who left it and since when, until a state change replaces it`() {
        val stale = DevModeStaleness(
            user = "cleo", machine = "build-7", since = "2026-01-11T18:45:03.000Z", heartbeat = true,
            thresholdSeconds = 60, hint = "devMode/reset restores the workload.",
        )
        val target = Target(namespace = "shop", kind = "Deployment", name = "cart")
        answers["devModeList"] = CompletableFuture.completedFuture(
            ListDevModeSessionsResult(listOf(DevModeSession(target = target, state = "stale", mode = "replace", mine = false, owner = "cleo@build-7", stale = stale))),
        )
        val sessions = DevModeSessions({ server }, ProgressRouter({ server }) { null })
        val view = sessions.refresh().get(5, TimeUnit.SECONDS).single()
        assertEquals(stale, view.stale)
        assertEquals("cart: stale, DevMode by cleo@build-7, silent since 2026-01-11T18:45:03.000Z; reset restores it", view.summary)
        sessions.didChangeState(DidChangeDevModeStateParams(target = target, state = "stopping"))
        assertEquals("cart: stopping, DevMode by cleo@build-7", sessions.of(target)!!.summary)
    }

    @Test
    fun `terminal output and exit that arrive before terminal-open answers reach the connector`() {
        val opened = CompletableFuture<OpenTerminalResult>()
        answers["terminalOpen"] = opened
        val terminals = Terminals { server }
        val connector = terminals.open(PodTarget(namespace = "default", pod = "p"), "p", 80, 24)
        terminals.didOutput(DidOutputTerminalParams("t-9", "$ "))
        terminals.didExit(DidExitTerminalParams("t-9", 0))
        opened.complete(OpenTerminalResult("t-9"))
        val terminal = connector.get(5, TimeUnit.SECONDS)
        val buffer = CharArray(16)
        assertEquals(2, terminal.read(buffer, 0, buffer.size))
        assertEquals("$ ", String(buffer, 0, 2))
        assertEquals(-1, terminal.read(buffer, 0, buffer.size))
        assertEquals(0, terminal.waitFor(1_000))
    }

    @Test
    fun `log lines that arrive before logs-open answers are delivered, restart marker first`() {
        val opened = CompletableFuture<OpenLogsResult>()
        answers["logsOpen"] = opened
        val logs = LogStreams { server }
        val events = CopyOnWriteArrayList<LogEvent>()
        val stream = logs.open(OpenLogsParams(target = PodTarget(namespace = "default", pod = "p"))) { events.add(it) }
        logs.didAppend(
            DidAppendLogsParams(
                streamId = "l-1",
                lines = listOf(LogLine(pod = "p2", container = "c", text = "hello")),
                attached = listOf(LogAttachment(pod = "p2", container = "c", reason = "newPod")),
            ),
        )
        opened.complete(OpenLogsResult("l-1", listOf("p")))
        stream.get(5, TimeUnit.SECONDS)
        assertEquals(
            listOf(LogEvent.Restarted("p2", "c", "newPod"), LogEvent.Line(LogLine(pod = "p2", container = "c", text = "hello"))),
            events.toList(),
        )
        assertEquals("──── new pod p2 ────", (events[0] as LogEvent.Restarted).text)
    }
}

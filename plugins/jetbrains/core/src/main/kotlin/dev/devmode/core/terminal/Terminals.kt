package dev.devmode.core.terminal

import dev.devmode.core.protocol.CloseTerminalParams
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DidExitTerminalParams
import dev.devmode.core.protocol.DidOutputTerminalParams
import dev.devmode.core.protocol.OpenTerminalParams
import dev.devmode.core.protocol.ResizeTerminalParams
import dev.devmode.core.protocol.SendTerminalInputParams
import dev.devmode.core.protocol.TerminalTarget
import java.nio.charset.StandardCharsets
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * One terminal on the server, shaped like JediTerm's `TtyConnector` (read, write, resize, close, waitFor, isConnected)
 * so the IDE layer adapts it to the Terminal plugin by delegation alone. Output is queued as the server sends it and
 * [read] blocks until some arrives; after the command ends [read] returns -1 and [waitFor] the exit code.
 */
class TerminalConnector internal constructor(
    val terminalId: String,
    val name: String,
    private val server: () -> DevModeServerApi,
    private val onClosed: (String) -> Unit,
) {
    private val output = LinkedBlockingQueue<String>()
    private var pending: String = ""
    private val exited = CountDownLatch(1)

    @Volatile var exitCode: Int? = null
        private set

    @Volatile var exitReason: String? = null
        private set

    /** Fills [buffer] from [offset] with up to [length] characters of output; -1 once the terminal has ended. */
    fun read(buffer: CharArray, offset: Int, length: Int): Int {
        while (pending.isEmpty()) {
            val next = output.poll(100, TimeUnit.MILLISECONDS)
            if (next == null) {
                if (!isConnected() && output.isEmpty()) return -1
                continue
            }
            if (next === END) {
                output.put(END)
                return -1
            }
            pending = next
        }
        val count = minOf(length, pending.length)
        pending.toCharArray(buffer, offset, 0, count)
        pending = pending.substring(count)
        return count
    }

    /** Whether output is waiting to be read. */
    fun ready(): Boolean = pending.isNotEmpty() || output.peek().let { it != null && it !== END }

    fun write(text: String) = server().terminalInput(SendTerminalInputParams(terminalId, text))

    fun write(bytes: ByteArray) = write(String(bytes, StandardCharsets.UTF_8))

    fun resize(columns: Int, rows: Int) = server().terminalResize(ResizeTerminalParams(terminalId, columns, rows))

    fun isConnected(): Boolean = exited.count > 0

    /** Blocks until the command ends; its exit code, or -1 when it ended without one (killed, connection lost). */
    fun waitFor(): Int {
        exited.await()
        return exitCode ?: -1
    }

    fun waitFor(timeoutMs: Long): Int? = if (exited.await(timeoutMs, TimeUnit.MILLISECONDS)) exitCode ?: -1 else null

    /** Ends the terminal on the server (`terminal/close`). */
    fun close() {
        if (isConnected()) server().terminalClose(CloseTerminalParams(terminalId))
        onClosed(terminalId)
    }

    internal fun output(data: String) {
        output.put(data)
    }

    internal fun exited(code: Int?, reason: String?) {
        exitCode = code
        exitReason = reason
        output.put(END)
        exited.countDown()
    }

    private companion object {
        val END = String(charArrayOf('\u0000'))
    }
}

/**
 * The open terminals, fed by `terminal/didOutput` and `terminal/didExit`. Output that arrives before `terminal/open`
 * has answered is kept for the connector, so the first prompt is never lost.
 */
class Terminals(private val server: () -> DevModeServerApi) {
    private val connectors = ConcurrentHashMap<String, TerminalConnector>()
    private val early = ConcurrentHashMap<String, MutableList<(TerminalConnector) -> Unit>>()

    fun open(target: TerminalTarget, name: String, columns: Int, rows: Int, command: List<String>? = null): CompletableFuture<TerminalConnector> =
        server().terminalOpen(OpenTerminalParams(target = target, cols = columns, rows = rows, command = command)).thenApply { opened ->
            val connector = TerminalConnector(opened.terminalId, name, server) { connectors.remove(it) }
            synchronized(this) {
                connectors[opened.terminalId] = connector
                early.remove(opened.terminalId)?.forEach { it(connector) }
            }
            connector
        }

    fun didOutput(params: DidOutputTerminalParams) = deliver(params.terminalId) { it.output(params.data) }

    fun didExit(params: DidExitTerminalParams) = deliver(params.terminalId) {
        it.exited(params.exitCode, params.reason)
        connectors.remove(params.terminalId)
    }

    /** The server went away: every terminal it ran has ended. */
    fun serverExited(reason: String) {
        for (connector in connectors.values) connector.exited(null, reason)
        connectors.clear()
    }

    private fun deliver(terminalId: String, action: (TerminalConnector) -> Unit) {
        val connector = synchronized(this) {
            connectors[terminalId] ?: run {
                early.getOrPut(terminalId) { mutableListOf() }.add(action)
                null
            }
        }
        connector?.let(action)
    }
}

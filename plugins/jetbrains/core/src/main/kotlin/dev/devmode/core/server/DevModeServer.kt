package dev.devmode.core.server

import dev.devmode.core.protocol.DevModeClientApi
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.InitializeParams
import dev.devmode.core.protocol.InitializeResult
import dev.devmode.core.protocol.InitializedParams
import dev.devmode.core.protocol.ProtocolGson
import java.io.BufferedReader
import java.io.InputStreamReader
import java.lang.reflect.InvocationHandler
import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Proxy
import java.nio.charset.StandardCharsets
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit
import java.util.concurrent.TimeoutException
import org.eclipse.lsp4j.jsonrpc.Launcher

/** How to run the server and how to bring it back after a crash. */
data class ServerOptions(
    /** The command line, e.g. `[/path/to/devmode, serve, --stdio]`. */
    val command: List<String>,
    /** Variables added to the server's environment (KUBECONFIG, HOME, ...). */
    val environment: Map<String, String> = emptyMap(),
    /** The params of every `initialize`, the first and the ones after a restart. */
    val initializeParams: () -> InitializeParams = { InitializeParams() },
    /** Waits before each restart attempt in a row; the last one repeats until [maxRestartAttempts]. */
    val restartDelaysMs: List<Long> = listOf(500, 1_000, 2_000, 5_000, 10_000, 30_000),
    /** Restart attempts in a row before giving up; a run longer than [stableRunMs] resets the count. */
    val maxRestartAttempts: Int = 8,
    val stableRunMs: Long = 60_000,
    val requestTimeoutMs: Long = 60_000,
    /** How many lines of the server's stderr are kept for the log view and for crash reports. */
    val stderrLines: Int = 1_000,
    /** Receives every message in both directions when set (the IDE's "trace the protocol" switch). */
    val trace: java.io.PrintWriter? = null,
) {
    companion object {
        fun forBinary(located: LocatedServer): List<String> = listOf(located.path.toString(), "serve", "--stdio")
    }
}

/** Where the server process stands; the IDE layer shows it and the view models react to it. */
sealed interface ServerState {
    object Stopped : ServerState
    object Starting : ServerState
    data class Running(val pid: Long, val initialize: InitializeResult) : ServerState
    /** The server died unexpectedly; the next attempt runs after [delayMs]. */
    data class Restarting(val attempt: Int, val delayMs: Long, val exitCode: Int, val stderrTail: List<String>) : ServerState
    data class Failed(val message: String, val stderrTail: List<String>) : ServerState
}

interface ServerListener {
    fun stateChanged(state: ServerState) {}
    /** The server came back after a crash and answered `initialize`; whatever the client mirrored must be re-read. */
    fun restarted(initialize: InitializeResult) {}
    fun stderrLine(line: String) {}
}

/** The server is not there to answer: it ended while the request was in flight, or it is not running. */
class ServerExitedException(message: String) : RuntimeException(message)

/**
 * The devmode server process and the lsp4j connection to it: spawns it, initializes it, shuts it down politely, and
 * restarts it with back-off when it dies on its own. [api] always talks to the current process, so holders of it
 * survive restarts; a request in flight when the process dies fails with [ServerExitedException] instead of hanging.
 */
class DevModeServer(private val options: ServerOptions, private val client: DevModeClientApi) : AutoCloseable {
    private val listeners = CopyOnWriteArrayList<ServerListener>()
    private val scheduler: ScheduledExecutorService = Executors.newSingleThreadScheduledExecutor { runnable ->
        Thread(runnable, "devmode-server-restart").apply { isDaemon = true }
    }
    private val stderrTail = ArrayDeque<String>()
    private val inFlight = ConcurrentHashMap.newKeySet<CompletableFuture<*>>()
    private val lock = Any()

    @Volatile private var connection: Connection? = null
    @Volatile private var stopping = false
    @Volatile var state: ServerState = ServerState.Stopped
        private set
    private var restartAttempts = 0

    private class Connection(val process: Process, val remote: DevModeServerApi, val startedAt: Long)

    /** The server's methods, routed to whichever process currently runs. */
    val api: DevModeServerApi = Proxy.newProxyInstance(
        DevModeServerApi::class.java.classLoader,
        arrayOf(DevModeServerApi::class.java),
        InvocationHandler { _, method, args ->
            if (method.declaringClass == Any::class.java) return@InvocationHandler method.invoke(this, *(args ?: arrayOf()))
            val current = connection ?: throw ServerExitedException("the devmode server is not running (${describe(state)})")
            val result = try {
                method.invoke(current.remote, *(args ?: arrayOf()))
            } catch (error: InvocationTargetException) {
                throw error.targetException
            }
            if (result is CompletableFuture<*>) {
                inFlight.add(result)
                result.whenComplete { _, _ -> inFlight.remove(result) }
            }
            result
        },
    ) as DevModeServerApi

    fun addListener(listener: ServerListener) {
        listeners.add(listener)
    }

    fun removeListener(listener: ServerListener) {
        listeners.remove(listener)
    }

    /** The last lines the server wrote to stderr. */
    fun stderr(): List<String> = synchronized(stderrTail) { stderrTail.toList() }

    /** The process id of the running server, or null. */
    val pid: Long? get() = connection?.process?.pid()

    /** Spawns and initializes the server; throws when it cannot start or does not answer `initialize`. */
    fun start(): InitializeResult {
        synchronized(lock) {
            check(connection == null) { "the devmode server already runs" }
            stopping = false
            restartAttempts = 0
            setState(ServerState.Starting)
            return try {
                launch()
            } catch (error: Exception) {
                setState(ServerState.Failed(messageOf(error), stderr()))
                throw error
            }
        }
    }

    /** `shutdown` then `exit`, waiting for the process to end; kills it when it does not. */
    fun stop(timeoutMs: Long = 10_000) {
        val current = synchronized(lock) {
            stopping = true
            connection
        } ?: return
        try {
            current.remote.shutdown().get(timeoutMs, TimeUnit.MILLISECONDS)
            current.remote.exit()
        } catch (_: Exception) {
            // A server that does not answer shutdown is ended below all the same.
        }
        if (!current.process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            current.process.toHandle().destroyForcibly()
            current.process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)
        }
        synchronized(lock) {
            if (connection === current) connection = null
        }
        setState(ServerState.Stopped)
    }

    override fun close() {
        stop()
        scheduler.shutdownNow()
    }

    private fun launch(): InitializeResult {
        val builder = ProcessBuilder(options.command)
        builder.environment().putAll(options.environment)
        val process = builder.start()
        val launcher = Launcher.Builder<DevModeServerApi>()
            .setLocalService(client)
            .setRemoteInterface(DevModeServerApi::class.java)
            .setInput(process.inputStream)
            .setOutput(process.outputStream)
            .configureGson { ProtocolGson.configure(it) }
            .traceMessages(options.trace)
            .create()
        launcher.startListening()
        val stderrReader = readStderr(process)
        val current = Connection(process, launcher.remoteProxy, System.currentTimeMillis())
        connection = current
        process.onExit().thenAccept { exited(current) }
        val initializing = current.remote.initialize(options.initializeParams())
        // A server that dies before answering ends the wait at once instead of after the timeout.
        process.onExit().thenRun {
            initializing.completeExceptionally(ServerExitedException("it exited with code ${process.exitValue()}"))
        }
        val result = try {
            initializing.get(options.requestTimeoutMs, TimeUnit.MILLISECONDS)
        } catch (error: Exception) {
            connection = null
            // Process.destroyForcibly would close the pipes and lose what the process wrote to stderr; the handle's
            // only sends the signal, and the reader then drains stderr to its end for the message below.
            process.toHandle().destroyForcibly()
            stderrReader.join(2_000)
            throw ServerExitedException(
                "the devmode server (${options.command.first()}) did not answer initialize: ${messageOf(error)}" +
                    stderr().takeLast(5).joinToString("") { "\n  $it" },
            )
        }
        current.remote.initialized(InitializedParams())
        setState(ServerState.Running(process.pid(), result))
        return result
    }

    private fun readStderr(process: Process): Thread =
        Thread({
            BufferedReader(InputStreamReader(process.errorStream, StandardCharsets.UTF_8)).useLines { lines ->
                for (line in lines) {
                    synchronized(stderrTail) {
                        stderrTail.addLast(line)
                        while (stderrTail.size > options.stderrLines) stderrTail.removeFirst()
                    }
                    listeners.forEach { it.stderrLine(line) }
                }
            }
        }, "devmode-server-stderr").apply {
            isDaemon = true
            start()
        }

    private fun exited(ended: Connection) {
        val exitCode = ended.process.exitValue()
        synchronized(lock) {
            if (connection !== ended) return
            connection = null
        }
        failInFlight(exitCode)
        if (stopping) {
            setState(ServerState.Stopped)
            return
        }
        synchronized(lock) {
            if (System.currentTimeMillis() - ended.startedAt > options.stableRunMs) restartAttempts = 0
        }
        scheduleRestart(exitCode)
    }

    private fun failInFlight(exitCode: Int) {
        val failure = ServerExitedException("the devmode server exited with code $exitCode before answering")
        for (future in inFlight.toList()) future.completeExceptionally(failure)
        inFlight.clear()
    }

    private fun scheduleRestart(exitCode: Int) {
        val attempt = synchronized(lock) { ++restartAttempts }
        if (attempt > options.maxRestartAttempts) {
            setState(
                ServerState.Failed(
                    "the devmode server exited with code $exitCode and did not come back after ${options.maxRestartAttempts} restarts",
                    stderr(),
                ),
            )
            return
        }
        val delay = options.restartDelaysMs[minOf(attempt - 1, options.restartDelaysMs.size - 1)]
        setState(ServerState.Restarting(attempt, delay, exitCode, stderr().takeLast(20)))
        scheduler.schedule({ restart(exitCode) }, delay, TimeUnit.MILLISECONDS)
    }

    private fun restart(exitCode: Int) {
        val result = synchronized(lock) {
            if (stopping || connection != null) return
            try {
                launch()
            } catch (_: Exception) {
                null
            }
        }
        if (result == null) {
            scheduleRestart(exitCode)
            return
        }
        listeners.forEach { it.restarted(result) }
    }

    private fun setState(next: ServerState) {
        state = next
        listeners.forEach { it.stateChanged(next) }
    }

    private fun messageOf(error: Throwable): String = when (error) {
        is ExecutionException -> messageOf(error.cause ?: error)
        is TimeoutException -> "no answer within ${options.requestTimeoutMs} ms"
        else -> error.message ?: error.javaClass.simpleName
    }

    private fun describe(state: ServerState): String = when (state) {
        is ServerState.Restarting -> "restarting, attempt ${state.attempt}"
        is ServerState.Failed -> state.message
        else -> state.javaClass.simpleName.lowercase()
    }
}

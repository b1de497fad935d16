package dev.devmode.core

import dev.devmode.core.protocol.ClientCapabilities
import dev.devmode.core.protocol.InitializeParams
import dev.devmode.core.protocol.ListClustersParams
import dev.devmode.core.server.ServerExitedException
import dev.devmode.core.server.ServerListener
import dev.devmode.core.server.ServerOptions
import dev.devmode.core.server.ServerState
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.io.TempDir

/** The server process's failure paths, with the real binary behind a wrapper that refuses to start a second time. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerProcessTest {
    @TempDir lateinit var dir: Path

    private fun script(name: String, body: String): Path {
        val path = dir.resolve(name)
        Files.writeString(path, "#!/bin/sh\n$body\n")
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"))
        return path
    }

    /** A kubeconfig whose one cluster nobody listens for: these tests never reach a cluster. */
    private fun emptyKubeconfig(): Path = dir.resolve("kubeconfig").also {
        Files.writeString(
            it,
            """apiVersion: v1
              |kind: Config
              |clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
              |users: [{name: nobody, user: {}}]
              |contexts: [{name: none, context: {cluster: none, user: nobody}}]
              |current-context: none
              |""".trimMargin(),
        )
    }

    private fun options(command: Path, maxRestarts: Int = 2) = ServerOptions(
        command = listOf(command.toString()),
        environment = mapOf("HOME" to dir.toString(), "KUBECONFIG" to emptyKubeconfig().toString()),
        initializeParams = { InitializeParams(capabilities = ClientCapabilities(workDoneProgress = true)) },
        restartDelaysMs = listOf(100, 200),
        maxRestartAttempts = maxRestarts,
        requestTimeoutMs = 30_000,
        trace = System.getProperty("devmode.trace")?.takeIf { it.isNotEmpty() }?.let { java.io.PrintWriter(java.io.FileWriter(it, true), true) },
    )

    @Test
    fun `a program that is not the server fails start with its stderr, not a hang`() {
        val notServer = script("not-devmode", "echo 'not a devmode server' >&2; exit 3")
        DevModeCore(options(notServer)).use { core ->
            val error = assertThrows(ServerExitedException::class.java) { core.start() }
            assertTrue(error.message!!.contains("did not answer initialize"), error.message)
            // The message carries the program's last stderr lines, read to their end before start gives up.
            assertTrue(error.message!!.contains("not a devmode server"), error.message)
            assertTrue("not a devmode server" in core.server.stderr(), "${core.server.stderr()}")
            assertTrue(core.server.state is ServerState.Failed, "${core.server.state}")
        }
    }

    @Test
    fun `a server that dies and cannot come back ends Failed after the allowed restarts, and calls fail at once`() {
        val marker = dir.resolve("started-once")
        val wrapper = script(
            "devmode-once",
            """if [ -e '$marker' ]; then echo 'refusing to start again' >&2; exit 9; fi
              |touch '$marker'
              |exec '${TestPaths.binary}' serve --stdio""".trimMargin(),
        )
        DevModeCore(options(wrapper)).use { core ->
            val states = CopyOnWriteArrayList<ServerState>()
            var restarted = false
            core.server.addListener(object : ServerListener {
                override fun stateChanged(state: ServerState) {
                    states.add(state)
                }

                override fun restarted(initialize: dev.devmode.core.protocol.InitializeResult) {
                    restarted = true
                }
            })
            val logged = CopyOnWriteArrayList<String>()
            core.addMessageListener(object : MessageListener {
                override fun logMessage(type: Int, message: String) {
                    logged.add(message)
                }
            })
            core.start()
            // The cluster is unreachable: the server runs all the same, and the failed session list is logged.
            waitUntil("the session list failure in the log", 30_000) { logged.any { "could not list the DevMode sessions" in it } }
            val pid = core.server.pid!!
            val contexts = core.server.api.clusterList(ListClustersParams()).get(30, TimeUnit.SECONDS).contexts
            assertEquals(listOf("none"), contexts.map { it.name })
            ProcessHandle.of(pid).get().destroyForcibly()
            waitUntil("the server to be given up on", 60_000) { core.server.state is ServerState.Failed }
            val attempts = states.filterIsInstance<ServerState.Restarting>().map { it.attempt to it.delayMs }
            assertEquals(listOf(1 to 100L, 2 to 200L), attempts)
            val failed = core.server.state as ServerState.Failed
            assertTrue(failed.message.contains("did not come back after 2 restarts"), failed.message)
            assertTrue("refusing to start again" in failed.stderrTail, "${failed.stderrTail}")
            assertTrue(!restarted)
            val call = assertThrows(ServerExitedException::class.java) { core.server.api.clusterList(ListClustersParams()) }
            assertTrue(call.message!!.contains("not running"), call.message)
        }
    }
}

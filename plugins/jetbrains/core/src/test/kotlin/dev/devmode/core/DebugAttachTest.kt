package dev.devmode.core

import dev.devmode.core.debug.DebugAttach
import dev.devmode.core.debug.DebugAttachParameters
import dev.devmode.core.protocol.DebugAttachInfo
import dev.devmode.core.protocol.DevModeContainer
import dev.devmode.core.protocol.DevModeSession
import dev.devmode.core.protocol.Target
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

/** What the IDE's run configuration receives for each debug kind, and which dev commands can be attached to. */
class DebugAttachTest {
    private fun info(kind: String) = DebugAttachInfo(
        kind = kind,
        address = "127.0.0.1",
        localPort = 40123,
        remotePort = 5005,
        remoteRoot = "/app",
        localRoot = "/home/dev/web",
    )

    @Test
    fun `java attaches a Remote JVM Debug configuration to the forwarded JDWP port`() {
        assertEquals(
            DebugAttachParameters(
                name = "web",
                kind = "java",
                configurationType = "Remote",
                host = "127.0.0.1",
                port = 40123,
                localRoot = "/home/dev/web",
                remoteRoot = "/app",
                description = "web: Remote JVM Debug (JDWP, socket attach) to 127.0.0.1:40123 " +
                    "(port 5005 in the container; /app there is /home/dev/web here)",
            ),
            DebugAttach.parameters(info("java"), "web"),
        )
    }

    @Test
    fun `node and go name their attach configurations, python and custom are described for attaching by hand`() {
        val node = DebugAttach.parameters(info("node"), "web")
        assertEquals("ChromiumRemoteDebugType", node.configurationType)
        assertEquals("web: Attach to Node.js/Chrome (inspector) at 127.0.0.1:40123 (port 5005 in the container; /app there is /home/dev/web here)", node.description)
        assertEquals("GoRemoteDebugConfigurationType", DebugAttach.parameters(info("go"), "web").configurationType)
        val python = DebugAttach.parameters(info("python"), "web")
        assertNull(python.configurationType)
        assertEquals("web: attach a debugpy (Debug Adapter Protocol) client to 127.0.0.1:40123 (port 5005 in the container; /app there is /home/dev/web here)", python.description)
        val custom = DebugAttach.parameters(info("custom"), "web")
        assertNull(custom.configurationType)
        assertEquals(40123, custom.port)
    }

    @Test
    fun `each container of this server's sessions with a debugger is a debuggee, -c picks one`() {
        val target = Target(namespace = "shop", kind = "Deployment", name = "web", container = "web")
        val ours = DevModeSession(
            target = target,
            state = "running",
            mode = "replace",
            mine = true,
            sessionId = "s-1",
            debug = info("node"),
            containers = listOf(
                DevModeContainer(container = "web", workDir = "/app", portForwards = emptyList(), debug = info("node")),
                DevModeContainer(container = "metrics", workDir = "/home/devmode", portForwards = emptyList()),
                DevModeContainer(container = "jobs", workDir = "/srv", portForwards = emptyList(), debug = info("java")),
            ),
        )
        val theirs = ours.copy(mine = false, sessionId = null, target = target.copy(name = "db"))
        val found = DebugAttach.debuggees(listOf(ours, theirs))
        assertEquals(listOf("deployment/web (web)", "deployment/web (jobs)"), found.map { it.name })
        assertEquals(listOf("java"), DebugAttach.debuggees(listOf(ours), "jobs").map { it.info.kind })
        assertEquals(emptyList<Any>(), DebugAttach.debuggees(listOf(ours), "metrics"))
        // A session listed before its containers are known still offers its own debug info.
        val starting = ours.copy(containers = null)
        assertEquals(listOf("deployment/web"), DebugAttach.debuggees(listOf(starting)).map { it.name })
    }
}

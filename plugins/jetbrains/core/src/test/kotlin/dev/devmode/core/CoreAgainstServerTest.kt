package dev.devmode.core

import dev.devmode.core.logs.LogEvent
import dev.devmode.core.progress.ProgressSink
import dev.devmode.core.protocol.ClientCapabilities
import dev.devmode.core.protocol.ClientInfo
import dev.devmode.core.protocol.DevModePhaseValues
import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.InitializeParams
import dev.devmode.core.protocol.OpenLogsParams
import dev.devmode.core.protocol.PROTOCOL_VERSION
import dev.devmode.core.protocol.PodTarget
import dev.devmode.core.protocol.StartDevModeResult
import dev.devmode.core.protocol.Target
import dev.devmode.core.protocol.TreeNode
import dev.devmode.core.protocol.TreeNodeActionValues
import dev.devmode.core.protocol.WorkDoneProgressBegin
import dev.devmode.core.protocol.WorkDoneProgressEnd
import dev.devmode.core.protocol.WorkDoneProgressReport
import dev.devmode.core.server.ServerListener
import dev.devmode.core.server.ServerLocator
import dev.devmode.core.server.ServerOptions
import dev.devmode.core.server.ServerState
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.CountDownLatch
import java.util.concurrent.CancellationException
import java.util.concurrent.TimeUnit
import org.eclipse.lsp4j.jsonrpc.services.JsonRequest
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.MethodOrderer
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.TestMethodOrder
import org.junit.jupiter.api.Timeout

/**
 * The core against the real server binary and a sandbox cluster, in the order a person works: connect, browse the
 * tree, start DevMode, edit, use a terminal and logs, survive a server crash, stop. Later tests build on the DevMode
 * session the start test opens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation::class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CoreAgainstServerTest {
    private lateinit var sandbox: TestSandbox
    private lateinit var core: DevModeCore
    private lateinit var project: Path
    private lateinit var deploymentBefore: String
    private lateinit var hpaBefore: String
    private var started: StartDevModeResult? = null
    private val ratings = Target(namespace = "default", kind = "Deployment", name = "ratings")

    @BeforeAll
    fun startSandbox() {
        sandbox = TestSandbox.start()
        sandbox.kubectlOk("apply", "-n", "default", "-f", TestPaths.repo.resolve("test/fixtures/workloads/deployment.yaml").toString())
        sandbox.kubectlOk("rollout", "status", "deployment/ratings", "--timeout=120s")
        deploymentBefore = sandbox.snapshot("deployment", "ratings")
        hpaBefore = sandbox.snapshot("hpa", "ratings")
        project = Files.createTempDirectory("devmode-project-")
        // The dev command prints a line a second, which the log test reads back.
        Files.writeString(
            project.resolve("devmode.yaml"),
            "image: devmode/dev\ncommand: [\"sh\", \"-c\", \"i=0; while true; do echo tick \$i; i=\$((i+1)); sleep 1; done\"]\n",
        )
        Files.writeString(project.resolve("index.html"), "version 1\n")
        val located = ServerLocator.locate(TestPaths.binary.toString(), bundled = null)
        core = DevModeCore(
            ServerOptions(
                command = ServerOptions.forBinary(located),
                environment = sandbox.environment,
                initializeParams = {
                    InitializeParams(
                        clientInfo = ClientInfo("devmode-jetbrains-tests"),
                        capabilities = ClientCapabilities(workDoneProgress = true),
                        rootPath = project.toString(),
                    )
                },
                restartDelaysMs = listOf(200, 500, 1_000),
                trace = System.getProperty("devmode.trace")?.takeIf { it.isNotEmpty() }?.let { java.io.PrintWriter(java.io.FileWriter(it), true) },
            ),
        )
    }

    @AfterAll
    fun stopEverything() {
        if (::core.isInitialized) core.close()
        if (::sandbox.isInitialized) sandbox.stop()
        if (::project.isInitialized) project.toFile().deleteRecursively()
    }

    @Test
    @Order(1)
    fun `initialize answers with the server's identity, protocol version and every method the core calls`() {
        val result = core.start()
        assertEquals("devmode", result.serverInfo.name)
        assertEquals(PROTOCOL_VERSION, result.protocolVersion)
        val called = DevModeServerApi::class.java.methods.mapNotNull { it.getAnnotation(JsonRequest::class.java)?.value }
        val missing = called.filter { it !in result.capabilities.methods && it != "initialize" && it != "shutdown" }
        assertEquals(emptyList<String>(), missing, "requests the generated interface declares but the server does not list")
        assertTrue(core.server.state is ServerState.Running)
    }

    @Test
    @Order(2)
    fun `the tree leads from the context down to the sample Deployment and offers its actions`() {
        val deployment = ratingsNode()
        assertEquals("workload", deployment.kind)
        assertTrue(core.tree.actions(deployment).any { it.action == TreeNodeActionValues.startDevMode && it.title == "Start DevMode" })
        assertEquals(ratings.name, (deployment.target as Target).name)
    }

    @Test
    @Order(3)
    fun `a change in the cluster invalidates the Deployments group and leaves the rest cached`() {
        val group = deploymentsGroup()
        val namespace = namespaceNode()
        assertNotNull(core.tree.cached(namespace.id))
        val invalidated = CopyOnWriteArrayList<Set<String>?>()
        core.tree.addListener { invalidated.add(it) }
        // The server ignores what its watch sees in its first half second (it takes that for the replay of the objects
        // just listed), so a change made at once would go unreported; a person never edits the cluster that fast.
        Thread.sleep(2_000)
        sandbox.kubectlOk("create", "deployment", "reviews", "--image=devmode/ratings", "-n", "default")
        waitUntil("tree/didChange naming ${group.id}") { invalidated.any { it != null && group.id in it } }
        assertTrue(invalidated.none { it == null }, "the whole tree was invalidated for one new Deployment")
        assertEquals(null, core.tree.cached(group.id))
        assertNotNull(core.tree.cached(namespace.id), "the namespace's children were dropped though they did not change")
        val labels = core.tree.children(group.id).get(30, TimeUnit.SECONDS).map { it.label }
        assertTrue("reviews" in labels, "reviews missing from $labels")
        sandbox.kubectlOk("delete", "deployment", "reviews", "-n", "default")
    }

    @Test
    @Order(4)
    fun `DevMode start reports begin, reports and end on the sink and the phases in order`() {
        val sink = RecordingSink()
        val phases = CopyOnWriteArrayList<String>()
        val states = CopyOnWriteArrayList<String>()
        core.sessions.addListener { session ->
            if (session.target.name == ratings.name) {
                session.phase?.let { if (phases.lastOrNull() != it) phases.add(it) }
                states.add(session.state)
            }
        }
        val result = core.sessions.start(ratings, project.toString()) { sink }.get(180, TimeUnit.SECONDS)
        started = result
        assertEquals("ratings", result.container)
        assertTrue(sink.ended.await(30, TimeUnit.SECONDS), "no end on the sink")
        assertTrue(sink.events.first() is WorkDoneProgressBegin, "first event ${sink.events.first()}")
        assertTrue(sink.events.last() is WorkDoneProgressEnd, "last event ${sink.events.last()}")
        assertTrue(sink.events.count { it is WorkDoneProgressReport } >= 1, "no report between begin and end")
        // The phases come from the structured `phase` field, in the order the protocol declares them.
        val declared = DevModePhaseValues.all
        assertEquals(DevModePhaseValues.loadConfig, phases.firstOrNull(), "phases from devMode/didChangeState: $phases")
        assertTrue(DevModePhaseValues.waitPod in phases, "phases from devMode/didChangeState: $phases")
        assertEquals(phases.sortedBy { declared.indexOf(it) }, phases, "phases out of order: $phases")
        waitUntil("the session to be running") { core.sessions.of(ratings)?.state == "running" }
        assertEquals(result.sessionId, core.sessions.of(ratings)?.sessionId)
        val image = sandbox.kubectlOk("get", "deployment", "ratings", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
        assertEquals("devmode/dev", image)
    }

    @Test
    @Order(5)
    fun `a local edit is in the container after sync flush`() {
        val session = requireStarted()
        Files.writeString(project.resolve("index.html"), "version 2, edited in the IDE\n")
        core.sync.flush(session.sessionId).get(60, TimeUnit.SECONDS)
        val inContainer = sandbox.kubectlOk("exec", session.pod, "-c", session.container, "--", "cat", "/home/devmode/index.html")
        assertEquals("version 2, edited in the IDE\n", inContainer)
        val status = core.sync.status(session.sessionId).get(30, TimeUnit.SECONDS)
        assertEquals(0, status.pendingFiles)
        assertEquals(status, core.sync.of(session.sessionId))
        assertTrue(status.summary.startsWith("Sync: "), status.summary)
    }

    @Test
    @Order(6)
    fun `the terminal connector runs a command, resizes and reports the exit code`() {
        val session = requireStarted()
        val terminal = core.terminals
            .open(PodTarget(namespace = "default", pod = session.pod, container = session.container), "ratings", 80, 24, listOf("sh"))
            .get(60, TimeUnit.SECONDS)
        val screen = StringBuilder()
        val reader = Thread {
            val buffer = CharArray(1024)
            while (true) {
                val count = terminal.read(buffer, 0, buffer.size)
                if (count < 0) break
                synchronized(screen) { screen.append(buffer, 0, count) }
            }
        }.apply { isDaemon = true; start() }
        terminal.write("echo \$((6*7))\n")
        waitUntil("42 on the terminal", 60_000) { synchronized(screen) { Regex("(^|\\s)42\\r?\\n").containsMatchIn(screen) } }
        terminal.resize(132, 40)
        terminal.write("stty size\n")
        waitUntil("the new size on the terminal", 60_000) { synchronized(screen) { screen.contains("40 132") } }
        terminal.write("exit 3\n")
        assertEquals(3, terminal.waitFor(60_000), "exit code")
        assertTrue(!terminal.isConnected())
        reader.join(10_000)
        assertTrue(!reader.isAlive, "read did not return -1 after the exit")
    }

    @Test
    @Order(7)
    fun `logs stream a line the dev container prints`() {
        val session = requireStarted()
        val events = CopyOnWriteArrayList<LogEvent>()
        val stream = core.logs.open(
            OpenLogsParams(target = PodTarget(namespace = "default", pod = session.pod), follow = true, tailLines = 5),
        ) { events.add(it) }.get(60, TimeUnit.SECONDS)
        assertEquals(listOf(session.pod), stream.pods)
        waitUntil("a tick line in the log stream", 60_000) {
            events.any { it is LogEvent.Line && it.line.text.startsWith("tick ") && it.line.pod == session.pod }
        }
        stream.close().get(30, TimeUnit.SECONDS)
    }

    @Test
    @Order(8)
    fun `a killed server is restarted and the sessions are listed again`() {
        requireStarted()
        val restarted = CountDownLatch(1)
        val listed = CopyOnWriteArrayList<String>()
        core.server.addListener(object : ServerListener {
            override fun restarted(initialize: dev.devmode.core.protocol.InitializeResult) = restarted.countDown()
        })
        core.sessions.addListener { listed.add("${it.target.name}:${it.state}") }
        val oldPid = core.server.pid ?: throw AssertionError("the server has no pid: ${core.server.state}")
        ProcessHandle.of(oldPid).get().destroyForcibly()
        assertTrue(restarted.await(60, TimeUnit.SECONDS), "the server did not come back: ${core.server.state}")
        assertNotEquals(oldPid, core.server.pid)
        waitUntil("the ratings session listed by the new server") { "ratings:running" in listed }
        val sessions = core.sessions.refresh().get(30, TimeUnit.SECONDS)
        assertTrue(sessions.any { it.target.name == "ratings" && it.state == "running" }, "sessions after restart: $sessions")
        assertTrue(core.server.state is ServerState.Running)
    }

    @Test
    @Order(9)
    fun `stop restores the Deployment and its autoscaler exactly`() {
        requireStarted()
        val sink = RecordingSink()
        core.sessions.stopTarget(ratings) { sink }.get(180, TimeUnit.SECONDS)
        assertTrue(sink.ended.await(30, TimeUnit.SECONDS))
        assertEquals(deploymentBefore, sandbox.snapshot("deployment", "ratings"))
        assertEquals(hpaBefore, sandbox.snapshot("hpa", "ratings"))
        sandbox.kubectlOk("rollout", "status", "deployment/ratings", "--timeout=120s")
        val images = sandbox.kubectlOk("get", "pods", "-l", "app=ratings", "-o", "jsonpath={.items[*].spec.containers[0].image}")
        assertEquals(listOf("devmode/ratings", "devmode/ratings"), images.split(" ").filter { it.isNotEmpty() })
    }

    @Test
    @Order(10)
    fun `cancelling DevMode start from its progress sends the cancel and the workload is restored`() {
        val before = sandbox.snapshot("deployment", "ratings")
        val cancelled = CountDownLatch(1)
        val ended = CountDownLatch(1)
        val start = core.sessions.start(ratings, project.toString()) { handle ->
            object : ProgressSink {
                override fun begin(value: WorkDoneProgressBegin) {
                    assertEquals(true, value.cancellable)
                }

                override fun report(value: WorkDoneProgressReport) {
                    if (cancelled.count > 0) {
                        cancelled.countDown()
                        handle.cancel()
                    }
                }

                override fun end(value: WorkDoneProgressEnd) = ended.countDown()
            }
        }
        assertThrows(CancellationException::class.java) { start.get(180, TimeUnit.SECONDS) }
        assertTrue(ended.await(120, TimeUnit.SECONDS), "the server never ended the cancelled start's progress")
        waitUntil("the session to leave DevMode after the cancel") {
            core.sessions.of(ratings)?.state.let { it == "stopped" || it == "failed" }
        }
        assertEquals(before, sandbox.snapshot("deployment", "ratings"))
    }

    @Test
    @Order(11)
    fun `a workload's log stream marks where a new pod begins`() {
        sandbox.kubectlOk("rollout", "status", "deployment/ratings", "--timeout=120s")
        val events = CopyOnWriteArrayList<LogEvent>()
        val stream = core.logs.open(OpenLogsParams(target = ratings, follow = true, tailLines = 1)) { events.add(it) }
            .get(60, TimeUnit.SECONDS)
        val deleted = stream.pods.first()
        sandbox.kubectlOk("delete", "pod", deleted, "-n", "default", "--wait=false")
        waitUntil("a restart marker for the pod that replaces $deleted", 120_000) {
            events.any { it is LogEvent.Restarted && it.reason == "newPod" && it.pod != deleted }
        }
        val marker = events.filterIsInstance<LogEvent.Restarted>().first { it.pod != deleted }
        assertTrue(marker.text.contains(marker.pod), marker.text)
        stream.close().get(30, TimeUnit.SECONDS)
    }

    @Test
    @Order(12)
    fun `a port-forward to the workload answers and is listed until stopped`() {
        sandbox.kubectlOk("rollout", "status", "deployment/ratings", "--timeout=120s")
        val forward = core.portForwards.start(ratings, 9080).get(60, TimeUnit.SECONDS)
        assertEquals("127.0.0.1", forward.address)
        val listed = core.portForwards.all().single { it.id == forward.id }
        assertEquals(forward.localPort, listed.localPort)
        val connection = java.net.URI("http://127.0.0.1:${forward.localPort}/health").toURL().openConnection() as java.net.HttpURLConnection
        connection.connectTimeout = 30_000
        connection.readTimeout = 30_000
        assertEquals(200, connection.responseCode)
        connection.disconnect()
        core.portForwards.stop(forward.id).get(30, TimeUnit.SECONDS)
        assertTrue(core.portForwards.all().none { it.id == forward.id }, "still listed: ${core.portForwards.all()}")
    }

    private fun requireStarted(): StartDevModeResult =
        started ?: throw AssertionError("DevMode did not start in the start test, so this test cannot run")

    private fun child(parent: String?, predicate: (TreeNode) -> Boolean): TreeNode {
        val nodes = core.tree.children(parent).get(60, TimeUnit.SECONDS)
        return nodes.firstOrNull(predicate) ?: throw AssertionError("no such node under ${parent ?: "the root"}: ${nodes.map { it.id }}")
    }

    private fun namespaceNode(): TreeNode {
        val context = child(null) { it.kind == "context" }
        return child(context.id) { it.kind == "namespace" && it.label == "default" }
    }

    private fun deploymentsGroup(): TreeNode = child(namespaceNode().id) { it.kind == "group" && it.label == "Deployments" }

    private fun ratingsNode(): TreeNode = child(deploymentsGroup().id) { it.kind == "workload" && it.label == "ratings" }

    private class RecordingSink : ProgressSink {
        val events = CopyOnWriteArrayList<Any>()
        val ended = CountDownLatch(1)

        override fun begin(value: WorkDoneProgressBegin) {
            events.add(value)
        }

        override fun report(value: WorkDoneProgressReport) {
            events.add(value)
        }

        override fun end(value: WorkDoneProgressEnd) {
            events.add(value)
            ended.countDown()
        }
    }
}

package dev.devmode.core

import com.google.gson.GsonBuilder
import com.google.gson.JsonParseException
import dev.devmode.core.protocol.LocalShell
import dev.devmode.core.protocol.LocalTerminalTarget
import dev.devmode.core.protocol.OpenTerminalParams
import dev.devmode.core.protocol.PodTarget
import dev.devmode.core.protocol.ProgressParams
import dev.devmode.core.protocol.ProtocolGson
import dev.devmode.core.protocol.StopDevModeBySessionParams
import dev.devmode.core.protocol.StopDevModeParams
import dev.devmode.core.protocol.Target
import dev.devmode.core.protocol.TreeNode
import dev.devmode.core.protocol.WorkDoneProgressEnd
import dev.devmode.core.protocol.WorkDoneProgressReport
import org.eclipse.lsp4j.jsonrpc.json.MessageJsonHandler
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The generated types read and write the wire format the server speaks, unions included. */
class ProtocolTypesTest {
    // The Gson lsp4j itself uses, with the protocol's union adapters, as the connection configures it.
    private val gson = ProtocolGson.configure(MessageJsonHandler(emptyMap()).getDefaultGsonBuilder()).create()

    @Test
    fun `a progress value is read by its kind`() {
        val report = gson.fromJson("""{"token":"t-1","value":{"kind":"report","message":"waitPod: pulling","percentage":40}}""", ProgressParams::class.java)
        assertEquals(WorkDoneProgressReport(kind = "report", message = "waitPod: pulling", percentage = 40), report.value)
        assertEquals("t-1", report.token.right)
        val end = gson.fromJson("""{"token":7,"value":{"kind":"end"}}""", ProgressParams::class.java)
        assertTrue(end.value is WorkDoneProgressEnd)
        assertEquals(7, end.token.left)
    }

    @Test
    fun `a target union is read as the alternative whose required fields are present`() {
        val node = gson.fromJson(
            """{"id":"pod/x","kind":"pod","label":"x","hasChildren":true,"actions":[],"target":{"namespace":"default","pod":"x"}}""",
            TreeNode::class.java,
        )
        assertEquals(PodTarget(namespace = "default", pod = "x"), node.target)
        val workload = gson.fromJson(
            """{"id":"w","kind":"workload","label":"r","hasChildren":true,"actions":["startDevMode"],"target":{"namespace":"default","kind":"Deployment","name":"r"}}""",
            TreeNode::class.java,
        )
        assertEquals(Target(namespace = "default", kind = "Deployment", name = "r"), workload.target)
    }

    @Test
    fun `a union is written as the alternative itself`() {
        val open = OpenTerminalParams(target = LocalTerminalTarget(LocalShell(cwd = "/tmp")), cols = 80, rows = 24)
        assertEquals("""{"target":{"local":{"cwd":"/tmp"}},"cols":80,"rows":24}""", gson.toJson(open))
        val stop: StopDevModeParams = StopDevModeBySessionParams(sessionId = "s-1")
        assertEquals("""{"sessionId":"s-1"}""", gson.toJson(stop, StopDevModeParams::class.java))
    }

    @Test
    fun `an object that matches no alternative is a named parse error`() {
        val error = assertThrows(JsonParseException::class.java) {
            gson.fromJson("""{"id":"x","kind":"pod","label":"x","hasChildren":false,"actions":[],"target":{"nothing":1}}""", TreeNode::class.java)
        }
        assertTrue(error.message!!.contains("TreeNodeTarget matches none of"), error.message)
    }

    @Test
    fun `a plain Gson without the adapters cannot read a union, which is why the connection registers them`() {
        assertThrows(RuntimeException::class.java) {
            GsonBuilder().create().fromJson("""{"token":"t","value":{"kind":"end"}}""", ProgressParams::class.java)
        }
    }
}

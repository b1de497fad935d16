package dev.devmode.core

import com.google.gson.JsonArray
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** The built server binary and the repository, as plugins/jetbrains/test/run-tests.sh passes them. */
object TestPaths {
    val binary: Path by lazy {
        val configured = System.getProperty("devmode.bin").orEmpty()
        require(configured.isNotEmpty()) {
            "the devmode binary is not set: run the suite through `npm run test:jetbrains` (it builds dist/devmode and passes -Ddevmode.bin)"
        }
        Path.of(configured).also {
            require(Files.isExecutable(it)) { "the devmode binary $it is missing: run `npm run build:binary`" }
        }
    }
    val repo: Path by lazy { Path.of(System.getProperty("devmode.repo").orEmpty().ifEmpty { "../../.." }).toAbsolutePath().normalize() }
}

class CommandResult(val code: Int, val stdout: String, val stderr: String)

fun run(command: List<String>, environment: Map<String, String>, input: String = "", timeoutSeconds: Long = 90): CommandResult {
    val process = ProcessBuilder(command).apply { environment().putAll(environment) }.start()
    process.outputStream.use { it.write(input.toByteArray()) }
    val out = StringBuilder()
    val err = StringBuilder()
    val readers = listOf(
        Thread { out.append(process.inputStream.bufferedReader().readText()) },
        Thread { err.append(process.errorStream.bufferedReader().readText()) },
    ).onEach { it.start() }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly()
        throw AssertionError("${command.joinToString(" ")} did not finish within $timeoutSeconds s")
    }
    readers.forEach { it.join() }
    return CommandResult(process.exitValue(), out.toString(), err.toString())
}

/**
 * A sandbox cluster started for a test class through the binary's own `sandbox` command, in a temporary state
 * directory, with a throw-away HOME for kubectl and the server. [stop] fails when the sandbox does not stop.
 */
class TestSandbox private constructor(val stateDir: Path, val home: Path) {
    val kubeconfig: Path = stateDir.resolve("kubeconfig")
    val environment: Map<String, String> = mapOf("HOME" to home.toString(), "KUBECONFIG" to kubeconfig.toString())

    fun kubectl(vararg args: String, input: String = ""): CommandResult {
        requireKubectl()
        return run(listOf("kubectl", "--kubeconfig", kubeconfig.toString(), *args), environment, input)
    }

    fun kubectlOk(vararg args: String, input: String = ""): String {
        val result = kubectl(*args, input = input)
        if (result.code != 0) throw AssertionError("kubectl ${args.joinToString(" ")} failed (${result.code}): ${result.stderr}")
        return result.stdout
    }

    /** The object as `kubectl get -o json` shows it, minus what the API server and controllers own. */
    fun snapshot(resource: String, name: String): String {
        val json = JsonParser.parseString(kubectlOk("get", resource, name, "-n", "default", "-o", "json")).asJsonObject
        val metadata = json.getAsJsonObject("metadata")
        for (field in listOf("resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "deletionTimestamp")) {
            metadata.remove(field)
        }
        metadata.getAsJsonObject("annotations")?.let { annotations ->
            annotations.remove("deployment.kubernetes.io/revision")
            if (annotations.size() == 0) metadata.remove("annotations")
        }
        json.remove("status")
        return sorted(json).toString()
    }

    fun stop() {
        val stopped = run(listOf(TestPaths.binary.toString(), "sandbox", "stop", "--state-dir", stateDir.toString()), environment)
        if (stopped.code != 0) throw AssertionError("sandbox stop failed (${stopped.code}): ${stopped.stdout}${stopped.stderr}")
        home.toFile().deleteRecursively()
        stateDir.toFile().deleteRecursively()
    }

    companion object {
        fun start(): TestSandbox {
            val sandbox = TestSandbox(Files.createTempDirectory("devmode-sandbox-"), Files.createTempDirectory("devmode-home-"))
            val started = run(
                listOf(TestPaths.binary.toString(), "sandbox", "start", "--state-dir", sandbox.stateDir.toString()),
                sandbox.environment,
            )
            if (started.code != 0) throw AssertionError("sandbox start failed (${started.code}): ${started.stdout}${started.stderr}")
            return sandbox
        }

        private fun requireKubectl() {
            val found = System.getenv("PATH").orEmpty().split(':').any { Files.isExecutable(Path.of(it, "kubectl")) }
            if (!found) throw AssertionError("kubectl is not on PATH: install it (the sandbox tests check the cluster with the real kubectl)")
        }

        private fun sorted(json: JsonElement): JsonElement = when {
            json.isJsonObject -> JsonObject().also { out ->
                for (key in json.asJsonObject.keySet().sorted()) out.add(key, sorted(json.asJsonObject.get(key)))
            }
            json.isJsonArray -> JsonArray().also { out -> json.asJsonArray.forEach { out.add(sorted(it)) } }
            else -> json
        }
    }
}

/** Polls [check] until it holds; fails with [what] after [timeoutMs]. */
fun waitUntil(what: String, timeoutMs: Long = 90_000, check: () -> Boolean) {
    val deadline = System.currentTimeMillis() + timeoutMs
    while (!check()) {
        if (System.currentTimeMillis() > deadline) throw AssertionError("timed out waiting for $what")
        Thread.sleep(200)
    }
}

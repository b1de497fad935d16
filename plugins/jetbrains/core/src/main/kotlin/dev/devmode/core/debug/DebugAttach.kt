package dev.devmode.core.debug

import dev.devmode.core.protocol.DebugAttachInfo
import dev.devmode.core.protocol.DebugKindValues
import dev.devmode.core.protocol.DevModeSession

/** One dev command running under a debugger: a container of a session of this server. */
data class Debuggee(
    /** How the person reads it: `deployment/web (web)`. */
    val name: String,
    val container: String?,
    val info: DebugAttachInfo,
)

/**
 * The parameters of the IDE run configuration that attaches to a dev command, read from the session's debug info.
 * The IntelliJ layer creates a configuration of [configurationType] with these values; when there is none it shows
 * [description], which says where to attach by hand.
 */
data class DebugAttachParameters(
    /** The run configuration's name. */
    val name: String,
    val kind: String,
    /**
     * The id of IntelliJ's run-configuration type that attaches to this debugger, null when the IDE has none:
     * `Remote` (Remote JVM Debug) for java, `ChromiumRemoteDebugType` (Attach to Node.js/Chrome) for node,
     * `GoRemoteDebugConfigurationType` (Go Remote) for go.
     */
    val configurationType: String?,
    /** The host to attach to: the local end of the debug port's forward. */
    val host: String,
    /** The local port of the debug port's forward. */
    val port: Int,
    /** The local folder, synced into [remoteRoot]: breakpoints in the one are hit in the other. */
    val localRoot: String,
    /** The folder the sources are synced to in the container. */
    val remoteRoot: String,
    /** One sentence for the person: what attaches, where, and how paths map. */
    val description: String,
)

/** Maps a session's debug info to run-configuration parameters. Pure, so that it is tested without the IDE. */
object DebugAttach {
    /** The run-configuration parameters that attach to [info], named [name]. */
    fun parameters(info: DebugAttachInfo, name: String): DebugAttachParameters {
        val address = "${info.address}:${info.localPort}"
        val inContainer = "port ${info.remotePort} in the container; ${info.remoteRoot} there is ${info.localRoot} here"
        val (type, how) = when (info.kind) {
            DebugKindValues.java -> "Remote" to "Remote JVM Debug (JDWP, socket attach) to $address"
            DebugKindValues.node -> "ChromiumRemoteDebugType" to "Attach to Node.js/Chrome (inspector) at $address"
            DebugKindValues.go -> "GoRemoteDebugConfigurationType" to "Go Remote (Delve) at $address"
            DebugKindValues.python -> null to "attach a debugpy (Debug Adapter Protocol) client to $address"
            else -> null to "attach the dev command's own debugger to $address"
        }
        return DebugAttachParameters(
            name = name,
            kind = info.kind,
            configurationType = type,
            host = info.address,
            port = info.localPort,
            localRoot = info.localRoot,
            remoteRoot = info.remoteRoot,
            description = "$name: $how ($inContainer)",
        )
    }

    /**
     * The dev commands of [sessions] that run under a debugger: one per container of this server's sessions whose
     * dev config asks for `debug`, else the session's own debug info; only those in [container] when it is given.
     */
    fun debuggees(sessions: List<DevModeSession>, container: String? = null): List<Debuggee> =
        sessions.filter { it.mine }.flatMap { session ->
            val workload = "${session.target.kind.lowercase()}/${session.target.name}"
            val perContainer = session.containers.orEmpty().mapNotNull { c ->
                c.debug?.let { Debuggee("$workload (${c.container})", c.container, it) }
            }
            perContainer.ifEmpty {
                listOfNotNull(session.debug?.let { Debuggee(workload, session.target.container, it) })
            }
        }.filter { container == null || it.container == container }
}

package dev.devmode.core.portforward

import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DidChangePortForwardStateParams
import dev.devmode.core.protocol.ListPortForwardsParams
import dev.devmode.core.protocol.PortForward
import dev.devmode.core.protocol.PortForwardTarget
import dev.devmode.core.protocol.StartPortForwardParams
import dev.devmode.core.protocol.StartPortForwardResult
import dev.devmode.core.protocol.StopPortForwardParams
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

fun interface PortForwardsListener {
    fun changed(forwards: List<PortForward>)
}

/** The port-forwards the server runs, listed once and kept current by `portForward/didChangeState`. */
class PortForwards(private val server: () -> DevModeServerApi) {
    private val forwards = ConcurrentHashMap<String, PortForward>()
    private val listeners = CopyOnWriteArrayList<PortForwardsListener>()

    fun addListener(listener: PortForwardsListener) {
        listeners.add(listener)
    }

    fun all(): List<PortForward> = forwards.values.sortedBy { it.localPort }

    fun refresh(): CompletableFuture<List<PortForward>> =
        server().portForwardList(ListPortForwardsParams()).thenApply { result ->
            forwards.clear()
            result.forwards.forEach { forwards[it.id] = it }
            changed()
        }

    fun start(target: PortForwardTarget, remotePort: Int, localPort: Int? = null): CompletableFuture<StartPortForwardResult> =
        server().portForwardStart(StartPortForwardParams(target = target, remotePort = remotePort, localPort = localPort))
            .thenCompose { started -> refresh().thenApply { started } }

    fun stop(id: String): CompletableFuture<List<PortForward>> =
        server().portForwardStop(StopPortForwardParams(id)).thenCompose { refresh() }

    /** `portForward/didChangeState`: a forward the list does not hold yet is fetched with the next list. */
    fun didChangeState(params: DidChangePortForwardStateParams) {
        val known = forwards[params.id]
        if (known == null) {
            refresh()
            return
        }
        forwards[params.id] = known.copy(state = params.state, error = params.error, pod = params.pod ?: known.pod)
        changed()
    }

    private fun changed(): List<PortForward> {
        val list = all()
        listeners.forEach { it.changed(list) }
        return list
    }
}

package dev.devmode.core.sync

import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DidChangeSyncStateParams
import dev.devmode.core.protocol.FlushSyncParams
import dev.devmode.core.protocol.FlushSyncResult
import dev.devmode.core.protocol.SyncConflict
import dev.devmode.core.protocol.SyncFileError
import dev.devmode.core.protocol.SyncSessionParams
import dev.devmode.core.protocol.SyncState
import dev.devmode.core.protocol.SyncStatus
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

/** A session's file sync as the status-bar widget shows it. */
data class SyncView(
    val sessionId: String,
    val state: SyncState,
    val pendingFiles: Int,
    val message: String?,
    val errors: List<SyncFileError>,
    val conflicts: List<SyncConflict>,
) {
    /** The status-bar text: the state, then what needs attention. */
    val summary: String
        get() = buildString {
            append("Sync: ").append(state)
            if (pendingFiles > 0) append(", ").append(pendingFiles).append(if (pendingFiles == 1) " file pending" else " files pending")
            if (conflicts.isNotEmpty()) append(", ").append(conflicts.size).append(if (conflicts.size == 1) " conflict" else " conflicts")
            if (errors.isNotEmpty()) append(", ").append(errors.size).append(if (errors.size == 1) " error" else " errors")
        }
}

fun interface SyncListener {
    fun changed(sync: SyncView)
}

/** Sync state per DevMode session, from `sync/status` and `sync/didChangeState`, and the sync requests. */
class SyncStates(private val server: () -> DevModeServerApi) {
    private val states = ConcurrentHashMap<String, SyncView>()
    private val listeners = CopyOnWriteArrayList<SyncListener>()

    fun addListener(listener: SyncListener) {
        listeners.add(listener)
    }

    fun of(sessionId: String): SyncView? = states[sessionId]

    fun all(): List<SyncView> = states.values.sortedBy { it.sessionId }

    fun status(sessionId: String): CompletableFuture<SyncView> =
        server().syncStatus(SyncSessionParams(sessionId)).thenApply { update(viewOf(it)) }

    /** Waits until every local change so far has reached the container. */
    fun flush(sessionId: String, timeoutMs: Int? = null): CompletableFuture<FlushSyncResult> =
        server().syncFlush(FlushSyncParams(sessionId, timeoutMs))

    fun pause(sessionId: String): CompletableFuture<Void> = server().syncPause(SyncSessionParams(sessionId))

    fun resume(sessionId: String): CompletableFuture<Void> = server().syncResume(SyncSessionParams(sessionId))

    /** `sync/didChangeState`. */
    fun didChangeState(params: DidChangeSyncStateParams) {
        update(
            SyncView(
                sessionId = params.sessionId,
                state = params.state,
                pendingFiles = params.pendingFiles,
                message = params.message,
                errors = params.errors ?: states[params.sessionId]?.errors ?: emptyList(),
                conflicts = params.conflicts ?: states[params.sessionId]?.conflicts ?: emptyList(),
            ),
        )
    }

    /** A session ended: its sync is gone. */
    fun forget(sessionId: String) {
        states.remove(sessionId)
    }

    private fun update(view: SyncView): SyncView {
        states[view.sessionId] = view
        listeners.forEach { it.changed(view) }
        return view
    }

    private fun viewOf(status: SyncStatus) =
        SyncView(status.sessionId, status.state, status.pendingFiles, status.message, status.errors, status.conflicts)
}

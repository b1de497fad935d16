package dev.devmode.core.tree

import dev.devmode.core.protocol.DevModeServerApi
import dev.devmode.core.protocol.DidChangeTreeParams
import dev.devmode.core.protocol.TreeChildrenParams
import dev.devmode.core.protocol.TreeNode
import dev.devmode.core.protocol.TreeNodeAction
import dev.devmode.core.protocol.TreeNodeActionValues
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

/** What the tree view hears: these nodes' children must be fetched again (null: the whole tree). */
fun interface TreeListener {
    fun invalidated(nodeIds: Set<String>?)
}

/** A context action of a node, with the words the IDE shows for it. */
data class NodeAction(val action: TreeNodeAction, val title: String)

/**
 * The cluster tree, fetched lazily: a node's children are asked for (`tree/children`) when the view expands it and
 * kept until `tree/didChange` names the node, which drops them and tells the view to fetch again. The server
 * watches what was asked for, so the view never polls.
 */
class ClusterTree(private val server: () -> DevModeServerApi) {
    private val children = ConcurrentHashMap<String, List<TreeNode>>()
    private val listeners = CopyOnWriteArrayList<TreeListener>()

    fun addListener(listener: TreeListener) {
        listeners.add(listener)
    }

    /** The children of [nodeId] (the root's when null): from the cache, or asked of the server. */
    fun children(nodeId: String?): CompletableFuture<List<TreeNode>> {
        children[keyOf(nodeId)]?.let { return CompletableFuture.completedFuture(it) }
        return server().treeChildren(TreeChildrenParams(nodeId)).thenApply { result ->
            children[keyOf(nodeId)] = result.nodes
            result.nodes
        }
    }

    /** The cached children of [nodeId], or null when they were never fetched or have been invalidated. */
    fun cached(nodeId: String?): List<TreeNode>? = children[keyOf(nodeId)]

    /** `tree/didChange`: forget the named nodes' children (all of them for an empty list) and tell the view. */
    fun didChange(params: DidChangeTreeParams) {
        if (params.nodeIds.isEmpty()) invalidateAll() else invalidate(params.nodeIds.toSet())
    }

    /** Everything is stale, e.g. after the server restarted. */
    fun invalidateAll() {
        children.clear()
        listeners.forEach { it.invalidated(null) }
    }

    private fun invalidate(nodeIds: Set<String>) {
        for (id in nodeIds) children.remove(keyOf(id))
        listeners.forEach { it.invalidated(nodeIds) }
    }

    /** The context actions of a node, in the order the server lists them. */
    fun actions(node: TreeNode): List<NodeAction> = node.actions.map { NodeAction(it, titleOf(it)) }

    private fun titleOf(action: TreeNodeAction): String = when (action) {
        TreeNodeActionValues.startDevMode -> "Start DevMode"
        TreeNodeActionValues.stopDevMode -> "Stop DevMode"
        TreeNodeActionValues.resetDevMode -> "Reset DevMode"
        TreeNodeActionValues.openDevConfig -> "Open Dev Config"
        TreeNodeActionValues.openTerminal -> "Open Terminal"
        TreeNodeActionValues.openLogs -> "Show Logs"
        TreeNodeActionValues.startPortForward -> "Forward a Port..."
        TreeNodeActionValues.syncStatus -> "Sync Status"
        TreeNodeActionValues.refresh -> "Refresh"
        else -> action
    }

    private fun keyOf(nodeId: String?): String = nodeId ?: ROOT

    private companion object {
        const val ROOT = "\u0000root"
    }
}

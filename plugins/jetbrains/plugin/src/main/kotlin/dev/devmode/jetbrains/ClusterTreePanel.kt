package dev.devmode.jetbrains

import com.intellij.icons.AllIcons
import com.intellij.openapi.actionSystem.ActionGroup
import com.intellij.openapi.actionSystem.AnAction
import com.intellij.openapi.actionSystem.AnActionEvent
import com.intellij.openapi.application.ApplicationManager
import com.intellij.openapi.project.Project
import com.intellij.openapi.ui.SimpleToolWindowPanel
import com.intellij.ui.ColoredTreeCellRenderer
import com.intellij.ui.PopupHandler
import com.intellij.ui.ScrollPaneFactory
import com.intellij.ui.SimpleTextAttributes
import com.intellij.ui.components.JBLabel
import com.intellij.ui.treeStructure.Tree
import dev.devmode.core.protocol.TreeNode
import javax.swing.JTree
import javax.swing.event.TreeExpansionEvent
import javax.swing.event.TreeWillExpandListener
import javax.swing.tree.DefaultMutableTreeNode
import javax.swing.tree.DefaultTreeModel

/**
 * The cluster tree: expanding a node asks the core for its children; the core's invalidations reload the nodes it
 * names; the context menu lists the node's actions as the core gives them. A label under the tree shows the latest
 * DevMode session change.
 */
class ClusterTreePanel(private val project: Project) : SimpleToolWindowPanel(true) {
    private val service = DevModeProjectService.getInstance(project)
    private val root = DefaultMutableTreeNode()
    private val model = DefaultTreeModel(root)
    private val tree = Tree(model)
    private val sessionLine = JBLabel()

    init {
        tree.isRootVisible = false
        tree.showsRootHandles = true
        tree.cellRenderer = Renderer()
        tree.addTreeWillExpandListener(object : TreeWillExpandListener {
            override fun treeWillExpand(event: TreeExpansionEvent) = load(event.path.lastPathComponent as DefaultMutableTreeNode)

            override fun treeWillCollapse(event: TreeExpansionEvent) {}
        })
        PopupHandler.installPopupMenu(tree, NodeActionGroup(), "DevModeTree")
        setContent(ScrollPaneFactory.createScrollPane(tree))
        toolbar = sessionLine
        ApplicationManager.getApplication().executeOnPooledThread {
            try {
                val core = service.core()
                core.tree.addListener { ids -> ApplicationManager.getApplication().invokeLater { reload(ids) } }
                core.sessions.addListener { session -> ApplicationManager.getApplication().invokeLater { sessionLine.text = session.summary } }
                load(root)
            } catch (error: Exception) {
                service.notifyFailure(error)
            }
        }
    }

    private fun nodeOf(treeNode: DefaultMutableTreeNode): TreeNode? = treeNode.userObject as? TreeNode

    private fun load(parent: DefaultMutableTreeNode) {
        service.core().tree.children(nodeOf(parent)?.id).whenComplete { nodes, error ->
            ApplicationManager.getApplication().invokeLater {
                if (error != null) return@invokeLater service.notifyFailure(error)
                parent.removeAllChildren()
                for (node in nodes) {
                    val child = DefaultMutableTreeNode(node)
                    // A placeholder child makes the node expandable until its children are fetched.
                    if (node.hasChildren) child.add(DefaultMutableTreeNode("Loading…"))
                    parent.add(child)
                }
                model.nodeStructureChanged(parent)
            }
        }
    }

    /** Reloads the loaded nodes the core invalidated (all of them for null). */
    private fun reload(ids: Set<String>?) {
        if (ids == null) return load(root)
        val loaded = root.depthFirstEnumeration().toList().filterIsInstance<DefaultMutableTreeNode>()
        for (treeNode in loaded) {
            val id = nodeOf(treeNode)?.id ?: continue
            if (id in ids) load(treeNode)
        }
    }

    private inner class NodeActionGroup : ActionGroup() {
        override fun getChildren(event: AnActionEvent?): Array<AnAction> {
            val node = (tree.selectionPath?.lastPathComponent as? DefaultMutableTreeNode)?.let(::nodeOf) ?: return emptyArray()
            return service.core().tree.actions(node).map { action ->
                object : AnAction(action.title) {
                    override fun actionPerformed(event: AnActionEvent) = NodeActions.perform(project, node, action.action)
                }
            }.toTypedArray()
        }
    }

    private class Renderer : ColoredTreeCellRenderer() {
        override fun customizeCellRenderer(tree: JTree, value: Any?, selected: Boolean, expanded: Boolean, leaf: Boolean, row: Int, hasFocus: Boolean) {
            val node = (value as? DefaultMutableTreeNode)?.userObject as? TreeNode
            if (node == null) {
                append(value.toString(), SimpleTextAttributes.GRAYED_ATTRIBUTES)
                return
            }
            icon = when (node.kind) {
                "context" -> AllIcons.Webreferences.Server
                "namespace", "group" -> AllIcons.Nodes.Folder
                "pod" -> AllIcons.Nodes.Deploy
                "container" -> AllIcons.Nodes.Console
                else -> if (node.state?.startsWith("devMode") == true) AllIcons.Actions.Execute else AllIcons.Nodes.Module
            }
            append(node.label)
            node.description?.let { append("  $it", SimpleTextAttributes.GRAYED_ATTRIBUTES) }
            toolTipText = node.tooltip
        }
    }
}

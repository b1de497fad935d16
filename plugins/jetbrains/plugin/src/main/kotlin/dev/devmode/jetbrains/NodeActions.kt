package dev.devmode.jetbrains

import com.intellij.openapi.application.ApplicationManager
import com.intellij.openapi.fileEditor.FileEditorManager
import com.intellij.openapi.project.Project
import com.intellij.openapi.ui.Messages
import com.intellij.openapi.vfs.LocalFileSystem
import com.intellij.ui.content.ContentFactory
import com.intellij.openapi.wm.ToolWindowManager
import dev.devmode.core.protocol.GetDevConfigParams
import dev.devmode.core.protocol.LogsTarget
import dev.devmode.core.protocol.OpenLogsParams
import dev.devmode.core.protocol.PortForwardTarget
import dev.devmode.core.protocol.Target
import dev.devmode.core.protocol.TerminalTarget
import dev.devmode.core.protocol.TreeNode
import dev.devmode.core.protocol.TreeNodeAction
import dev.devmode.core.protocol.TreeNodeActionValues
import java.util.concurrent.CompletableFuture

/** Each tree action mapped to its core call; failures become notifications with the server's message and hint. */
object NodeActions {
    fun perform(project: Project, node: TreeNode, action: TreeNodeAction) {
        val service = DevModeProjectService.getInstance(project)
        val core = service.core()
        val progress = { handle: dev.devmode.core.progress.ProgressHandle -> BackgroundProgress(project, handle) }
        val workload = node.target as? Target
        val localDir = project.basePath ?: return service.notify("DevMode needs a project folder to sync")
        val done: CompletableFuture<*> = when (action) {
            TreeNodeActionValues.startDevMode -> core.sessions.start(workload ?: return, localDir, sink = progress)
            TreeNodeActionValues.stopDevMode -> core.sessions.stopTarget(workload ?: return, progress)
            TreeNodeActionValues.resetDevMode -> core.sessions.reset(workload ?: return, progress)
            TreeNodeActionValues.openTerminal -> core.terminals.open(node.target as? TerminalTarget ?: return, node.label, 120, 40)
                .thenAccept { connector -> ApplicationManager.getApplication().invokeLater { DevModeTtyConnector.show(project, connector) } }
            TreeNodeActionValues.openLogs -> openLogs(project, node)
            TreeNodeActionValues.startPortForward -> {
                val port = Messages.showInputDialog(project, "Container port to forward:", "Forward a Port", null)?.toIntOrNull() ?: return
                core.portForwards.start(node.target as? PortForwardTarget ?: return, port)
                    .thenAccept { service.notify("Forwarding ${it.address}:${it.localPort} to port $port of ${node.label}") }
            }
            TreeNodeActionValues.syncStatus -> {
                val sessionId = core.sessions.of(workload ?: return)?.sessionId ?: return
                core.sync.status(sessionId).thenAccept { service.notify(it.summary) }
            }
            TreeNodeActionValues.openDevConfig -> core.server.api.devConfigGet(GetDevConfigParams(workload ?: return, localDir)).thenAccept { result ->
                val file = result.file?.let { LocalFileSystem.getInstance().refreshAndFindFileByPath(it) }
                ApplicationManager.getApplication().invokeLater {
                    if (file != null) FileEditorManager.getInstance(project).openFile(file, true) else service.notify("No dev config file: the effective config comes from ${result.sources.values.toSet()}")
                }
            }
            TreeNodeActionValues.refresh -> CompletableFuture.completedFuture(core.tree.invalidateAll())
            else -> CompletableFuture.completedFuture(null)
        }
        done.whenComplete { _, error -> if (error != null && error !is java.util.concurrent.CancellationException) service.notifyFailure(error) }
    }

    private fun openLogs(project: Project, node: TreeNode): CompletableFuture<*> {
        val core = DevModeProjectService.getInstance(project).core()
        val target = node.target as? LogsTarget ?: return CompletableFuture.completedFuture(null)
        val console = LogConsole(project)
        return core.logs.open(OpenLogsParams(target = target, follow = true, tailLines = 200)) { console.print(it) }.thenAccept { stream ->
            ApplicationManager.getApplication().invokeLater {
                val toolWindow = ToolWindowManager.getInstance(project).getToolWindow("DevMode") ?: return@invokeLater
                val content = ContentFactory.getInstance().createContent(console.console.component, "Logs: ${node.label}", false)
                content.setDisposer { stream.close() }
                toolWindow.contentManager.addContent(content)
                toolWindow.contentManager.setSelectedContent(content)
            }
        }
    }
}

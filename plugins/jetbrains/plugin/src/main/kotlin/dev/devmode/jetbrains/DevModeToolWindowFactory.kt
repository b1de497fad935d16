package dev.devmode.jetbrains

import com.intellij.openapi.project.DumbAware
import com.intellij.openapi.project.Project
import com.intellij.openapi.wm.ToolWindow
import com.intellij.openapi.wm.ToolWindowFactory
import com.intellij.ui.content.ContentFactory

/** The "DevMode" tool window: the cluster tree, and a "Server" tab with the server's log. */
class DevModeToolWindowFactory : ToolWindowFactory, DumbAware {
    override fun createToolWindowContent(project: Project, toolWindow: ToolWindow) {
        val service = DevModeProjectService.getInstance(project)
        val contents = toolWindow.contentManager
        contents.addContent(ContentFactory.getInstance().createContent(ClusterTreePanel(project), "Clusters", false))
        contents.addContent(ContentFactory.getInstance().createContent(service.serverLog.console.component, "Server", false))
    }
}

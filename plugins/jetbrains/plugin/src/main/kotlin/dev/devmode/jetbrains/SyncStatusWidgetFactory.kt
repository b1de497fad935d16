package dev.devmode.jetbrains

import com.intellij.openapi.project.Project
import com.intellij.openapi.wm.StatusBar
import com.intellij.openapi.wm.StatusBarWidget
import com.intellij.openapi.wm.StatusBarWidgetFactory
import java.awt.Component

/** The status-bar text of the project's sync: the core's summary of the latest session's sync. */
class SyncStatusWidgetFactory : StatusBarWidgetFactory {
    override fun getId(): String = ID

    override fun getDisplayName(): String = "DevMode Sync"

    override fun createWidget(project: Project): StatusBarWidget = SyncStatusWidget(project)

    companion object {
        const val ID = "dev.devmode.sync"
    }
}

class SyncStatusWidget(private val project: Project) : StatusBarWidget, StatusBarWidget.TextPresentation {
    private var statusBar: StatusBar? = null

    override fun ID(): String = SyncStatusWidgetFactory.ID

    override fun install(statusBar: StatusBar) {
        this.statusBar = statusBar
        DevModeProjectService.getInstance(project).core().sync.addListener { statusBar.updateWidget(ID()) }
    }

    override fun getPresentation(): StatusBarWidget.WidgetPresentation = this

    override fun getText(): String = syncs().lastOrNull()?.summary ?: "Sync: no DevMode session"

    override fun getTooltipText(): String =
        syncs().flatMap { sync -> sync.conflicts.map { "conflict: ${it.localPath} (${it.reason})" } + sync.errors.map { "error: ${it.localPath}: ${it.message}" } }
            .ifEmpty { listOf(getText()) }
            .joinToString("\n")

    override fun getAlignment(): Float = Component.LEFT_ALIGNMENT

    private fun syncs() = DevModeProjectService.getInstance(project).core().sync.all()
}

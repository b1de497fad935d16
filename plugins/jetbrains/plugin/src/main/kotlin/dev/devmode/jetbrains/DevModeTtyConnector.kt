package dev.devmode.jetbrains

import com.intellij.openapi.project.Project
import com.intellij.openapi.util.Disposer
import com.intellij.openapi.wm.ToolWindowManager
import com.intellij.terminal.JBTerminalSystemSettingsProviderBase
import com.intellij.terminal.JBTerminalWidget
import com.intellij.ui.content.ContentFactory
import com.jediterm.core.util.TermSize
import com.jediterm.terminal.TtyConnector
import dev.devmode.core.terminal.TerminalConnector
import org.jetbrains.plugins.terminal.TerminalToolWindowFactory

/** JediTerm's TtyConnector, delegating every call to the core's connector. */
class DevModeTtyConnector(private val connector: TerminalConnector) : TtyConnector {
    override fun read(buf: CharArray, offset: Int, length: Int): Int = connector.read(buf, offset, length)

    override fun write(bytes: ByteArray) = connector.write(bytes)

    override fun write(string: String) = connector.write(string)

    override fun isConnected(): Boolean = connector.isConnected()

    override fun waitFor(): Int = connector.waitFor()

    override fun ready(): Boolean = connector.ready()

    override fun getName(): String = connector.name

    override fun close() = connector.close()

    override fun resize(termSize: TermSize) = connector.resize(termSize.columns, termSize.rows)

    companion object {
        /** Shows the connector as a tab of the Terminal tool window. */
        fun show(project: Project, connector: TerminalConnector) {
            val toolWindow = ToolWindowManager.getInstance(project).getToolWindow(TerminalToolWindowFactory.TOOL_WINDOW_ID) ?: return
            val content = ContentFactory.getInstance().createContent(null, connector.name, false)
            val widget = JBTerminalWidget(project, JBTerminalSystemSettingsProviderBase(), content)
            content.component = widget.component
            Disposer.register(content) { connector.close() }
            widget.createTerminalSession(DevModeTtyConnector(connector))
            widget.start()
            toolWindow.contentManager.addContent(content)
            toolWindow.contentManager.setSelectedContent(content)
            toolWindow.activate(null)
        }
    }
}

package dev.devmode.jetbrains

import com.intellij.ide.plugins.PluginManagerCore
import com.intellij.notification.NotificationGroupManager
import com.intellij.notification.NotificationType
import com.intellij.openapi.Disposable
import com.intellij.openapi.components.service
import com.intellij.openapi.extensions.PluginId
import com.intellij.openapi.project.Project
import dev.devmode.core.DevModeCore
import dev.devmode.core.DevModeFailure
import dev.devmode.core.MessageListener
import dev.devmode.core.protocol.ClientCapabilities
import dev.devmode.core.protocol.ClientInfo
import dev.devmode.core.protocol.InitializeParams
import dev.devmode.core.protocol.MessageType
import dev.devmode.core.protocol.MessageTypeValues
import dev.devmode.core.server.ServerListener
import dev.devmode.core.server.ServerLocator
import dev.devmode.core.server.ServerOptions
import dev.devmode.core.server.ServerState
import java.nio.file.Path

/** One DevModeCore per project, started on first use and closed with the project. */
class DevModeProjectService(private val project: Project) : Disposable {
    private var running: DevModeCore? = null

    /** The server's own output (stderr and window/logMessage), shown in the tool window's "Server" tab. */
    val serverLog = ServerLogConsole(project)

    @Synchronized
    fun core(): DevModeCore = running ?: start().also { running = it }

    private fun start(): DevModeCore {
        val located = ServerLocator.locate(DevModeSettings.getInstance().state.serverPath, bundledServer())
        val core = DevModeCore(
            ServerOptions(
                command = ServerOptions.forBinary(located),
                initializeParams = {
                    InitializeParams(
                        clientInfo = ClientInfo("DevMode for JetBrains IDEs", pluginVersion()),
                        capabilities = ClientCapabilities(workDoneProgress = true),
                        rootPath = project.basePath,
                    )
                },
            ),
            serverProgress = { handle -> BackgroundProgress(project, handle) },
        )
        core.addMessageListener(object : MessageListener {
            override fun showMessage(type: MessageType, message: String) = notify(message, notificationType(type))

            override fun logMessage(type: MessageType, message: String) = serverLog.print(message)
        })
        core.server.addListener(object : ServerListener {
            override fun stderrLine(line: String) = serverLog.print(line)

            override fun stateChanged(state: ServerState) {
                if (state is ServerState.Failed) notify(state.message, NotificationType.ERROR)
            }
        })
        core.start()
        return core
    }

    fun notify(message: String, type: NotificationType = NotificationType.INFORMATION) {
        NotificationGroupManager.getInstance().getNotificationGroup("DevMode").createNotification(message, type).notify(project)
    }

    fun notifyFailure(error: Throwable) = notify(DevModeFailure.of(error).text, NotificationType.ERROR)

    override fun dispose() {
        synchronized(this) { running }?.close()
    }

    private fun bundledServer(): Path? = plugin()?.pluginPath?.resolve("bin")?.resolve(ServerLocator.BINARY_NAME)

    private fun pluginVersion(): String? = plugin()?.version

    private fun plugin() = PluginManagerCore.getPlugin(PluginId.getId("dev.devmode.jetbrains"))

    private fun notificationType(type: MessageType): NotificationType = when (type) {
        MessageTypeValues.Error -> NotificationType.ERROR
        MessageTypeValues.Warning -> NotificationType.WARNING
        else -> NotificationType.INFORMATION
    }

    companion object {
        fun getInstance(project: Project): DevModeProjectService = project.service()
    }
}

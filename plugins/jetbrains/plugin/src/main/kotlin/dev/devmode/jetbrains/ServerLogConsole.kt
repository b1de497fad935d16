package dev.devmode.jetbrains

import com.intellij.execution.filters.TextConsoleBuilderFactory
import com.intellij.execution.ui.ConsoleView
import com.intellij.execution.ui.ConsoleViewContentType
import com.intellij.openapi.project.Project

/** The server's stderr and `window/logMessage` lines, in a ConsoleView the tool window shows as its "Server" tab. */
class ServerLogConsole(project: Project) {
    val console: ConsoleView = TextConsoleBuilderFactory.getInstance().createBuilder(project).console

    fun print(line: String) = console.print("$line\n", ConsoleViewContentType.LOG_INFO_OUTPUT)
}

package dev.devmode.jetbrains

import com.intellij.execution.filters.TextConsoleBuilderFactory
import com.intellij.execution.ui.ConsoleView
import com.intellij.execution.ui.ConsoleViewContentType
import com.intellij.openapi.project.Project
import dev.devmode.core.logs.LogEvent

/** A log stream in a ConsoleView: lines as output, restart markers and the end as system text. */
class LogConsole(project: Project) {
    val console: ConsoleView = TextConsoleBuilderFactory.getInstance().createBuilder(project).console

    fun print(event: LogEvent) = when (event) {
        is LogEvent.Line -> console.print("${event.line.pod}/${event.line.container}: ${event.line.text}\n", ConsoleViewContentType.NORMAL_OUTPUT)
        is LogEvent.Restarted -> console.print("${event.text}\n", ConsoleViewContentType.SYSTEM_OUTPUT)
        is LogEvent.Ended -> console.print("──── stream ended: ${event.reason}${event.message?.let { " ($it)" } ?: ""} ────\n", ConsoleViewContentType.SYSTEM_OUTPUT)
    }
}

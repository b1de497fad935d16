package dev.devmode.jetbrains

import com.intellij.openapi.progress.ProgressIndicator
import com.intellij.openapi.progress.ProgressManager
import com.intellij.openapi.progress.Task
import com.intellij.openapi.project.Project
import dev.devmode.core.progress.ProgressHandle
import dev.devmode.core.progress.ProgressSink
import dev.devmode.core.protocol.WorkDoneProgressBegin
import dev.devmode.core.protocol.WorkDoneProgressEnd
import dev.devmode.core.protocol.WorkDoneProgressReport
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/**
 * A progress sink shown as a Task.Backgroundable: `begin` starts the task, `report` updates its text and fraction,
 * `end` finishes it, and the indicator's cancel button calls the core's handle.
 */
class BackgroundProgress(private val project: Project, private val handle: ProgressHandle) : ProgressSink {
    private val ended = CountDownLatch(1)
    @Volatile private var text: String? = null
    @Volatile private var percentage: Int? = null

    override fun begin(value: WorkDoneProgressBegin) {
        text = value.message
        percentage = value.percentage
        val task = object : Task.Backgroundable(project, value.title, value.cancellable == true) {
            override fun run(indicator: ProgressIndicator) {
                indicator.isIndeterminate = percentage == null
                var cancelSent = false
                while (!ended.await(100, TimeUnit.MILLISECONDS)) {
                    indicator.text2 = text.orEmpty()
                    percentage?.let { indicator.isIndeterminate = false; indicator.fraction = it / 100.0 }
                    if (indicator.isCanceled && !cancelSent) {
                        cancelSent = true
                        handle.cancel()
                    }
                }
            }
        }
        ProgressManager.getInstance().run(task)
    }

    override fun report(value: WorkDoneProgressReport) {
        value.message?.let { text = it }
        value.percentage?.let { percentage = it }
    }

    override fun end(value: WorkDoneProgressEnd) = ended.countDown()
}

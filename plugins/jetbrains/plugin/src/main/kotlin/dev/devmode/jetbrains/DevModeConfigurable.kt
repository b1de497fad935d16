package dev.devmode.jetbrains

import com.intellij.openapi.options.BoundConfigurable
import com.intellij.openapi.ui.DialogPanel
import com.intellij.ui.dsl.builder.AlignX
import com.intellij.ui.dsl.builder.bindText
import com.intellij.ui.dsl.builder.panel

/** Settings | Tools | DevMode: the server path. Takes effect the next time a project starts the server. */
class DevModeConfigurable : BoundConfigurable("DevMode") {
    override fun createPanel(): DialogPanel = panel {
        row("Server binary:") {
            textField()
                .bindText(DevModeSettings.getInstance().state::serverPath)
                .align(AlignX.FILL)
                .comment("Empty: the server bundled with the plugin, then <code>devmode</code> on PATH.")
        }
    }
}

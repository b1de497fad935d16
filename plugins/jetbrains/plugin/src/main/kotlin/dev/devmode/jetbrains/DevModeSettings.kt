package dev.devmode.jetbrains

import com.intellij.openapi.components.PersistentStateComponent
import com.intellij.openapi.components.State
import com.intellij.openapi.components.Storage
import com.intellij.openapi.components.service

/** The settings the person sets once: where the devmode server binary is (empty: bundled, then PATH). */
@State(name = "DevModeSettings", storages = [Storage("devmode.xml")])
class DevModeSettings : PersistentStateComponent<DevModeSettings.Values> {
    class Values {
        var serverPath: String = ""
    }

    private var values = Values()

    override fun getState(): Values = values

    override fun loadState(state: Values) {
        values = state
    }

    companion object {
        fun getInstance(): DevModeSettings = service()
    }
}

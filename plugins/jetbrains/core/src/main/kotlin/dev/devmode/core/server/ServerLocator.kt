package dev.devmode.core.server

import java.io.File
import java.nio.file.Files
import java.nio.file.Path

/** Where the server binary was found, and which rule found it. */
data class LocatedServer(val path: Path, val source: Source) {
    enum class Source { SETTING, BUNDLED, PATH }
}

/** No usable server binary: the message lists every place that was looked at. */
class ServerNotFoundException(message: String) : Exception(message)

/**
 * Finds the devmode binary, in this order: the path the user configured, the binary bundled with the plugin, then
 * `devmode` on PATH. A configured path that is not an executable file is an error, never silently skipped, so a
 * typo in the setting does not quietly run some other binary.
 */
object ServerLocator {
    const val BINARY_NAME = "devmode"

    fun locate(setting: String?, bundled: Path?, pathVariable: String? = System.getenv("PATH")): LocatedServer {
        if (!setting.isNullOrBlank()) {
            val configured = Path.of(setting.trim())
            if (isExecutable(configured)) return LocatedServer(configured, LocatedServer.Source.SETTING)
            throw ServerNotFoundException(
                "the configured devmode server $configured is not an executable file: fix the path in Settings | Tools | DevMode, or clear it to use the bundled one",
            )
        }
        if (bundled != null && isExecutable(bundled)) return LocatedServer(bundled, LocatedServer.Source.BUNDLED)
        val searched = (pathVariable ?: "").split(File.pathSeparator).filter { it.isNotEmpty() }
        for (dir in searched) {
            val candidate = Path.of(dir, BINARY_NAME)
            if (isExecutable(candidate)) return LocatedServer(candidate, LocatedServer.Source.PATH)
        }
        throw ServerNotFoundException(
            "no devmode server found: no path is configured, " +
                (if (bundled == null) "the plugin bundles none" else "the bundled $bundled is missing") +
                ", and none of PATH (${searched.joinToString(File.pathSeparator)}) holds $BINARY_NAME; set its path in Settings | Tools | DevMode",
        )
    }

    private fun isExecutable(path: Path): Boolean = Files.isRegularFile(path) && Files.isExecutable(path)
}

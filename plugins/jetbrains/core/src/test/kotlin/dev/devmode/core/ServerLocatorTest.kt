package dev.devmode.core

import dev.devmode.core.server.LocatedServer
import dev.devmode.core.server.ServerLocator
import dev.devmode.core.server.ServerNotFoundException
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

class ServerLocatorTest {
    @TempDir lateinit var dir: Path

    private fun executable(name: String): Path {
        val path = dir.resolve(name)
        Files.createDirectories(path.parent)
        Files.writeString(path, "#!/bin/sh\n")
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"))
        return path
    }

    @Test
    fun `the setting wins over the bundled binary and PATH`() {
        val configured = executable("configured/devmode")
        val bundled = executable("bundled/devmode")
        executable("bin/devmode")
        val located = ServerLocator.locate(configured.toString(), bundled, dir.resolve("bin").toString())
        assertEquals(LocatedServer(configured, LocatedServer.Source.SETTING), located)
    }

    @Test
    fun `without a setting the bundled binary is used, then PATH`() {
        val bundled = executable("bundled/devmode")
        val onPath = executable("bin/devmode")
        assertEquals(LocatedServer.Source.BUNDLED, ServerLocator.locate("", bundled, dir.resolve("bin").toString()).source)
        val fromPath = ServerLocator.locate(null, dir.resolve("missing/devmode"), "/nonexistent:${dir.resolve("bin")}")
        assertEquals(LocatedServer(onPath, LocatedServer.Source.PATH), fromPath)
    }

    @Test
    fun `a configured path that is not executable is an error naming it, not a fallback`() {
        executable("bin/devmode")
        val notExecutable = dir.resolve("plain")
        Files.writeString(notExecutable, "")
        val error = assertThrows(ServerNotFoundException::class.java) {
            ServerLocator.locate(notExecutable.toString(), null, dir.resolve("bin").toString())
        }
        assertTrue(error.message!!.contains(notExecutable.toString()), error.message)
    }

    @Test
    fun `nothing found lists where it looked`() {
        val error = assertThrows(ServerNotFoundException::class.java) { ServerLocator.locate(null, null, "/nowhere:/neither") }
        assertTrue(error.message!!.contains("/nowhere:/neither"), error.message)
        assertTrue(error.message!!.contains("Settings | Tools | DevMode"), error.message)
    }
}

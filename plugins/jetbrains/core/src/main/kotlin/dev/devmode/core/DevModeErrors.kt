package dev.devmode.core

import com.google.gson.JsonObject
import dev.devmode.core.protocol.DevModeErrorCodes
import java.util.concurrent.CompletionException
import java.util.concurrent.ExecutionException
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException

/** A failed request as the person reads it: the server's message, the error's name, and the hint when there is one. */
data class DevModeFailure(val code: Int?, val name: String?, val message: String, val hint: String?) {
    /** "Deployment ratings is in DevMode, started by alice@laptop (AlreadyInDevMode). devMode/reset restores ..." */
    val text: String get() = message + (name?.let { " ($it)" } ?: "") + (hint?.let { ". $it" } ?: "")

    companion object {
        fun of(error: Throwable): DevModeFailure {
            var cause = error
            while ((cause is ExecutionException || cause is CompletionException) && cause.cause != null) cause = cause.cause!!
            if (cause !is ResponseErrorException) return DevModeFailure(null, null, cause.message ?: cause.javaClass.simpleName, null)
            val response = cause.responseError
            val hint = (response.data as? JsonObject)?.get("hint")?.takeIf { it.isJsonPrimitive }?.asString
            return DevModeFailure(response.code, DevModeErrorCodes.nameOf(response.code), response.message, hint)
        }
    }
}

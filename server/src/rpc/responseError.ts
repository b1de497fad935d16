import { DevModeErrorCodes, type DevModeErrorData } from '@devmode/protocol';
import { ResponseError } from 'vscode-jsonrpc';
import { NamedError } from '../namedError.js';

/**
 * The one translator from a thrown error to the answer a client gets. A `NamedError` (thrown by kube/, the
 * engine or a handler) carries its code and data; anything else is a fault of the server, answered as
 * InternalError with its message, and `unexpected` is told so that the stack reaches the log.
 */
export function toResponseError(
  error: unknown,
  unexpected: (error: unknown) => void = () => undefined,
): ResponseError<DevModeErrorData> {
  if (error instanceof ResponseError) return error as ResponseError<DevModeErrorData>;
  if (error instanceof NamedError) {
    return new ResponseError(DevModeErrorCodes[error.code], error.clientMessage, error.data);
  }
  unexpected(error);
  const message = error instanceof Error ? error.message : String(error);
  return new ResponseError(DevModeErrorCodes.InternalError, `Internal error: ${message}`, {
    hint: 'This is a fault of devmode; the server log (stderr) has the details.',
  });
}

/** The protocol code of a failure, for notifications that report one (`errorCode`). */
export function errorCodeOf(error: unknown): number {
  return toResponseError(error).code;
}

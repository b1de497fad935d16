/**
 * Kubernetes `Status` objects for the streaming endpoints, and the plain HTTP answer that refuses an upgrade.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, statusOf } from '../contracts.js';

export { toApiError } from '../contracts.js';

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** Answers a not-yet-upgraded request with an HTTP error carrying a `Status` body, then closes the socket. */
export function rejectUpgrade(socket: Duplex, error: ApiError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(statusOf(error));
  const phrase = STATUS_CODES[error.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${error.code} ${phrase}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * Kubernetes `Status` objects for the streaming endpoints, and the plain HTTP answer that refuses an upgrade.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError } from '../contracts.js';

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: Record<string, unknown>;
}

export function statusBody(error: ApiError): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    code: error.code,
  };
  if (error.details) status.details = error.details;
  return status;
}

/** Any failure as an `ApiError`: the runtime's own errors keep their code, anything else is a 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(500, 'InternalError', message);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** Answers a not-yet-upgraded request with an HTTP error carrying a `Status` body, then closes the socket. */
export function rejectUpgrade(socket: Duplex, error: ApiError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(statusBody(error));
  const phrase = STATUS_CODES[error.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${error.code} ${phrase}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

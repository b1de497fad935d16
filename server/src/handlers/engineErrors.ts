import { DevModeErrorCodes, type DevModeErrorData } from '@devmode/protocol';
import type { ResponseError } from 'vscode-jsonrpc';
import { EngineError } from '../engine/engineError.js';
import { devModeError } from './errors.js';
import { explainClusterError } from './kubeErrors.js';

/** The protocol error for anything an engine call threw: engine errors by name, cluster errors explained. */
export function toResponseError(error: unknown): unknown {
  if (error instanceof EngineError) return engineErrorToResponse(error);
  return explainClusterError(error);
}

export function engineErrorToResponse(error: EngineError): ResponseError<DevModeErrorData> {
  const code = error.code === 'RequestCancelled' ? DevModeErrorCodes.RequestCancelled : DevModeErrorCodes[error.code];
  return devModeError(code, error.message, error.data);
}

/** Runs an engine call and rethrows its failure as the protocol error a client can act on. */
export async function explained<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toResponseError(error);
  }
}

import { NamedError, type ErrorCodeName } from '../namedError.js';

export type EngineErrorCode = ErrorCodeName;

/**
 * An expected failure of the engine, named by its protocol error code so that the connection translates it one
 * to one without the engine importing the wire layer.
 */
export class EngineError extends NamedError {
  public constructor(code: EngineErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = 'EngineError';
  }
}

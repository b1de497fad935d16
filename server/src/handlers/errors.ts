import type { DevModeErrorData } from '@devmode/protocol';
import { NamedError, type ErrorCodeName } from '../namedError.js';

/**
 * A named protocol failure raised by a handler itself. Handlers throw; the connection translates every error
 * into its ResponseError in one place (`rpc/responseError.ts`).
 */
export function devModeError(code: ErrorCodeName, message: string, data: DevModeErrorData = {}): NamedError {
  return new NamedError(code, message, data);
}

/** InvalidParams naming the field at fault, as a dotted path. */
export function invalidParams(field: string, problem: string): NamedError {
  return devModeError('InvalidParams', `Invalid params: ${field} ${problem}`, { field });
}

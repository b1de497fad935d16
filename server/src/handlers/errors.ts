import { DevModeErrorCodes, type DevModeErrorData } from '@devmode/protocol';
import { ResponseError } from 'vscode-jsonrpc';

/** A named protocol error with data a person can act on. */
export function devModeError(
  code: number,
  message: string,
  data: DevModeErrorData = {},
): ResponseError<DevModeErrorData> {
  return new ResponseError(code, message, data);
}

/** InvalidParams naming the field at fault, as a dotted path. */
export function invalidParams(field: string, problem: string): ResponseError<DevModeErrorData> {
  return devModeError(DevModeErrorCodes.InvalidParams, `Invalid params: ${field} ${problem}`, { field });
}

import { DevModeErrorCodes, type ListPortForwardsResult, type StartPortForwardResult } from '@devmode/protocol';
import { isIP } from 'node:net';
import { PortInUseError, UnknownForwardError, type PortForwards } from '../engine/portForward.js';
import { devModeError, invalidParams } from './errors.js';
import { explainTargetError, parsePodsTarget } from './targets.js';
import { optionalBoolean, optionalInteger, optionalString, paramsObject, requiredString } from './validate.js';

export async function startPortForward(params: unknown, forwards: PortForwards): Promise<StartPortForwardResult> {
  const input = paramsObject(params, false);
  const target = parsePodsTarget(input);
  const remotePort = optionalInteger(input, 'remotePort', { min: 1, max: 65535 });
  if (remotePort === undefined) throw invalidParams('remotePort', 'is required');
  const localPort = optionalInteger(input, 'localPort', { min: 0, max: 65535 });
  const address = optionalString(input, 'address');
  if (address !== undefined && isIP(address) === 0)
    throw invalidParams('address', `must be an IP address, not "${address}"`);
  const allowNextFreePort = optionalBoolean(input, 'allowNextFreePort');
  try {
    const forward = await forwards.start({
      target,
      remotePort,
      ...(localPort !== undefined ? { localPort } : {}),
      ...(address !== undefined ? { address } : {}),
      ...(allowNextFreePort !== undefined ? { allowNextFreePort } : {}),
    });
    return { id: forward.id, localPort: forward.localPort, address: forward.address };
  } catch (error) {
    if (error instanceof PortInUseError) {
      throw devModeError(
        DevModeErrorCodes.PortInUse,
        `Local port ${error.port} on ${error.address} is already in use`,
        {
          field: 'localPort',
          port: error.port,
          hint: 'Pick another localPort, set allowNextFreePort to take the next free one, or stop what listens there.',
        },
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw invalidParams(
        code === 'EACCES' ? 'localPort' : 'address',
        `cannot be listened on: ${(error as Error).message}`,
      );
    }
    throw explainTargetError(error);
  }
}

export function stopPortForward(params: unknown, forwards: PortForwards): null {
  const id = requiredString(paramsObject(params, false), 'id');
  try {
    forwards.stop(id);
  } catch (error) {
    if (error instanceof UnknownForwardError)
      throw devModeError(DevModeErrorCodes.UnknownId, error.message, { field: 'id' });
    throw error;
  }
  return null;
}

export function listPortForwards(params: unknown, forwards: PortForwards): ListPortForwardsResult {
  const sessionId = optionalString(paramsObject(params), 'sessionId');
  return { forwards: forwards.list(sessionId) };
}

import type { ListPortForwardsResult, StartPortForwardResult } from '@devmode/protocol';
import { isIP } from 'node:net';
import type { PortForwards } from '../engine/portForward.js';
import { invalidParams } from './errors.js';
import { parsePodsTarget } from './targets.js';
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
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw invalidParams(
        code === 'EACCES' ? 'localPort' : 'address',
        `cannot be listened on: ${(error as Error).message}`,
      );
    }
    throw error;
  }
}

export function stopPortForward(params: unknown, forwards: PortForwards): null {
  forwards.stop(requiredString(paramsObject(params, false), 'id'));
  return null;
}

export function listPortForwards(params: unknown, forwards: PortForwards): ListPortForwardsResult {
  const sessionId = optionalString(paramsObject(params), 'sessionId');
  return { forwards: forwards.list(sessionId) };
}

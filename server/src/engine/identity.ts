import { hostname, userInfo } from 'node:os';

/** Who starts DevMode: recorded in the cluster so that others see who owns a workload in DevMode. */
export interface Owner {
  machine: string;
  user: string;
  /** The server process; a session belongs to the server instance that started it, not to the user. */
  pid?: number;
}

/**
 * The machine and user recorded as DevMode's owner. `DEVMODE_USER` and `DEVMODE_MACHINE` override them, for
 * containers whose hostname changes at every start or shared accounts where the login is not the person.
 */
export function currentOwner(env: NodeJS.ProcessEnv = process.env): Owner {
  let user = env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // Some containers have no passwd entry for the uid; the environment is the best we have.
  }
  return { machine: env.DEVMODE_MACHINE ?? hostname(), user: env.DEVMODE_USER ?? user, pid: process.pid };
}

export function sameOwner(a: Owner | undefined, b: Owner): boolean {
  return a !== undefined && a.machine === b.machine && a.user === b.user;
}

/**
 * True when the session's owner is this user on this machine and the server that started it is no longer running:
 * a session nobody is serving any more, which this user may stop without taking it over from a live server.
 * Records without a process id (written before it was recorded) count as abandoned, as they always did.
 */
export function abandonedByOwner(owner: Owner, me: Owner): boolean {
  if (!sameOwner(owner, me)) return false;
  if (owner.pid === undefined) return true;
  if (owner.pid === me.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

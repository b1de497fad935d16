import { hostname, userInfo } from 'node:os';

/** Who starts DevMode: recorded in the cluster so that others see who owns a workload in DevMode. */
export interface Owner {
  machine: string;
  user: string;
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
  return { machine: env.DEVMODE_MACHINE ?? hostname(), user: env.DEVMODE_USER ?? user };
}

export function sameOwner(a: Owner | undefined, b: Owner): boolean {
  return a !== undefined && a.machine === b.machine && a.user === b.user;
}

import { hostname, userInfo } from 'node:os';

/** Who starts DevMode: recorded in the cluster so that others see who owns a workload in DevMode. */
export interface Owner {
  machine: string;
  user: string;
}

export function currentOwner(): Owner {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // Some containers have no passwd entry for the uid; the environment is the best we have.
  }
  return { machine: hostname(), user };
}

export function sameOwner(a: Owner | undefined, b: Owner): boolean {
  return a !== undefined && a.machine === b.machine && a.user === b.user;
}

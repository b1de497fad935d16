/**
 * Process bookkeeping for `sandbox stop`: which processes belong to the daemon (its descendants and its session),
 * read from /proc, so that stopping can check that no pod process is left behind.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  sid: number;
  /** Start time in clock ticks since boot; tells a process apart from a later one with the same pid. */
  startTime: string;
  command: string;
}

function readStat(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command sits in parentheses and may itself contain spaces or parentheses.
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return { pid, ppid: Number(fields[1]), sid: Number(fields[3]), startTime: fields[19] ?? '', command };
  } catch {
    return undefined;
  }
}

export function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(Number(entry));
    if (info !== undefined) processes.push(info);
  }
  return processes;
}

/** The process `pid`, its descendants and the other members of its session. */
export function processFamily(pid: number): ProcessInfo[] {
  const all = listProcesses();
  const root = all.find((p) => p.pid === pid);
  if (root === undefined) return [];
  const session = root.sid === root.pid ? all.filter((p) => p.sid === root.sid).map((p) => p.pid) : [];
  return descendantsOf([pid, ...session], all);
}

/** The given processes and all their descendants, as they are now. */
export function descendantsOf(roots: number[], all: ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const found = new Map<number, ProcessInfo>();
  for (const p of all) if (roots.includes(p.pid)) found.set(p.pid, p);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...found.values()];
}

/** Those of `processes` that still run (the same process, not a new one that reused the pid). */
export function stillRunning(processes: ProcessInfo[]): ProcessInfo[] {
  return processes.filter((p) => {
    const now = readStat(p.pid);
    return now !== undefined && now.startTime === p.startTime && !isZombie(p.pid);
  });
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

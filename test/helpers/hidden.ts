/**
 * Runs a command as on a machine where some programs are not installed: in a private mount namespace where each
 * copy of them (on PATH and in the system directories) is covered by /dev/null, which cannot be executed. Pods the
 * command starts see the same view, since their roots are bound from it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const HIDE_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do mount --bind /dev/null "$1"; shift; n=$((n - 1)); done; exec "$@"';

/**
 * Every path on the search path and in the system directories where one of `programs` is found, versioned names
 * included (`python3` finds `python3.11` too).
 */
export function copiesOf(programs: string[], searchPath = process.env.PATH ?? ''): string[] {
  const dirs = [...new Set([...searchPath.split(':').filter(Boolean), ...SYSTEM_DIRS])];
  const found = new Set<string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (programs.some((program) => name === program || name.startsWith(`${program}.`))) found.add(join(dir, name));
    }
  }
  return [...found];
}

/** The command and arguments that run `command` with `programs` hidden (needs root, as the sandbox tests do). */
export function withHidden(programs: string[], command: string[]): [string, string[]] {
  const paths = copiesOf(programs);
  return [
    'unshare',
    ['--mount', '--', '/bin/sh', '-c', HIDE_SCRIPT, 'hide', String(paths.length), ...paths, ...command],
  ];
}

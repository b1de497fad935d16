/**
 * How this program runs itself again (the sandbox daemon, the demo's server). Under node that is the node binary
 * plus the entry script; the single executable is its own entry, and its `process.argv[1]` repeats the executable,
 * so it runs with no script argument.
 */
import { isSea } from 'node:sea';

export interface SelfCommand {
  command: string;
  args: string[];
}

export function selfCommand(): SelfCommand {
  if (isSea()) return { command: process.execPath, args: [] };
  const script = process.argv[1];
  return { command: process.execPath, args: script === undefined ? [] : [script] };
}

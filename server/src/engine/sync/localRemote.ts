/**
 * Runs the sync agent's command on this machine instead of in a container: the "container" is a local directory.
 * Used by tests and by the benchmark when no cluster is at hand; the protocol is exactly the one used over exec.
 */
import { spawn } from 'node:child_process';
import type { SyncProcess } from './agent.js';

export function spawnLocalProcess(command: string[], env: NodeJS.ProcessEnv = process.env): Promise<SyncProcess> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.reject(new Error('the command must not be empty'));
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  const exit = new Promise<{ exitCode: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal !== null ? 128 : 1) }));
  });
  exit.catch(() => undefined);
  return Promise.resolve({
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exit,
    close: () => {
      child.stdin.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  });
}

/**
 * Processes the kubelet starts for clients: `exec` into a running container (nsenter into its namespaces and
 * root, as a container runtime's exec does), with or without a TTY.
 */
import { spawn } from 'node:child_process';
import { PassThrough, Writable, type Readable } from 'node:stream';
import * as pty from '@lydell/node-pty';
import { writeToPty } from '../nodePtyUtils.js';
import type { ContainerProcess, ExecOptions } from '../contracts.js';
import { childrenOf, signal } from './sandbox.js';

const EXEC_FAILURE =
  /^(?:nsenter|setsid): failed to execute (.+?): (No such file or directory|Permission denied)\r?\n?/;

/** Words nsenter's exec failure the way a container runtime reports it to `kubectl exec`. */
export function runtimeExecError(text: string): string {
  return text.replace(EXEC_FAILURE, (_match, file: string, why: string) =>
    why === 'Permission denied'
      ? `OCI runtime exec failed: exec failed: unable to start container process: exec: "${file}": permission denied: unknown\r\n`
      : `OCI runtime exec failed: exec failed: unable to start container process: exec: "${file}": executable file not found in $PATH: unknown\r\n`,
  );
}

const FAILURE_PREFIXES = ['nsenter: failed to execute ', 'setsid: failed to execute '];

/**
 * Passes a stream through, rewording an exec failure on its first line. The message may arrive in pieces, so
 * the first line is held back while it could still be one.
 */
function rewordFirstLine(source: Readable, tty: boolean): PassThrough {
  const out = new PassThrough();
  let held: string | undefined = '';
  const flush = (): void => {
    if (held === undefined) return;
    const text = runtimeExecError(held);
    held = undefined;
    if (text) out.write(tty ? text : text.replace(/\r\n/g, '\n'));
  };
  source.on('data', (chunk: Buffer | string) => {
    if (held === undefined) {
      out.write(chunk);
      return;
    }
    held += chunk.toString();
    const text = held;
    const couldBe = FAILURE_PREFIXES.some((prefix) => prefix.startsWith(text) || text.startsWith(prefix));
    if (!couldBe || text.includes('\n')) flush();
  });
  source.on('end', () => {
    flush();
    out.end();
  });
  source.on('error', (error) => out.destroy(error));
  return out;
}

/** Spawns `argv` with a pseudo-terminal or with pipes, and wraps it as a `ContainerProcess`. */
export function spawnProcess(
  file: string,
  args: string[],
  env: Record<string, string>,
  options: ExecOptions,
): ContainerProcess {
  if (options.tty) {
    const term = pty.spawn(file, args, {
      name: 'xterm',
      cols: options.cols ?? 80,
      rows: options.rows ?? 24,
      env: { ...env, TERM: env.TERM ?? 'xterm' },
    });
    const raw = new PassThrough();
    term.onData((data) => raw.write(data));
    const stdout = rewordFirstLine(raw, true);
    const exited = new Promise<number>((resolve) => {
      term.onExit(({ exitCode, signal: sig }) => {
        raw.end();
        resolve(sig ? 128 + sig : exitCode);
      });
    });
    const stdin = options.stdin
      ? new Writable({
          write(chunk: Buffer, _encoding, callback) {
            writeToPty(term, chunk);
            callback();
          },
        })
      : null;
    return {
      stdin,
      stdout,
      stderr: null,
      resize: (cols, rows) => {
        if (cols > 0 && rows > 0) term.resize(cols, rows);
      },
      exited,
      kill: () => killTree(term.pid),
    };
  }
  const child = spawn(file, args, { env, stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) => {
    child.once('error', (error) => {
      child.stderr?.emit('data', Buffer.from(`${error.message}\n`));
      resolve(126);
    });
    child.once('close', (code, sig) => resolve(code ?? 128 + signalNumber(sig)));
  });
  child.stdin?.on('error', () => undefined);
  return {
    stdin: child.stdin,
    stdout: child.stdout ?? new PassThrough(),
    stderr: child.stderr ? rewordFirstLine(child.stderr, false) : null,
    resize: () => undefined,
    exited,
    kill: () => killTree(child.pid),
  };
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function signalNumber(sig: NodeJS.Signals | null): number {
  return sig === null ? 0 : (SIGNALS[sig] ?? 1);
}

/** nsenter forks the entered process; ending an exec ends that child too. */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const child of childrenOf(pid)) signal(child, 'SIGKILL');
  signal(pid, 'SIGKILL');
}

/**
 * One running instance of a container: its process (with a pseudo-terminal when the spec asks for `tty`), its
 * log, the clients attached to its output, and the runtime's StartError when its command cannot be executed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Writable } from 'node:stream';
import * as pty from '@lydell/node-pty';
import { writeToPty } from '../nodePtyUtils.js';
import type { ContainerProcess } from '../contracts.js';
import type { ContainerLaunch } from './env.js';
import type { LogWriter } from './logs.js';
import { signalNumber } from './process.js';
import { START_FAILURE_PREFIX } from './sandbox.js';

export interface Instance {
  child: ChildProcess | undefined;
  term: pty.IPty | undefined;
  /** The PID on the host of the process that created the container's namespaces. */
  pid: number;
  /** The container's PID 1 (its setup, then its command's parent), whose namespaces and root exec enters. */
  initPid: number | undefined;
  launch: ContainerLaunch;
  log: LogWriter;
  attached: Set<{ stdout: PassThrough; stderr: PassThrough | null }>;
  exit: Promise<number>;
  containerID: string;
  startedAt: string;
  /** The command could not be executed: the runtime's StartError. */
  startError?: string;
}

export interface InstanceSpec {
  file: string;
  argv: string[];
  launch: ContainerLaunch;
  log: LogWriter;
  containerID: string;
  startedAt: string;
  tty: boolean;
  stdin: boolean;
}

const START_FAILURE = /^devmode-runtime: exec (.+?): (No such file or directory|Permission denied)/;

function startError(file: string, why: string): string {
  const reason = why === 'Permission denied' ? 'permission denied' : 'executable file not found in $PATH';
  return (
    'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: ' +
    `unable to start container process: exec: "${file}": ${reason}: unknown`
  );
}

export function spawnInstance(spec: InstanceSpec): Instance {
  const { log } = spec;
  const attached = new Set<{ stdout: PassThrough; stderr: PassThrough | null }>();
  const base = { initPid: undefined, launch: spec.launch, log, attached };
  const meta = { containerID: spec.containerID, startedAt: spec.startedAt };
  if (spec.tty) {
    const term = pty.spawn(spec.file, spec.argv, {
      name: 'xterm',
      cols: 80,
      rows: 24,
      env: { ...spec.launch.env, TERM: 'xterm' },
    });
    term.onData((data) => {
      log.write('stdout', data);
      for (const client of attached) client.stdout.write(data);
    });
    const exit = new Promise<number>((resolve) =>
      term.onExit(({ exitCode, signal: sig }) => resolve(sig ? 128 + sig : exitCode)),
    );
    return { child: undefined, term, pid: term.pid, exit, ...base, ...meta };
  }
  const child = spawn(spec.file, spec.argv, {
    env: spec.launch.env,
    stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number>((resolve) => {
    child.once('error', () => resolve(128));
    child.once('close', (code, sig) => resolve(code ?? 128 + signalNumber(sig)));
  });
  const instance: Instance = { child, term: undefined, pid: child.pid ?? -1, exit, ...base, ...meta };
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write('stdout', chunk);
    for (const client of attached) client.stdout.write(chunk);
  });
  const emitErr = (chunk: Buffer | string): void => {
    log.write('stderr', chunk);
    for (const client of attached) (client.stderr ?? client.stdout).write(chunk);
  };
  // The runtime's own exec failure (sandbox.ts) is not container output; it may arrive in pieces, so the first line is held
  // back while it could still be that message.
  let firstLine: string | undefined = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (firstLine === undefined) return emitErr(chunk);
    firstLine += chunk.toString();
    const end = firstLine.indexOf('\n');
    const couldBe = START_FAILURE_PREFIX.startsWith(firstLine) || firstLine.startsWith(START_FAILURE_PREFIX);
    if (couldBe && end < 0) return;
    const failure = START_FAILURE.exec(firstLine);
    const held = firstLine;
    firstLine = undefined;
    if (failure === null) return emitErr(held);
    instance.startError = startError(failure[1] ?? '', failure[2] ?? '');
    if (end >= 0 && end + 1 < held.length) emitErr(held.slice(end + 1));
  });
  child.stderr?.on('end', () => {
    if (firstLine) emitErr(firstLine);
    firstLine = undefined;
  });
  return instance;
}

/** Attaches a client to an instance: its output from now on and, if `withStdin`, its stdin. */
export function attachTo(instance: Instance, withStdin: boolean, stdinOnce: boolean): ContainerProcess {
  const client = { stdout: new PassThrough(), stderr: instance.term ? null : new PassThrough() };
  instance.attached.add(client);
  let done: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (done = resolve));
  void instance.exit.then(done);
  let stdin: Writable | null = null;
  if (withStdin) {
    const input = new PassThrough();
    input.on('data', (chunk: Buffer) => {
      if (instance.term) writeToPty(instance.term, chunk);
      else instance.child?.stdin?.write(chunk);
    });
    input.on('end', () => {
      if (stdinOnce) instance.child?.stdin?.end();
    });
    stdin = input;
  }
  return {
    stdin,
    stdout: client.stdout,
    stderr: client.stderr,
    resize: (cols, rows) => {
      if (instance.term && cols > 0 && rows > 0) instance.term.resize(cols, rows);
    },
    exited,
    kill: () => {
      instance.attached.delete(client);
      client.stdout.end();
      client.stderr?.end();
      done(0);
    },
  };
}

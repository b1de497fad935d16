/**
 * Runs a command in a pod's container over the `exec` subresource (WebSocket, channel protocol v5 with v4 as the
 * fallback). Binary-safe both ways, with backpressure: a slow reader pauses the socket, a full socket makes stdin
 * writers wait.
 */
import { Readable, Writable } from 'node:stream';
import type { ClusterClient } from './client.js';
import { connectChannelSocket, ExecChannel, V4, V5, type ChannelSocket } from './channelSocket.js';
import { KubeError } from './errors.js';

export interface ExecTarget {
  namespace: string;
  pod: string;
  /** The container; the pod's only (or default) container when omitted. */
  container?: string;
}

export interface ExecOptions {
  /** Allocate a terminal: stderr is merged into stdout and resizes apply. */
  tty?: boolean;
  cols?: number;
  rows?: number;
  /** Open the process's standard input. */
  stdin?: boolean;
}

export interface ExitStatus {
  exitCode: number;
  message?: string;
}

/** A process running in a container. */
export interface RemoteProcess {
  /** Ending it closes the process's standard input (v5 servers), so `cat`-style commands finish. */
  stdin: Writable;
  stdout: Readable;
  /** Empty when a terminal was requested. */
  stderr: Readable;
  /**
   * Resolves with the exit code once the process ended. Rejects with a `KubeError` when the process could not be
   * run (the status says why) or the connection closed without a status.
   */
  exit: Promise<ExitStatus>;
  resize(cols: number, rows: number): void;
  /** Closes the connection, which ends the process. */
  close(): void;
}

interface Status {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** Reads the status channel's `metav1.Status`: an exit code, or the reason the command could not run. */
export function parseExecStatus(payload: Buffer): ExitStatus | KubeError {
  let status: Status;
  try {
    status = JSON.parse(payload.toString('utf8')) as Status;
  } catch {
    // Protocols before v4 carry the error as plain text.
    return new KubeError(500, 'InternalError', payload.toString('utf8'));
  }
  if (status.status === 'Success') return { exitCode: 0 };
  const exitCause = status.details?.causes?.find((cause) => cause.reason === 'ExitCode');
  const exitCode = exitCause?.message !== undefined ? Number(exitCause.message) : NaN;
  if (status.reason === 'NonZeroExitCode' && Number.isInteger(exitCode)) {
    return { exitCode, ...(status.message !== undefined ? { message: status.message } : {}) };
  }
  return new KubeError(status.code ?? 500, status.reason ?? 'InternalError', status.message ?? 'the command failed');
}

function resizeMessage(cols: number, rows: number): Buffer {
  return Buffer.from(JSON.stringify({ Width: cols, Height: rows }));
}

/** Starts `command` in the target container. Throws a `KubeError` when the pod or container cannot be reached. */
export async function execInPod(
  cluster: ClusterClient,
  target: ExecTarget,
  command: string[],
  options: ExecOptions = {},
): Promise<RemoteProcess> {
  if (command.length === 0) throw new KubeError(400, 'BadRequest', 'the command must not be empty');
  const query = new URLSearchParams();
  for (const arg of command) query.append('command', arg);
  query.set('stdout', 'true');
  query.set('stderr', options.tty === true ? 'false' : 'true');
  query.set('stdin', options.stdin === true ? 'true' : 'false');
  query.set('tty', options.tty === true ? 'true' : 'false');
  if (target.container !== undefined) query.set('container', target.container);
  const path =
    `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/exec?` +
    query.toString();
  const session = new ExecSession(options, target);
  session.attach(
    await connectChannelSocket(cluster, path, [V5, V4], {
      data: (channel, data) => session.received(channel, data),
      close: (code, reason) => session.closed(code, reason),
    }),
  );
  return session;
}

class ExecSession implements RemoteProcess {
  public readonly stdin: Writable;
  public readonly stdout: Readable;
  public readonly stderr: Readable;
  public readonly exit: Promise<ExitStatus>;
  private socket: ChannelSocket | undefined;
  /** The status channel's message, gathered piece by piece. */
  private statusPieces: Buffer[] = [];
  private closedByUs = false;
  private settle: (closeCode: number, reason: string) => void = () => undefined;

  public constructor(
    private readonly options: ExecOptions,
    private readonly target: ExecTarget,
  ) {
    const resumeIfRoom = (): void => {
      if (!this.full(this.stdout) && !this.full(this.stderr)) this.socket?.resume();
    };
    this.stdout = new Readable({ read: resumeIfRoom });
    this.stderr = new Readable({ read: resumeIfRoom });
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (options.stdin !== true) callback(new Error('the process was started without stdin'));
        else if (this.socket === undefined) callback(new Error('not connected'));
        else this.socket.send(ExecChannel.Stdin, chunk, callback);
      },
      final: (callback) => {
        // Only v5 can close one direction; on older servers the process keeps its input open.
        if (this.socket?.protocol === V5) this.socket.send(ExecChannel.Close, Buffer.from([ExecChannel.Stdin]));
        callback();
      },
    });
    // Writes after the process ended fail; the exit promise is where callers learn about it.
    this.stdin.on('error', () => undefined);
    this.exit = new Promise<ExitStatus>((resolve, reject) => {
      this.settle = (closeCode, reason) => {
        const status = this.statusPieces.length > 0 ? parseExecStatus(Buffer.concat(this.statusPieces)) : undefined;
        if (status instanceof KubeError) reject(status);
        else if (status !== undefined) resolve(status);
        else if (this.closedByUs) reject(new KubeError(0, 'Closed', 'the remote process was closed'));
        else {
          const why = reason !== '' ? `: ${reason}` : ` (code ${closeCode})`;
          reject(
            new KubeError(
              0,
              'ConnectionLost',
              `the connection to pod ${target.namespace}/${target.pod} closed before the command reported its exit status${why}`,
            ),
          );
        }
      };
    });
    // Callers that never await the exit must not crash the process with an unhandled rejection.
    this.exit.catch(() => undefined);
  }

  public attach(socket: ChannelSocket): void {
    this.socket = socket;
    if (this.options.tty === true && this.options.cols !== undefined && this.options.rows !== undefined) {
      this.resize(this.options.cols, this.options.rows);
    }
  }

  public received(channel: number, data: Buffer): void {
    if (channel === ExecChannel.Stdout || channel === ExecChannel.Stderr) {
      const stream = channel === ExecChannel.Stdout ? this.stdout : this.stderr;
      // The data is a view of the socket's reused read buffer: what is queued is a copy.
      if (!stream.push(Buffer.from(data))) this.socket?.pause();
    } else if (channel === ExecChannel.Status) {
      this.statusPieces.push(Buffer.from(data));
    } else if (channel === ExecChannel.Close) {
      if (data[0] === ExecChannel.Stdout) this.stdout.push(null);
      if (data[0] === ExecChannel.Stderr) this.stderr.push(null);
    }
  }

  public closed(code: number, reason: string): void {
    if (!this.stdout.readableEnded) this.stdout.push(null);
    if (!this.stderr.readableEnded) this.stderr.push(null);
    this.stdin.destroy();
    this.settle(code, reason);
  }

  public resize(cols: number, rows: number): void {
    if (cols > 0 && rows > 0) this.socket?.send(ExecChannel.Resize, resizeMessage(cols, rows));
  }

  public close(): void {
    if (this.socket === undefined || !this.socket.isOpen) return;
    this.closedByUs = true;
    this.socket.close(1000);
  }

  private full(stream: Readable): boolean {
    return stream.readableLength >= stream.readableHighWaterMark;
  }
}

/**
 * Exec and attach over a WebSocket with the Kubernetes channel protocols (v1 to v5): stdin on channel 0,
 * stdout 1, stderr 2, the final status on 3, terminal resizes on 4 and, in v5, the stdin half-close `[255, 0]`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ContainerProcess, PodRuntime } from '../contracts.js';
import {
  acceptWebSocket,
  Channel,
  chooseProtocol,
  errorStatus,
  EXEC_PROTOCOLS,
  exitStatus,
  offeredProtocols,
  parseResize,
  sendOnChannel,
  V1,
  V2,
  V4,
  V5,
} from './channels.js';
import { rememberFailure } from './fallback.js';
import { disableNagle, InputGate, OutputGate } from './flow.js';
import { badRequest, rejectUpgrade, toApiError } from './httpStatus.js';

export interface StreamTarget {
  namespace: string;
  pod: string;
  subresource: 'exec' | 'attach' | 'portforward';
  query: URLSearchParams;
}

interface StreamOptions {
  container: string | undefined;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** After the process exited, output that stays open this long without data is given up on (a daemonized child). */
const OUTPUT_GRACE_MS = 2000;

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

/** Reads exec/attach options from the query, the way the API server validates them. */
export function parseStreamOptions(subresource: 'exec' | 'attach', query: URLSearchParams): StreamOptions {
  const options: StreamOptions = {
    container: query.get('container') || undefined,
    command: query.getAll('command'),
    stdin: flag(query, 'stdin'),
    stdout: flag(query, 'stdout'),
    stderr: flag(query, 'stderr'),
    tty: flag(query, 'tty'),
  };
  if (subresource === 'exec' && options.command.length === 0) {
    throw badRequest('you must specify at least one command for the container');
  }
  if (!options.stdin && !options.stdout && !options.stderr) {
    throw badRequest('you must specify at least one of stdin, stdout, stderr');
  }
  // With a terminal, stderr is merged into stdout.
  if (options.tty) options.stderr = false;
  return options;
}

/** Handles a WebSocket upgrade for `exec` or `attach`. */
export function handleExecAttach(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget & { subresource: 'exec' | 'attach' },
  runtime: PodRuntime,
): void {
  let options: StreamOptions;
  let process: ContainerProcess;
  const offered = offeredProtocols(req);
  const protocol = offered.length === 0 ? V1 : chooseProtocol(offered, EXEC_PROTOCOLS);
  try {
    if (protocol === undefined) {
      throw badRequest(`none of the requested protocols is supported: ${offered.join(', ')}`);
    }
    options = parseStreamOptions(target.subresource, target.query);
    const execOptions = { stdin: options.stdin, tty: options.tty };
    process =
      target.subresource === 'exec'
        ? runtime.exec(target.namespace, target.pod, options.container, options.command, execOptions)
        : runtime.attach(target.namespace, target.pod, options.container, execOptions);
  } catch (error) {
    const apiError = toApiError(error);
    rememberFailure(target.namespace, target.pod, target.subresource, target.query, apiError);
    rejectUpgrade(socket, apiError);
    return;
  }
  const detach = (): void => endProcess(process);
  acceptWebSocket(
    req,
    socket,
    head,
    offered.length === 0 ? '' : protocol,
    (ws) => serveProcess(ws, socket, protocol, options, process),
    detach,
  );
}

/**
 * The client went away: an exec'd process ends with its connection; for attach, the runtime's `kill` only detaches
 * this viewer from the container's main process.
 */
function endProcess(process: ContainerProcess): void {
  process.kill();
  process.stdout.destroy();
  process.stderr?.destroy();
}

function serveProcess(
  ws: WebSocket,
  socket: Duplex,
  protocol: string,
  options: StreamOptions,
  process: ContainerProcess,
): void {
  disableNagle(socket);
  const output = new OutputGate(socket);
  const input = new InputGate(
    () => ws.pause(),
    () => ws.resume(),
  );
  let finished = false;
  let lastOutputAt = Date.now();
  const stdin = options.stdin ? process.stdin : null;
  stdin?.on('error', () => {
    // The process may exit before it read all its input; that is not the client's problem.
  });

  const forward = (stream: Readable | null, channel: number | undefined): Promise<void> => {
    if (!stream) return Promise.resolve();
    if (channel === undefined) {
      stream.resume();
    } else {
      stream.on('data', (chunk: Buffer) => {
        lastOutputAt = Date.now();
        sendOnChannel(ws, channel, chunk);
        output.afterWrite(stream);
      });
    }
    return new Promise((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
  };
  const outputDone = Promise.all([
    forward(process.stdout, options.stdout ? Channel.Stdout : undefined),
    forward(process.stderr, options.stderr ? Channel.Stderr : undefined),
  ]);

  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === Channel.Stdin) {
      if (stdin) input.write(stdin, payload);
    } else if (channel === Channel.Resize && protocol !== V1 && protocol !== V2) {
      for (const size of parseResize(payload)) process.resize(size.cols, size.rows);
    } else if (channel === Channel.Close && protocol === V5 && payload[0] === Channel.Stdin) {
      stdin?.end();
    }
  });
  ws.on('error', () => {
    // A broken connection ends in 'close' right after.
  });
  ws.on('close', () => {
    if (finished) return;
    finished = true;
    if (stdin) input.forget(stdin);
    endProcess(process);
  });

  const finish = (status: Record<string, unknown>): void => {
    if (finished) return;
    finished = true;
    if (protocol === V5 || protocol === V4) {
      sendOnChannel(ws, Channel.Error, Buffer.from(JSON.stringify(status)));
    } else if (status.status !== 'Success') {
      // v1 to v3 carry the error as plain text.
      sendOnChannel(ws, Channel.Error, Buffer.from(String(status.message)));
    }
    // Input no longer matters, and the client's close frame must be read to complete the close handshake.
    ws.resume();
    ws.close(1000);
    // Output that a background child still holds open has nowhere to go any more.
    process.stdout.destroy();
    process.stderr?.destroy();
  };

  process.exited.then(
    (exitCode) => {
      // Send everything the process wrote before the status, but do not wait forever for output that a
      // background child keeps open.
      const timer = setInterval(() => {
        if (finished) clearInterval(timer);
        else if (Date.now() - lastOutputAt >= OUTPUT_GRACE_MS && !output.blocked) {
          clearInterval(timer);
          finish(exitStatus(exitCode));
        }
      }, OUTPUT_GRACE_MS / 4);
      void outputDone.then(() => {
        clearInterval(timer);
        finish(exitStatus(exitCode));
      });
    },
    (error: unknown) => finish(errorStatus(error instanceof Error ? error.message : String(error))),
  );
}

/**
 * Port-forward over a WebSocket with channel framing, as @kubernetes/client-node speaks it: the ports come in the
 * `ports` query, port i has data channel 2i and error channel 2i+1, and the server's first message on every
 * channel is the port as two little-endian bytes. One WebSocket carries one TCP connection per port.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ApiError, type PodRuntime } from '../contracts.js';
import { acceptWebSocket, sendOnChannel } from './channels.js';
import { disableNagle, InputGate, OutputGate } from './flow.js';
import { badRequest, rejectUpgrade, toApiError } from './httpStatus.js';
import type { StreamTarget } from './wsChannels.js';

/** Reads `ports=8080,9090` or repeated `ports=` values. */
export function parsePorts(query: URLSearchParams): number[] {
  const values = query
    .getAll('ports')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (values.length === 0) throw badRequest('query parameter "ports" is required');
  return values.map((value) => {
    const port = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(port >= 1 && port <= 65535)) throw badRequest(`invalid port "${value}": it must be between 1 and 65535`);
    return port;
  });
}

function portPrefix(channel: number, port: number): Buffer {
  return Buffer.from([channel, port & 0xff, port >> 8]);
}

interface Forward {
  port: number;
  conn: Duplex | undefined;
  connectError: Error | undefined;
  closed: boolean;
}

/** Handles a WebSocket port-forward upgrade that negotiated a channel protocol. */
export function handleChannelPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
  runtime: PodRuntime,
  protocol: string,
): void {
  let ports: number[];
  try {
    ports = parsePorts(target.query);
  } catch (error) {
    rejectUpgrade(socket, toApiError(error));
    return;
  }
  // Connect before the handshake, so that an unknown or stopped pod is an HTTP error the client can report.
  const attempts = ports.map((port) =>
    Promise.resolve().then(() => runtime.connect(target.namespace, target.pod, port)),
  );
  Promise.allSettled(attempts)
    .then((results) => {
      const forwards: Forward[] = results.map((result, index) => ({
        port: ports[index]!,
        conn: result.status === 'fulfilled' ? result.value : undefined,
        connectError:
          result.status === 'rejected'
            ? result.reason instanceof Error
              ? result.reason
              : new Error(String(result.reason))
            : undefined,
        closed: result.status === 'rejected',
      }));
      const destroyAll = (): void => {
        for (const forward of forwards) forward.conn?.destroy();
      };
      const apiError = forwards.find((forward) => forward.connectError instanceof ApiError)?.connectError;
      if (apiError) {
        destroyAll();
        rejectUpgrade(socket, toApiError(apiError));
        return;
      }
      if (socket.destroyed) {
        destroyAll();
        return;
      }
      acceptWebSocket(req, socket, head, protocol, (ws) => serveForwards(ws, socket, forwards, target.pod), destroyAll);
    })
    .catch(() => socket.destroy());
}

function serveForwards(ws: WebSocket, socket: Duplex, forwards: Forward[], pod: string): void {
  disableNagle(socket);
  const output = new OutputGate(socket);
  const input = new InputGate(
    () => ws.pause(),
    () => ws.resume(),
  );
  const closeIfDone = (): void => {
    if (forwards.every((forward) => forward.closed)) ws.close(1000);
  };
  const reportError = (index: number, error: Error): void => {
    const port = forwards[index]!.port;
    sendOnChannel(ws, 2 * index + 1, Buffer.from(`error forwarding port ${port} to pod ${pod}: ${error.message}`));
  };

  for (const [index, forward] of forwards.entries()) {
    sendOnChannel(ws, 2 * index, portPrefix(2 * index, forward.port).subarray(1));
    sendOnChannel(ws, 2 * index + 1, portPrefix(2 * index + 1, forward.port).subarray(1));
    if (forward.connectError) reportError(index, forward.connectError);
    const conn = forward.conn;
    if (!conn) continue;
    disableNagle(conn);
    conn.on('data', (chunk: Buffer) => {
      sendOnChannel(ws, 2 * index, chunk);
      output.afterWrite(conn);
    });
    conn.on('error', (error: Error) => reportError(index, error));
    // The channel protocol cannot close one direction: once the pod's side ended, the forward is over, as the
    // kubelet closes its streams when the pod's connection ends. What was read is already queued on the socket.
    conn.on('end', () => conn.end());
    conn.on('close', () => {
      forward.closed = true;
      input.forget(conn);
      closeIfDone();
    });
  }

  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    if (channel === undefined || channel % 2 !== 0) return;
    const conn = forwards[channel / 2]?.conn;
    if (conn) input.write(conn, data.subarray(1));
  });
  ws.on('error', () => {
    // A broken connection ends in 'close' right after.
  });
  ws.on('close', () => {
    for (const forward of forwards) {
      const conn = forward.conn;
      if (!conn || conn.destroyed) continue;
      // Let the pod's server see a clean end of input, but do not keep a connection nobody reads.
      conn.end();
      conn.resume();
      setTimeout(() => conn.destroy(), 5000).unref();
    }
  });
  closeIfDone();
}

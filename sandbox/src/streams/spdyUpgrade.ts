/**
 * The two ways kubectl carries its SPDY port-forward session: on the socket itself after an `Upgrade: SPDY/3.1`
 * (the fallback, or `KUBECTL_PORT_FORWARD_WEBSOCKETS=false`), and inside a WebSocket whose binary messages are
 * arbitrary slices of the SPDY byte stream (the default since kubectl 1.31).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { PodRuntime } from '../contracts.js';
import { acceptWebSocket, SPDY_TUNNEL_PROTOCOL } from './channels.js';
import { rejectUpgrade } from './httpStatus.js';
import { ApiError } from '../contracts.js';
import { SpdyPortForwardSession, type SpdyTransport } from './spdyPortForward.js';
import type { StreamTarget } from './wsChannels.js';

const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** Frames whose payload is this small are sent as one buffer rather than as two writes. */
const SMALL_FRAME = 4096;

/** Handles `POST …/portforward` with `Upgrade: SPDY/3.1`. */
export function handleRawSpdyPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
  runtime: PodRuntime,
): void {
  const header = req.headers['x-stream-protocol-version'];
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol !== '');
  if (offered.length > 0 && !offered.includes(PORT_FORWARD_PROTOCOL)) {
    const message = `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ["${PORT_FORWARD_PROTOCOL}"]`;
    rejectUpgrade(socket, new ApiError(403, 'Forbidden', message));
    return;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      'Upgrade: SPDY/3.1\r\n' +
      (offered.length > 0 ? `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n` : '') +
      '\r\n',
  );
  const transport: SpdyTransport = {
    socket,
    writeFrame: (parts) => {
      if (socket.destroyed) return;
      socket.cork();
      for (const part of parts) socket.write(part);
      socket.uncork();
    },
    pauseInput: () => socket.pause(),
    resumeInput: () => socket.resume(),
    close: () => socket.destroy(),
  };
  const session = new SpdyPortForwardSession(transport, runtime, target.namespace, target.pod);
  socket.on('data', (chunk: Buffer) => session.receive(chunk));
  socket.on('error', () => {
    // A broken connection ends in 'close' right after.
  });
  socket.on('close', () => session.dispose());
  if (head.length > 0) session.receive(head);
}

/** Handles `GET …/portforward` with the WebSocket subprotocol `SPDY/3.1+portforward.k8s.io`. */
export function handleTunnelledSpdyPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
  runtime: PodRuntime,
): void {
  acceptWebSocket(
    req,
    socket,
    head,
    SPDY_TUNNEL_PROTOCOL,
    (ws) => serveTunnel(ws, socket, target, runtime),
    () => undefined,
  );
}

function serveTunnel(ws: WebSocket, socket: Duplex, target: StreamTarget, runtime: PodRuntime): void {
  const transport: SpdyTransport = {
    socket,
    writeFrame: (parts) => {
      if (ws.readyState !== ws.OPEN) return;
      const [first, second] = parts;
      if (!first) return;
      if (!second) {
        ws.send(first, { binary: true });
      } else if (second.length < SMALL_FRAME) {
        ws.send(Buffer.concat([first, second]), { binary: true });
      } else {
        // One message in two frames: the payload is handed to the socket without a copy.
        ws.send(first, { binary: true, fin: false });
        ws.send(second, { binary: true, fin: true });
      }
    },
    pauseInput: () => ws.pause(),
    resumeInput: () => ws.resume(),
    close: () => ws.close(1000),
  };
  const session = new SpdyPortForwardSession(transport, runtime, target.namespace, target.pod);
  ws.on('message', (data: Buffer) => session.receive(data));
  ws.on('error', () => {
    // A broken connection ends in 'close' right after.
  });
  ws.on('close', () => session.dispose());
}

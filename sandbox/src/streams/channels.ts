/**
 * The Kubernetes channel protocols over WebSocket (`*.channel.k8s.io`): subprotocol negotiation, the one-byte
 * channel prefix of each message, resize messages and the final status of exec/attach.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
export const V3 = 'v3.channel.k8s.io';
export const V2 = 'v2.channel.k8s.io';
export const V1 = 'channel.k8s.io';

/** Exec and attach: newest first, the order the server prefers. */
export const EXEC_PROTOCOLS = [V5, V4, V3, V2, V1];
/** client-node's port-forward speaks v4 framing; the kubelet picks v4 for it as well. */
export const PORT_FORWARD_CHANNEL_PROTOCOLS = [V4, V1];
/** kubectl's port-forward: SPDY/3.1 tunnelled through a WebSocket. */
export const SPDY_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

/** The subprotocols a WebSocket client offers, in its order. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol.length > 0);
}

/** The server's first preference among the offered protocols. */
export function chooseProtocol(offered: string[], supported: string[]): string | undefined {
  return supported.find((protocol) => offered.includes(protocol));
}

/**
 * `ws` only accepts subprotocols that are HTTP tokens, and `SPDY/3.1+portforward.k8s.io` has a `/`. The request
 * header is rewritten to this token before the handshake and the response header is written back with the real
 * name, which is what kubectl checks.
 */
const SPDY_TUNNEL_TOKEN = 'spdy-3.1+portforward.k8s.io';

const negotiated = new WeakMap<IncomingMessage, string>();
let server: WebSocketServer | undefined;

function webSocketServer(): WebSocketServer {
  if (server) return server;
  server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    skipUTF8Validation: true,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (_protocols, req) => {
      const protocol = negotiated.get(req);
      if (protocol === undefined || protocol === '') return false;
      return protocol === SPDY_TUNNEL_PROTOCOL ? SPDY_TUNNEL_TOKEN : protocol;
    },
  });
  server.on('headers', (headers) => {
    for (const [index, line] of headers.entries()) {
      if (line === `Sec-WebSocket-Protocol: ${SPDY_TUNNEL_TOKEN}`) {
        headers[index] = `Sec-WebSocket-Protocol: ${SPDY_TUNNEL_PROTOCOL}`;
      }
    }
  });
  return server;
}

/**
 * Completes the WebSocket handshake with `protocol` ('' when the client offered none). `onClose` runs when the
 * socket closes before the handshake completed (for example on a malformed handshake, which `ws` answers itself).
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string,
  onOpen: (ws: WebSocket) => void,
  onAbort: () => void,
): void {
  negotiated.set(req, protocol);
  if (protocol === SPDY_TUNNEL_PROTOCOL) {
    req.headers['sec-websocket-protocol'] = SPDY_TUNNEL_TOKEN;
  }
  let opened = false;
  socket.once('close', () => {
    if (!opened) onAbort();
  });
  webSocketServer().handleUpgrade(req, socket, head, (ws) => {
    opened = true;
    onOpen(ws);
  });
}

const prefixes = Array.from({ length: 256 }, (_, channel) => Buffer.from([channel]));

/** Below this size, copying the payload behind the channel byte is cheaper than a second frame. */
const SMALL_MESSAGE = 4096;

/**
 * Sends `data` as one message on `channel`. Large payloads go as a two-frame message (the channel byte, then the
 * payload) so that they are never copied.
 */
export function sendOnChannel(ws: WebSocket, channel: number, data: Buffer): void {
  if (ws.readyState !== ws.OPEN) return;
  if (data.length < SMALL_MESSAGE) {
    const message = Buffer.allocUnsafe(data.length + 1);
    message[0] = channel;
    data.copy(message, 1);
    ws.send(message, { binary: true });
    return;
  }
  ws.send(prefixes[channel]!, { binary: true, fin: false });
  ws.send(data, { binary: true, fin: true });
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/**
 * Parses a resize message: one or more JSON objects (kubectl ends each with a newline) with `Width` and `Height`,
 * in any letter case (client-node sends `width`/`height`). Returns the sizes found, in order.
 */
export function parseResize(payload: Buffer | string): TerminalSize[] {
  const sizes: TerminalSize[] = [];
  for (const line of payload.toString().split('\n')) {
    const text = line.trim();
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    let cols: number | undefined;
    let rows: number | undefined;
    for (const [key, field] of Object.entries(value)) {
      if (typeof field !== 'number' || !Number.isInteger(field) || field < 0 || field > 0xffff) continue;
      if (key.toLowerCase() === 'width') cols = field;
      if (key.toLowerCase() === 'height') rows = field;
    }
    if (cols !== undefined && rows !== undefined) sizes.push({ cols, rows });
  }
  return sizes;
}

/** What the status channel carries once the process ended (v4 and v5: a `metav1.Status` as JSON). */
export function exitStatus(exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  const code = Number.isInteger(exitCode) && exitCode > 0 && exitCode <= 255 ? exitCode : 255;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** A failure that is not an exit code (the process could not be run, or broke). */
export function errorStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

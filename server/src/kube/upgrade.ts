/**
 * An HTTP/1.1 `Upgrade` request over a connection opened here rather than by `https.request`, so that the socket
 * reads into one buffer it reuses (`onread`). Node otherwise allocates a new buffer for every TLS record it
 * decrypts, and at port-forward rates V8's collector then spends more time on those buffers than the transfer
 * itself costs. Whoever reads the upgraded stream gets views of that buffer, valid only while its callback runs.
 */
import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { traceRequest } from './trace.js';

/** How much one read can hand over; TLS records are at most 16 KiB, a plain socket fills what it is given. */
const READ_BUFFER_BYTES = 64 * 1024;
/** An upgrade response's header cannot be longer than this; a server sending more is not speaking HTTP. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface UpgradeRequest {
  url: URL;
  headers: Record<string, string>;
  /** The TLS options of the cluster (CA, client certificate, server name...); ignored for `http:` URLs. */
  tls: ConnectionOptions;
  timeoutMs: number;
  /** Receives each TLS session the server offers, to resume the next connection with it. */
  onSession?: (session: Buffer) => void;
}

export interface UpgradeResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The response body when the server refused the upgrade. */
  body: Buffer;
}

export interface UpgradedConnection {
  socket: Socket;
  response: UpgradeResponse;
  /**
   * Starts handing on what the server sends after its 101 response, including bytes that already arrived. Each
   * view is only valid during the call: keep a copy of what must outlive it.
   */
  read(reader: (view: Buffer) => void): void;
}

/** Thrown when the connection could not be made or answered. */
export class UpgradeFailure extends Error {
  public constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends the upgrade request and resolves once the server answered with a 101. Any other answer rejects with
 * `refused(response)`'s error, after the whole body was read.
 */
export function requestUpgrade(
  request: UpgradeRequest,
  refused: (response: UpgradeResponse) => Error,
): Promise<UpgradedConnection> {
  const { url } = request;
  const plain = url.protocol === 'http:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (plain ? 80 : 443));
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  let deliver: (view: Buffer) => void = () => undefined;
  const onread = {
    buffer,
    callback: (bytes: number): boolean => {
      deliver(buffer.subarray(0, bytes));
      return true;
    },
  };
  // Node's TLS sockets honour `onread` as plain ones do; the type declarations only list it for the latter.
  const secure: ConnectionOptions & { onread: OnReadOpts; noDelay: boolean } = {
    ...request.tls,
    host,
    port,
    // Like https.request: SNI names the host unless the kubeconfig names another server, never an IP address.
    ...(request.tls.servername === undefined && isIP(host) === 0 ? { servername: host } : {}),
    onread,
    // The request must not wait behind Nagle for the ACK of the handshake's last flight.
    noDelay: true,
  };
  // Traced from the connection's first packet: an upgrade always opens a connection of its own.
  const traced = traceRequest('UPGRADE', `${url.pathname}${url.search}`);
  const socket = plain ? netConnect({ host, port, onread, noDelay: true }) : tlsConnect(secure);
  if (request.onSession !== undefined) socket.on('session', request.onSession);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      traced(error instanceof UpgradeFailure ? error.code : 'refused');
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new UpgradeFailure('Timeout', `the API server did not answer ${url.pathname} within ${request.timeoutMs} ms`),
        ),
      request.timeoutMs,
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      fail(new UpgradeFailure(error.code ?? 'Unreachable', `cannot open ${url.pathname}: ${error.message}`)),
    );
    socket.once(plain ? 'connect' : 'secureConnect', () => {
      const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
      for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });

    const response = new ResponseReader();
    deliver = (view) => {
      const done = response.add(view);
      if (done === undefined) {
        if (response.headerBytes > MAX_HEADER_BYTES)
          fail(new UpgradeFailure('BadHandshake', `the API server's answer to ${url.pathname} is not HTTP`));
        return;
      }
      if (done.status !== 101) {
        if (response.bodyComplete) {
          traced(done.status);
          fail(refused(done));
        }
        return;
      }
      if (settled) return;
      settled = true;
      traced(101);
      clearTimeout(timer);
      // The reader of the upgraded stream learns of errors from its close; an error must not go unheard meanwhile.
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      // Until the caller starts reading, what arrives is kept (copied: the read buffer is reused).
      const early: Buffer[] = response.rest.length > 0 ? [response.rest] : [];
      deliver = (more) => early.push(Buffer.from(more));
      resolve({
        socket,
        response: done,
        read(reader) {
          for (const chunk of early.splice(0)) reader(chunk);
          deliver = reader;
        },
      });
    };
    socket.once('close', () => {
      const done = response.head;
      if (done !== undefined && done.status !== 101) {
        traced(done.status);
        fail(refused(done));
      } else
        fail(
          new UpgradeFailure('ConnectionLost', `the API server closed the connection while opening ${url.pathname}`),
        );
    });
  });
}

/** Reads an HTTP/1.1 response head, then (for a refusal) its body by Content-Length, chunks, or until close. */
class ResponseReader {
  public head: UpgradeResponse | undefined;
  public rest: Buffer = Buffer.alloc(0);
  public bodyComplete = false;
  private received: Buffer = Buffer.alloc(0);
  /** A refusal's body bytes as they arrived (still chunk-encoded when the response is chunked). */
  private raw: Buffer = Buffer.alloc(0);

  public get headerBytes(): number {
    return this.received.length;
  }

  /** Adds what the server sent; returns the response once its head is complete, its body decoded so far. */
  public add(view: Buffer): UpgradeResponse | undefined {
    if (this.head === undefined) {
      this.received = Buffer.concat([this.received, view]);
      const end = this.received.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      this.head = parseHead(this.received.subarray(0, end).toString('latin1'));
      const after = Buffer.from(this.received.subarray(end + 4));
      this.received = Buffer.alloc(0);
      if (this.head.status === 101) {
        this.rest = after;
        return this.head;
      }
      this.raw = after;
    } else {
      this.raw = Buffer.concat([this.raw, view]);
    }
    if (this.head.headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const { body, complete } = dechunk(this.raw);
      this.head.body = body;
      this.bodyComplete = complete;
    } else {
      const length = this.head.headers['content-length'];
      this.head.body = this.raw;
      this.bodyComplete = length !== undefined && this.raw.length >= Number(length);
    }
    return this.head;
  }
}

function parseHead(text: string): UpgradeResponse {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: Buffer.alloc(0) };
}

/** Decodes a chunked body as far as it arrived. */
function dechunk(raw: Buffer): { body: Buffer; complete: boolean } {
  const pieces: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) return { body: Buffer.concat(pieces), complete: false };
    const size = parseInt(raw.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(pieces), complete: true };
    if (size === 0) return { body: Buffer.concat(pieces), complete: true };
    const start = lineEnd + 2;
    if (raw.length < start + size) {
      pieces.push(raw.subarray(start));
      return { body: Buffer.concat(pieces), complete: false };
    }
    pieces.push(raw.subarray(start, start + size));
    offset = start + size + 2;
  }
}

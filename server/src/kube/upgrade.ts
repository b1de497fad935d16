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
  /** The TLS session to resume, asked for whenever a connection is opened (a spare is opened later). */
  resume?: () => Buffer | undefined;
  /** Where a connection opened ahead of need waits: taken when it matches, opened again after an upgrade. */
  spare?: SpareConnection;
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

/** A connection being opened or open, reading into its own reused buffer. */
interface Dialed {
  socket: Socket;
  /** Whether the TCP (and TLS) handshake is done. */
  connected: boolean;
  /** Receives what the socket reads; replaced as the connection changes hands. */
  deliver: (view: Buffer) => void;
}

/** What a connection is to: a spare is only used for a request that would have opened the same one. */
function identityOf(request: UpgradeRequest): { key: string; context: unknown } {
  const { url, tls } = request;
  const key = [url.protocol, url.hostname, url.port, tls.servername ?? '', String(tls.rejectUnauthorized)].join(' ');
  // Connections with the same credentials share one context (tlsContext.ts): the same object, or none for both.
  return { key, context: url.protocol === 'http:' ? undefined : tls.secureContext };
}

function dial(request: UpgradeRequest): Dialed {
  const { url } = request;
  const plain = url.protocol === 'http:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (plain ? 80 : 443));
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const dialed: Dialed = { socket: undefined as unknown as Socket, connected: false, deliver: () => undefined };
  const onread = {
    buffer,
    callback: (bytes: number): boolean => {
      dialed.deliver(buffer.subarray(0, bytes));
      return true;
    },
  };
  // Node's TLS sockets honour `onread` as plain ones do; the type declarations only list it for the latter.
  const session = request.resume?.();
  const secure: ConnectionOptions & { onread: OnReadOpts; noDelay: boolean } = {
    ...request.tls,
    ...(session === undefined ? {} : { session }),
    host,
    port,
    // Like https.request: SNI names the host unless the kubeconfig names another server, never an IP address.
    ...(request.tls.servername === undefined && isIP(host) === 0 ? { servername: host } : {}),
    onread,
    // The request must not wait behind Nagle for the ACK of the handshake's last flight.
    noDelay: true,
  };
  dialed.socket = plain ? netConnect({ host, port, onread, noDelay: true }) : tlsConnect(secure);
  if (request.onSession !== undefined) dialed.socket.on('session', request.onSession);
  dialed.socket.once(plain ? 'connect' : 'secureConnect', () => (dialed.connected = true));
  return dialed;
}

/** How long a spare connection waits for a request: well within the 32 s an API server gives a request's header. */
const SPARE_IDLE_MS = 15_000;

/**
 * At most one connection to an API server, opened (TCP and TLS) ahead of need, so that the next upgrade (a port
 * forward's connection, a terminal, the sync agent's exec) costs one round trip instead of three. It carries no
 * request until taken: nothing reaches the pod, and no credential but the TLS client certificate is sent. It
 * never keeps the process alive, and is closed after `SPARE_IDLE_MS` unused or when the server closes or speaks.
 */
export class SpareConnection {
  private spare:
    { dialed: Dialed; key: string; context: unknown; discard: () => void; timer: NodeJS.Timeout } | undefined;

  public constructor(private readonly idleMs = SPARE_IDLE_MS) {}

  /** The spare if it is open and goes where `request` would; it is then the caller's. */
  public take(request: UpgradeRequest): Dialed | undefined {
    const spare = this.spare;
    if (spare === undefined) return undefined;
    this.spare = undefined;
    clearTimeout(spare.timer);
    const { dialed } = spare;
    dialed.socket.off('error', spare.discard).off('close', spare.discard);
    const { key, context } = identityOf(request);
    if (spare.key !== key || spare.context !== context || !dialed.connected || dialed.socket.destroyed) {
      dialed.socket.destroy();
      return undefined;
    }
    dialed.socket.ref();
    return dialed;
  }

  /** Opens a spare like the one `request` needed, unless one is open already. */
  public refill(request: UpgradeRequest): void {
    if (this.spare !== undefined) return;
    const dialed = dial(request);
    dialed.socket.unref();
    const discard = (): void => {
      if (this.spare?.dialed === dialed) {
        clearTimeout(this.spare.timer);
        this.spare = undefined;
      }
      dialed.socket.destroy();
    };
    // A server that speaks before it was asked anything is closing the connection (a 408, an alert).
    dialed.deliver = discard;
    dialed.socket.on('error', discard).on('close', discard);
    const timer = setTimeout(discard, this.idleMs);
    timer.unref();
    this.spare = { dialed, ...identityOf(request), discard, timer };
  }

  /** Whether a spare is open now. */
  public get open(): boolean {
    return this.spare !== undefined && !this.spare.dialed.socket.destroyed;
  }

  public close(): void {
    this.spare?.discard();
  }
}

/**
 * Sends the upgrade request and resolves once the server answered with a 101. Any other answer rejects with
 * `refused(response)`'s error, after the whole body was read. The request goes on `request.spare` when that is
 * open to the same server, otherwise on a connection of its own; after a 101 the next spare is opened.
 */
export function requestUpgrade(
  request: UpgradeRequest,
  refused: (response: UpgradeResponse) => Error,
): Promise<UpgradedConnection> {
  const warm = request.spare?.take(request);
  return warm === undefined
    ? upgradeOn(request, dial(request), false, refused)
    : upgradeOn(request, warm, true, refused);
}

/**
 * The upgrade on one connection. A spare (`warm`) connection the server closed before answering anything (it
 * timed out or restarted as the request was sent) cannot have started anything: the request is sent again, once,
 * on a connection of its own.
 */
function upgradeOn(
  request: UpgradeRequest,
  dialed: Dialed,
  warm: boolean,
  refused: (response: UpgradeResponse) => Error,
): Promise<UpgradedConnection> {
  const { url } = request;
  const { socket } = dialed;
  // Traced from the connection's first packet, or from the request on a spare connection.
  const traced = traceRequest('UPGRADE', `${url.pathname}${url.search}`);
  return new Promise((resolve, reject) => {
    const response = new ResponseReader();
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (warm && error instanceof UpgradeFailure && error.code !== 'Timeout' && response.nothingReceived) {
        traced('retried');
        upgradeOn(request, dial(request), false, refused).then(resolve, reject);
        return;
      }
      traced(error instanceof UpgradeFailure ? error.code : 'refused');
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
    const send = (): void => {
      const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
      for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    };
    if (dialed.connected) send();
    else socket.once(url.protocol === 'http:' ? 'connect' : 'secureConnect', send);

    dialed.deliver = (view) => {
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
      request.spare?.refill(request);
      // The reader of the upgraded stream learns of errors from its close; an error must not go unheard meanwhile.
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      // Until the caller starts reading, what arrives is kept (copied: the read buffer is reused).
      const early: Buffer[] = response.rest.length > 0 ? [response.rest] : [];
      dialed.deliver = (more) => early.push(Buffer.from(more));
      resolve({
        socket,
        response: done,
        read(reader) {
          for (const chunk of early.splice(0)) reader(chunk);
          dialed.deliver = reader;
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

  public get nothingReceived(): boolean {
    return this.head === undefined && this.received.length === 0;
  }

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

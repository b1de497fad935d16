/**
 * A WebSocket client (RFC 6455) specialised for the Kubernetes channel protocols, for bulk streams. It never
 * reassembles messages: each piece of payload is handed on as a slice of what the socket read, tagged with the
 * channel named by its message's first byte. A general client copies every frame that spans two reads and again
 * when it joins fragments, which at port-forward rates costs more than the transfer itself. The connection reads
 * into one reused buffer (see upgrade.ts), so a bulk stream allocates nothing per read.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { ClusterClient } from './client.js';
import { KubeError } from './errors.js';
import { returnSlab, SLAB_BYTES, takeSlab } from './slabs.js';
import { sharedSecureContext } from './tlsContext.js';
import { requestUpgrade, SpareConnection, UpgradeFailure } from './upgrade.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The last TLS session per cluster, so that a new connection resumes it instead of a full handshake. */
const sessions = new WeakMap<ClusterClient, Buffer>();
/** A connection per cluster opened ahead of the next upgrade (see SpareConnection). */
const spares = new WeakMap<ClusterClient, SpareConnection>();

function spareFor(cluster: ClusterClient): SpareConnection {
  let spare = spares.get(cluster);
  if (spare === undefined) {
    spare = new SpareConnection();
    spares.set(cluster, spare);
  }
  return spare;
}

/** How long the API server may take to answer the upgrade request. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';

/** The channels of exec and attach; 255 carries "this channel is closed" in v5. */
export const ExecChannel = { Stdin: 0, Stdout: 1, Stderr: 2, Status: 3, Resize: 4, Close: 255 } as const;

const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export interface ChannelSocketEvents {
  /**
   * A piece of a message's payload on `channel`; pieces of one message arrive in order. The piece may be a view of
   * a read buffer that is reused once this returns: copy what must be kept.
   */
  data(channel: number, data: Buffer): void;
  /** The connection closed; `code` 1006 when it ended without a close frame. */
  close(code: number, reason: string): void;
}

/** Opens a channel WebSocket to `path`, offering `protocols`. An HTTP error is thrown as a `KubeError`. */
export async function connectChannelSocket(
  cluster: ClusterClient,
  path: string,
  protocols: string[],
  events: ChannelSocketEvents,
  handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<ChannelSocket> {
  const server = cluster.kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new KubeError(0, 'ContextNotFound', 'the kubeconfig has no current cluster');
  const url = new URL(server.replace(/\/$/, '') + path);
  const key = randomBytes(16).toString('base64');
  const options: RequestOptions = {
    method: 'GET',
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': protocols.join(', '),
      'User-Agent': 'devmode',
    },
  };
  await cluster.kubeConfig.applyToHTTPSOptions(options);
  const check = (headers: Record<string, string | string[] | undefined>): string | undefined => {
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    const protocol = headers['sec-websocket-protocol'];
    return headers['sec-websocket-accept'] === accept && typeof protocol === 'string' && protocols.includes(protocol)
      ? protocol
      : undefined;
  };
  const badHandshake = (): KubeError =>
    new KubeError(0, 'BadHandshake', `the API server answered ${path.split('?')[0]} with a bad handshake`);
  if (cluster.kubeConfig.getCurrentCluster()?.proxyUrl === undefined) {
    const connection = await requestUpgrade(
      {
        url,
        headers: upgradeHeaders(options),
        tls: tlsOptions(options),
        resume: () => sessions.get(cluster),
        timeoutMs: handshakeTimeoutMs,
        onSession: (session) => sessions.set(cluster, session),
        spare: spareFor(cluster),
      },
      (response) => statusError(response.status, response.body.toString('utf8'), path),
    ).catch((error: unknown) => {
      throw error instanceof UpgradeFailure ? new KubeError(0, error.code, error.message) : error;
    });
    const protocol = check(connection.response.headers);
    if (protocol === undefined) {
      connection.socket.destroy();
      throw badHandshake();
    }
    return new ChannelSocket(connection.socket, protocol, Buffer.alloc(0), events, (reader) => connection.read(reader));
  }
  // Through a proxy, the proxy's agent opens the connection, and reads allocate as Node's sockets do.
  const plain = url.protocol === 'http:';
  return new Promise((resolve, reject) => {
    const req: ClientRequest = (plain ? httpRequest : httpsRequest)(options);
    // A dial without a deadline is how forwards end up stuck while looking healthy.
    const timer = setTimeout(() => {
      reject(
        new KubeError(
          0,
          'Timeout',
          `the API server did not answer ${path.split('?')[0]} within ${handshakeTimeoutMs} ms`,
        ),
      );
      req.destroy();
    }, handshakeTimeoutMs);
    req.once('close', () => clearTimeout(timer));
    req.once('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      clearTimeout(timer);
      const protocol = check(response.headers);
      if (protocol === undefined) {
        socket.destroy();
        reject(badHandshake());
        return;
      }
      resolve(new ChannelSocket(socket, protocol, head, events));
    });
    req.once('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () =>
        reject(statusError(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), path)),
      );
      response.once('error', reject);
    });
    req.once('error', (error: NodeJS.ErrnoException) =>
      reject(new KubeError(0, error.code ?? 'Unreachable', `cannot open ${path.split('?')[0]}: ${error.message}`)),
    );
    req.end();
  });
}

/** The request's headers as the upgrade sends them, the kubeconfig's credentials included. */
function upgradeHeaders(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  if (typeof options.auth === 'string') headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  return headers;
}

/** The TLS settings the kubeconfig put on the request options. */
function tlsOptions(options: RequestOptions): ConnectionOptions {
  const picked: ConnectionOptions = {};
  for (const name of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined) Object.assign(picked, { [name]: value });
  }
  const secureContext = sharedSecureContext(picked);
  if (secureContext !== undefined) picked.secureContext = secureContext;
  return picked;
}

function statusError(status: number, text: string, path: string): KubeError {
  let body: { message?: string; reason?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { message: text.trim() };
  }
  return new KubeError(status, body.reason ?? `HTTP${status}`, body.message || `GET ${path}: HTTP ${status}`, {
    verb: 'create',
    resource: path.includes('/portforward') ? 'pods/portforward' : 'pods/exec',
  });
}

/** The most data one message carries, so that its frame (header and channel byte included) fits a pooled buffer. */
const MAX_MESSAGE_BYTES = SLAB_BYTES - 16;

/** Frames at least this long are built in pooled buffers; shorter ones are cheap to allocate. */
const POOLED_FRAME_BYTES = 4096;

/** Random bytes for mask keys, drawn from the CSPRNG a few kilobytes at a time rather than 4 bytes per frame. */
const maskKeys = Buffer.alloc(4096);
let maskKeyOffset = maskKeys.length;

function nextMaskKey(): Buffer {
  if (maskKeyOffset === maskKeys.length) {
    randomFillSync(maskKeys);
    maskKeyOffset = 0;
  }
  maskKeyOffset += 4;
  return maskKeys.subarray(maskKeyOffset - 4, maskKeyOffset);
}

/** Applies the frame mask in place, a 32-bit word at a time where the payload is aligned for it. */
function mask(data: Buffer, key: Buffer, offset: number): void {
  const length = data.length - offset;
  let done = 0;
  if ((data.byteOffset + offset) % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset + offset, length >>> 2);
    const word = key.readUInt32LE(0);
    for (let i = 0; i < words.length; i++) words[i]! ^= word;
    done = words.length * 4;
  }
  for (let i = done; i < length; i++) data[offset + i]! ^= key[i & 3]!;
}

export class ChannelSocket {
  /** The header of the frame being read, while it is incomplete. */
  private header: Buffer = Buffer.alloc(0);
  private payloadLeft = 0;
  private opcode = 0;
  /** The channel of the message being read; undefined until its first payload byte arrived. */
  private channel: number | undefined;
  private control: Buffer[] = [];
  private closeSent = false;
  private closed = false;
  private closeCode = 1006;
  private closeReason = '';

  public constructor(
    private readonly socket: Socket,
    public readonly protocol: string,
    head: Buffer,
    private readonly events: ChannelSocketEvents,
    reads?: (reader: (view: Buffer) => void) => void,
  ) {
    socket.setNoDelay(true);
    if (reads !== undefined) reads((view) => this.read(view));
    else socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.closed = true;
      this.events.close(this.closeCode, this.closeReason);
    });
    if (head.length > 0) process.nextTick(() => this.read(head));
  }

  /** Bytes written but not yet handed to the operating system. */
  public get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  public get isOpen(): boolean {
    return !this.closed && !this.closeSent;
  }

  /**
   * Sends `data` as one message on `channel`. `done` runs once the socket took it, or right away while little is
   * buffered: that is how writers feel backpressure.
   */
  public send(channel: number, data: Buffer, done?: (error?: Error) => void): void {
    if (!this.isOpen) {
      done?.(new Error('the connection to the pod is closed'));
      return;
    }
    // Data larger than a pooled buffer goes as several messages on the channel, which the other side reads as one
    // stream: every frame is then built in a reused buffer instead of a new one as large as the data.
    let flushed = true;
    let offset = 0;
    do {
      const piece = data.subarray(offset, offset + MAX_MESSAGE_BYTES);
      offset += piece.length;
      flushed = this.writeFrame(this.frame(Opcode.Binary, piece, channel));
    } while (offset < data.length);
    if (done === undefined) return;
    if (flushed) done();
    else this.socket.once('drain', () => done());
  }

  /** Writes a frame; one built in a pooled buffer goes back to the pool once the socket wrote it. */
  private writeFrame(frame: { bytes: Buffer; pooled?: Buffer }): boolean {
    const pooled = frame.pooled;
    if (pooled === undefined) return this.socket.write(frame.bytes);
    return this.socket.write(frame.bytes, (error) => {
      if (error === undefined || error === null) returnSlab(pooled);
    });
  }

  public pause(): void {
    this.socket.pause();
  }

  public resume(): void {
    this.socket.resume();
  }

  /** Starts the closing handshake; the socket ends once the server answers (or after a grace period). */
  public close(code = 1000): void {
    if (this.closed) return;
    if (!this.closeSent) {
      this.closeSent = true;
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      this.socket.write(this.frame(Opcode.Close, payload).bytes);
    }
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  public destroy(): void {
    this.socket.destroy();
  }

  /**
   * One masked frame holding `data`, behind the channel byte when there is one; built in a pooled buffer when it
   * fits one (`pooled` is then that buffer, to give back once written).
   */
  private frame(opcode: number, data: Buffer, channel?: number): { bytes: Buffer; pooled?: Buffer } {
    const length = data.length + (channel === undefined ? 0 : 1);
    const headerLength = 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8) + 4;
    // The payload starts on a 4-byte boundary so that masking can go a word at a time.
    const padding = (4 - (headerLength % 4)) % 4;
    const size = padding + headerLength + length;
    const pooled = size <= SLAB_BYTES && length >= POOLED_FRAME_BYTES ? takeSlab() : undefined;
    const frame = (pooled ?? Buffer.allocUnsafe(size)).subarray(padding, size);
    frame[0] = 0x80 | opcode;
    if (length < 126) {
      frame[1] = 0x80 | length;
    } else if (length < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    nextMaskKey().copy(frame, headerLength - 4);
    let offset = headerLength;
    if (channel !== undefined) frame[offset++] = channel;
    data.copy(frame, offset);
    mask(frame, frame.subarray(headerLength - 4, headerLength), headerLength);
    return pooled === undefined ? { bytes: frame } : { bytes: frame, pooled };
  }

  private read(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.closed) {
      if (this.payloadLeft === 0) {
        offset = this.readHeader(chunk, offset);
        continue;
      }
      const take = Math.min(this.payloadLeft, chunk.length - offset);
      this.payload(chunk.subarray(offset, offset + take));
      offset += take;
      this.payloadLeft -= take;
      if (this.payloadLeft === 0) this.frameDone();
    }
  }

  /** Reads (part of) a frame header; returns the offset after what it used. */
  private readHeader(chunk: Buffer, offset: number): number {
    const available = Buffer.concat([this.header, chunk.subarray(offset, offset + 14)]);
    if (available.length < 2) return this.keepHeader(available, chunk);
    const second = available[1]!;
    const short = second & 0x7f;
    const needed = 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
    if (available.length < needed) return this.keepHeader(available, chunk);
    if (second & 0x80) {
      // Servers never mask their frames.
      this.fail(1002, 'the server sent a masked frame');
      return chunk.length;
    }
    const opcode = available[0]! & 0x0f;
    if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      this.opcode = opcode;
      this.channel = undefined;
    } else if (opcode !== Opcode.Continuation) {
      this.opcode = opcode;
      this.control = [];
    }
    this.payloadLeft =
      short === 126 ? available.readUInt16BE(2) : short === 127 ? Number(available.readBigUInt64BE(2)) : short;
    const used = needed - this.header.length;
    this.header = Buffer.alloc(0);
    if (this.payloadLeft === 0) this.frameDone();
    return offset + used;
  }

  /** Keeps an incomplete header; it used the rest of the chunk, which was shorter than the header. */
  private keepHeader(available: Buffer, chunk: Buffer): number {
    this.header = available;
    return chunk.length;
  }

  private payload(data: Buffer): void {
    if (this.opcode >= Opcode.Close) {
      this.control.push(Buffer.from(data));
      return;
    }
    let rest = data;
    if (this.channel === undefined) {
      if (rest.length === 0) return;
      this.channel = rest[0]!;
      rest = rest.subarray(1);
    }
    if (rest.length > 0) this.events.data(this.channel, rest);
  }

  private frameDone(): void {
    if (this.opcode < Opcode.Close) return;
    const payload = Buffer.concat(this.control);
    this.control = [];
    if (this.opcode === Opcode.Ping) {
      if (this.isOpen) this.socket.write(this.frame(Opcode.Pong, payload).bytes);
    } else if (this.opcode === Opcode.Close) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.closeReason = payload.subarray(2).toString('utf8');
      if (!this.closeSent) {
        this.closeSent = true;
        this.socket.write(this.frame(Opcode.Close, payload.subarray(0, 2)).bytes);
      }
      this.socket.end();
    }
    // A control frame may arrive between the fragments of a data message; reading goes on with that message.
    this.opcode = Opcode.Binary;
  }

  private fail(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    this.socket.destroy();
  }
}

/**
 * The subset of SPDY/3.1 that `kubectl port-forward` speaks: frame encoding, an incremental frame parser and
 * the zlib-compressed header blocks. Data frames are passed on as slices of the received buffers, never copied.
 */
import { constants as zlibConstants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdyDictionary.js';

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;

/** RST_STREAM status codes. */
export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  Cancel: 5,
  InternalError: 6,
} as const;

/** The largest payload a frame can carry: its length field has 24 bits. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** Control frames carry only headers and small fields here; anything larger is treated as a protocol error. */
const MAX_CONTROL_PAYLOAD = 1 << 20;

export interface ControlFrame {
  type: number;
  flags: number;
  payload: Buffer;
}

export type HeaderList = [name: string, value: string][];

export class SpdyProtocolError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

function controlHeader(type: number, flags: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(8);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(length, 4);
  header[4] = flags;
  return header;
}

/** The 8-byte header of a data frame; the payload is written after it separately. */
export function dataFrameHeader(streamId: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY data frame too large: ${length} bytes`);
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(streamId & 0x7fffffff, 0);
  header.writeUInt32BE(length, 4);
  header[4] = flags;
  return header;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY control frame too large: ${payload.length} bytes`);
  return Buffer.concat([controlHeader(type, flags, payload.length), payload]);
}

export function synStreamFrame(streamId: number, compressedHeaders: Buffer, flags = 0, associatedId = 0): Buffer {
  const fields = Buffer.alloc(10);
  fields.writeUInt32BE(streamId & 0x7fffffff, 0);
  fields.writeUInt32BE(associatedId & 0x7fffffff, 4);
  return controlFrame(FrameType.SynStream, flags, Buffer.concat([fields, compressedHeaders]));
}

export function synReplyFrame(streamId: number, compressedHeaders: Buffer, flags = 0): Buffer {
  const fields = Buffer.allocUnsafe(4);
  fields.writeUInt32BE(streamId & 0x7fffffff, 0);
  return controlFrame(FrameType.SynReply, flags, Buffer.concat([fields, compressedHeaders]));
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(streamId & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(FrameType.RstStream, 0, payload);
}

export function pingFrame(id: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(id >>> 0, 0);
  return controlFrame(FrameType.Ping, 0, payload);
}

export function goAwayFrame(lastGoodStreamId: number, status: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(FrameType.GoAway, 0, payload);
}

/** The stream id that SYN_STREAM, SYN_REPLY, RST_STREAM and HEADERS frames start with. */
export function frameStreamId(frame: ControlFrame): number {
  if (frame.payload.length < 4) throw new SpdyProtocolError(`control frame type ${frame.type} is too short`);
  return frame.payload.readUInt32BE(0) & 0x7fffffff;
}

/** Where the compressed header block starts inside a control frame's payload. */
export function headerBlockOffset(type: number): number {
  if (type === FrameType.SynStream) return 10;
  if (type === FrameType.SynReply || type === FrameType.Headers) return 4;
  throw new SpdyProtocolError(`control frame type ${type} has no header block`);
}

/** Serializes a name/value header block (before compression): u32 count, then u32-length-prefixed strings. */
export function encodeHeaderBlock(headers: HeaderList): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32BE(headers.length, 0);
  parts.push(count);
  for (const [name, value] of headers) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32BE(bytes.length, 0);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

/** Parses a decompressed header block. Repeated values (NUL-separated in SPDY) are kept as one string. */
export function decodeHeaderBlock(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let offset = 0;
  const readString = (): string => {
    if (offset + 4 > block.length) throw new SpdyProtocolError('truncated SPDY header block');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new SpdyProtocolError('truncated SPDY header block');
    const text = block.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  if (block.length < 4) throw new SpdyProtocolError('truncated SPDY header block');
  const count = block.readUInt32BE(0);
  offset = 4;
  for (let i = 0; i < count; i++) {
    const name = readString().toLowerCase();
    headers.set(name, readString());
  }
  return headers;
}

/**
 * One direction of SPDY header compression: a single zlib stream (with the SPDY/3 dictionary) lives as long as
 * the connection, and every header block is flushed with Z_SYNC_FLUSH so that it can be decoded on its own.
 * Node's zlib streams are asynchronous, so the blocks are processed one after the other.
 */
class ZlibChannel {
  private queue: Promise<unknown> = Promise.resolve();
  private output: Buffer[] = [];
  private failure: Error | undefined;
  private rejectCurrent: ((error: Error) => void) | undefined;

  public constructor(private readonly stream: Deflate | Inflate) {
    stream.on('data', (chunk: Buffer) => this.output.push(chunk));
    // A failed stream never calls the flush callback, so the block in progress is rejected from here.
    stream.on('error', (error: Error) => {
      this.failure = error;
      this.rejectCurrent?.(error);
    });
  }

  public process(input: Buffer): Promise<Buffer> {
    const run = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failure) {
            reject(this.failure);
            return;
          }
          this.output = [];
          this.rejectCurrent = reject;
          this.stream.write(input);
          this.stream.flush(zlibConstants.Z_SYNC_FLUSH, () => {
            this.rejectCurrent = undefined;
            if (this.failure) reject(this.failure);
            else resolve(this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output));
            this.output = [];
          });
        }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  public close(): void {
    // Blocks still queued must settle: a destroyed zlib stream never calls their flush callback.
    this.failure ??= new Error('SPDY header compression was closed');
    this.rejectCurrent?.(this.failure);
    this.stream.destroy();
  }
}

/** Compresses outgoing header blocks. */
export class HeaderCompressor {
  private readonly channel = new ZlibChannel(createDeflate({ dictionary: SPDY3_DICTIONARY }));

  public compress(headers: HeaderList): Promise<Buffer> {
    return this.channel.process(encodeHeaderBlock(headers));
  }

  public close(): void {
    this.channel.close();
  }
}

/** Decompresses incoming header blocks. */
export class HeaderDecompressor {
  private readonly channel = new ZlibChannel(createInflate({ dictionary: SPDY3_DICTIONARY }));

  public async decompress(compressed: Buffer): Promise<Map<string, string>> {
    return decodeHeaderBlock(await this.channel.process(compressed));
  }

  public close(): void {
    this.channel.close();
  }
}

export interface FrameHandlers {
  /**
   * A whole control frame. When it returns a promise, parsing pauses until the promise settles, so that a
   * header block is decoded before the frames that follow it are handled.
   */
  onControl(frame: ControlFrame): void | Promise<void>;
  /** A piece of a data frame's payload (a slice of the input); `fin` is set on the frame's last piece. */
  onData(streamId: number, chunk: Buffer, fin: boolean): void;
  /** A malformed frame: the connection cannot continue. */
  onError(error: Error): void;
}

/** Turns a byte stream into SPDY frames incrementally. */
export class SpdyFrameParser {
  private pending: Buffer[] = [];
  private header = Buffer.alloc(8);
  private headerFill = 0;
  /** The frame being read, once its header is complete. */
  private current: { control: boolean; type: number; streamId: number; flags: number; remaining: number } | undefined;
  private controlParts: Buffer[] = [];
  private held = false;
  private failed = false;

  public constructor(private readonly handlers: FrameHandlers) {}

  public push(chunk: Buffer): void {
    if (this.failed) return;
    if (this.held) {
      this.pending.push(chunk);
      return;
    }
    this.parse(chunk);
  }

  private parse(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length || (this.current && this.current.remaining === 0)) {
      if (!this.current) {
        const take = Math.min(8 - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < 8) return;
        this.headerFill = 0;
        if (!this.startFrame()) return;
        continue;
      }
      const frame = this.current;
      const take = Math.min(frame.remaining, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      frame.remaining -= take;
      if (!frame.control) {
        const last = frame.remaining === 0;
        if (last) this.current = undefined;
        if (take > 0 || last) this.handlers.onData(frame.streamId, piece, last && (frame.flags & FLAG_FIN) !== 0);
        continue;
      }
      if (take > 0) this.controlParts.push(piece);
      if (frame.remaining > 0) continue;
      this.current = undefined;
      const payload = this.controlParts.length === 1 ? this.controlParts[0]! : Buffer.concat(this.controlParts);
      this.controlParts = [];
      const result = this.handlers.onControl({ type: frame.type, flags: frame.flags, payload });
      if (result) {
        this.hold(result, chunk.subarray(offset));
        return;
      }
    }
  }

  /** Reads the frame header; returns false when the frame is malformed. */
  private startFrame(): boolean {
    const length = this.header.readUInt32BE(4) & 0xffffff;
    const flags = this.header[4]!;
    if (this.header[0]! & 0x80) {
      const version = this.header.readUInt16BE(0) & 0x7fff;
      if (version !== SPDY_VERSION) return this.fail(`unsupported SPDY version ${version}`);
      if (length > MAX_CONTROL_PAYLOAD) return this.fail(`SPDY control frame too large: ${length} bytes`);
      this.current = { control: true, type: this.header.readUInt16BE(2), streamId: 0, flags, remaining: length };
    } else {
      const streamId = this.header.readUInt32BE(0) & 0x7fffffff;
      this.current = { control: false, type: 0, streamId, flags, remaining: length };
    }
    return true;
  }

  private hold(result: Promise<void>, rest: Buffer): void {
    this.held = true;
    if (rest.length > 0) this.pending.unshift(rest);
    result.then(
      () => {
        this.held = false;
        const queued = this.pending;
        this.pending = [];
        for (const [index, chunk] of queued.entries()) {
          this.parse(chunk);
          if (this.held) {
            // Another header block is being decoded: keep the rest for later, in order.
            this.pending.push(...queued.slice(index + 1));
            return;
          }
        }
      },
      (error: unknown) => {
        this.failed = true;
        this.handlers.onError(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private fail(message: string): false {
    this.failed = true;
    this.handlers.onError(new SpdyProtocolError(message));
    return false;
  }
}

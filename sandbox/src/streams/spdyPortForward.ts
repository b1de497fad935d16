/**
 * kubectl's port-forward protocol on top of SPDY/3.1. For every local connection kubectl opens an `error` stream
 * and a `data` stream sharing a `requestid`; the server replies to both, pipes the data stream to the pod's port
 * and reports failures as text on the error stream. The same session runs on a raw upgraded socket and inside a
 * WebSocket tunnel; a `SpdyTransport` hides the difference.
 */
import type { Duplex } from 'node:stream';
import type { PodRuntime } from '../contracts.js';
import { disableNagle, InputGate, OutputGate } from './flow.js';
import {
  type ControlFrame,
  dataFrameHeader,
  FLAG_FIN,
  frameStreamId,
  FrameType,
  HeaderCompressor,
  HeaderDecompressor,
  headerBlockOffset,
  MAX_FRAME_PAYLOAD,
  pingFrame,
  RstStatus,
  rstStreamFrame,
  SpdyFrameParser,
  synReplyFrame,
} from './spdy.js';

/** Where SPDY bytes go and come from. */
export interface SpdyTransport {
  /** The client connection, whose buffer tells when to stop reading from pods. */
  readonly socket: Duplex;
  /** Writes one frame given as consecutive parts (a header, then possibly a payload that must not be copied). */
  writeFrame(parts: Buffer[]): void;
  pauseInput(): void;
  resumeInput(): void;
  close(): void;
}

interface Pair {
  requestId: string;
  port: number;
  errorStream: number | undefined;
  dataStream: number | undefined;
  conn: Duplex | undefined;
  /** Client data that arrived before the pod connection was ready. */
  pending: Buffer[];
  pendingEnd: boolean;
  /** An error to report once the error stream exists. */
  errorText: string | undefined;
  finished: boolean;
}

interface StreamState {
  pair: Pair;
  kind: 'data' | 'error';
  sentFin: boolean;
}

export class SpdyPortForwardSession {
  private readonly parser: SpdyFrameParser;
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, StreamState>();
  private readonly pairs = new Map<string, Pair>();
  private readonly output: OutputGate;
  private readonly input: InputGate;
  private closed = false;

  public constructor(
    private readonly transport: SpdyTransport,
    private readonly runtime: PodRuntime,
    private readonly namespace: string,
    private readonly pod: string,
  ) {
    disableNagle(transport.socket);
    this.output = new OutputGate(transport.socket);
    this.input = new InputGate(
      () => transport.pauseInput(),
      () => transport.resumeInput(),
    );
    this.parser = new SpdyFrameParser({
      onControl: (frame) => this.onControl(frame),
      onData: (streamId, chunk, fin) => this.onData(streamId, chunk, fin),
      onError: () => this.transport.close(),
    });
  }

  /** Bytes from the client. */
  public receive(chunk: Buffer): void {
    this.parser.push(chunk);
  }

  /** The client connection is gone: release every pod connection. */
  public dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const pair of this.pairs.values()) pair.conn?.destroy();
    this.pairs.clear();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
  }

  private onControl(frame: ControlFrame): void | Promise<void> {
    switch (frame.type) {
      case FrameType.SynStream:
        return this.onSynStream(frame);
      case FrameType.Headers:
        // Nothing in it matters here, but it must go through the inflater to keep its state in step.
        return this.decompressor
          .decompress(frame.payload.subarray(headerBlockOffset(frame.type)))
          .then(() => undefined);
      case FrameType.Ping:
        if (frame.payload.length < 4) return;
        this.transport.writeFrame([pingFrame(frame.payload.readUInt32BE(0))]);
        return;
      case FrameType.RstStream:
        this.onReset(frameStreamId(frame));
        return;
      case FrameType.GoAway:
        this.transport.close();
        return;
      default:
        // SETTINGS and WINDOW_UPDATE: the peer does no flow control, so there is nothing to act on.
        return;
    }
  }

  private async onSynStream(frame: ControlFrame): Promise<void> {
    const streamId = frameStreamId(frame);
    const headers = await this.decompressor.decompress(frame.payload.subarray(headerBlockOffset(frame.type)));
    if (this.closed) return;
    const kind = headers.get('streamtype');
    if ((kind !== 'data' && kind !== 'error') || this.streams.has(streamId)) {
      this.transport.writeFrame([rstStreamFrame(streamId, RstStatus.ProtocolError)]);
      return;
    }
    // Old clients send no request id: their error stream comes right before the data stream.
    const requestId = headers.get('requestid') ?? String(kind === 'error' ? streamId : streamId - 2);
    const pair = this.pairs.get(requestId) ?? this.newPair(requestId, headers.get('port'));
    this.streams.set(streamId, { pair, kind, sentFin: false });
    if (kind === 'error') {
      pair.errorStream = streamId;
      if (!(await this.reply(streamId))) return;
      if (pair.errorText !== undefined) this.reportError(pair, pair.errorText);
      return;
    }
    pair.dataStream = streamId;
    // Connect in the background: other connections on this session keep flowing meanwhile.
    void this.connect(pair, streamId);
  }

  private newPair(requestId: string, portHeader: string | undefined): Pair {
    const port = portHeader !== undefined && /^\d+$/.test(portHeader) ? Number(portHeader) : 0;
    const pair: Pair = {
      requestId,
      port,
      errorStream: undefined,
      dataStream: undefined,
      conn: undefined,
      pending: [],
      pendingEnd: false,
      errorText: undefined,
      finished: false,
    };
    this.pairs.set(requestId, pair);
    return pair;
  }

  /** Sends SYN_REPLY; false when the session ended or its header compression broke (then it is closed). */
  private async reply(streamId: number): Promise<boolean> {
    try {
      const block = await this.compressor.compress([]);
      if (this.closed) return false;
      this.transport.writeFrame([synReplyFrame(streamId, block)]);
      return true;
    } catch {
      this.transport.close();
      return false;
    }
  }

  private async connect(pair: Pair, streamId: number): Promise<void> {
    let conn: Duplex | undefined;
    let failure: string | undefined;
    if (pair.port < 1 || pair.port > 65535) {
      failure = 'invalid port in the port-forward request';
    } else {
      try {
        conn = await this.runtime.connect(this.namespace, this.pod, pair.port);
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    // The reply goes out only now, so that no data arrives for a connection that does not exist yet.
    const replied = await this.reply(streamId);
    if (!replied || this.closed || !this.streams.has(streamId)) {
      conn?.destroy();
      return;
    }
    if (!conn) {
      this.reportError(pair, `error forwarding port ${pair.port} to pod ${this.pod}: ${failure ?? 'unknown error'}`);
      this.finishPair(pair);
      return;
    }
    this.attach(pair, conn);
  }

  private attach(pair: Pair, conn: Duplex): void {
    pair.conn = conn;
    disableNagle(conn);
    for (const chunk of pair.pending) this.input.write(conn, chunk);
    pair.pending = [];
    if (pair.pendingEnd) conn.end();
    conn.on('data', (chunk: Buffer) => {
      this.sendData(pair.dataStream, chunk);
      this.output.afterWrite(conn);
    });
    conn.on('end', () => this.sendFin(pair.dataStream));
    conn.on('error', (error: Error) => {
      this.reportError(pair, `error forwarding port ${pair.port} to pod ${this.pod}: ${error.message}`);
    });
    conn.on('close', () => {
      this.input.forget(conn);
      this.finishPair(pair);
    });
  }

  private onData(streamId: number, chunk: Buffer, fin: boolean): void {
    const stream = this.streams.get(streamId);
    if (!stream || stream.kind !== 'data') return;
    const pair = stream.pair;
    if (chunk.length > 0) {
      if (pair.conn) this.input.write(pair.conn, chunk);
      else pair.pending.push(chunk);
    }
    if (fin) {
      if (pair.conn) pair.conn.end();
      else pair.pendingEnd = true;
    }
  }

  private onReset(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    this.streams.delete(streamId);
    if (stream.kind === 'data') {
      stream.pair.conn?.destroy();
      this.finishPair(stream.pair);
    }
  }

  private sendData(streamId: number | undefined, chunk: Buffer): void {
    if (streamId === undefined || this.closed) return;
    const stream = this.streams.get(streamId);
    if (!stream || stream.sentFin) return;
    for (let offset = 0; offset < chunk.length; offset += MAX_FRAME_PAYLOAD) {
      const piece =
        offset === 0 && chunk.length <= MAX_FRAME_PAYLOAD ? chunk : chunk.subarray(offset, offset + MAX_FRAME_PAYLOAD);
      this.transport.writeFrame([dataFrameHeader(streamId, 0, piece.length), piece]);
    }
  }

  private sendFin(streamId: number | undefined): void {
    if (streamId === undefined || this.closed) return;
    const stream = this.streams.get(streamId);
    if (!stream || stream.sentFin) return;
    stream.sentFin = true;
    this.transport.writeFrame([dataFrameHeader(streamId, FLAG_FIN, 0)]);
  }

  private reportError(pair: Pair, text: string): void {
    if (pair.errorStream === undefined) {
      pair.errorText = text;
      return;
    }
    pair.errorText = undefined;
    this.sendData(pair.errorStream, Buffer.from(text));
    this.sendFin(pair.errorStream);
  }

  /** The pod connection is over: close both streams on our side and forget the pair. */
  private finishPair(pair: Pair): void {
    if (pair.finished) return;
    pair.finished = true;
    this.sendFin(pair.dataStream);
    this.sendFin(pair.errorStream);
    for (const id of [pair.dataStream, pair.errorStream]) if (id !== undefined) this.streams.delete(id);
    this.pairs.delete(pair.requestId);
  }
}

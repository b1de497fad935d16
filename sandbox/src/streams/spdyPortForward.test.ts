import { createServer, type Server } from 'node:net';
import { connect } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type PodRuntime } from '../contracts.js';
import {
  type ControlFrame,
  dataFrameHeader,
  FLAG_FIN,
  frameStreamId,
  FrameType,
  HeaderCompressor,
  HeaderDecompressor,
  headerBlockOffset,
  pingFrame,
  SpdyFrameParser,
  synStreamFrame,
} from './spdy.js';
import { SpdyPortForwardSession } from './spdyPortForward.js';

/** Plays kubectl's side of a session against `SpdyPortForwardSession`, in memory. */
class Client {
  public readonly replies: number[] = [];
  public readonly pings: number[] = [];
  public readonly data = new Map<number, Buffer>();
  public readonly fins = new Set<number>();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  public readonly session: SpdyPortForwardSession;

  public constructor(runtime: PodRuntime) {
    const parser = new SpdyFrameParser({
      onControl: (frame: ControlFrame) => {
        if (frame.type === FrameType.Ping) this.pings.push(frame.payload.readUInt32BE(0));
        if (frame.type !== FrameType.SynReply) return;
        return this.decompressor
          .decompress(frame.payload.subarray(headerBlockOffset(frame.type)))
          .then(() => void this.replies.push(frameStreamId(frame)));
      },
      onData: (streamId, chunk, fin) => {
        this.data.set(streamId, Buffer.concat([this.data.get(streamId) ?? Buffer.alloc(0), chunk]));
        if (fin) this.fins.add(streamId);
      },
      onError: (error) => {
        throw error;
      },
    });
    const socket = new PassThrough();
    this.session = new SpdyPortForwardSession(
      {
        socket,
        writeFrame: (parts) => {
          for (const part of parts) parser.push(Buffer.from(part));
        },
        pauseInput: () => undefined,
        resumeInput: () => undefined,
        close: () => undefined,
      },
      runtime,
      'default',
      'web',
    );
  }

  public async open(streamId: number, type: 'data' | 'error', port: number, requestId: number): Promise<void> {
    const block = await this.compressor.compress([
      ['streamtype', type],
      ['port', String(port)],
      ['requestid', String(requestId)],
    ]);
    this.session.receive(synStreamFrame(streamId, block));
  }

  public send(streamId: number, bytes: Buffer, fin: boolean): void {
    this.session.receive(Buffer.concat([dataFrameHeader(streamId, fin ? FLAG_FIN : 0, bytes.length), bytes]));
  }

  public close(): void {
    this.session.dispose();
    this.compressor.close();
    this.decompressor.close();
  }
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SPDY port-forward session', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function echoRuntime(): Promise<PodRuntime> {
    server = createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port: echoPort } = server.address() as { port: number };
    return {
      exec: () => {
        throw new Error('not used');
      },
      attach: () => {
        throw new Error('not used');
      },
      logs: () => {
        throw new Error('not used');
      },
      connect: (_namespace, pod, port): Promise<Duplex> => {
        if (pod !== 'web') return Promise.reject(new ApiError(404, 'NotFound', `pods "${pod}" not found`));
        if (port !== 8080) return Promise.reject(new Error(`dial tcp 127.0.0.1:${port}: connection refused`));
        return new Promise((resolve) => {
          const socket = connect(echoPort, '127.0.0.1', () => resolve(socket));
        });
      },
    };
  }

  it('replies to both streams, pipes the data stream to the pod port and ends it when the pod side ends', async () => {
    const client = new Client(await echoRuntime());
    await client.open(1, 'error', 8080, 0);
    await client.open(3, 'data', 8080, 0);
    await until(() => client.replies.length === 2);
    expect(client.replies).toEqual([1, 3]);
    client.send(3, Buffer.from('ping through the pod'), true);
    await until(() => client.fins.has(3));
    expect(client.data.get(3)?.toString()).toBe('ping through the pod');
    // The error stream is closed without a word: nothing went wrong.
    await until(() => client.fins.has(1));
    expect(client.data.get(1)?.length ?? 0).toBe(0);
    client.close();
  });

  it('echoes PING frames with their id', async () => {
    const client = new Client(await echoRuntime());
    client.session.receive(pingFrame(1));
    client.session.receive(pingFrame(0x7fffffff));
    await until(() => client.pings.length === 2);
    expect(client.pings).toEqual([1, 0x7fffffff]);
    client.close();
  });

  it('writes a refused connection on the error stream, then closes both streams', async () => {
    const client = new Client(await echoRuntime());
    await client.open(1, 'error', 9999, 5);
    await client.open(3, 'data', 9999, 5);
    await until(() => client.fins.has(1) && client.fins.has(3));
    expect(client.replies).toEqual([1, 3]);
    expect(client.data.get(1)?.toString()).toBe(
      'error forwarding port 9999 to pod web: dial tcp 127.0.0.1:9999: connection refused',
    );
    client.close();
  });

  it('keeps connections with different request ids apart', async () => {
    const client = new Client(await echoRuntime());
    for (const [index, id] of [1, 5].entries()) {
      await client.open(id, 'error', 8080, index);
      await client.open(id + 2, 'data', 8080, index);
    }
    await until(() => client.replies.length === 4);
    client.send(3, Buffer.from('first'), true);
    client.send(7, Buffer.from('second'), true);
    await until(() => client.fins.has(3) && client.fins.has(7));
    expect(client.data.get(3)?.toString()).toBe('first');
    expect(client.data.get(7)?.toString()).toBe('second');
    client.close();
  });

  it('closes a pod connection that completes after the client went away', async () => {
    let finishConnect: (conn: Duplex) => void = () => undefined;
    const late = new PassThrough();
    const runtime = await echoRuntime();
    runtime.connect = () => new Promise<Duplex>((resolve) => (finishConnect = resolve));
    const client = new Client(runtime);
    await client.open(1, 'error', 8080, 0);
    await client.open(3, 'data', 8080, 0);
    await until(() => client.replies.length === 1);
    client.close();
    finishConnect(late);
    await until(() => late.destroyed);
    expect(client.replies).toEqual([1]);
  });
});

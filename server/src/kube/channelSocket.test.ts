import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChannelSocket } from './channelSocket.js';

/** An unmasked frame, as a server sends it. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, length])
      : length < 65536
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 127]), bigLength(length)]);
  return Buffer.concat([header, payload]);
}

function bigLength(length: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(length));
  return buffer;
}

/** Reads the payload of a masked client frame. */
function clientPayload(frame: Buffer): { opcode: number; payload: Buffer } {
  const short = frame[1]! & 0x7f;
  const offset = short === 126 ? 4 : short === 127 ? 10 : 2;
  const length = short === 126 ? frame.readUInt16BE(2) : short === 127 ? Number(frame.readBigUInt64BE(2)) : short;
  const key = frame.subarray(offset, offset + 4);
  const payload = Buffer.from(frame.subarray(offset + 4, offset + 4 + length));
  for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
  return { opcode: frame[0]! & 0x0f, payload };
}

function fakeSocket(): { socket: Socket; written: Buffer[]; feed: (data: Buffer) => void } {
  const written: Buffer[] = [];
  const duplex = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _encoding, callback) => {
      // A socket hands the bytes to the kernel: what it wrote no longer depends on the buffer.
      written.push(Buffer.from(chunk));
      callback();
    },
  });
  Object.assign(duplex, { setNoDelay: () => duplex });
  return { socket: duplex as unknown as Socket, written, feed: (data) => duplex.push(data) };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ChannelSocket', () => {
  it('hands on payload by channel, across fragments, split headers and interleaved pings', async () => {
    const { socket, written, feed } = fakeSocket();
    const received: [number, string][] = [];
    new ChannelSocket(socket, 'v4.channel.k8s.io', Buffer.alloc(0), {
      data: (channel, data) => received.push([channel, data.toString()]),
      close: () => undefined,
    });
    const big = Buffer.alloc(70_000, 'b');
    const stream = Buffer.concat([
      serverFrame(2, Buffer.from('\x01hello ')),
      serverFrame(2, Buffer.from('\x02wor'), false),
      serverFrame(9, Buffer.from('ping!')),
      serverFrame(0, Buffer.from('ld')),
      serverFrame(2, Buffer.concat([Buffer.from([1]), big.subarray(0, 300)])),
      serverFrame(2, Buffer.concat([Buffer.from([3]), big])),
    ]);
    // One byte at a time: every header and payload is split.
    for (const byte of stream) feed(Buffer.from([byte]));
    await tick();
    const joined = new Map<number, string>();
    for (const [channel, text] of received) joined.set(channel, (joined.get(channel) ?? '') + text);
    expect(joined.get(1)).toBe('hello ' + 'b'.repeat(300));
    expect(joined.get(2)).toBe('world');
    expect(joined.get(3)).toBe('b'.repeat(70_000));
    // The ping was answered with a masked pong carrying the same payload.
    const pong = clientPayload(Buffer.concat(written));
    expect(pong).toEqual({ opcode: 10, payload: Buffer.from('ping!') });
  });

  it('sends masked frames with the channel byte, and answers a close with a close', async () => {
    const { socket, written, feed } = fakeSocket();
    let closed: [number, string] | undefined;
    const channelSocket = new ChannelSocket(socket, 'v5.channel.k8s.io', Buffer.alloc(0), {
      data: () => undefined,
      close: (code, reason) => (closed = [code, reason]),
    });
    channelSocket.send(0, Buffer.from('input'));
    expect(clientPayload(written[0]!)).toEqual({ opcode: 2, payload: Buffer.from('\x00input') });
    const reason = Buffer.from([0x03, 0xe8, ...Buffer.from('done')]);
    feed(serverFrame(8, reason));
    await tick();
    expect(clientPayload(written[1]!)).toEqual({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) });
    socket.destroy();
    await tick();
    expect(closed).toEqual([1000, 'done']);
  });
});

describe('ChannelSocket masking', () => {
  it('masks payloads of every length the way a server unmasks them', () => {
    const { socket, written } = fakeSocket();
    const channelSocket = new ChannelSocket(socket, 'v4.channel.k8s.io', Buffer.alloc(0), {
      data: () => undefined,
      close: () => undefined,
    });
    const sizes = [0, 1, 2, 3, 4, 5, 7, 124, 125, 126, 127, 1000, 65_534, 65_535, 70_001];
    const payloads = sizes.map((size) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff)));
    for (const payload of payloads) channelSocket.send(3, payload);
    expect(written.map((frame) => clientPayload(frame))).toEqual(
      payloads.map((payload) => ({ opcode: 2, payload: Buffer.concat([Buffer.from([3]), payload]) })),
    );
  });

  it('carries a large write as several messages on the channel, each frame within a pooled buffer', () => {
    const { socket, written } = fakeSocket();
    const channelSocket = new ChannelSocket(socket, 'v5.channel.k8s.io', Buffer.alloc(0), {
      data: () => undefined,
      close: () => undefined,
    });
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff));
    let done = false;
    channelSocket.send(0, data, () => (done = true));
    expect(done).toBe(true);
    expect(written.length).toBe(3);
    for (const frame of written) expect(frame.length).toBeLessThanOrEqual(128 * 1024);
    const messages = written.map((frame) => clientPayload(frame));
    expect(messages.every((message) => message.opcode === 2 && message.payload[0] === 0)).toBe(true);
    expect(Buffer.concat(messages.map((message) => message.payload.subarray(1))).equals(data)).toBe(true);
  });
});

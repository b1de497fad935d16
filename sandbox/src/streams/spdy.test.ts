import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ControlFrame,
  dataFrameHeader,
  FLAG_FIN,
  frameStreamId,
  FrameType,
  goAwayFrame,
  HeaderCompressor,
  HeaderDecompressor,
  headerBlockOffset,
  pingFrame,
  RstStatus,
  rstStreamFrame,
  SpdyFrameParser,
  synReplyFrame,
  synStreamFrame,
} from './spdy.js';
import { SPDY3_DICTIONARY } from './spdyDictionary.js';

interface Parsed {
  controls: ControlFrame[];
  data: { streamId: number; bytes: Buffer; fin: boolean }[];
  errors: Error[];
}

function collectingParser(onControl?: (frame: ControlFrame) => void | Promise<void>): {
  parser: SpdyFrameParser;
  parsed: Parsed;
} {
  const parsed: Parsed = { controls: [], data: [], errors: [] };
  const parser = new SpdyFrameParser({
    onControl: (frame) => {
      parsed.controls.push({ ...frame, payload: Buffer.from(frame.payload) });
      return onControl?.(frame);
    },
    onData: (streamId, chunk, fin) => {
      const last = parsed.data.at(-1);
      if (last && last.streamId === streamId && !last.fin) {
        last.bytes = Buffer.concat([last.bytes, chunk]);
        last.fin = fin;
      } else parsed.data.push({ streamId, bytes: Buffer.from(chunk), fin });
    },
    onError: (error) => parsed.errors.push(error),
  });
  return { parser, parsed };
}

/** Feeds `bytes` in pieces of `size` bytes, as a network would split them. */
function feedInPieces(parser: SpdyFrameParser, bytes: Buffer, size: number): void {
  for (let offset = 0; offset < bytes.length; offset += size) parser.push(bytes.subarray(offset, offset + size));
}

function adler32(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe('SPDY/3 dictionary', () => {
  it('is the 1423 bytes whose Adler-32 Go clients announce in their zlib header', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
  });
});

describe('SPDY header compression', () => {
  it('round-trips many header blocks through one stateful deflate/inflate pair', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const sent = [0, 1, 2, 3, 4, 5].map((i): [string, string][] => [
      ['streamtype', i % 2 === 0 ? 'error' : 'data'],
      ['port', String(8000 + i)],
      ['requestid', String(Math.floor(i / 2))],
      ['padding', randomBytes(i * 3000).toString('hex')],
    ]);
    const blocks = await Promise.all(sent.map((headers) => compressor.compress(headers)));
    for (const [i, block] of blocks.entries()) {
      const headers = await decompressor.decompress(block);
      expect(Object.fromEntries(headers)).toEqual(Object.fromEntries(sent[i]!));
    }
    compressor.close();
    decompressor.close();
  });

  it('compresses a repeated block to a few bytes, because the window carries over between blocks', async () => {
    const compressor = new HeaderCompressor();
    const headers: [string, string][] = [['token', randomBytes(500).toString('hex')]];
    const first = await compressor.compress(headers);
    const second = await compressor.compress(headers);
    expect(first.length).toBeGreaterThan(500);
    expect(second.length).toBeLessThan(50);
    compressor.close();
  });

  it('rejects a header block compressed without the shared state', async () => {
    const decompressor = new HeaderDecompressor();
    await expect(decompressor.decompress(Buffer.from('not a zlib stream'))).rejects.toThrow();
    decompressor.close();
  });
});

describe('SPDY frames', () => {
  it('round-trips SYN_STREAM, SYN_REPLY, DATA, PING, RST_STREAM and GOAWAY through the parser', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const synBlock = await compressor.compress([
      ['streamtype', 'data'],
      ['port', '8080'],
      ['requestid', '7'],
    ]);
    const replyBlock = await compressor.compress([]);
    const payload = Buffer.from('hello through spdy');
    const wire = Buffer.concat([
      synStreamFrame(3, synBlock),
      synReplyFrame(3, replyBlock),
      dataFrameHeader(3, 0, payload.length),
      payload,
      dataFrameHeader(3, FLAG_FIN, 0),
      pingFrame(0xfffffffe),
      rstStreamFrame(3, RstStatus.Cancel),
      goAwayFrame(3, 0),
    ]);
    const headers: Map<string, string>[] = [];
    const { parser, parsed } = collectingParser(async (frame) => {
      if (frame.type === FrameType.SynStream || frame.type === FrameType.SynReply) {
        headers.push(await decompressor.decompress(frame.payload.subarray(headerBlockOffset(frame.type))));
      }
    });
    // Split the bytes awkwardly, including inside frame headers.
    feedInPieces(parser, wire, 5);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(parsed.errors).toEqual([]);
    expect(parsed.controls.map((frame) => frame.type)).toEqual([
      FrameType.SynStream,
      FrameType.SynReply,
      FrameType.Ping,
      FrameType.RstStream,
      FrameType.GoAway,
    ]);
    expect(parsed.controls.map((frame) => frameStreamId(frame))).toEqual([3, 3, 0x7ffffffe, 3, 3]);
    expect(parsed.controls[2]!.payload.readUInt32BE(0)).toBe(0xfffffffe);
    expect(parsed.controls[3]!.payload.readUInt32BE(4)).toBe(RstStatus.Cancel);
    expect(Object.fromEntries(headers[0]!)).toEqual({ streamtype: 'data', port: '8080', requestid: '7' });
    expect(headers[1]!.size).toBe(0);
    expect(parsed.data).toEqual([{ streamId: 3, bytes: payload, fin: true }]);
    compressor.close();
    decompressor.close();
  });

  it('keeps data frames that follow a header block in order while the block is decoded', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const order: string[] = [];
    const parser = new SpdyFrameParser({
      onControl: async (frame) => {
        const headers = await decompressor.decompress(frame.payload.subarray(headerBlockOffset(frame.type)));
        order.push(`syn ${frameStreamId(frame)} ${headers.get('port')}`);
      },
      onData: (streamId, chunk) => order.push(`data ${streamId} ${chunk.toString()}`),
      onError: (error) => order.push(`error ${error.message}`),
    });
    const blocks = [await compressor.compress([['port', '1']]), await compressor.compress([['port', '2']])];
    parser.push(Buffer.concat([synStreamFrame(1, blocks[0]!), dataFrameHeader(1, 0, 1), Buffer.from('a')]));
    parser.push(Buffer.concat([synStreamFrame(3, blocks[1]!), dataFrameHeader(3, 0, 1), Buffer.from('b')]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual(['syn 1 1', 'data 1 a', 'syn 3 2', 'data 3 b']);
    compressor.close();
    decompressor.close();
  });

  it('hands large data frames on in slices without waiting for the whole frame', () => {
    const { parser, parsed } = collectingParser();
    const big = Buffer.alloc(100_000, 7);
    parser.push(dataFrameHeader(5, FLAG_FIN, big.length));
    parser.push(big.subarray(0, 60_000));
    expect(parsed.data[0]!.bytes.length).toBe(60_000);
    expect(parsed.data[0]!.fin).toBe(false);
    parser.push(big.subarray(60_000));
    expect(parsed.data[0]!.bytes.equals(big)).toBe(true);
    expect(parsed.data[0]!.fin).toBe(true);
  });

  it('reports a control frame of another SPDY version as an error', () => {
    const { parser, parsed } = collectingParser();
    const frame = pingFrame(1);
    frame.writeUInt16BE(0x8002, 0);
    parser.push(frame);
    expect(parsed.errors.map((error) => error.message)).toEqual(['unsupported SPDY version 2']);
  });
});

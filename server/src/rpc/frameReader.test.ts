import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ResilientFrameReader } from './frameReader.js';

function frame(body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), bytes]);
}

function read(chunks: Buffer[]): { messages: unknown[]; errors: string[] } {
  const input = new PassThrough();
  const reader = new ResilientFrameReader(input);
  const messages: unknown[] = [];
  const errors: string[] = [];
  reader.onError((error) => errors.push(error.message));
  reader.listen((message) => messages.push(message));
  for (const chunk of chunks) input.write(chunk);
  return { messages, errors };
}

describe('ResilientFrameReader', () => {
  test('reassembles messages delivered one byte at a time, multi-byte characters included', async () => {
    const bytes = Buffer.concat([
      frame('{"jsonrpc":"2.0","method":"a","params":{"s":"ä€😀"}}'),
      frame('{"jsonrpc":"2.0","method":"b"}'),
    ]);
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    const { messages, errors } = read(chunks);
    await new Promise((resolve) => setImmediate(resolve));
    expect(messages).toEqual([
      { jsonrpc: '2.0', method: 'a', params: { s: 'ä€😀' } },
      { jsonrpc: '2.0', method: 'b' },
    ]);
    expect(errors).toEqual([]);
  });

  test('accepts extra headers and lower-case names', () => {
    const body = '{"jsonrpc":"2.0","method":"c"}';
    const { messages } = read([
      Buffer.from(
        `content-length: ${body.length}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n${body}`,
      ),
    ]);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'c' }]);
  });

  test('skips garbage between frames and reports it', () => {
    const { messages, errors } = read([
      Buffer.from('garbage!'),
      frame('{"jsonrpc":"2.0","method":"d"}'),
      Buffer.from('\x00\xff'),
    ]);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'd' }]);
    expect(errors).toEqual(['Skipped 8 bytes that are not part of a Content-Length frame']);
  });

  test('drops a header without a number and resynchronises', () => {
    const { messages, errors } = read([
      Buffer.from('Content-Length: abc\r\n\r\n'),
      frame('{"jsonrpc":"2.0","method":"e"}'),
    ]);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'e' }]);
    expect(errors[0]).toContain('without a numeric Content-Length');
  });

  test('rejects JSON that is not an object', () => {
    const { messages, errors } = read([frame('"text"'), frame('{"jsonrpc":"2.0","method":"f"}')]);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'f' }]);
    expect(errors).toEqual(['Dropped a message that is not a JSON-RPC object']);
  });

  test('answers a batch with one InvalidRequest and positional params with InvalidParams, dispatching neither', () => {
    const input = new PassThrough();
    const refused: unknown[] = [];
    const reader = new ResilientFrameReader(input, (answer) => refused.push(answer));
    const messages: unknown[] = [];
    reader.listen((message) => messages.push(message));
    input.write(frame('[{"jsonrpc":"2.0","id":1,"method":"a","params":{}}]'));
    input.write(frame('{"jsonrpc":"2.0","id":2,"method":"a","params":[{}]}'));
    input.write(frame('{"jsonrpc":"2.0","method":"n","params":[{}]}'));
    expect(messages).toEqual([]);
    expect(refused).toMatchObject([
      { id: null, error: { code: -32600 } },
      { id: 2, error: { code: -32602, data: { field: 'params' } } },
    ]);
  });
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { RawServer } from '../helpers/rawServer.js';

const servers: RawServer[] = [];
function start(env?: NodeJS.ProcessEnv): RawServer {
  const server = new RawServer(env);
  servers.push(server);
  return server;
}
afterEach(() => {
  for (const server of servers.splice(0)) server.kill();
});

const serverPackage = JSON.parse(readFileSync(new URL('../../server/package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('lifecycle over real stdio', () => {
  test('initialize answers with server info, protocol version and the implemented methods', async () => {
    const server = start();
    const response = await server.initialize();
    expect(response.error).toBeUndefined();
    expect(response.result).toMatchObject({
      serverInfo: { name: 'devmode', version: serverPackage.version },
      protocolVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/) as unknown,
      capabilities: { methods: expect.arrayContaining(['initialize', 'shutdown', 'cluster/list']) as unknown },
    });
  });

  test('initialized is a notification: it gets no answer and the server keeps serving', async () => {
    const server = start();
    expect((await server.request('initialize', { clientInfo: { name: 'test' } })).error).toBeUndefined();
    const before = server.messages.length;
    server.notify('initialized', {});
    expect((await server.request('shutdown')).result).toBeNull();
    // Only the shutdown answer came back: nothing answered the notification, not even an error.
    expect(server.messages.slice(before).filter((message) => message.method === undefined)).toHaveLength(1);
  });

  test('a request before initialize is refused with ServerNotInitialized', async () => {
    const server = start();
    const response = await server.request('cluster/list', {});
    expect(response.error?.code).toBe(-32002);
    expect(response.error?.message).toContain('before initialize');
  });

  test('exit after shutdown ends the process with code 0', async () => {
    const server = start();
    await server.initialize();
    expect((await server.request('shutdown')).result).toBeNull();
    server.notify('exit');
    expect(await server.exited).toBe(0);
    expect(server.strayStdout).toBe('');
  });

  test('exit without shutdown ends the process with code 1', async () => {
    const server = start();
    await server.initialize();
    server.notify('exit');
    expect(await server.exited).toBe(1);
  });

  test('closing stdin ends the process cleanly', async () => {
    const server = start();
    await server.initialize();
    server.child.stdin.end();
    expect(await server.exited).toBe(0);
  });

  test('requests after shutdown are refused', async () => {
    const server = start();
    await server.initialize();
    await server.request('shutdown');
    const response = await server.request('cluster/list', {});
    expect(response.error?.code).toBe(-32600);
  });
});

describe('bad input keeps the server serving', () => {
  test('an unknown method answers -32601 and the next request still works', async () => {
    const server = start();
    await server.initialize();
    const unknown = await server.request('devMode/frobnicate', {});
    expect(unknown.error?.code).toBe(-32601);
    const next = await server.request('shutdown');
    expect(next.result).toBeNull();
  });

  test('garbage bytes are logged to stderr and skipped', async () => {
    const server = start();
    await server.initialize();
    server.sendRaw('this is not a frame\r\n\x00\x01\x02 {"jsonrpc":"2.0"}\r\n\r\n');
    const next = await server.request('shutdown');
    expect(next.result).toBeNull();
    expect(await server.stderrMatching(/Skipped \d+ bytes|Dropped a frame/)).toMatch(
      /Skipped \d+ bytes|Dropped a frame/,
    );
    expect(server.strayStdout).toBe('');
  });

  test('a frame whose body is not JSON is dropped and logged', async () => {
    const server = start();
    await server.initialize();
    server.sendRaw('Content-Length: 12\r\n\r\n{"broken": }');
    const next = await server.request('shutdown');
    expect(next.result).toBeNull();
    expect(await server.stderrMatching(/not valid JSON/)).toContain('not valid JSON');
  });

  test('a Content-Length that is too short or too long does not swallow the next message', async () => {
    const server = start();
    await server.initialize();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 900, method: 'cluster/list', params: {} });
    server.sendRaw(`Content-Length: ${body.length - 5}\r\n\r\n${body}`);
    const afterShort = await server.request('devMode/unknown', {});
    expect(afterShort.error?.code).toBe(-32601);
    server.sendRaw(`Content-Length: ${body.length + 500}\r\n\r\n${body}`);
    const afterLong = await server.request('shutdown');
    expect(afterLong.result).toBeNull();
    expect(server.messages.some((message) => message.id === 900)).toBe(false);
    expect(await server.stderrMatching(/runs into the next message/)).toContain('runs into the next message');
  });

  test('a 10 MB message is read whole and answered', async () => {
    const server = start();
    await server.initialize();
    const padding = 'é'.repeat(5 * 1024 * 1024); // 10 MB of UTF-8 with multi-byte characters
    const response = await server.request('initialize', { rootPath: padding });
    // A second initialize is refused; what matters is that the whole 10 MB frame was parsed and answered.
    expect(response.error?.message).toBe('initialize was sent twice');
    expect((await server.request('shutdown')).result).toBeNull();
  });

  test('invalid params name the field at fault', async () => {
    const server = start();
    const wrongType = await server.request('initialize', { rootPath: 42 });
    expect(wrongType.error).toMatchObject({ code: -32602, data: { field: 'rootPath' } });
    expect(wrongType.error?.message).toContain('rootPath must be a string');
    const nested = await server.request('initialize', { clientInfo: { name: ['x'] } });
    expect(nested.error).toMatchObject({ code: -32602, data: { field: 'clientInfo.name' } });
    const positional = await server.request('initialize', [1, 2]);
    expect(positional.error).toMatchObject({ code: -32602, data: { field: 'params' } });
    // The failed attempts left the server usable.
    expect((await server.initialize()).error).toBeUndefined();
  });
});

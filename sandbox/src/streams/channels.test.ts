import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  acceptWebSocket,
  chooseProtocol,
  EXEC_PROTOCOLS,
  exitStatus,
  parseResize,
  sendOnChannel,
  V4,
  V5,
} from './channels.js';
import { parseStreamOptions } from './wsChannels.js';
import { parsePorts } from './wsPortForward.js';

describe('resize messages', () => {
  it("reads kubectl's capitalized keys with the trailing newline", () => {
    expect(parseResize(Buffer.from('{"Width":100,"Height":30}\n'))).toEqual([{ cols: 100, rows: 30 }]);
  });

  it("reads client-node's lower-case keys in any order", () => {
    expect(parseResize('{"height":40,"width":120}')).toEqual([{ cols: 120, rows: 40 }]);
  });

  it('reads several sizes in one message and skips what is not a size', () => {
    const payload =
      '{"Width":80,"Height":24}\nnot json\n{"width":1}\n{"WIDTH":-1,"height":5}\n{"wIdTh":90,"HeIgHt":20}\n';
    expect(parseResize(payload)).toEqual([
      { cols: 80, rows: 24 },
      { cols: 90, rows: 20 },
    ]);
  });
});

describe('protocol negotiation', () => {
  it('prefers v5 whatever order the client offers', () => {
    expect(chooseProtocol(['channel.k8s.io', V4, V5], EXEC_PROTOCOLS)).toBe(V5);
    expect(chooseProtocol(['v4.channel.k8s.io'], EXEC_PROTOCOLS)).toBe(V4);
    expect(chooseProtocol(['base64.channel.k8s.io'], EXEC_PROTOCOLS)).toBeUndefined();
  });
});

describe('exit status', () => {
  it('is Success for exit code 0', () => {
    expect(exitStatus(0)).toEqual({ metadata: {}, status: 'Success' });
  });

  it('carries a non-zero exit code as the ExitCode cause', () => {
    expect(exitStatus(3)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });
});

describe('query validation', () => {
  it('requires a command for exec and at least one stream', () => {
    expect(() => parseStreamOptions('exec', new URLSearchParams('stdout=true'))).toThrow(/at least one command/);
    expect(() => parseStreamOptions('exec', new URLSearchParams('command=ls'))).toThrow(/stdin, stdout, stderr/);
  });

  it('treats an empty container as the default one and drops stderr under a terminal', () => {
    const options = parseStreamOptions(
      'exec',
      new URLSearchParams('command=sh&command=-c&command=echo+hi&container=&stdout=true&stderr=true&tty=true'),
    );
    expect(options).toEqual({
      container: undefined,
      command: ['sh', '-c', 'echo hi'],
      stdin: false,
      stdout: true,
      stderr: false,
      tty: true,
    });
  });

  it('reads port lists and rejects ports out of range', () => {
    expect(parsePorts(new URLSearchParams('ports=8080,9090&ports=22'))).toEqual([8080, 9090, 22]);
    expect(() => parsePorts(new URLSearchParams(''))).toThrow(/"ports" is required/);
    expect(() => parsePorts(new URLSearchParams('ports=70000'))).toThrow(/between 1 and 65535/);
    expect(() => parsePorts(new URLSearchParams('ports=http'))).toThrow(/invalid port "http"/);
  });
});

describe('channel framing over a real WebSocket', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('delivers each payload as one message prefixed by its channel, small or large', async () => {
    const small = Buffer.from('hello');
    const large = Buffer.alloc(100_000, 0xab);
    server = createServer();
    server.on('upgrade', (req, socket, head) => {
      acceptWebSocket(
        req,
        socket,
        head,
        V5,
        (ws) => {
          sendOnChannel(ws, 1, small);
          sendOnChannel(ws, 2, large);
          sendOnChannel(ws, 3, Buffer.alloc(0));
          ws.close(1000);
        },
        () => undefined,
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, [V4, V5]);
    const messages: Buffer[] = [];
    client.on('message', (data: Buffer) => messages.push(data));
    const closeCode = await new Promise<number>((resolve) => client.on('close', resolve));
    expect(client.protocol).toBe(V5);
    expect(closeCode).toBe(1000);
    expect(messages).toEqual([
      Buffer.concat([Buffer.from([1]), small]),
      Buffer.concat([Buffer.from([2]), large]),
      Buffer.from([3]),
    ]);
  });
});

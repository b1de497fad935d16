import { connect, createServer, type Server, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardedConnection } from './forwardedConnection.js';

/** A pod side that refuses: it fails right after the dial, before any byte, as a refused pod port does. */
function refusingRemote(): Duplex {
  const remote = new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() });
  setImmediate(() => remote.destroy(new Error('error forwarding port 80 to pod web: connect ECONNREFUSED')));
  return remote;
}

let server: Server | undefined;
afterEach(() => server?.close());

/** Accepts one local connection and carries it with `dials`, one per attempt. */
async function forwardWith(dials: (() => Duplex)[], refusals: string[], retry = true): Promise<number> {
  server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (local: Socket) => {
    void new ForwardedConnection(local, {
      dial: () => Promise.resolve(dials.shift()?.()),
      refused: (error) => {
        refusals.push(error.message);
        return retry;
      },
    }).start();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function exchange(port: number, request: string): Promise<{ received: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', (error) => resolve({ received, error: error.message }));
    socket.on('end', () => resolve({ received }));
    socket.end(request);
  });
}

describe('ForwardedConnection', () => {
  it('dials again after a refusal and sends what the local side wrote again, once', async () => {
    const refusals: string[] = [];
    const echo = new PassThrough();
    const port = await forwardWith([refusingRemote, refusingRemote, () => echo], refusals);
    const { received } = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(received).toBe('GET / HTTP/1.0\r\n\r\n');
    expect(refusals).toHaveLength(2);
  });

  it('does not replay once the pod has answered: a later failure ends the local connection', async () => {
    const refusals: string[] = [];
    const answered = new Duplex({
      read() {},
      write(_chunk, _encoding, callback) {
        this.push('partial answer');
        setImmediate(() => this.destroy(new Error('connection refused after all')));
        callback();
      },
    });
    const port = await forwardWith([() => answered, () => new PassThrough()], refusals);
    const result = await exchange(port, 'request');
    expect(result.received).toBe('partial answer');
    expect(refusals).toEqual([]);
  });

  it('closes the local connection cleanly when no pod can be dialled', async () => {
    const port = await forwardWith([], []);
    expect(await exchange(port, 'anyone?')).toEqual({ received: '' });
  });

  it('closes the local connection at once when a refusal is not to be dialled again', async () => {
    const refusals: string[] = [];
    const echo = new PassThrough();
    const dials = [refusingRemote, () => echo];
    const port = await forwardWith(dials, refusals, false);
    expect(await exchange(port, 'GET / HTTP/1.0\r\n\r\n')).toEqual({ received: '' });
    expect(refusals).toHaveLength(1);
    expect(dials).toHaveLength(1);
  });
});

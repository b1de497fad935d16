import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestUpgrade, SpareConnection, type UpgradeRequest } from './upgrade.js';

/** A server that answers every upgrade request with a 101 and notes which connection each request came on. */
interface UpgradeServer {
  server: Server;
  url: URL;
  /** Connections in the order they were accepted. */
  connections: Socket[];
  /** For each request, the index of the connection it came on. */
  requests: number[];
}

const servers: Server[] = [];
const spares: SpareConnection[] = [];
afterEach(async () => {
  for (const spare of spares.splice(0)) spare.close();
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, 'close');
  }
});

async function upgradeServer(onConnection?: (socket: Socket) => void): Promise<UpgradeServer> {
  const state = { connections: [] as Socket[], requests: [] as number[] };
  const server = createServer((socket) => {
    const index = state.connections.push(socket) - 1;
    onConnection?.(socket);
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      head = '';
      state.requests.push(index);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello');
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: new URL(`http://127.0.0.1:${port}/api/v1/namespaces/ns/pods/p/exec`), ...state };
}

function request(url: URL, spare: SpareConnection): UpgradeRequest {
  return { url, headers: { Upgrade: 'websocket', Connection: 'Upgrade' }, tls: {}, timeoutMs: 5000, spare };
}

async function upgrade(url: URL, spare: SpareConnection): Promise<string> {
  const connection = await requestUpgrade(request(url, spare), (response) => new Error(`refused ${response.status}`));
  const text = await new Promise<string>((resolve) => connection.read((view) => resolve(view.toString('latin1'))));
  connection.socket.destroy();
  return text;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('spare connections for upgrades', () => {
  it('after an upgrade, the next one goes on a connection opened before it was asked for', async () => {
    const target = await upgradeServer();
    const spare = new SpareConnection();
    spares.push(spare);
    expect(await upgrade(target.url, spare)).toBe('hello');
    // The first had to open its own; a spare was opened right after its 101.
    await until(() => target.connections.length === 2);
    expect(spare.open).toBe(true);
    expect(await upgrade(target.url, spare)).toBe('hello');
    expect(target.requests).toEqual([0, 1]);
    // And the next spare is already on its way.
    await until(() => target.connections.length === 3);
  });

  it('a spare unused for its idle time is closed, and the next upgrade opens its own', async () => {
    const target = await upgradeServer();
    const spare = new SpareConnection(50);
    spares.push(spare);
    await upgrade(target.url, spare);
    await until(() => target.connections[1]?.destroyed === true);
    expect(spare.open).toBe(false);
    expect(await upgrade(target.url, spare)).toBe('hello');
    expect(target.requests).toEqual([0, 2]);
  });

  it('a spare the server closed is not used: the upgrade still succeeds on a new connection', async () => {
    let accepted = 0;
    // The server closes the second connection (the spare) as soon as it is open.
    const target = await upgradeServer((socket) => {
      if (++accepted === 2) socket.end();
    });
    const spare = new SpareConnection();
    spares.push(spare);
    await upgrade(target.url, spare);
    await until(() => !spare.open && target.connections.length === 2);
    expect(await upgrade(target.url, spare)).toBe('hello');
    expect(target.requests).toEqual([0, 2]);
  });

  it('a spare the server closes as the request arrives: the request is sent again on a new connection', async () => {
    let accepted = 0;
    const target = await upgradeServer((socket) => {
      // The second connection (the spare) is dropped when the request on it arrives, unanswered.
      if (++accepted === 2) socket.prependListener('data', () => socket.destroy());
    });
    const spare = new SpareConnection();
    spares.push(spare);
    await upgrade(target.url, spare);
    await until(() => spare.open && target.connections.length === 2);
    expect(await upgrade(target.url, spare)).toBe('hello');
    expect(target.requests).toEqual([0, 2]);
  });

  it('a spare to one server is never used for another', async () => {
    const first = await upgradeServer();
    const second = await upgradeServer();
    const spare = new SpareConnection();
    spares.push(spare);
    await upgrade(first.url, spare);
    await until(() => first.connections.length === 2);
    const spareClosed = once(first.connections[1]!, 'close');
    expect(await upgrade(second.url, spare)).toBe('hello');
    expect(first.requests).toEqual([0]);
    expect(second.requests).toEqual([0]);
    // The unused spare to the first server was closed when it did not match.
    await spareClosed;
  });

  it('a refused upgrade opens no spare', async () => {
    const server = createServer((socket) => {
      socket.on('data', () =>
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\ndenied'),
      );
    });
    servers.push(server);
    let accepted = 0;
    server.on('connection', () => accepted++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const spare = new SpareConnection();
    spares.push(spare);
    await expect(
      requestUpgrade(request(new URL(`http://127.0.0.1:${port}/x`), spare), (response) =>
        Object.assign(new Error(response.body.toString()), { status: response.status }),
      ),
    ).rejects.toThrow('denied');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(accepted).toBe(1);
    expect(spare.open).toBe(false);
  });
});

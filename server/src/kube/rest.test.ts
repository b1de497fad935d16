import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { RestTransport } from './rest.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});

/**
 * An API server that closes a kept-alive connection when a second request arrives on it, unanswered, as a server
 * whose idle timeout ran out just as the request went out does. It notes each request it answered.
 */
async function closingServer(): Promise<{ transport: RestTransport; answered: string[]; connections: () => number }> {
  const answered: string[] = [];
  const seen = new WeakMap<Socket, number>();
  let connections = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const count = (seen.get(req.socket) ?? 0) + 1;
    seen.set(req.socket, count);
    if (count === 2) {
      req.socket.destroy();
      return;
    }
    answered.push(`${req.method} ${req.url}`);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ kind: 'Status', method: req.method }));
  });
  server.on('connection', () => connections++);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const config = new k8s.KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { transport: new RestTransport(config), answered, connections: () => connections };
}

describe('RestTransport over kept-alive connections', () => {
  it('a GET on a connection the server closed unanswered is sent again on a new one', async () => {
    const { transport, answered, connections } = await closingServer();
    await transport.json('GET', '/api/v1/namespaces/a/configmaps/one');
    // The same connection is reused for the next request, and the server drops it.
    expect(await transport.json('GET', '/api/v1/namespaces/a/configmaps/two')).toEqual({
      kind: 'Status',
      method: 'GET',
    });
    expect(answered).toEqual(['GET /api/v1/namespaces/a/configmaps/one', 'GET /api/v1/namespaces/a/configmaps/two']);
    expect(connections()).toBe(2);
  });

  it('a POST is not sent twice: the error names the server', async () => {
    const { transport, answered } = await closingServer();
    await transport.json('GET', '/api/v1/namespaces/a/configmaps/one');
    await expect(
      transport.json('POST', '/api/v1/namespaces/a/configmaps', { metadata: { name: 'x' } }),
    ).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:\d+/);
    expect(answered).toEqual(['GET /api/v1/namespaces/a/configmaps/one']);
  });
});

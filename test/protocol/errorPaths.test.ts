/**
 * Error paths and the protocol's own machinery (logging, tracing, batches, positional params) through the real
 * server over stdio, without a cluster: the kubeconfig points at a port nothing listens on, or at a small HTTP
 * server that answers every request with a 500.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { RawServer } from '../helpers/rawServer.js';

const servers: RawServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.kill();
});

let failingApi: Server;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // An API server that is up but broken: every request gets a 500 Status, as a failing etcd would cause.
  failingApi = createServer((_request, response) => {
    response.writeHead(500, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        message: 'etcdserver: leader changed',
        reason: 'InternalError',
        code: 500,
      }),
    );
  });
  await new Promise<void>((resolve) => failingApi.listen(0, '127.0.0.1', resolve));
  const port = (failingApi.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'devmode-errors-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
current-context: down
clusters:
- name: down
  cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true }
- name: broken
  cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }
contexts:
- name: down
  context: { cluster: down, user: me }
- name: broken
  context: { cluster: broken, user: me }
users:
- name: me
  user: { token: never-logged }
`,
  );
  env = { ...process.env, KUBECONFIG: kubeconfig };
});

afterAll(() => {
  failingApi?.close();
});

function start(): RawServer {
  const server = new RawServer(env);
  servers.push(server);
  return server;
}

const pod = (context: string, name = 'web') => ({ target: { context, namespace: 'default', pod: name } });

describe('errors a client can act on, by name', () => {
  test('a context the kubeconfig does not have is ContextNotFound', async () => {
    const server = start();
    await server.initialize();
    const response = await server.request('logs/open', pod('no-such-context'));
    expect(response.error).toMatchObject({
      code: -31002,
      data: { hint: expect.stringContaining('cluster/list') as unknown },
    });
    expect(response.error?.message).toContain('context "no-such-context" not found');
  });

  test('an API server nothing listens for is ClusterUnreachable, retryable', async () => {
    const server = start();
    await server.initialize();
    const response = await server.request('logs/open', pod('down'));
    expect(response.error).toMatchObject({ code: -31003, data: { retryable: true } });
    expect(response.error?.message).toContain('The cluster is unreachable');
  });

  test('an API server that answers 500 is an InternalError that says what the API server said', async () => {
    const server = start();
    await server.initialize();
    const response = await server.request('logs/open', pod('broken'));
    expect(response.error).toMatchObject({ code: -32603, data: { reason: 'InternalError' } });
    expect(response.error?.message).toBe('The API server answered 500: etcdserver: leader changed');
  });

  test('a JSON-RPC batch is answered with one InvalidRequest error, and the server keeps serving', async () => {
    const server = start();
    await server.initialize();
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 'b1', method: 'cluster/list', params: {} },
      { jsonrpc: '2.0', id: 'b2', method: 'cluster/list', params: {} },
    ]);
    server.sendRaw(`Content-Length: ${Buffer.byteLength(batch)}\r\n\r\n${batch}`);
    const answer = await server.waitFor((message) => message.id === null);
    expect(answer.error).toMatchObject({ code: -32600, message: 'Batches are not supported' });
    expect(answer.error?.data?.hint).toContain('its own message');
    expect(server.messages.some((message) => message.id === 'b1' || message.id === 'b2')).toBe(false);
    expect((await server.request('shutdown')).result).toBeNull();
  });

  test('positional params are refused with InvalidParams, never spread into the handler', async () => {
    const server = start();
    await server.initialize();
    // [obj, null] used to reach the handler with null as its cancellation token: an InternalError.
    const withNull = await server.request('logs/open', [pod('down'), null]);
    expect(withNull.error).toMatchObject({ code: -32602, data: { field: 'params' } });
    // [obj] used to run as if the params were named.
    const single = await server.request('logs/open', [pod('down')]);
    expect(single.error).toMatchObject({ code: -32602, data: { field: 'params' } });
    expect((await server.request('shutdown')).result).toBeNull();
  });

  test('names that are not Kubernetes names are InvalidParams naming the field, before any cluster call', async () => {
    const server = start();
    await server.initialize();
    const huge = await server.request('devMode/start', {
      target: { context: 'down', namespace: 'default', kind: 'Deployment', name: 'a'.repeat(1024 * 1024) },
      localDir: tmpdir(),
    });
    // Used to be InternalError "The API server answered 431".
    expect(huge.error).toMatchObject({ code: -32602, data: { field: 'target.name' } });
    expect(huge.error?.message).toContain('at most 253 characters');
    // Used to be UnsupportedKind "DeploymentList is not supported": `.` named the collection.
    const dot = await server.request('devMode/start', {
      target: { context: 'down', namespace: 'default', kind: 'Deployment', name: '.' },
      localDir: tmpdir(),
    });
    expect(dot.error).toMatchObject({ code: -32602, data: { field: 'target.name' } });
    const namespace = await server.request('terminal/open', {
      target: { context: 'down', namespace: '../kube-system', pod: 'web' },
      cols: 80,
      rows: 24,
    });
    expect(namespace.error).toMatchObject({ code: -32602, data: { field: 'target.namespace' } });
    const podName = await server.request('logs/open', pod('down', 'web/../x'));
    expect(podName.error).toMatchObject({ code: -32602, data: { field: 'target.pod' } });
  });

  test('a second initialize and a request after shutdown are InvalidRequest', async () => {
    const server = start();
    await server.initialize();
    expect((await server.request('initialize', {})).error).toMatchObject({ code: -32600 });
    await server.request('shutdown');
    expect((await server.request('cluster/list', {})).error).toMatchObject({ code: -32600 });
  });
});

describe('window/logMessage and tracing', () => {
  const garbage = 'not a frame at all\r\n';

  test('diagnostics reach window/logMessage down to the logLevel initialize asked for', async () => {
    const verbose = start();
    await verbose.initialize({ logLevel: 4 });
    verbose.sendRaw(garbage);
    const logged = await verbose.waitFor((message) => message.method === 'window/logMessage');
    expect(logged.params).toMatchObject({ type: 2, message: expect.stringContaining('Skipped') as unknown });
    // A failure of the server itself is logged as an error with its stack.
    await verbose.request('logs/open', pod('broken'));

    const quiet = start();
    await quiet.initialize({ logLevel: 1 });
    quiet.sendRaw(garbage);
    await quiet.stderrMatching(/Skipped/);
    expect((await quiet.request('shutdown')).result).toBeNull();
    expect(quiet.messages.some((message) => message.method === 'window/logMessage')).toBe(false);
    expect(quiet.stderr).toContain('Skipped');

    const invalid = start();
    expect((await invalid.request('initialize', { logLevel: 9 })).error).toMatchObject({
      code: -32602,
      data: { field: 'logLevel' },
    });
  });

  test('$/setTrace turns $/logTrace on and off; initialize can start it', async () => {
    const server = start();
    await server.initialize();
    await server.request('cluster/list', {});
    expect(server.messages.some((message) => message.method === '$/logTrace')).toBe(false);

    server.notify('$/setTrace', { value: 'verbose' });
    const traced = await server.request('cluster/list', {});
    const received = await server.waitFor(
      (message) =>
        message.method === '$/logTrace' &&
        String((message.params as { message: string }).message).includes(`(${String(traced.id)})`),
    );
    expect((received.params as { message: string }).message).toMatch(/cluster\/list/);
    const response = await server.waitFor(
      (message) =>
        message.method === '$/logTrace' &&
        String((message.params as { message: string }).message).startsWith("Sending response 'cluster/list"),
    );
    expect((response.params as { verbose?: string }).verbose).toBeDefined();

    server.notify('$/setTrace', { value: 'off' });
    // The $/setTrace notification itself is still traced; what follows it is not.
    await server.request('cluster/list', {});
    const before = server.messages.length;
    await server.request('cluster/list', {});
    expect(server.messages.slice(before).some((message) => message.method === '$/logTrace')).toBe(false);

    const fromStart = start();
    await fromStart.initialize({ trace: 'messages' });
    await fromStart.request('cluster/list', {});
    await fromStart.waitFor((message) => message.method === '$/logTrace');
    // A bad level is logged and ignored; the server keeps serving.
    fromStart.notify('$/setTrace', { value: 'loud' });
    expect((await fromStart.request('shutdown')).result).toBeNull();
    expect(await fromStart.stderrMatching(/\$\/setTrace ignored/)).toMatch(/\$\/setTrace ignored/);
  });
});

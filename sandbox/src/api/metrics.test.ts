import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources.js';
import { MemoryStore } from '../store.js';
import { ensureCredentials, type Credentials } from './credentials.js';
import { ApiServer } from './server.js';

let dir: string;
let credentials: Credentials;
let server: ApiServer;

interface Reply {
  status: number;
  body: string;
  contentType: string;
}

function call(method: string, path: string, token: string | null = credentials.token): Promise<Reply> {
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { method, headers, ca: credentials.caCert }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers['content-type']) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of the one sample of `metric` whose labels include `labels`; 0 when there is none. */
async function sample(metric: string, labels: Record<string, string>): Promise<number> {
  const text = (await call('GET', '/metrics')).body;
  const matches = text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .filter((line) => Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`)));
  if (matches.length > 1) throw new Error(`more than one ${metric} sample matches ${JSON.stringify(labels)}`);
  return matches.length === 0 ? 0 : Number(matches[0]?.split(' ').at(-1));
}

const podGets = { verb: 'GET', resource: 'pods', subresource: '', scope: 'namespace', version: 'v1' };

/** Waits until the server has seen the client's last response end (it counts on close). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'devmode-metrics-'));
  credentials = await ensureCredentials(dir);
  const store = new MemoryStore(RESOURCES, { historySize: 50 });
  store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  });
  server = new ApiServer({ store, credentials });
  await server.start();
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('/metrics', () => {
  it('counts requests by verb, resource and response code, as a real API server does', async () => {
    expect(await sample('apiserver_request_total', podGets)).toBe(0);
    expect((await call('GET', '/api/v1/namespaces/default/pods/web')).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods/web')).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods/missing')).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/default/pods')).status).toBe(200);
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/missing')).status).toBe(404);
    await settle();

    expect(await sample('apiserver_request_total', { ...podGets, code: '200' })).toBe(2);
    expect(await sample('apiserver_request_total', { ...podGets, code: '404' })).toBe(1);
    expect(await sample('apiserver_request_total', { ...podGets, verb: 'LIST', code: '200' })).toBe(1);
    expect(await sample('apiserver_request_total', { ...podGets, verb: 'DELETE', code: '404' })).toBe(1);
  });

  it('needs the token like every other path, and does not count refused requests', async () => {
    const refused = await call('GET', '/metrics', 'wrong-token');
    expect(refused.status).toBe(401);
    expect(refused.body).not.toContain('apiserver_request_total');
    expect((await call('GET', '/api/v1/namespaces/default/pods/web', null)).status).toBe(401);
    await settle();
    expect(await sample('apiserver_request_total', { code: '401' })).toBe(0);

    const scraped = await call('GET', '/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.body).toContain('# TYPE apiserver_request_total counter\n');
    // Earlier scrapes are counted under their path, so a client can subtract its own reads.
    const scrapes = { verb: 'GET', resource: '', subresource: '/metrics', code: '200' };
    const first = await sample('apiserver_request_total', scrapes);
    await settle();
    expect(await sample('apiserver_request_total', scrapes)).toBe(first + 1);
  });

  it('shows an open watch as long-running, and counts it once it ends', async () => {
    const watchLabels = { verb: 'WATCH', resource: 'pods', scope: 'namespace' };
    const controller = new AbortController();
    const opened = new Promise<void>((resolve, reject) => {
      const req = request(
        new URL('/api/v1/namespaces/default/pods?watch=true', server.url),
        {
          headers: { Authorization: `Bearer ${credentials.token}` },
          ca: credentials.caCert,
          signal: controller.signal,
        },
        (res) => {
          res.on('error', () => undefined);
          resolve();
        },
      );
      req.on('error', (error) => (error.name === 'AbortError' ? undefined : reject(error)));
      req.end();
    });
    await opened;
    expect(await sample('apiserver_longrunning_requests', watchLabels)).toBe(1);
    expect(await sample('apiserver_request_total', watchLabels)).toBe(0);

    controller.abort();
    for (let i = 0; i < 40 && (await sample('apiserver_longrunning_requests', watchLabels)) !== 0; i++) await settle();
    expect(await sample('apiserver_longrunning_requests', watchLabels)).toBe(0);
    expect(await sample('apiserver_request_total', { ...watchLabels, code: '200' })).toBe(1);
  });
});

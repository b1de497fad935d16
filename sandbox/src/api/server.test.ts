import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../contracts.js';
import { RESOURCES } from '../resources.js';
import { MemoryStore } from '../store.js';
import { ensureCredentials, type Credentials } from './credentials.js';
import { AGGREGATED_CONTENT_TYPE } from './discovery.js';
import { ApiServer } from './server.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
let dir: string;
let credentials: Credentials;
let store: MemoryStore;
let server: ApiServer;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? credentials.token}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { method, headers, ca: credentials.caCert }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function watchLines(reply: Reply): { type: string; object: Record<string, unknown> }[] {
  return reply.body
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
}

const configMap = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { k: 'v' },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'devmode-api-'));
  credentials = await ensureCredentials(dir);
  store = new MemoryStore(RESOURCES, { historySize: 50 });
  store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  server = new ApiServer({ store, credentials, bookmarkIntervalMs: 200 });
  await server.start();
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('API server basics', () => {
  it('requires the bearer token on every request and upgrade', async () => {
    const refused = await call('GET', '/version', { token: null });
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    expect((await call('GET', '/version', { token: 'nope' })).status).toBe(401);
    const upgrade = await new Promise<string>((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', port: Number(new URL(server.url).port), ca: credentials.caCert, servername: 'localhost' },
        () => {
          socket.write(
            'GET /api/v1/namespaces/default/pods/p/exec?command=ls HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
          );
        },
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(upgrade).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
  });

  it('reports version 1.32, health and both discovery formats', async () => {
    expect((await call('GET', '/version')).json()).toMatchObject({
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.4-devmode-sandbox',
    });
    expect((await call('GET', '/readyz')).body).toBe('ok');
    const aggregated = await call('GET', '/apis', {
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' },
    });
    expect(aggregated.headers['content-type']).toBe(AGGREGATED_CONTENT_TYPE);
    const groups = aggregated.json().items as { metadata: { name: string } }[];
    expect(groups.map((g) => g.metadata.name)).toEqual(
      expect.arrayContaining(['apps', 'batch', 'autoscaling', 'networking.k8s.io']),
    );
    expect(groups.map((g) => g.metadata.name)).not.toContain('');
    expect((await call('GET', '/apis')).json()).toMatchObject({ kind: 'APIGroupList' });
    const apps = (await call('GET', '/apis/apps/v1')).json() as {
      resources: { name: string; kind: string; group?: string }[];
    };
    expect(apps.resources).toContainEqual(
      expect.objectContaining({ name: 'deployments/scale', kind: 'Scale', group: 'autoscaling' }),
    );
    const openapi = (await call('GET', '/openapi/v3')).json() as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    const document = await call('GET', openapi.paths['apis/apps/v1']?.serverRelativeURL ?? '');
    expect(document.body).toContain('"fieldValidation"');
    expect((await call('GET', '/openapi/v2')).status).toBe(404);
    expect((await call('GET', '/api/v1/nothings')).json()).toMatchObject({ code: 404, reason: 'NotFound' });
  });
});

describe('API server objects', () => {
  it('creates with managed fields, refuses stale updates and an apply without a field manager', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'one' }, data: { a: '1' } },
      headers: { 'User-Agent': 'tester/1.0' },
    });
    expect(created.status).toBe(201);
    const object = created.json() as unknown as KubeObject;
    expect(object.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: 'tester',
        operation: 'Update',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } },
      }),
    ]);
    const updated = await call('PUT', '/api/v1/namespaces/default/configmaps/one', {
      body: { ...object, data: { a: '2' } },
    });
    expect(updated.status).toBe(200);
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/one', {
      body: { ...object, data: { a: '3' } },
    });
    expect(stale.json()).toMatchObject({ code: 409, reason: 'Conflict' });
    const apply = await call('PATCH', '/api/v1/namespaces/default/configmaps/one', {
      body: {},
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    expect(apply.json()).toMatchObject({
      code: 422,
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
  });

  it('answers Tables with the pod columns and deletes pods at once without a kubelet', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', {
      body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    });
    const table = (await call('GET', '/api/v1/namespaces/default/pods', { headers: { Accept: TABLE } })).json() as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[] }[];
    };
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
    ]);
    expect(table.rows[0]?.cells.slice(0, 4)).toEqual(['p', '0/1', 'Pending', '0']);
    expect((await call('GET', '/api/v1/namespaces/default/pods/p/log')).status).toBe(503);
    const deleted = await call('DELETE', '/api/v1/namespaces/default/pods/p');
    expect(deleted.json()).toMatchObject({ kind: 'Pod', metadata: { name: 'p' } });
    expect((await call('GET', '/api/v1/namespaces/default/pods/p')).status).toBe(404);
  });

  it('collects the dependents of a deleted owner', async () => {
    const owner = (
      await call('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('owner') })
    ).json() as unknown as KubeObject;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid ?? '' };
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: { ...configMap('dependent'), metadata: { name: 'dependent', ownerReferences: [ref] } },
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/owner');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dependent')).status).toBe(404);
  });
});

describe('API server watches', () => {
  it('resumes, follows selectors and ends at timeoutSeconds', async () => {
    const from = store.currentResourceVersion();
    const base = '/api/v1/namespaces/default/configmaps';
    await call('POST', base, { body: configMap('w1', { team: 'a' }) });
    await call('PATCH', `${base}/w1`, {
      body: { metadata: { labels: { team: 'b' } } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const reply = await call('GET', `${base}?watch=1&resourceVersion=${from}&labelSelector=team%3Da&timeoutSeconds=1`);
    expect(watchLines(reply).map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('sends an ERROR 410 event for a resourceVersion older than the history', async () => {
    for (let i = 0; i < 60; i++)
      store.create('configmaps', { ...configMap(`bulk-${i}`), metadata: { name: `bulk-${i}`, namespace: 'default' } });
    const reply = await call('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2');
    expect(reply.status).toBe(200);
    expect(watchLines(reply)).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) as unknown },
    ]);
  });

  it('wraps events in Tables when asked and sends bookmarks', async () => {
    const reply = await call(
      'GET',
      '/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dw1&allowWatchBookmarks=true&timeoutSeconds=1',
      {
        headers: { Accept: TABLE },
      },
    );
    const events = watchLines(reply);
    expect(events[0]).toMatchObject({
      type: 'ADDED',
      object: { kind: 'Table', rows: [{ cells: ['w1', 1, expect.any(String) as unknown] }] },
    });
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: store.currentResourceVersion() },
    });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { RawServer } from '../helpers/rawServer.js';

const servers: RawServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.kill();
});

function kubeconfig(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const first = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: { server: "https://127.0.0.1:6443" }
contexts:
- name: dev
  context: { cluster: dev-cluster, user: dev-user, namespace: team-a }
- name: shared
  context: { cluster: dev-cluster, user: dev-user }
users:
- name: dev-user
  user: { token: secret-token-never-logged }
`;
const second = `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster: { server: "https://10.0.0.1:6443" }
contexts:
- name: prod
  context: { cluster: prod-cluster, user: prod-user }
- name: shared
  context: { cluster: prod-cluster, user: prod-user, namespace: ignored }
users:
- name: prod-user
  user: {}
`;

async function listWith(
  env: NodeJS.ProcessEnv,
  initialize: Record<string, unknown> = {},
): Promise<RawServer['messages'][number]> {
  const server = new RawServer({ ...process.env, ...env });
  servers.push(server);
  await server.initialize(initialize);
  return server.request('cluster/list', {});
}

describe('cluster/list', () => {
  test('merges every file of KUBECONFIG the way kubectl does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-kc-'));
    const a = kubeconfig(dir, 'a.yaml', first);
    const b = kubeconfig(dir, 'b.yaml', second);
    const response = await listWith({ KUBECONFIG: `${a}:${join(dir, 'absent.yaml')}:${b}` });
    expect(response.error).toBeUndefined();
    expect(response.result).toEqual({
      files: [a, b],
      contexts: [
        {
          name: 'dev',
          cluster: 'dev-cluster',
          server: 'https://127.0.0.1:6443',
          namespace: 'team-a',
          user: 'dev-user',
          current: true,
          reachable: false,
        },
        {
          name: 'shared',
          cluster: 'dev-cluster',
          server: 'https://127.0.0.1:6443',
          namespace: 'default',
          user: 'dev-user',
          current: false,
          reachable: false,
        },
        {
          name: 'prod',
          cluster: 'prod-cluster',
          server: 'https://10.0.0.1:6443',
          namespace: 'default',
          user: 'prod-user',
          current: false,
          reachable: false,
        },
      ],
    });
  });

  test('initialize.kubeconfig takes precedence over KUBECONFIG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-kc-'));
    const a = kubeconfig(dir, 'a.yaml', first);
    const b = kubeconfig(dir, 'b.yaml', second);
    const response = await listWith({ KUBECONFIG: a }, { kubeconfig: b });
    const result = response.result as { contexts: { name: string; current: boolean }[] };
    expect(result.contexts.map((context) => [context.name, context.current])).toEqual([
      ['prod', true],
      ['shared', false],
    ]);
  });

  test('a kubeconfig that is not YAML is a named error with the file and the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-kc-'));
    const broken = kubeconfig(dir, 'broken.yaml', 'apiVersion: v1\nclusters:\n  - name: x\n   bad: [unclosed\n');
    const response = await listWith({ KUBECONFIG: broken });
    expect(response.error).toMatchObject({ code: -31001, data: { file: broken, line: expect.any(Number) as unknown } });
    expect(response.error?.message).toContain(broken);
    expect(response.error?.data?.hint).toBeTruthy();
  });

  test('a structurally wrong kubeconfig names the entry at fault', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-kc-'));
    const wrong = kubeconfig(dir, 'wrong.yaml', 'contexts:\n- name: a\n  context: { user: u }\n');
    const response = await listWith({ KUBECONFIG: wrong });
    expect(response.error).toMatchObject({ code: -31001, data: { file: wrong, line: 2 } });
    expect(response.error?.message).toContain('contexts[0].context.cluster');
  });

  test('a missing kubeconfig is a named error, and the server keeps serving', async () => {
    const missing = join(tmpdir(), 'devmode-does-not-exist', 'config');
    const server = new RawServer({ ...process.env, KUBECONFIG: missing });
    servers.push(server);
    await server.initialize();
    const response = await server.request('cluster/list', {});
    expect(response.error).toMatchObject({ code: -31001, data: { file: missing, reason: 'no such file' } });
    expect((await server.request('shutdown')).result).toBeNull();
  });

  test('each context says whether its API server answers, within a bounded probe', async () => {
    // An API server that answers (with 401: it is there, whatever it thinks of the credentials), one that accepts
    // connections and never answers (without the probe's bound, cluster/list would never answer), and a port
    // nothing listens on.
    const answering = createHttpServer((_request, response) => response.writeHead(401).end('{}'));
    const silent = createNetServer(() => undefined);
    const closed = createNetServer();
    const listen = (server: NetServer): Promise<number> =>
      new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    const [up, hung, down] = [await listen(answering), await listen(silent), await listen(closed)];
    await new Promise((resolve) => closed.close(resolve));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'devmode-kc-'));
      const config = kubeconfig(
        dir,
        'probe.yaml',
        `apiVersion: v1
kind: Config
current-context: up
clusters:
- { name: up, cluster: { server: "http://127.0.0.1:${up}", insecure-skip-tls-verify: true } }
- { name: hung, cluster: { server: "http://127.0.0.1:${hung}", insecure-skip-tls-verify: true } }
- { name: down, cluster: { server: "http://127.0.0.1:${down}", insecure-skip-tls-verify: true } }
contexts:
- { name: up, context: { cluster: up, user: u } }
- { name: hung, context: { cluster: hung, user: u } }
- { name: down, context: { cluster: down, user: u } }
- { name: nowhere, context: { cluster: missing, user: u } }
users:
- { name: u, user: { token: probe-token } }
`,
      );
      const response = await listWith({ KUBECONFIG: config });
      const contexts = (response.result as { contexts: { name: string; reachable: boolean }[] }).contexts;
      expect(contexts.map((context) => [context.name, context.reachable])).toEqual([
        ['up', true],
        ['hung', false],
        ['down', false],
        ['nowhere', false],
      ]);
    } finally {
      answering.close();
      silent.close();
    }
  });

  test('credentials from the kubeconfig never reach the logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-kc-'));
    const server = new RawServer({ ...process.env, KUBECONFIG: kubeconfig(dir, 'a.yaml', first) });
    servers.push(server);
    await server.initialize();
    await server.request('cluster/list', {});
    await server.request('shutdown');
    server.notify('exit');
    await server.exited;
    expect(server.stderr).not.toContain('secret-token-never-logged');
    expect(JSON.stringify(server.messages)).not.toContain('secret-token-never-logged');
  });
});

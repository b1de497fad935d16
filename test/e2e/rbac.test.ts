/**
 * A namespace-scoped, RBAC-limited user (the sandbox's `developer` context): the tree still works, and what the
 * user may not do is a named Forbidden error saying which verb on which resource, with nothing changed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, rolledOut, snapshot } from './devModeHelpers.js';

let sandbox: TestSandbox;
let client: DevmodeClient;
const developer = 'devmode-sandbox-developer';

const readOnlyRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-only, namespace: default}
rules:
- apiGroups: ["", "apps", "batch"]
  resources: ["pods", "pods/log", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "events"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: developer-read-only, namespace: default}
subjects: [{kind: User, name: developer}]
roleRef: {kind: Role, name: read-only, apiGroup: rbac.authorization.k8s.io}
`;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  await apply(sandbox, 'deployment.yaml');
  await rolledOut(sandbox, 'deployment/ratings');
  const roleFile = join(projectDir(), 'role.yaml');
  writeFileSync(roleFile, readOnlyRole);
  const applied = await sandbox.kubectl(['apply', '-f', roleFile]);
  expect(applied.code).toBe(0);
  client = await startClient(sandbox.env);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

describe('a namespace-scoped user', () => {
  test('kubectl sees the sandbox enforce RBAC for the developer context', async () => {
    const denied = await sandbox.kubectl(['--context', developer, 'get', 'namespaces']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('namespaces is forbidden: User "developer" cannot list resource "namespaces"');
    const allowed = await sandbox.kubectl(['--context', developer, 'get', 'deployments']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('ratings');
  });

  test('the tree falls back to the context namespace when namespaces cannot be listed', async () => {
    const namespaces = await client.request<{ nodes: { id: string; label: string }[] }>('tree/children', {
      nodeId: `context/${developer}`,
    });
    expect(namespaces.nodes.map((node) => node.label)).toEqual(['default']);
    const deployments = await client.request<{ nodes: { label: string }[] }>('tree/children', {
      nodeId: `group/${developer}/default/Deployment`,
    });
    expect(deployments.nodes.map((node) => node.label)).toContain('ratings');
  });

  test('DevMode without the right to patch is a Forbidden error naming the verb and resource; nothing changes', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const error = await client.requestError('devMode/start', {
      target: { context: developer, namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: projectDir('image: devmode/dev\n'),
    });
    expect(error.code).toBe(-31004);
    expect(error.data).toMatchObject({ verb: 'patch', resource: 'deployments' });
    expect(error.message).toContain('User "developer" cannot patch resource "deployments"');
    expect(String(error.data?.hint)).toContain('may not patch deployments');
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });
});

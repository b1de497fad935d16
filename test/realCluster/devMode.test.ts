/**
 * devmode against the real Kubernetes API server (kube-apiserver v1.32.4 with its controllers and scheduler, no
 * node): everything DevMode does that needs no running pod. The workload tree, the dev config, a start whose pod no
 * node can run (a named error with the scheduler's reason, and the workload back exactly as it was), SIGKILL in the
 * middle of a start then reset, ownership between two servers, a user RBAC denies, and the heartbeat a session's
 * server renews (the real server compares a JSON patch's test by its JSON text, which the sandbox does not).
 *
 * "Exactly as it was" is checked on `kubectl get -o json` with only what the server legitimately changes removed:
 * resourceVersion, generation and managedFields (each write bumps or records them), the Deployment controller's
 * revision annotation, and status. uid and creationTimestamp stay: a restore in place keeps them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  realContext,
  realDeveloperContext,
  startControlPlane,
  type TestControlPlane,
} from '../helpers/controlPlane.js';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { apply, projectDir, waitUntil } from '../e2e/devModeHelpers.js';

let cluster: TestControlPlane;
let client: DevmodeClient;

const ratings = { namespace: 'default', kind: 'Deployment', name: 'ratings' };
const noNode = 'no nodes available to schedule pods';

beforeAll(async () => {
  cluster = await startControlPlane();
  await apply(cluster, 'deployment.yaml');
  await settled();
  client = await startClient(cluster.env);
}, 240_000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
}, 60_000);

/** What a restore must bring back: the object minus what the API server and controllers change on every write. */
async function exact(resource: string, name: string): Promise<unknown> {
  const result = await cluster.kubectl(['get', resource, name, '-n', 'default', '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get ${resource}/${name} failed: ${result.stderr}`);
  const object = JSON.parse(result.stdout) as {
    metadata: { annotations?: Record<string, string> } & Record<string, unknown>;
    status?: unknown;
  };
  for (const field of ['resourceVersion', 'generation', 'managedFields']) delete object.metadata[field];
  if (object.metadata.annotations !== undefined) {
    delete object.metadata.annotations['deployment.kubernetes.io/revision'];
    if (Object.keys(object.metadata.annotations).length === 0) delete object.metadata.annotations;
  }
  delete object.status;
  return object;
}

async function originals(): Promise<unknown[]> {
  return [await exact('deployment', 'ratings'), await exact('hpa', 'ratings')];
}

/**
 * Waits until the Deployment controller has caught up with the spec and the scheduler has judged every pod of it
 * (Unschedulable: there is no node), so that nothing is still in flight when the test looks.
 */
async function settled(): Promise<void> {
  await waitUntil(
    async () => {
      const result = await cluster.kubectl(['get', 'deployment', 'ratings', '-o', 'json']);
      if (result.code !== 0) return false;
      const deployment = JSON.parse(result.stdout) as {
        metadata: { generation: number };
        spec: { replicas: number };
        status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number };
      };
      const status = deployment.status ?? {};
      if (status.observedGeneration !== deployment.metadata.generation) return false;
      if (status.replicas !== deployment.spec.replicas || status.updatedReplicas !== deployment.spec.replicas)
        return false;
      const pods = await cluster.kubectl([
        'get',
        'pods',
        '-l',
        'app=ratings',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="PodScheduled")].reason}{"\\n"}{end}',
      ]);
      const reasons = pods.stdout.split('\n').filter((line) => line !== '');
      return reasons.length === deployment.spec.replicas && reasons.every((reason) => reason === 'Unschedulable');
    },
    120_000,
    'the ratings Deployment to settle',
  );
}

/**
 * Waits until no ReplicaSet or pod of a dev template is left. The Deployment controller alone would keep them: its
 * rolling update back to the original (maxUnavailable 0) removes a dev pod only once an original pod is available,
 * which never happens here.
 */
async function noDevLeftovers(): Promise<void> {
  await waitUntil(
    async () => (await cluster.kubectl(['get', 'rs,pods', '-l', 'devmode.dev/session', '-o', 'name'])).stdout === '',
    60_000,
    'the dev ReplicaSets and pods to be gone',
  );
}

/** Runs `method` in a server that dies at `failpoint` (SIGKILL), and checks that it did die there. */
async function crashAt(failpoint: string, method: string, params: unknown, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const doomed = await startClient({ ...cluster.env, ...env, DEVMODE_FAILPOINT: failpoint });
  const outcome = doomed.server.connection.sendRequest(method, params).then(
    (result) => `answered ${JSON.stringify(result)}`,
    (error: Error) => `failed: ${error.message}`,
  );
  const first = await Promise.race([doomed.server.exited.then(() => 'exited'), outcome]);
  if (first !== 'exited') {
    doomed.server.child.kill('SIGKILL');
    throw new Error(`${method} never reached ${failpoint}: ${first}\n${doomed.server.stderr()}`);
  }
  expect(doomed.server.child.signalCode).toBe('SIGKILL');
  doomed.server.connection.dispose();
}

describe('the workload tree on the real API server', () => {
  test('walks contexts, namespaces, kinds, workloads, pods and containers', async () => {
    const contexts = await client.request<{ nodes: { id: string; label: string; kind: string }[] }>(
      'tree/children',
      {},
    );
    expect(contexts.nodes).toEqual([
      expect.objectContaining({ kind: 'context', label: realContext, description: 'current' }),
      expect.objectContaining({ kind: 'context', label: realDeveloperContext }),
    ]);
    const namespaces = await client.request<{ nodes: { id: string; label: string }[] }>('tree/children', {
      nodeId: contexts.nodes[0]?.id,
    });
    expect(namespaces.nodes.map((node) => node.label)).toEqual(
      expect.arrayContaining(['default', 'kube-node-lease', 'kube-public', 'kube-system']),
    );
    const groups = await client.request<{ nodes: { id: string; label: string }[] }>('tree/children', {
      nodeId: namespaces.nodes.find((node) => node.label === 'default')?.id,
    });
    expect(groups.nodes.map((node) => node.label)).toEqual([
      'Deployments',
      'StatefulSets',
      'DaemonSets',
      'Jobs',
      'CronJobs',
      'Pods',
    ]);
    const deployments = await client.request<{ nodes: { id: string; label: string; state: string }[] }>(
      'tree/children',
      { nodeId: groups.nodes[0]?.id },
    );
    const node = deployments.nodes.find((candidate) => candidate.label === 'ratings');
    // Its pods never run: there is no node.
    expect(node).toMatchObject({ state: 'pending' });
    const pods = await client.request<{ nodes: { id: string; state: string }[] }>('tree/children', {
      nodeId: node?.id,
    });
    expect(pods.nodes.map((pod) => pod.state)).toEqual(['pending', 'pending']);
    const containers = await client.request<{ nodes: { label: string; kind: string }[] }>('tree/children', {
      nodeId: pods.nodes[0]?.id,
    });
    expect(containers.nodes).toEqual([expect.objectContaining({ kind: 'container', label: 'ratings' })]);

    const seen = client.notifications.length;
    expect((await cluster.kubectl(['annotate', 'deployment/ratings', 'touched=yes'])).code).toBe(0);
    await client.waitForNotification(
      (n) =>
        n.method === 'tree/didChange' &&
        client.notifications.indexOf(n) >= seen &&
        (n.params.nodeIds as string[]).includes(groups.nodes[0]?.id ?? ''),
      30_000,
    );
    expect((await cluster.kubectl(['annotate', 'deployment/ratings', 'touched-'])).code).toBe(0);
  });

  test('cluster/list says both contexts reach the API server', async () => {
    const listed = await client.request<{ contexts: { name: string; server: string; reachable: boolean }[] }>(
      'cluster/list',
      {},
    );
    expect(listed.contexts).toEqual([
      expect.objectContaining({ name: realContext, server: cluster.server, reachable: true }),
      expect.objectContaining({ name: realDeveloperContext, server: cluster.server, reachable: true }),
    ]);
  });

  test('devConfig/get reads the container from the real Deployment', async () => {
    const result = await client.request<{
      container: string;
      config: { image: string; workDir: string };
      sources: Record<string, string>;
    }>('devConfig/get', { target: ratings, localDir: projectDir('image: devmode/dev\nworkDir: /srv/app\n') });
    expect(result.container).toBe('ratings');
    expect(result.config).toMatchObject({ image: 'devmode/dev', workDir: '/srv/app' });
    expect(result.sources).toMatchObject({ image: 'file', workDir: 'file' });
  });
});

describe('DevMode whose pod no node can run', () => {
  test("start fails with the scheduler's reason and restores the workload exactly", async () => {
    await settled();
    const before = await originals();
    // A timeout far beyond the test's own: the start must end on the reason, not on the timeout.
    const error = await client.requestError('devMode/start', {
      target: ratings,
      localDir: projectDir('image: devmode/dev\n'),
      timeoutSeconds: 3600,
      workDoneToken: 'unschedulable',
    });
    expect(error.code).toBe(-31013);
    expect(error.message).toContain(noNode);
    expect(error.data).toMatchObject({ reason: 'Unschedulable' });
    expect(String(error.data?.hint)).toContain('kubectl get nodes');
    expect(await originals()).toEqual(before);
    await noDevLeftovers();
    // The person saw why while it waited.
    const messages = client.notifications
      .filter((n) => n.method === '$/progress' && n.params.token === 'unschedulable')
      .map((n) => (n.params.value as { message?: string }).message ?? '');
    expect(messages.some((message) => message.includes(noNode))).toBe(true);
  }, 180_000);
});

describe('the heartbeat on the real API server', () => {
  test('is renewed while the start waits for a pod, and the rollback leaves none behind', async () => {
    await settled();
    const before = await originals();
    const beating = await startClient({ ...cluster.env, DEVMODE_HEARTBEAT_SECONDS: '1' });
    try {
      const start = beating.requestError('devMode/start', {
        target: ratings,
        localDir: projectDir('image: devmode/dev\n'),
        timeoutSeconds: 3600,
      });
      // The real API server takes the first write (checked against the record) and the renewals (JSON patches that
      // test the heartbeat written last).
      const seen = new Set<string>();
      await waitUntil(
        async () => {
          const result = await cluster.kubectl(['get', 'deployment', 'ratings', '-o', 'json']);
          const annotations = (JSON.parse(result.stdout) as { metadata: { annotations?: Record<string, string> } })
            .metadata.annotations;
          const text = annotations?.['devmode.dev/heartbeat'];
          if (text !== undefined) seen.add((JSON.parse(text) as { at: string }).at);
          return seen.size >= 2;
        },
        20_000,
        'two heartbeats on the Deployment',
      );
      expect((await start).code).toBe(-31013);
      expect(await originals()).toEqual(before);
      await noDevLeftovers();
    } finally {
      await beating.close();
    }
  }, 180_000);
});

describe('SIGKILL during devMode/start, then devMode/reset', () => {
  test.each(['start:afterRecord', 'start:afterHpa', 'start:afterApply'])(
    'killed at %s: reset restores exactly and says the pods cannot run',
    async (failpoint) => {
      await settled();
      const before = await originals();
      await crashAt(failpoint, 'devMode/start', { target: ratings, localDir: projectDir('image: devmode/dev\n') });
      const reset = await client.request<{ endedSessions: string[]; podsNotReady?: string }>('devMode/reset', {
        target: ratings,
      });
      expect(reset.endedSessions).toHaveLength(1);
      expect(reset.podsNotReady).toContain(noNode);
      expect(reset.podsNotReady).toMatch(/^pod ratings-[a-z0-9-]+ cannot be scheduled: /);
      expect(await originals()).toEqual(before);
      await noDevLeftovers();
    },
    180_000,
  );
});

describe('ownership between two servers', () => {
  test("another user's DevMode is refused with the owner named, and taken over on request", async () => {
    await settled();
    const before = await originals();
    // alice's server dies right after it changed the workload: the record in the cluster names her.
    await crashAt(
      'start:afterApply',
      'devMode/start',
      { target: ratings, localDir: projectDir('image: devmode/dev\n') },
      { DEVMODE_USER: 'alice', DEVMODE_MACHINE: 'elsewhere' },
    );
    const listed = await client.request<{ sessions: { mine: boolean; owner?: string; target: { name: string } }[] }>(
      'devMode/list',
      {},
    );
    expect(listed.sessions).toEqual([
      expect.objectContaining({
        mine: false,
        owner: 'alice@elsewhere',
        target: expect.objectContaining(ratings) as unknown,
      }),
    ]);
    const start = await client.requestError('devMode/start', {
      target: ratings,
      localDir: projectDir('image: devmode/dev\n'),
    });
    expect(start.code).toBe(-31011);
    expect(start.message).toContain('alice@elsewhere');
    const stop = await client.requestError('devMode/stop', { target: ratings });
    expect(stop.code).toBe(-31011);
    expect(stop.message).toContain('alice@elsewhere');

    const takenOver = await client.request<{ target: unknown; podsNotReady?: string }>('devMode/stop', {
      target: ratings,
      takeOver: true,
    });
    expect(takenOver.podsNotReady).toContain(noNode);
    expect(await originals()).toEqual(before);
    await noDevLeftovers();
    expect((await client.request<{ sessions: unknown[] }>('devMode/list', {})).sessions).toEqual([]);
  }, 180_000);
});

const readOnlyRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-only, namespace: default}
rules:
- apiGroups: ["", "apps", "batch", "autoscaling"]
  resources: ["pods", "pods/log", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "events",
    "horizontalpodautoscalers"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: developer-read-only, namespace: default}
subjects: [{kind: User, name: developer, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: read-only, apiGroup: rbac.authorization.k8s.io}
`;

describe('a user RBAC only lets read', () => {
  test('the tree falls back to the context namespace; DevMode is a Forbidden error and nothing changes', async () => {
    const roleFile = join(projectDir(), 'role.yaml');
    writeFileSync(roleFile, readOnlyRole);
    expect((await cluster.kubectl(['apply', '-f', roleFile])).code).toBe(0);
    await settled();
    const before = await originals();

    const namespaces = await client.request<{ nodes: { label: string }[] }>('tree/children', {
      nodeId: `context/${realDeveloperContext}`,
    });
    expect(namespaces.nodes.map((node) => node.label)).toEqual(['default']);
    const deployments = await client.request<{ nodes: { label: string }[] }>('tree/children', {
      nodeId: `group/${realDeveloperContext}/default/Deployment`,
    });
    expect(deployments.nodes.map((node) => node.label)).toContain('ratings');

    const error = await client.requestError('devMode/start', {
      target: { ...ratings, context: realDeveloperContext },
      localDir: projectDir('image: devmode/dev\n'),
    });
    expect(error.code).toBe(-31004);
    expect(error.data).toMatchObject({ verb: 'patch', resource: 'deployments' });
    expect(error.message).toContain('User "developer" cannot patch resource "deployments"');
    expect(String(error.data?.hint)).toContain('may not patch deployments');
    expect(await originals()).toEqual(before);
  }, 120_000);
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, kubectlJson, projectDir, rolledOut, snapshot, waitUntil } from './devModeHelpers.js';
import { freePort } from '../helpers/freePort.js';

let sandbox: TestSandbox;
let client: DevmodeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
  await apply(sandbox, 'deployment.yaml');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

interface PodList {
  items: {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { containers: Record<string, unknown>[] };
  }[];
}

describe('DevMode on a Deployment (replace mode)', () => {
  test('start rewrites the workload, reports the phases, and stop restores it exactly', async () => {
    await apply(sandbox, 'deployment.yaml');
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const hpaBefore = await snapshot(sandbox, 'hpa', 'ratings');
    const dir = projectDir('image: devmode/dev\nenv: {DEBUG: "1"}\n');

    const started = await client.request<{ sessionId: string; pod: string; container: string }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: dir,
      workDoneToken: 'start-1',
    });
    expect(started.container).toBe('ratings');

    // Progress the LSP way, with the seed's phases in order.
    const progress = client.notifications.filter((n) => n.method === '$/progress' && n.params.token === 'start-1');
    const kinds = progress.map((n) => (n.params.value as { kind: string }).kind);
    expect(kinds[0]).toBe('begin');
    expect(kinds.at(-1)).toBe('end');
    // The phase is a field of its own; the message describes the step without repeating its name.
    const values = progress.map((n) => n.params.value as { phase?: string; message?: string });
    const phases = ['loadConfig', 'replaceImage', 'restartPod', 'waitPod', 'sync'].map((phase) =>
      values.findIndex((value) => value.phase === phase),
    );
    expect(phases.every((index) => index >= 0)).toBe(true);
    expect([...phases].sort((a, b) => a - b)).toEqual(phases);
    expect(values.filter((value) => /^[a-zA-Z]+: /.test(value.message ?? ''))).toEqual([]);
    // devMode/didChangeState carries each phase of this session as it begins, the sync included, then running.
    const changes = client.notifications
      .filter((n) => n.method === 'devMode/didChangeState' && n.params.sessionId === started.sessionId)
      .map((n) => n.params as { state: string; phase?: string })
      .map((change) => (change.phase !== undefined ? `${change.state}/${change.phase}` : change.state));
    expect(changes).toEqual([
      'starting/loadConfig',
      'starting/replaceImage',
      'starting/restartPod',
      'starting/waitPod',
      'starting/portForward',
      'starting/sync',
      'running',
    ]);

    // The cluster shows DevMode: one replica, the dev image, no probes, the workDir volume, the HPA pinned.
    const deployment = await kubectlJson<{
      spec: {
        replicas: number;
        template: { spec: { containers: Record<string, unknown>[]; volumes: { name: string }[] } };
      };
    }>(sandbox, ['get', 'deployment', 'ratings']);
    expect(deployment.spec.replicas).toBe(1);
    const container = deployment.spec.template.spec.containers[0] ?? {};
    expect(container.image).toBe('devmode/dev');
    expect(container.readinessProbe).toBeUndefined();
    expect(container.livenessProbe).toBeUndefined();
    expect(container.workingDir).toBe('/home/devmode');
    expect(container.env).toContainEqual({ name: 'DEBUG', value: '1' });
    expect(deployment.spec.template.spec.volumes.map((v) => v.name)).toContain('devmode-workdir');
    const hpa = await kubectlJson<{ spec: { minReplicas: number; maxReplicas: number } }>(sandbox, [
      'get',
      'hpa',
      'ratings',
    ]);
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 1 });
    const pod = await sandbox.kubectl(['exec', started.pod, '-c', 'ratings', '--', 'sh', '-c', 'pwd; echo $DEBUG']);
    expect(pod.stdout).toBe('/home/devmode\n1\n');

    // devMode/list shows the session as mine.
    const list = await client.request<{ sessions: { sessionId?: string; mine: boolean; state: string }[] }>(
      'devMode/list',
      {},
    );
    expect(list.sessions).toContainEqual(
      expect.objectContaining({ sessionId: started.sessionId, mine: true, state: 'running' }),
    );

    await client.request('devMode/stop', { sessionId: started.sessionId });
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
    expect(await snapshot(sandbox, 'hpa', 'ratings')).toBe(hpaBefore);
    const pods = await kubectlJson<PodList>(sandbox, ['get', 'pods', '-l', 'app=ratings']);
    expect(pods.items.length).toBe(2);
    expect(pods.items.every((p) => p.spec.containers[0]?.image === 'devmode/ratings')).toBe(true);
  });

  test('a second start by someone else is refused with the owner named', async () => {
    const alice = await startClient({ ...sandbox.env, DEVMODE_USER: 'alice', DEVMODE_MACHINE: 'elsewhere' });
    try {
      const started = await alice.request<{ sessionId: string }>('devMode/start', {
        target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
        localDir: projectDir('image: devmode/dev\n'),
      });
      const refused = await client.requestError('devMode/start', {
        target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
        localDir: projectDir('image: devmode/dev\n'),
      });
      expect(refused.code).toBe(-31011);
      expect(refused.message).toContain('alice@elsewhere');
      expect(refused.data?.hint).toContain('duplicate');
      const tree = await client.request<{ nodes: { label: string; state?: string; description?: string }[] }>(
        'tree/children',
        {
          nodeId: 'group/devmode-sandbox/default/Deployment',
        },
      );
      expect(tree.nodes).toContainEqual(
        expect.objectContaining({
          label: 'ratings',
          state: 'devMode-other',
          description: 'DevMode by alice@elsewhere',
        }),
      );

      const stop = await client.requestError('devMode/stop', {
        target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      });
      expect(stop.code).toBe(-31011);
      // Reset works from the cluster's record alone, whoever owns it.
      const reset = await client.request<{ endedSessions: string[] }>('devMode/reset', {
        target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      });
      expect(reset.endedSessions).toEqual([started.sessionId]);
    } finally {
      await alice.close();
    }
  });
});

describe('bad input gets a named error and changes nothing', () => {
  test('an unknown workload', async () => {
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'no-such-thing' },
      localDir: projectDir(),
    });
    expect(error.code).toBe(-31005);
    expect(error.message).toContain('no-such-thing');
  });

  test('an invalid dev config names the file, the line and the field', async () => {
    const dir = projectDir('image: devmode/dev\nsync:\n  mode: sideways\n');
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: dir,
    });
    expect(error.code).toBe(-31010);
    expect(error.data).toMatchObject({ line: 3, field: 'sync.mode' });
    expect(String(error.data?.file)).toContain('devmode.yaml');
  });

  test('params that are not what the method takes', async () => {
    const noKind = await client.requestError('devMode/start', {
      target: { namespace: 'default', name: 'x' },
      localDir: '/tmp',
    });
    expect(noKind).toMatchObject({ code: -32602, data: { field: 'target.kind' } });
    const relative = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: 'relative/dir',
    });
    expect(relative).toMatchObject({ code: -32602, data: { field: 'localDir' } });
    const missingDir = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: '/no/such/folder',
    });
    expect(missingDir).toMatchObject({ code: -31018, data: { field: 'localDir' } });
  });

  test('an image that cannot be pulled fails with the reason from the events and restores the workload', async () => {
    await waitUntil(async () => (await sandbox.kubectl(['get', 'deployment', 'ratings'])).code === 0);
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: projectDir('image: registry.invalid/nothing:1\n'),
    });
    expect(error.code).toBe(-31014);
    expect(error.message).toContain('registry.invalid/nothing:1');
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });

  test('a dev command the image cannot run is a MissingTool error, and the workload is restored', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const error = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: projectDir('image: devmode/dev\ncommand: ["no-such-shell", "-c", "true"]\n'),
    });
    expect(error.code).toBe(-31015);
    expect(error.data).toMatchObject({ tool: 'no-such-shell' });
    expect(error.data?.hint).toContain('command');
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });
});

describe('someone else changes the workload during DevMode', () => {
  test('stop reports the change instead of overwriting it; reset restores anyway', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const started = await client.request<{ sessionId: string }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: projectDir('image: devmode/dev\n'),
    });
    const changed = await sandbox.kubectl(['set', 'image', 'deployment/ratings', 'ratings=busybox']);
    expect(changed.code).toBe(0);
    const stop = await client.requestError('devMode/stop', { sessionId: started.sessionId });
    expect(stop.code).toBe(-31016);
    expect(stop.message).toContain("the dev container's image is now busybox");
    expect(stop.data?.hint).toContain('devMode/reset');
    await client.request('devMode/reset', { target: { namespace: 'default', kind: 'Deployment', name: 'ratings' } });
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });
});

describe('the workload tree', () => {
  test('walks contexts, namespaces, kinds, workloads, pods and containers, and pushes changes', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const contexts = await client.request<{ nodes: { id: string; label: string; kind: string }[] }>(
      'tree/children',
      {},
    );
    expect(contexts.nodes).toEqual([
      expect.objectContaining({ kind: 'context', label: 'devmode-sandbox', description: 'current' }),
      expect.objectContaining({ kind: 'context', label: 'devmode-sandbox-developer' }),
    ]);
    const namespaces = await client.request<{ nodes: { id: string; label: string }[] }>('tree/children', {
      nodeId: contexts.nodes[0]?.id,
    });
    expect(namespaces.nodes.map((n) => n.label)).toEqual(expect.arrayContaining(['default', 'kube-system']));
    const defaultNs = namespaces.nodes.find((n) => n.label === 'default');
    const groups = await client.request<{ nodes: { id: string; label: string }[] }>('tree/children', {
      nodeId: defaultNs?.id,
    });
    expect(groups.nodes.map((n) => n.label)).toEqual([
      'Deployments',
      'StatefulSets',
      'DaemonSets',
      'Jobs',
      'CronJobs',
      'Pods',
    ]);
    const deployments = await client.request<{
      nodes: { id: string; label: string; state: string; actions: string[] }[];
    }>('tree/children', {
      nodeId: groups.nodes[0]?.id,
    });
    const ratings = deployments.nodes.find((n) => n.label === 'ratings');
    expect(ratings).toMatchObject({ state: 'running', actions: expect.arrayContaining(['startDevMode']) as unknown });
    const pods = await client.request<{ nodes: { id: string; kind: string }[] }>('tree/children', {
      nodeId: ratings?.id,
    });
    expect(pods.nodes.length).toBe(2);
    const containers = await client.request<{ nodes: { label: string; kind: string }[] }>('tree/children', {
      nodeId: pods.nodes[0]?.id,
    });
    expect(containers.nodes).toEqual([expect.objectContaining({ kind: 'container', label: 'ratings' })]);

    const seen = client.notifications.length;
    await sandbox.kubectl(['annotate', 'deployment/ratings', 'touched=yes']);
    const change = await client.waitForNotification(
      (n) =>
        n.method === 'tree/didChange' &&
        client.notifications.indexOf(n) >= seen &&
        (n.params.nodeIds as string[]).includes(groups.nodes[0]?.id ?? ''),
      10_000,
    );
    expect(change).toBeDefined();
    await sandbox.kubectl(['annotate', 'deployment/ratings', 'touched-']);
  });

  test('a workload created right after its group is expanded is reported', async () => {
    const contexts = await client.request<{ nodes: { id: string }[] }>('tree/children', {});
    const namespaces = await client.request<{ nodes: { id: string; label: string }[] }>('tree/children', {
      nodeId: contexts.nodes[0]?.id,
    });
    const groups = await client.request<{ nodes: { id: string; label: string }[] }>('tree/children', {
      nodeId: namespaces.nodes.find((n) => n.label === 'default')?.id,
    });
    const cronJobs = groups.nodes.find((n) => n.label === 'CronJobs');
    const seen = client.notifications.length;
    // Expanding the group opens its watch; the new object follows at once, while the watch may still be listing.
    await client.request('tree/children', { nodeId: cronJobs?.id });
    await sandbox.kubectl(['create', 'cronjob', 'nightly', '--image=devmode/ratings', '--schedule=0 3 * * *']);
    const change = await client.waitForNotification(
      (n) =>
        n.method === 'tree/didChange' &&
        client.notifications.indexOf(n) >= seen &&
        (n.params.nodeIds as string[]).includes(cronJobs?.id ?? ''),
      10_000,
    );
    expect(change).toBeDefined();
    const listed = await client.request<{ nodes: { label: string }[] }>('tree/children', { nodeId: cronJobs?.id });
    expect(listed.nodes.map((n) => n.label)).toContain('nightly');
    await sandbox.kubectl(['delete', 'cronjob', 'nightly']);
  });

  test('an unknown node id is a named error', async () => {
    const error = await client.requestError('tree/children', { nodeId: 'bogus/thing' });
    expect(error).toMatchObject({ code: -31021, data: { field: 'nodeId' } });
  });
});

describe('port-forwards of the dev config', () => {
  test('start with DevMode, reach the dev container, and stop with it', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const port = await freePort();
    const yaml = `image: devmode/dev\ncommand: ["serve", "9080"]\nportForward: ["${port}:9080"]\n`;
    const started = await client.request<{
      sessionId: string;
      portForwards: { localPort: number; remotePort: number; state: string }[];
    }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: projectDir(yaml),
    });
    expect(started.portForwards).toEqual([expect.objectContaining({ localPort: port, remotePort: 9080 })]);
    let body = '';
    await waitUntil(
      async () => {
        body = await fetch(`http://127.0.0.1:${port}/`)
          .then((r) => r.text())
          .catch(() => '');
        return body.includes('Directory listing');
      },
      20_000,
      'the dev server through the forward',
    );
    const listed = await client.request<{ forwards: { localPort: number }[] }>('portForward/list', {});
    expect(listed.forwards.map((f) => f.localPort)).toContain(port);
    await client.request('devMode/stop', { sessionId: started.sessionId });
    const after = await client.request<{ forwards: { localPort: number }[] }>('portForward/list', {});
    expect(after.forwards.map((f) => f.localPort)).not.toContain(port);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  }, 60_000);
});

describe('file sync of a DevMode session', () => {
  test('the local folder is in the container when start returns; edits appear after sync/flush', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const dir = projectDir('image: devmode/dev\n');
    writeFileSync(join(dir, 'with space.txt'), 'first\n');
    const started = await client.request<{
      sessionId: string;
      pod: string;
      sync?: { state: string; remoteDir: string };
    }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: dir,
      workDoneToken: 'sync-start',
    });
    expect(started.sync).toMatchObject({ remoteDir: '/home/devmode' });
    const values = client.notifications
      .filter((n) => n.method === '$/progress' && n.params.token === 'sync-start')
      .map((n) => n.params.value as { phase?: string; message?: string });
    expect(values).toContainEqual(
      expect.objectContaining({ phase: 'sync', message: expect.stringMatching(/^File sync started/) as unknown }),
    );
    const cat = async (name: string): Promise<string> =>
      (await sandbox.kubectl(['exec', started.pod, '--', 'cat', `/home/devmode/${name}`])).stdout;
    expect(await cat('app.js')).toBe('console.log("hello from the local folder");\n');
    expect(await cat('with space.txt')).toBe('first\n');

    writeFileSync(join(dir, 'with space.txt'), 'second\n');
    await client.request('sync/flush', { sessionId: started.sessionId });
    expect(await cat('with space.txt')).toBe('second\n');
    const status = await client.request<{ state: string; errors: unknown[] }>('sync/status', {
      sessionId: started.sessionId,
    });
    expect(status.errors).toEqual([]);

    await client.request('devMode/stop', { sessionId: started.sessionId });
    const gone = await client.requestError('sync/status', { sessionId: started.sessionId });
    expect(gone.code).toBe(-31021);
  }, 60_000);
});

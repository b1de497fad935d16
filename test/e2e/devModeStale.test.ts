/**
 * Stale sessions: the server that owns a session renews a heartbeat on the workload while it runs. Another server
 * never shows a live session as stale, however long it runs; once the owner is killed, its session turns stale in
 * devMode/list, in the tree (which is told to refresh without any change in the cluster) and in `devmode list`,
 * with who and since when, and reset brings the workload back exactly. A session whose record is on two objects (a
 * parked DaemonSet and its dev Deployment) keeps both alive.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { devmodeCommand } from '../helpers/rawServer.js';
import { run, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, kubectlJson, projectDir, rolledOut, snapshot, waitUntil } from './devModeHelpers.js';

let sandbox: TestSandbox;
let env: NodeJS.ProcessEnv;

const target = { namespace: 'default', kind: 'Deployment', name: 'ratings' };
const staleAfterSeconds = 4;

interface Listed {
  sessions: {
    sessionId?: string;
    state: string;
    mine: boolean;
    owner?: string;
    stale?: {
      user: string;
      machine: string;
      since: string;
      heartbeat: boolean;
      thresholdSeconds: number;
      hint: string;
    };
  }[];
}

interface TreeNode {
  id: string;
  label: string;
  state?: string;
  description?: string;
  tooltip?: string;
  actions: string[];
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  // Short timings, and a recorded owner the test can name.
  env = {
    ...sandbox.env,
    DEVMODE_HEARTBEAT_SECONDS: '1',
    DEVMODE_STALE_AFTER_SECONDS: String(staleAfterSeconds),
    DEVMODE_USER: 'ana',
    DEVMODE_MACHINE: 'laptop-7',
  };
  await apply(sandbox, 'deployment.yaml');
  await apply(sandbox, 'daemonset.yaml');
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

/** The heartbeat on the Deployment, as kubectl shows it. */
async function heartbeat(): Promise<{ sessionId: string; at: string } | undefined> {
  const deployment = await kubectlJson<{ metadata: { annotations?: Record<string, string> } }>(sandbox, [
    'get',
    'deployment',
    'ratings',
  ]);
  const text = deployment.metadata.annotations?.['devmode.dev/heartbeat'];
  return text === undefined ? undefined : (JSON.parse(text) as { sessionId: string; at: string });
}

async function groupOf(client: DevmodeClient, label: string): Promise<string> {
  const [root] = (await client.request<{ nodes: TreeNode[] }>('tree/children', {})).nodes;
  const namespaces = await client.request<{ nodes: TreeNode[] }>('tree/children', { nodeId: root?.id });
  const namespace = namespaces.nodes.find((node) => node.label === 'default');
  const groups = await client.request<{ nodes: TreeNode[] }>('tree/children', { nodeId: namespace?.id });
  const group = groups.nodes.find((node) => node.label === label);
  if (group === undefined) throw new Error(`no ${label} group in the tree`);
  return group.id;
}

async function nodeIn(client: DevmodeClient, groupId: string, name: string): Promise<TreeNode | undefined> {
  const nodes = await client.request<{ nodes: TreeNode[] }>('tree/children', { nodeId: groupId });
  return nodes.nodes.find((node) => node.label === name);
}

async function ratingsNode(client: DevmodeClient, groupId: string): Promise<TreeNode | undefined> {
  return nodeIn(client, groupId, 'ratings');
}

describe('a session whose server was killed', () => {
  test('is never stale while its server lives, turns stale once it is killed, and reset restores it', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const hpaBefore = await snapshot(sandbox, 'hpa', 'ratings');
    const owner = await startClient(env);
    const other = await startClient(env);
    try {
      const started = await owner.request<{ sessionId: string }>('devMode/start', {
        target,
        localDir: projectDir('image: devmode/dev\n'),
      });
      const groupId = await groupOf(other, 'Deployments');

      // Alive: for more than twice the threshold, the other server lists it as running, the heartbeat keeps being
      // renewed, and the tree does not call it stale.
      await rolledOut(sandbox, 'deployment/ratings');
      const aliveFrom = other.notifications.length;
      const aliveUntil = Date.now() + 2 * staleAfterSeconds * 1000 + 1000;
      let renewals = new Set<string>();
      while (Date.now() < aliveUntil) {
        const listed = await other.request<Listed>('devMode/list', { namespace: 'default' });
        expect(listed.sessions).toEqual([
          expect.objectContaining({ sessionId: started.sessionId, mine: false, state: 'running' }),
        ]);
        expect(listed.sessions[0]).not.toHaveProperty('stale');
        const beat = await heartbeat();
        expect(beat?.sessionId).toBe(started.sessionId);
        renewals = new Set([...renewals, beat?.at ?? '']);
        expect((await ratingsNode(other, groupId))?.state).not.toBe('devMode-stale');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(renewals.size).toBeGreaterThan(3);
      // A renewal changes nothing the tree shows, so it does not make clients read the tree again.
      const treeChanges = other.notifications
        .slice(aliveFrom)
        .filter((n) => n.method === 'tree/didChange' && (n.params.nodeIds as string[]).includes(groupId));
      expect(treeChanges).toEqual([]);

      // Killed: no goodbye, no restore.
      owner.server.child.kill('SIGKILL');
      await owner.server.exited;
      const lastBeat = await heartbeat();
      // Renewals are not reported to the tree's clients, and nothing changes in the cluster once the server is gone:
      // a tree/didChange now can only be the tree noticing the silence, and a client that reads the group again then
      // sees it stale.
      let seen = other.notifications.length;
      let node = await ratingsNode(other, groupId);
      while (node?.state !== 'devMode-stale') {
        await waitUntil(
          () =>
            Promise.resolve(
              other.notifications
                .slice(seen)
                .some((n) => n.method === 'tree/didChange' && (n.params.nodeIds as string[]).includes(groupId)),
            ),
          (staleAfterSeconds + 5) * 1000,
          'tree/didChange for the Deployments group',
        );
        seen = other.notifications.length;
        node = await ratingsNode(other, groupId);
      }
      expect(node.state).toBe('devMode-stale');
      expect(node.actions).toContain('resetDevMode');
      expect(node.description).toBe(`DevMode by ana@laptop-7, stale: silent since ${lastBeat?.at}`);
      expect(node.tooltip).toContain('devMode/reset');

      const stale = await waitForStale(other);
      expect(stale).toMatchObject({
        sessionId: started.sessionId,
        state: 'stale',
        mine: false,
        owner: 'ana@laptop-7',
        stale: { user: 'ana', machine: 'laptop-7', heartbeat: true, thresholdSeconds: staleAfterSeconds },
      });
      expect(stale.stale?.since).toBe(lastBeat?.at);
      expect(stale.stale?.hint).toContain('devMode/reset');
      expect(Date.now() - Date.parse(stale.stale?.since ?? '')).toBeGreaterThan(staleAfterSeconds * 1000);

      // The command line says the same.
      const cli = devmodeCommand();
      const listed = await run(cli.command, [...cli.args, 'list'], { env, timeoutMs: 60_000 });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/Deployment\/ratings\s+replace\s+stale\s+ana@laptop-7/);
      expect(listed.stdout).toContain(
        `deployment/ratings is stale: ana@laptop-7 silent since ${lastBeat?.at}; reset it with: devmode reset deployment/ratings -n default`,
      );

      // Reset from the other server brings everything back, the heartbeat included.
      expect(await other.request('devMode/reset', { target })).toMatchObject({ target });
      expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
      expect(await snapshot(sandbox, 'hpa', 'ratings')).toBe(hpaBefore);
      expect(await heartbeat()).toBeUndefined();
      expect((await other.request<Listed>('devMode/list', { namespace: 'default' })).sessions).toEqual([]);
    } finally {
      await owner.close();
      await other.close();
    }
  }, 180_000);

  test('a session stopped by its server leaves no heartbeat behind', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const owner = await startClient(env);
    try {
      const started = await owner.request<{ sessionId: string }>('devMode/start', {
        target,
        localDir: projectDir('image: devmode/dev\n'),
      });
      await waitUntil(async () => (await heartbeat())?.sessionId === started.sessionId, 10_000, 'a heartbeat');
      await owner.request('devMode/stop', { sessionId: started.sessionId });
      expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
      // Renewals were every second: none may land after the stop.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
    } finally {
      await owner.close();
    }
  }, 120_000);
});

describe('a live session whose record is on two objects', () => {
  test('a parked DaemonSet and its dev Deployment both carry the heartbeat and never show as stale', async () => {
    const before = await snapshot(sandbox, 'daemonset', 'agent');
    const owner = await startClient(env);
    const other = await startClient(env);
    try {
      const started = await owner.request<{ sessionId: string }>('devMode/start', {
        target: { namespace: 'default', kind: 'DaemonSet', name: 'agent' },
        localDir: projectDir('image: devmode/dev\n'),
      });
      const daemonSets = await groupOf(other, 'DaemonSets');
      const deployments = await groupOf(other, 'Deployments');
      const aliveUntil = Date.now() + 2 * staleAfterSeconds * 1000 + 1000;
      while (Date.now() < aliveUntil) {
        const listed = await other.request<Listed>('devMode/list', { namespace: 'default' });
        expect(listed.sessions.map((session) => [session.sessionId, session.state])).toEqual([
          [started.sessionId, 'running'],
        ]);
        expect((await nodeIn(other, daemonSets, 'agent'))?.state).toBe('devMode-mine');
        expect((await nodeIn(other, deployments, 'agent-devmode'))?.state).toBe('devMode-mine');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await owner.request('devMode/stop', { sessionId: started.sessionId });
      expect(await snapshot(sandbox, 'daemonset', 'agent')).toBe(before);
    } finally {
      await owner.close();
      await other.close();
    }
  }, 120_000);
});

async function waitForStale(client: DevmodeClient): Promise<Listed['sessions'][number]> {
  let found: Listed['sessions'][number] | undefined;
  await waitUntil(
    async () => {
      const listed = await client.request<Listed>('devMode/list', { namespace: 'default' });
      found = listed.sessions.find((session) => session.state === 'stale');
      return found !== undefined;
    },
    (staleAfterSeconds + 10) * 1000,
    'the session to be listed as stale',
  );
  return found as Listed['sessions'][number];
}

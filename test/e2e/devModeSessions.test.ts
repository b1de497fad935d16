/**
 * A DevMode session belongs to the server process that started it: a stop during the start cancels the start and
 * both answer truthfully; another server sees the session as not its own and may not stop it without taking it
 * over; the owning server notices when its session is ended elsewhere and stops what it started, and only that.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, rolledOut, snapshot, waitUntil } from './devModeHelpers.js';
import { freePort } from '../helpers/freePort.js';

let sandbox: TestSandbox;
let client: DevmodeClient;

const target = { namespace: 'default', kind: 'Deployment', name: 'ratings' };

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
  await apply(sandbox, 'deployment.yaml');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

interface Outcome {
  ok: boolean;
  value?: unknown;
  code?: number;
  message?: string;
}

function outcome(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: { code?: number; message: string }) => ({
      ok: false,
      ...(error.code !== undefined ? { code: error.code } : {}),
      message: error.message,
    }),
  );
}

async function devPods(): Promise<string> {
  const pods = await sandbox.kubectl(['get', 'pods', '-l', 'devmode.dev/session', '-o', 'name']);
  return pods.stdout.trim();
}

describe('devMode/stop while devMode/start runs', () => {
  test.each([0, 5, 20, 50, 200])(
    'a stop %i ms after the start cancels the start, waits for its rollback, and the workload is restored',
    async (offsetMs) => {
      await rolledOut(sandbox, 'deployment/ratings');
      const before = await snapshot(sandbox, 'deployment', 'ratings');
      const hpaBefore = await snapshot(sandbox, 'hpa', 'ratings');
      const seen = client.notifications.length;
      const start = outcome(client.request('devMode/start', { target, localDir: projectDir('image: devmode/dev\n') }));
      await new Promise((resolve) => setTimeout(resolve, offsetMs));
      const stop = outcome(client.request('devMode/stop', { target }));
      const [started, stopped] = await Promise.all([start, stop]);

      // The stop answers that it restored the workload, never "not in DevMode" or "changed by someone else".
      expect(stopped).toMatchObject({ ok: true, value: { target } });
      // The start either was cancelled (the usual case) or had already finished, in which case the stop ended it.
      if (!started.ok) {
        expect(started.code).toBe(-32800);
        expect(started.message).toContain('devMode/stop');
        // A start cancelled and rolled back ended the session: clients are told it stopped, not that it failed.
        const states = client.notifications
          .slice(seen)
          .filter((n) => n.method === 'devMode/didChangeState')
          .map((n) => n.params.state);
        expect(states).not.toContain('failed');
        expect(states.at(-1)).toBe('stopped');
      }
      expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
      expect(await snapshot(sandbox, 'hpa', 'ratings')).toBe(hpaBefore);
      await waitUntil(async () => (await devPods()) === '', 60_000, 'the dev pods to go');
      const listed = await client.request<{ sessions: unknown[] }>('devMode/list', { namespace: 'default' });
      expect(listed.sessions).toEqual([]);
    },
    150_000,
  );

  test('a stop once the session runs restores the workload as usual', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    await client.request('devMode/start', { target, localDir: projectDir('image: devmode/dev\n') });
    expect(await client.request('devMode/stop', { target })).toMatchObject({ target });
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  }, 150_000);
});

describe('two servers of the same user', () => {
  test('the second sees the session as not its own, may not stop it, and its take-over is told to the owner', async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const owner = await startClient(sandbox.env);
    const other = await startClient(sandbox.env);
    try {
      const port = await freePort();
      const yaml = `image: devmode/dev\ncommand: ["serve", "9080"]\nportForward: ["${port}:9080"]\n`;
      const started = await owner.request<{ sessionId: string; portForwards: { id: string }[] }>('devMode/start', {
        target,
        localDir: projectDir(yaml),
      });
      // A forward the owner's client started itself, which the session does not own.
      const own = await owner.request<{ id: string }>('portForward/start', { target, remotePort: 9080, localPort: 0 });

      const listed = await other.request<{ sessions: { sessionId?: string; mine: boolean }[] }>('devMode/list', {
        namespace: 'default',
      });
      expect(listed.sessions).toEqual([expect.objectContaining({ sessionId: started.sessionId, mine: false })]);
      const mine = await owner.request<{ sessions: { sessionId?: string; mine: boolean }[] }>('devMode/list', {
        namespace: 'default',
      });
      expect(mine.sessions).toEqual([expect.objectContaining({ sessionId: started.sessionId, mine: true })]);

      const refused = await other.requestError('devMode/stop', { target });
      expect(refused.code).toBe(-31011);
      expect(refused.data).toMatchObject({ reason: 'OwnedByAnotherServer', sessionId: started.sessionId });
      expect(String(refused.data?.hint)).toContain('takeOver');
      expect(String(refused.data?.hint)).toContain('devMode/reset');
      expect(await owner.request('sync/status', { sessionId: started.sessionId })).toMatchObject({
        sessionId: started.sessionId,
      });

      await other.request('devMode/stop', { target, takeOver: true });
      expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);

      // The owner notices: its session stopped, with a message, and the person is told.
      const stoppedChange = await owner.waitForNotification(
        (n) =>
          n.method === 'devMode/didChangeState' &&
          n.params.sessionId === started.sessionId &&
          n.params.state === 'stopped',
        60_000,
      );
      expect(String(stoppedChange.params.message)).toContain('ended outside this session');
      const shown = await owner.waitForNotification((n) => n.method === 'window/showMessage', 10_000);
      expect(String(shown.params.message)).toContain('ratings');
      // Its session's forward and sync are gone; the forward the client started itself is still there.
      const forwards = await owner.request<{ forwards: { id: string }[] }>('portForward/list', {});
      expect(forwards.forwards.map((forward) => forward.id)).toEqual([own.id]);
      const sync = await owner.requestError('sync/status', { sessionId: started.sessionId });
      expect(sync.code).toBe(-31021);
      const after = await owner.request<{ sessions: unknown[] }>('devMode/list', { namespace: 'default' });
      expect(after.sessions).toEqual([]);
      await owner.request('portForward/stop', { id: own.id });
    } finally {
      await other.close();
      await owner.close();
    }
  }, 180_000);

  test("a reset by the second server ends the owner's session too, and the owner says so", async () => {
    await rolledOut(sandbox, 'deployment/ratings');
    const owner = await startClient(sandbox.env);
    const other = await startClient(sandbox.env);
    try {
      const started = await owner.request<{ sessionId: string }>('devMode/start', {
        target,
        localDir: projectDir('image: devmode/dev\n'),
      });
      await other.request('devMode/reset', { target });
      await owner.waitForNotification(
        (n) =>
          n.method === 'devMode/didChangeState' &&
          n.params.sessionId === started.sessionId &&
          n.params.state === 'stopped',
        60_000,
      );
      const stop = await owner.requestError('devMode/stop', { sessionId: started.sessionId });
      expect(stop.code).toBe(-31021);
    } finally {
      await other.close();
      await owner.close();
    }
  }, 180_000);
});

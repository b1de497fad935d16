import { describe, expect, it, vi } from 'vitest';
import { KubeError } from '../kube/errors.js';
import type { ObjectClient } from '../kube/objects.js';
import {
  heartbeatSettings,
  heartbeatText,
  latest,
  readHeartbeat,
  renewalPatch,
  staleAt,
  staleness,
  startHeartbeat,
} from './heartbeat.js';
import type { KubeObject } from './objects.js';

const record = { owner: { user: 'ana', machine: 'laptop' }, startedAt: '2026-01-12T09:00:00.000Z' };
const at = (iso: string): number => Date.parse(iso);

describe('staleness', () => {
  it('is undefined while the last heartbeat is within the threshold', () => {
    expect(staleness(record, '2026-01-12T09:10:00.000Z', at('2026-01-12T09:11:00.000Z'), 60_000)).toBeUndefined();
  });

  it('says who and since when once the owner has been silent past the threshold', () => {
    expect(staleness(record, '2026-01-12T09:10:00.000Z', at('2026-01-12T09:11:00.001Z'), 60_000)).toEqual({
      user: 'ana',
      machine: 'laptop',
      since: '2026-01-12T09:10:00.000Z',
      heartbeat: true,
      thresholdSeconds: 60,
      hint: 'Its server has been silent since 2026-01-12T09:10:00.000Z. If ana@laptop is not using it any more, devMode/reset restores the workload.',
    });
  });

  it('takes the start as the last sign of life of a record written without heartbeats', () => {
    const stale = staleness(record, undefined, at('2026-01-12T09:05:00.000Z'), 60_000);
    expect(stale).toMatchObject({ since: record.startedAt, heartbeat: false });
    expect(stale?.hint).toContain('never renewed a heartbeat since DevMode started at 2026-01-12T09:00:00.000Z');
    expect(staleAt(record, undefined, 60_000)).toBe(at('2026-01-12T09:01:00.000Z') + 1);
  });
});

describe('heartbeat annotation', () => {
  const object = (text: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { 'devmode.dev/heartbeat': text } },
  });

  it('is read for its own session only', () => {
    const text = JSON.stringify({ sessionId: 's-1', at: '2026-01-12T09:10:00.000Z' });
    expect(readHeartbeat(object(text), 's-1')).toBe('2026-01-12T09:10:00.000Z');
    expect(readHeartbeat(object(text), 's-2')).toBeUndefined();
    expect(readHeartbeat(object('not json'), 's-1')).toBeUndefined();
    expect(latest('2026-01-12T09:10:00.000Z', '2026-01-12T09:09:00.000Z')).toBe('2026-01-12T09:10:00.000Z');
    expect(latest(undefined, '2026-01-12T09:09:00.000Z')).toBe('2026-01-12T09:09:00.000Z');
  });

  it('is renewed by a patch that first tests the heartbeat written last, so it never lands on a restored workload', () => {
    const previous = heartbeatText('s-1', '2026-01-12T09:10:00.000Z');
    expect(previous).toBe('{"sessionId":"s-1","at":"2026-01-12T09:10:00.000Z"}');
    expect(renewalPatch(previous, heartbeatText('s-1', '2026-01-12T09:10:15.000Z'))).toEqual([
      { op: 'test', path: '/metadata/annotations/devmode.dev~1heartbeat', value: previous },
      {
        op: 'replace',
        path: '/metadata/annotations/devmode.dev~1heartbeat',
        value: '{"sessionId":"s-1","at":"2026-01-12T09:10:15.000Z"}',
      },
    ]);
  });

  it('takes its timing from the environment, 15 s and 60 s by default', () => {
    expect(heartbeatSettings({})).toEqual({ intervalMs: 15_000, staleAfterMs: 60_000 });
    expect(heartbeatSettings({ DEVMODE_HEARTBEAT_SECONDS: '1', DEVMODE_STALE_AFTER_SECONDS: '4' })).toEqual({
      intervalMs: 1000,
      staleAfterMs: 4000,
    });
    expect(heartbeatSettings({ DEVMODE_HEARTBEAT_SECONDS: 'soon' }).intervalMs).toBe(15_000);
  });
});

describe('startHeartbeat', () => {
  const record = JSON.stringify({
    version: 1,
    kind: 'Deployment',
    name: 'web',
    namespace: 'shop',
    mode: 'replace',
    owner: { machine: 'laptop', user: 'ana' },
    sessionId: 's-1',
    startedAt: '2026-01-12T09:00:00.000Z',
    container: 'web',
    devContainer: { image: 'dev', command: ['sh', '-c', 'a && b > c'], workingDir: '/w' },
    original: { spec: {}, labels: {}, annotations: {} },
  });

  /** One Deployment, patched as an API server patches: a JSON patch's failed test is a 422. */
  function cluster() {
    const object: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        resourceVersion: '1',
        annotations: { 'devmode.dev/original': record },
      },
    };
    const writes: string[] = [];
    const objects = {
      get: () => Promise.resolve(structuredClone(object)),
      patch: (_ref: unknown, patch: unknown, type: string) => {
        const annotations = (object.metadata.annotations ??= {});
        if (type === 'json') {
          const [test, replace] = patch as { value: string }[];
          if (annotations['devmode.dev/heartbeat'] !== test?.value)
            return Promise.reject(new KubeError(422, 'Invalid', 'the server rejected our request'));
          annotations['devmode.dev/heartbeat'] = replace?.value ?? '';
          writes.push('renewal');
        } else {
          const metadata = (patch as { metadata: { resourceVersion: string; annotations: Record<string, string> } })
            .metadata;
          expect(metadata.resourceVersion).toBe(object.metadata.resourceVersion);
          Object.assign(annotations, metadata.annotations);
          writes.push('checked');
        }
        object.metadata.resourceVersion = String(Number(object.metadata.resourceVersion) + 1);
        return Promise.resolve(structuredClone(object));
      },
    } as unknown as ObjectClient;
    return { object, objects, writes };
  }

  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };

  it('writes once against the record, then renews by testing its own last heartbeat, and stops when told', async () => {
    const { object, objects, writes } = cluster();
    const stop = startHeartbeat(objects, [ref], 's-1', 20, () => undefined);
    await vi.waitFor(() => expect(writes.length).toBeGreaterThanOrEqual(3));
    await stop();
    const count = writes.length;
    expect(writes).toEqual(['checked', ...Array<string>(count - 1).fill('renewal')]);
    expect(readHeartbeat(object, 's-1')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(writes).toHaveLength(count);
  });

  it('writes nothing on a workload restored meanwhile', async () => {
    const { object, objects, writes } = cluster();
    const logged: string[] = [];
    const stop = startHeartbeat(objects, [ref], 's-1', 20, (line) => logged.push(line));
    await vi.waitFor(() => expect(writes).toContain('renewal'));
    // Someone restores the workload: the record and the heartbeat go.
    object.metadata.annotations = { 'team.example/owner': 'shop' };
    const count = writes.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stop();
    expect(object.metadata.annotations).toEqual({ 'team.example/owner': 'shop' });
    expect(writes).toHaveLength(count);
    expect(logged).toEqual([]);
  });
});

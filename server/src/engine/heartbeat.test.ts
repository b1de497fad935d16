import { describe, expect, it } from 'vitest';
import { heartbeatPatch, heartbeatSettings, latest, readHeartbeat, staleAt, staleness } from './heartbeat.js';
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

  it('is renewed by a patch that first tests the record, so it never lands on a restored workload', () => {
    expect(heartbeatPatch('{"version":1}', 's-1', '2026-01-12T09:10:00.000Z')).toEqual([
      { op: 'test', path: '/metadata/annotations/devmode.dev~1original', value: '{"version":1}' },
      {
        op: 'add',
        path: '/metadata/annotations/devmode.dev~1heartbeat',
        value: '{"sessionId":"s-1","at":"2026-01-12T09:10:00.000Z"}',
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

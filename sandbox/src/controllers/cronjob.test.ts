/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
import { afterEach, describe, expect, test } from 'vitest';
import { storeWithNamespace, waitFor } from '../kubelet/testkit.js';
import { lastScheduleBetween, nextSchedule, parseCron } from './cron.js';
import { startControllers } from './index.js';
import { isJobFinished } from './job.js';

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

describe('cron schedules', () => {
  test('parses lists, ranges, steps, names and shorthands', () => {
    const s = parseCron('*/15 9-17 * JAN,jul mon-fri');
    expect([...s.minutes]).toEqual([0, 15, 30, 45]);
    expect([...s.hours]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...s.months]).toEqual([1, 7]);
    expect([...s.weekdays]).toEqual([1, 2, 3, 4, 5]);
    expect(nextSchedule(parseCron('@hourly'), new Date('2026-01-01T10:20:00Z'))?.toISOString()).toBe(
      '2026-01-01T11:00:00.000Z',
    );
    expect(nextSchedule(parseCron('0 0 * * 0'), new Date('2026-11-26T12:00:00Z'))?.toISOString()).toBe(
      '2026-11-29T00:00:00.000Z',
    );
    expect(nextSchedule(parseCron('30 6 1 * *'), new Date('2026-11-26T12:00:00Z'))?.toISOString()).toBe(
      '2026-12-01T06:30:00.000Z',
    );
  });

  test('rejects malformed schedules with a clear message', () => {
    expect(() => parseCron('* * *')).toThrow('unparseable schedule "* * *": expected exactly 5 fields, found 3');
    expect(() => parseCron('61 * * * *')).toThrow('value "61" out of range [0, 59]');
    expect(() => parseCron('*/0 * * * *')).toThrow('bad step');
  });

  test('finds the latest scheduled minute in a window', () => {
    const s = parseCron('*/5 * * * *');
    const last = lastScheduleBetween(s, new Date('2026-01-01T10:00:00Z'), new Date('2026-01-01T10:12:30Z'));
    expect(last?.toISOString()).toBe('2026-01-01T10:10:00.000Z');
    expect(lastScheduleBetween(s, new Date('2026-01-01T10:10:00Z'), new Date('2026-01-01T10:12:30Z'))).toBeUndefined();
  });
});

describe('cronjob controller', () => {
  test('creates a job per scheduled minute, named after it, keeps history limits and honours suspend', async () => {
    const store = storeWithNamespace();
    let clock = new Date(Date.now() + 60_000);
    const controllers = startControllers(store, { nodeName: 'node-1', cronJob: { tickMs: 20, clock: () => clock } });
    stops.push(() => controllers.stop());
    store.create('cronjobs.batch', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: 'default' },
      spec: {
        schedule: '* * * * *',
        successfulJobsHistoryLimit: 1,
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
        },
      },
    });
    const minute = Math.floor(clock.getTime() / 60_000);
    const first = await waitFor('first job', () => store.get('jobs.batch', 'default', `tick-${minute}`));
    expect(first.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick', controller: true });
    await waitFor(
      'lastScheduleTime',
      () =>
        store.get('cronjobs.batch', 'default', 'tick')?.status?.lastScheduleTime ===
        new Date(minute * 60_000).toISOString().replace('.000Z', 'Z'),
    );
    expect(store.get('cronjobs.batch', 'default', 'tick')?.status.active).toEqual([
      expect.objectContaining({ name: `tick-${minute}` }),
    ]);
    // Both jobs finish; only the newest successful one is kept.
    const complete = (name: string): void => {
      const job = store.get('jobs.batch', 'default', name);
      if (job === undefined) throw new Error(`job ${name} missing`);
      job.status = {
        ...job.status,
        succeeded: 1,
        completionTime: new Date().toISOString(),
        conditions: [{ type: 'Complete', status: 'True' }],
      };
      delete job.metadata.resourceVersion;
      store.update('jobs.batch', job, { subresource: 'status' });
    };
    complete(`tick-${minute}`);
    clock = new Date(clock.getTime() + 60_000);
    await waitFor('second job', () => store.get('jobs.batch', 'default', `tick-${minute + 1}`));
    complete(`tick-${minute + 1}`);
    await waitFor('history pruned', () => store.get('jobs.batch', 'default', `tick-${minute}`) === undefined);
    expect(isJobFinished(store.get('jobs.batch', 'default', `tick-${minute + 1}`) ?? first)).toBe('Complete');
    const cj = store.get('cronjobs.batch', 'default', 'tick');
    if (cj === undefined) throw new Error('cronjob missing');
    cj.spec.suspend = true;
    delete cj.metadata.resourceVersion;
    store.update('cronjobs.batch', cj);
    clock = new Date(clock.getTime() + 120_000);
    await new Promise((r) => setTimeout(r, 150));
    expect(store.list('jobs.batch', 'default').items.map((j) => j.metadata.name)).toEqual([`tick-${minute + 1}`]);
    expect(store.list('events', 'default').items.map((e) => String(e.message))).toContain(`Created job tick-${minute}`);
  });
});

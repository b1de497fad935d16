/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The CronJob controller: creates a Job named `<cronjob>-<minutes since the epoch>` at each scheduled time
 * (checked every few seconds), honours `suspend`, `concurrencyPolicy` and `startingDeadlineSeconds`, records
 * lastScheduleTime/lastSuccessfulTime and the active jobs, and prunes finished jobs beyond the history limits.
 */
import type { KubeObject } from '../contracts.js';
import { parseCron, lastScheduleBetween, CronSyntaxError } from './cron.js';
import { isJobFinished } from './job.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';
import { controllerOf, controllerRef, ignoreNotFound, isControlledBy, now, writeStatus } from './util.js';

export interface CronJobOptions {
  /** How often schedules are checked (default 5 s). */
  tickMs?: number;
  /** The clock, replaceable in tests. */
  clock?: () => Date;
}

export function startCronJobController(ctx: ControllerContext, options: CronJobOptions = {}): StopFn {
  const { store } = ctx;
  const clock = options.clock ?? (() => new Date());
  const events = ctx.recorder('cronjob-controller');
  const reconcile = (namespace: string | undefined, name: string): void => {
    const cj = store.get('cronjobs.batch', namespace, name);
    if (cj === undefined) return;
    const jobs = store.list('jobs.batch', namespace).items.filter((j) => isControlledBy(j, cj.metadata.uid));
    const active = jobs.filter((j) => isJobFinished(j) === undefined);
    const status = { ...((cj.status ?? {}) as Record<string, unknown>) };
    const at = clock();
    const createdAt = new Date(cj.metadata.creationTimestamp ?? at.toISOString());
    const last = typeof status.lastScheduleTime === 'string' ? new Date(status.lastScheduleTime) : createdAt;
    let schedule;
    try {
      schedule = parseCron(String(cj.spec?.schedule ?? ''));
    } catch (error) {
      if (!(error instanceof CronSyntaxError)) throw error;
      events.emit(cj, 'Warning', 'UnparseableSchedule', error.message);
      return;
    }
    const due = cj.spec?.suspend === true ? undefined : lastScheduleBetween(schedule, last, at);
    const deadline = Number(cj.spec?.startingDeadlineSeconds ?? 0);
    const tooLate = due !== undefined && deadline > 0 && due.getTime() + deadline * 1000 < at.getTime();
    if (due !== undefined && !tooLate) {
      const policy = String(cj.spec?.concurrencyPolicy ?? 'Allow');
      if (policy === 'Forbid' && active.length > 0) {
        events.emit(
          cj,
          'Normal',
          'JobAlreadyActive',
          'Not starting job because prior execution is running and concurrency policy is Forbid',
        );
      } else {
        if (policy === 'Replace') {
          for (const job of active) {
            ignoreNotFound(() => store.delete('jobs.batch', job.metadata.namespace, job.metadata.name));
            events.emit(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
          }
        }
        const jobName = `${cj.metadata.name}-${Math.floor(due.getTime() / 60_000)}`;
        if (store.get('jobs.batch', namespace, jobName) === undefined) {
          const template = (cj.spec?.jobTemplate ?? {}) as { metadata?: KubeObject['metadata']; spec?: unknown };
          const job = store.create('jobs.batch', {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: {
              name: jobName,
              namespace,
              labels: { ...(template.metadata?.labels ?? {}) },
              annotations: {
                ...(template.metadata?.annotations ?? {}),
                'batch.kubernetes.io/cronjob-scheduled-timestamp': due.toISOString().replace(/\.\d+Z$/, 'Z'),
              },
              ownerReferences: [controllerRef(cj)],
            },
            spec: structuredClone(template.spec ?? {}),
          });
          jobs.push(job);
          events.emit(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
        }
      }
      status.lastScheduleTime = now(due);
    } else if (tooLate && due !== undefined) {
      status.lastScheduleTime = now(due);
    }
    prune(jobs, Number(cj.spec?.successfulJobsHistoryLimit ?? 3), 'Complete');
    prune(jobs, Number(cj.spec?.failedJobsHistoryLimit ?? 1), 'Failed');
    const remaining = store.list('jobs.batch', namespace).items.filter((j) => isControlledBy(j, cj.metadata.uid));
    const stillActive = remaining.filter((j) => isJobFinished(j) === undefined);
    status.active = stillActive.map((j) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: j.metadata.name,
      namespace: j.metadata.namespace,
      uid: j.metadata.uid,
      resourceVersion: j.metadata.resourceVersion,
    }));
    if (stillActive.length === 0) delete status.active;
    const lastSuccess = remaining
      .filter((j) => isJobFinished(j) === 'Complete')
      .map((j) => String(j.status?.completionTime ?? ''))
      .sort()
      .pop();
    if (lastSuccess) status.lastSuccessfulTime = lastSuccess;
    writeStatus(store, 'cronjobs.batch', cj, status);

    function prune(all: KubeObject[], limit: number, kind: 'Complete' | 'Failed'): void {
      const finished = all
        .filter((j) => isJobFinished(j) === kind)
        .sort(
          (a, b) =>
            (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
            a.metadata.name.localeCompare(b.metadata.name),
        );
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
        ignoreNotFound(() => store.delete('jobs.batch', job.metadata.namespace, job.metadata.name));
        events.emit(cj as KubeObject, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
      }
    }
  };
  const queue = new WorkQueue('cronjob-controller', reconcile);
  const unwatch = [
    watchAll(store, 'cronjobs.batch', (e) => queue.add(e.object.metadata.namespace, e.object.metadata.name)),
    watchAll(store, 'jobs.batch', (e) => {
      const owner = controllerOf(e.object, 'CronJob');
      if (owner !== undefined) queue.add(e.object.metadata.namespace, owner);
    }),
  ];
  enqueueAll(store, 'cronjobs.batch', queue);
  const timer = setInterval(() => enqueueAll(store, 'cronjobs.batch', queue), options.tickMs ?? 5000);
  return () => {
    clearInterval(timer);
    queue.stop();
    unwatch.forEach((u) => u());
  };
}

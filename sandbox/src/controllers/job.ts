/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The Job controller: runs pods until `completions` succeeded (at most `parallelism` at a time), counts
 * failures (pod failures and, with restartPolicy OnFailure, container restarts) against `backoffLimit`, and
 * sets the Complete or Failed condition. `suspend` and `activeDeadlineSeconds` are honoured.
 */
import type { KubeObject } from '../contracts.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';
import { ownedPods, podFromTemplate } from './replicaset.js';
import { controllerOf, deletePod, isPodActive, isPodReady, now, randomSuffix, writeStatus } from './util.js';

interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

export function isJobFinished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const conditions = (job.status?.conditions ?? []) as JobCondition[];
  const done = conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  return done?.type as 'Complete' | 'Failed' | undefined;
}

function restarts(pod: KubeObject): number {
  return ((pod.status?.containerStatuses ?? []) as { restartCount?: number }[]).reduce(
    (n, c) => n + (c.restartCount ?? 0),
    0,
  );
}

export function startJobController(ctx: ControllerContext): StopFn {
  const { store } = ctx;
  const events = ctx.recorder('job-controller');
  const reconcile = (namespace: string | undefined, name: string): void => {
    const job = store.get('jobs.batch', namespace, name);
    if (job === undefined || isJobFinished(job) !== undefined) return;
    const completions =
      job.spec?.completions === undefined || job.spec.completions === null ? undefined : Number(job.spec.completions);
    const parallelism = Number(job.spec?.parallelism ?? 1);
    const backoffLimit = Number(job.spec?.backoffLimit ?? 6);
    const pods = ownedPods(store, job);
    const active = pods.filter(isPodActive);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failedPods = pods.filter((p) => p.status?.phase === 'Failed').length;
    const onFailure = job.spec?.template?.spec?.restartPolicy === 'OnFailure';
    const failed = failedPods + (onFailure ? active.reduce((n, p) => n + restarts(p), 0) : 0);
    const startTime = (job.status?.startTime as string | undefined) ?? now();
    const conditions = structuredClone((job.status?.conditions ?? []) as JobCondition[]);
    const finish = (type: 'Complete' | 'Failed', reason?: string, message?: string): void => {
      const timestamp = now();
      conditions.push({
        type,
        status: 'True',
        ...(reason ? { reason, message } : {}),
        lastProbeTime: timestamp,
        lastTransitionTime: timestamp,
      });
      for (const pod of active) deletePod(store, pod);
    };
    const deadline = Number(job.spec?.activeDeadlineSeconds ?? 0);
    const done = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions;
    if (done) {
      finish('Complete');
      events.emit(job, 'Normal', 'Completed', 'Job completed');
    } else if (failed > backoffLimit) {
      finish('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      events.emit(job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    } else if (deadline > 0 && Date.parse(startTime) + deadline * 1000 <= Date.now()) {
      finish('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      events.emit(job, 'Warning', 'DeadlineExceeded', 'Job was active longer than specified deadline');
    } else if (job.spec?.suspend === true) {
      for (const pod of active) deletePod(store, pod);
    } else {
      const remaining = completions === undefined ? (succeeded > 0 ? 0 : parallelism) : completions - succeeded;
      const want = Math.min(parallelism, remaining) - active.length;
      for (let i = 0; i < want; i++) {
        const pod = podFromTemplate(job, `${job.metadata.name}-${randomSuffix()}`, {
          'batch.kubernetes.io/controller-uid': job.metadata.uid ?? '',
          'batch.kubernetes.io/job-name': job.metadata.name,
          'controller-uid': job.metadata.uid ?? '',
          'job-name': job.metadata.name,
        });
        const created = store.create('pods', pod);
        events.emit(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      }
      if (deadline > 0) queue.add(namespace, name, 1000);
    }
    const finished = isJobFinished({ ...job, status: { conditions } });
    const stillActive = finished ? 0 : ownedPods(store, job).filter(isPodActive).length;
    writeStatus(store, 'jobs.batch', job, {
      ...(job.status ?? {}),
      startTime,
      active: stillActive,
      ready: finished ? 0 : ownedPods(store, job).filter((p) => isPodActive(p) && isPodReady(p)).length,
      succeeded,
      failed,
      terminating: 0,
      conditions,
      ...(finished === 'Complete' ? { completionTime: now() } : {}),
      uncountedTerminatedPods: {},
    });
  };
  const queue = new WorkQueue('job-controller', reconcile);
  const unwatch = [
    watchAll(store, 'jobs.batch', (e) => queue.add(e.object.metadata.namespace, e.object.metadata.name)),
    watchAll(store, 'pods', (e) => {
      const owner = controllerOf(e.object, 'Job');
      if (owner !== undefined) queue.add(e.object.metadata.namespace, owner);
    }),
  ];
  enqueueAll(store, 'jobs.batch', queue);
  return () => {
    queue.stop();
    unwatch.forEach((u) => u());
  };
}

import type { KubeObject, ObjectClient } from '../kube/objects.js';
import { EngineError } from './engineError.js';
import { sessionLabel } from './objects.js';
import { UnschedulableJudge } from './scheduling.js';

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode?: number; reason?: string; message?: string };
  };
  lastState?: { terminated?: { exitCode?: number; reason?: string; message?: string } };
}

interface PodStatus {
  phase?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: ContainerStatus[];
}

export interface WaitForDevPodOptions {
  namespace: string;
  /** The label selector of the dev workload's pods. */
  selector: string;
  sessionId: string;
  container: string;
  /** Further containers in DevMode (`containers.<name>.dev`): the pod counts as started once all of them run. */
  addedContainers?: string[];
  timeoutMs: number;
  signal: AbortSignal;
  /** Called with each new, human-readable status line (deduplicated). */
  onStatus: (message: string) => void;
}

/** How long the dev container must keep running before the start counts as done. */
const settleMs = 300;

/** Reasons a container can wait for that will not fix themselves: fail at once with the cluster's explanation. */
const imagePullReasons = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const fatalReasons = new Set([
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/**
 * A container state of `pod` that will not clear without someone acting (an image that cannot be pulled, a crash
 * loop, a container the runtime cannot create), as "<reason> (<message>)"; undefined when there is none.
 */
export function lastingContainerTrouble(pod: KubeObject): string | undefined {
  const statuses = ((pod.status ?? {}) as PodStatus).containerStatuses ?? [];
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting?.reason === undefined) continue;
    if (!imagePullReasons.has(waiting.reason) && !fatalReasons.has(waiting.reason)) continue;
    return `container ${status.name} is in ${waiting.reason}${waiting.message !== undefined ? ` (${waiting.message})` : ''}`;
  }
  return undefined;
}

/**
 * Waits for the pod of this DevMode session to run its dev container. Fails fast, with the reason from the pod's
 * status and events, when the image cannot be pulled, the container crash-loops, or no node can run the pod and
 * nothing is on its way to change that (scheduling.ts); reports other problems (volumes, a scheduling that may
 * still clear) as status lines and includes the last of them in the timeout error.
 */
export function waitForDevPod(objects: ObjectClient, options: WaitForDevPodOptions): Promise<KubeObject> {
  return new Promise((resolve, reject) => {
    let lastStatus = 'waiting for the dev pod to be created';
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      judge.dispose();
      stopWatch();
      clearTimeout(timer);
      clearTimeout(candidate?.timer);
      options.signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const report = (message: string): void => {
      if (message === lastStatus) return;
      lastStatus = message;
      options.onStatus(message);
    };
    const onAbort = (): void =>
      finish(() => reject(new EngineError('RequestCancelled', 'DevMode start was cancelled')));
    options.signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => {
      finish(() =>
        reject(
          new EngineError(
            'Timeout',
            `The dev pod did not start within ${Math.round(options.timeoutMs / 1000)} s: ${lastStatus}`,
            {
              reason: lastStatus,
              retryable: true,
              hint: 'Check the pod events (the reason above) or raise startTimeoutSeconds in devmode.yaml.',
            },
          ),
        ),
      );
    }, options.timeoutMs);

    // The replaced pods hold their node's resources (and volumes) until they are gone: while any is being deleted,
    // a dev pod the scheduler cannot place yet may still fit.
    const terminating = new Set<string>();
    const judge = new UnschedulableJudge(
      objects,
      (pod, message) =>
        finish(() =>
          reject(
            new EngineError('PodNotStarted', `The dev pod cannot be scheduled: ${message}`, {
              pod: pod.metadata.name,
              reason: 'Unschedulable',
              hint: "No node can run the dev pod. Check the nodes (kubectl get nodes), their taints and free resources, and the workload's nodeSelector, affinity, tolerations and resource requests.",
            }),
          ),
        ),
      () => terminating.size > 0,
    );
    let candidate: { pod: string; restarts: number; timer: NodeJS.Timeout } | undefined;
    const examine = (pod: KubeObject): void => {
      if (settled) return;
      if (pod.metadata.deletionTimestamp !== undefined) {
        terminating.add(pod.metadata.name);
        judge.forget(pod.metadata.name);
        return;
      }
      if (
        pod.metadata.annotations?.[sessionLabel] !== options.sessionId &&
        pod.metadata.labels?.[sessionLabel] !== options.sessionId
      )
        return;
      judge.observe(pod);
      const status = (pod.status ?? {}) as PodStatus;
      const names = [options.container, ...(options.addedContainers ?? [])];
      const containers = names.map((name) => ({
        name,
        status: status.containerStatuses?.find((candidate) => candidate.name === name),
      }));
      if (status.phase === 'Running' && containers.every(({ status: each }) => each?.state?.running !== undefined)) {
        // A dev command that exits at once (a typo, a missing program) is Running for a moment first; only
        // containers still running, without a restart, after a short settling time count as started.
        const restarts = containers.reduce((sum, { status: each }) => sum + (each?.restartCount ?? 0), 0);
        if (candidate?.pod !== pod.metadata.name || candidate.restarts !== restarts) {
          clearTimeout(candidate?.timer);
          candidate = {
            pod: pod.metadata.name,
            restarts,
            timer: setTimeout(() => finish(() => resolve(pod)), settleMs),
          };
        }
        return;
      }
      if (candidate?.pod === pod.metadata.name) {
        clearTimeout(candidate.timer);
        candidate = undefined;
      }
      for (const { name, status: container } of containers) {
        const what = names.length > 1 ? `dev container ${name}` : 'dev container';
        if (failed(pod, container, what)) return;
      }
      const waiting = containers.find(({ status: each }) => each?.state?.running === undefined)?.status?.state?.waiting;
      const unscheduled = status.conditions?.find(
        (condition) => condition.type === 'PodScheduled' && condition.status === 'False',
      );
      if (unscheduled !== undefined) {
        report(
          `pod ${pod.metadata.name} cannot be scheduled: ${unscheduled.message ?? unscheduled.reason ?? 'unknown reason'}`,
        );
        return;
      }
      report(
        `pod ${pod.metadata.name}: ${waiting?.reason ?? status.phase ?? 'Pending'}${waiting?.message !== undefined ? ` (${waiting.message})` : ''}`,
      );
    };
    /** Fails the wait when a dev container cannot start by itself; true when it did. */
    const failed = (pod: KubeObject, container: ContainerStatus | undefined, what: string): boolean => {
      const waiting = container?.state?.waiting;
      if (waiting?.reason !== undefined && imagePullReasons.has(waiting.reason)) {
        void explainPod(objects, pod, waiting.message).then((why) =>
          finish(() =>
            reject(
              new EngineError(
                'ImagePullFailed',
                `The ${what === 'dev container' ? 'dev image' : `image of the ${what}`} could not be pulled: ${why}`,
                {
                  pod: pod.metadata.name,
                  reason: waiting.reason,
                  hint: 'Check the image name in devmode.yaml, that the cluster can reach its registry, and imagePullSecrets.',
                },
              ),
            ),
          ),
        );
        return true;
      }
      const startError = [container?.state?.terminated, container?.lastState?.terminated].find(
        (state) =>
          state?.reason === 'StartError' ||
          /executable file not found|no such file or directory/.test(state?.message ?? ''),
      );
      if (startError !== undefined) {
        const missing = /exec: "([^"]+)"/.exec(startError.message ?? '')?.[1];
        finish(() =>
          reject(
            new EngineError(
              'MissingTool',
              `The ${what === 'dev container' ? 'dev image' : `image of the ${what}`} cannot run the dev command${missing !== undefined ? `: ${missing} is not in the image` : ''} (${startError.message ?? 'StartError'})`,
              {
                pod: pod.metadata.name,
                ...(missing !== undefined ? { tool: missing } : {}),
                hint: 'Use a dev image that has the program, or set `command` in devmode.yaml to one the image has (the default needs /bin/sh).',
              },
            ),
          ),
        );
        return true;
      }
      if (waiting?.reason !== undefined && fatalReasons.has(waiting.reason)) {
        const last = container?.lastState?.terminated;
        const exit =
          last === undefined
            ? ''
            : ` (last exit code ${last.exitCode ?? '?'}${last.reason !== undefined ? `, ${last.reason}` : ''})`;
        void explainPod(objects, pod, waiting.message).then((why) =>
          finish(() =>
            reject(
              new EngineError('PodNotStarted', `The ${what} is in ${waiting.reason}${exit}: ${why}`, {
                pod: pod.metadata.name,
                reason: waiting.reason,
                hint: 'The dev command exits at once: check `command` in devmode.yaml and the pod logs.',
              }),
            ),
          ),
        );
        return true;
      }
      return false;
    };
    const stopWatch = objects.watch(
      'v1',
      'Pod',
      options.namespace,
      { labelSelector: options.selector },
      (type, pod) => {
        if (type !== 'DELETED') return examine(pod);
        terminating.delete(pod.metadata.name);
        judge.forget(pod.metadata.name);
      },
    );
  });
}

/** The most telling explanation for a pod's trouble: its latest Warning event, else the container's message. */
export async function explainPod(
  objects: ObjectClient,
  pod: KubeObject,
  fallback: string | undefined,
): Promise<string> {
  try {
    const events = await objects.list('v1', 'Event', pod.metadata.namespace);
    const warnings = events
      .map(
        (event) =>
          event as {
            involvedObject?: { name?: string; kind?: string };
            type?: string;
            message?: string;
            lastTimestamp?: string;
            eventTime?: string;
          },
      )
      .filter(
        (event) =>
          event.involvedObject?.kind === 'Pod' &&
          event.involvedObject.name === pod.metadata.name &&
          event.type === 'Warning',
      );
    warnings.sort((a, b) => (a.lastTimestamp ?? a.eventTime ?? '').localeCompare(b.lastTimestamp ?? b.eventTime ?? ''));
    // The kubelet's "Failed to pull image ..." names the image and the registry's answer; later back-off events
    // only repeat the reason.
    const pullFailure = warnings.filter((event) => event.message?.startsWith('Failed to pull image') === true).at(-1);
    const latest = pullFailure?.message ?? warnings.at(-1)?.message;
    if (latest !== undefined) return latest;
  } catch {
    // Events are an explanation, not a requirement: a user who may not list them still gets the status message.
  }
  return fallback ?? 'no reason given by the cluster';
}

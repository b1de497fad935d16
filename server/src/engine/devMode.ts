/**
 * The DevMode lifecycle: start (record, rewrite, wait for the dev pod), stop and reset (restore from the record).
 * What DevMode changes is planned by the pure functions of devModePatch.ts; this file only performs the API calls,
 * in an order that a crash at any point leaves something `reset` can restore: the original is recorded in the
 * cluster before anything else is touched, and every later step can be undone from that record alone.
 */
import type { DevModePhase, DevModeState, Target } from '@devmode/protocol';
import { statSync } from 'node:fs';
import type { ClusterClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import { workloadApiVersions } from '../kube/resources.js';
import type { KubeObject, ObjectClient, ObjectRef } from '../kube/objects.js';
import type { Clusters } from './clusters.js';
import {
  annotationDevConfig,
  DevConfigError,
  loadDevConfigFile,
  validateDevConfig,
  type EffectiveDevConfig,
} from './devConfig.js';
import { devContainerSet, type DevConfigSources, type DevContainer, type DevContainerSet } from './devContainers.js';
import {
  DevModePlanError,
  foreignChanges,
  generatedDeploymentName,
  planDevMode,
  planRestore,
  podContainerNames,
  readRecord,
  type DevModeKind,
  type DevModeMode,
  type DevModeRecord,
} from './devModePatch.js';
import { lastingContainerTrouble, waitForDevPod } from './devPod.js';
import { EngineError } from './engineError.js';
import { failpoint } from './failpoints.js';
import { clampHpas, listHpas, restoreHpas } from './hpa.js';
import { abandonedByOwner, currentOwner, sameOwner, type Owner } from './identity.js';
import { retryOnConflict, type PhaseStep } from './phases.js';
import { generatedForLabel, sessionLabel } from './objects.js';
import { UnschedulableJudge } from './scheduling.js';

export type WorkloadTarget = Target;
export type { DevModePhase, DevModeState };

/** What the engine reports while it works; the handler turns it into `$/progress` and notifications. */
export interface DevModeReporter {
  progress(phase: DevModePhase, message: string, percentage?: number): void;
}

export interface DevModeStateChange {
  sessionId?: string;
  target: WorkloadTarget;
  state: DevModeState;
  phase?: DevModePhase;
  message?: string;
  error?: EngineError;
}

/**
 * The longest stop and reset wait for the restored workload's pods to be ready before answering that they are not
 * (pods that can never become ready are reported at once, see `waitForRestored`).
 */
const restoreWaitMs = 120_000;

/** What `reset` did: the sessions it ended, and why the workload's pods are not ready when they are not. */
export interface ResetOutcome {
  endedSessions: string[];
  podsNotReady?: string;
}

/** A workload as read, with the records of every DevMode on it (on itself and on Deployments generated for it). */
interface Lookup {
  workload: KubeObject | undefined;
  records: DevModeRecord[];
}

/** What `stop` restores: the records `stoppable` allowed, and the workload as it read it. */
export type StopPlan = Lookup;

/** What a successful start leaves running on the cluster. */
export interface StartedWorkload {
  target: WorkloadTarget;
  /** The workload whose pod is the dev pod: the target itself, or the Deployment generated for it. */
  devWorkload: WorkloadTarget;
  pod: string;
  /** The resourceVersion at which the start saw the dev pod running: the record's watch starts there. */
  observedAt?: string;
  container: string;
  config: EffectiveDevConfig;
  /** Every container in DevMode, the target container first, each with its config and its local sync folder. */
  devContainers: DevContainer[];
  startedAt: string;
}

export interface StartRequest {
  target: WorkloadTarget;
  localDir: string;
  mode: DevModeMode;
  config?: unknown;
  timeoutSeconds?: number;
}

/** One run of `devMode/start` on the cluster: its input, and its result once the `waitPod` step is done. */
export interface WorkloadStart {
  request: StartRequest;
  sessionId: string;
  reporter: DevModeReporter;
  signal: AbortSignal;
  result?: StartedWorkload;
}

function workloadRef(target: { namespace: string; kind: DevModeKind; name: string }): ObjectRef {
  return {
    apiVersion: workloadApiVersions[target.kind],
    kind: target.kind,
    namespace: target.namespace,
    name: target.name,
  };
}

function deploymentRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
}

/**
 * The cluster side of DevMode: the steps that start it, and stop and reset. It keeps no sessions: the session
 * registry (sessionRegistry.ts) owns them and runs these steps.
 */
export class DevModeEngine {
  private readonly owner: Owner = currentOwner();

  public constructor(
    private readonly clusters: Clusters,
    private readonly onStateChange: (change: DevModeStateChange) => void,
  ) {}

  /**
   * The steps of `devMode/start` on the cluster, for the session registry to run with its own (port-forward, sync)
   * after them. The steps fill `start.result`; the undo of the first step that touched the cluster restores the
   * workload from its record, so a failure or a cancellation at any later step leaves the workload as it was.
   */
  public startSteps(start: WorkloadStart): PhaseStep[] {
    const { request, sessionId, reporter } = start;
    const { target } = request;
    let cluster: ClusterClient | undefined;
    let workload: KubeObject | undefined;
    let config: EffectiveDevConfig | undefined;
    let containers: DevContainerSet | undefined;
    let plan: ReturnType<DevModeEngine['plan']> | undefined;
    // The workload as the record's write left it, and the namespace's HPAs, read while that write is on its way:
    // the next steps start from them instead of asking again, one round trip each less to a distant cluster.
    let recorded: KubeObject | undefined;
    let hpas: Promise<KubeObject[]> | undefined;
    let restored = false;
    const rollback = async (): Promise<void> => {
      if (restored || cluster === undefined) return;
      restored = true;
      await this.restore(cluster, target, { sessionId, wait: false, force: true }, reporter);
    };
    const need = <T>(value: T | undefined): T => {
      if (value === undefined) throw new Error('DevMode start steps ran out of order');
      return value;
    };
    return [
      {
        phase: 'loadConfig',
        run: async () => {
          checkLocalDir(request.localDir);
          cluster = await this.clusters.client(target.context);
          reporter.progress('loadConfig', `Reading ${target.kind} ${target.name} and the dev config`, 0);
          workload = await cluster.objects.get(workloadRef(target));
          if (workload === undefined) throw notFound(target, cluster);
          const existing = this.recordOf(workload);
          if (existing !== undefined && request.mode === 'replace') {
            if (!sameOwner(existing.owner, this.owner)) throw alreadyInDevMode(target, existing);
            throw new EngineError(
              'AlreadyInDevMode',
              `${target.kind} ${target.name} is already in DevMode, started by you (session ${existing.sessionId})`,
              {
                owner: existing.owner,
                hint: 'Stop that session (devMode/stop) or reset the workload (devMode/reset), then start again.',
              },
            );
          }
          containers = this.loadConfig(request, workload);
          config = containers.target.config;
          plan = this.plan(workload, target, containers, request.mode, sessionId);
        },
      },
      {
        // The record goes into the cluster before anything else changes; from here on, undo is a restore.
        phase: 'replaceImage',
        run: async () => {
          const objects = need(cluster).objects;
          if (request.mode === 'replace' && (target.kind === 'Deployment' || target.kind === 'StatefulSet')) {
            hpas = listHpas(objects, target.namespace);
            // Awaited by the next step; a failure of this step must not leave its rejection unheard meanwhile.
            hpas.catch(() => undefined);
          }
          if (need(plan).recordPatch === undefined) return;
          let first = true;
          // The record carries the resourceVersion read, so a concurrent write (often a controller updating status)
          // is a conflict: read again and record what is there now, unless someone else started DevMode meanwhile.
          await retryOnConflict(
            async () => {
              if (first) {
                first = false;
                return need(workload);
              }
              const current = await objects.get(workloadRef(target));
              if (current === undefined) throw notFound(target, need(cluster));
              const other = this.recordOf(current);
              if (other !== undefined) throw alreadyInDevMode(target, other);
              plan = this.plan(current, target, need(containers), request.mode, sessionId);
              return current;
            },
            async (current) => {
              recorded = await this.recordOriginal(objects, current, need(plan).recordPatch?.patch ?? {});
            },
          );
          failpoint('start:afterRecord');
        },
        undo: rollback,
      },
      {
        phase: 'replaceImage',
        run: async () => {
          const objects = need(cluster).objects;
          const current = need(plan);
          if (request.mode === 'replace' && (target.kind === 'Deployment' || target.kind === 'StatefulSet')) {
            const clamped = await clampHpas(objects, target.namespace, target.kind, target.name, hpas);
            if (clamped.length > 0)
              reporter.progress('replaceImage', `Pinned HorizontalPodAutoscaler ${clamped.join(', ')} to one replica`);
            failpoint('start:afterHpa');
          }
          for (const claim of current.pvcs) {
            const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: target.namespace };
            if ((await objects.get({ ...ref, name: claim.metadata.name })) === undefined) await objects.create(claim);
          }
          reporter.progress(
            'replaceImage',
            `Replacing the image of container ${current.container} with ${current.record.devContainer.image}`,
            20,
          );
          for (const added of current.record.addedContainers ?? []) {
            reporter.progress(
              'replaceImage',
              `Replacing the image of container ${added.container} with ${added.image}`,
            );
          }
          if (current.parkPatch !== undefined) {
            await objects.patch(current.parkPatch.target, current.parkPatch.patch, current.parkPatch.type);
            failpoint('start:afterPark');
          }
        },
      },
      {
        phase: 'restartPod',
        run: async () => {
          const objects = need(cluster).objects;
          const current = need(plan);
          reporter.progress('restartPod', describeRestart(target, request.mode), 40);
          if (current.devObjectAction === 'create') {
            await this.createOrReplace(objects, current.devObject);
          } else {
            await this.updateWithRetry(
              objects,
              workloadRef(target),
              (live) => {
                const replanned = this.plan(withoutRecord(live), target, need(containers), request.mode, sessionId);
                return replanned.devObject;
              },
              recorded,
            );
          }
          failpoint('start:afterApply');
          if (current.deleteOriginalPod) await objects.delete(workloadRef(target), { gracePeriodSeconds: 0 });
          if (current.needsPodDeletion) await this.deleteWorkloadPods(objects, target, current.devObject);
        },
        // Also covers the modes that record nothing on the workload (the record is on the generated Deployment).
        undo: rollback,
      },
      {
        phase: 'waitPod',
        run: async () => {
          const current = need(plan);
          const effective = need(config);
          reporter.progress('waitPod', 'Waiting for the dev pod to start', 60);
          const pod = await waitForDevPod(need(cluster).objects, {
            namespace: target.namespace,
            selector: selectorOf(current.devObject),
            sessionId,
            container: current.container,
            addedContainers: (current.record.addedContainers ?? []).map((added) => added.container),
            timeoutMs: (request.timeoutSeconds ?? effective.startTimeoutSeconds) * 1000,
            signal: start.signal,
            onStatus: (message) => reporter.progress('waitPod', message),
          });
          failpoint('start:afterPodReady');
          start.result = {
            target: { ...target, container: current.container },
            devWorkload: {
              ...(target.context !== undefined ? { context: target.context } : {}),
              namespace: target.namespace,
              kind: current.devObject.kind as DevModeKind,
              name: current.devObject.metadata.name,
              container: current.container,
            },
            pod: pod.metadata.name,
            ...(pod.metadata.resourceVersion !== undefined ? { observedAt: pod.metadata.resourceVersion } : {}),
            container: current.container,
            config: effective,
            devContainers: [need(containers).target, ...need(containers).added],
            startedAt: current.record.startedAt,
          };
          reporter.progress(
            'waitPod',
            `Dev container ${current.container} is running in pod ${pod.metadata.name}`,
            100,
          );
        },
      },
    ];
  }

  /**
   * The records a stop may restore: the session's (or, without one, an abandoned session's of this user, or with
   * `takeOver` any session's). Refuses, with a named error, when there is none or someone else changed the workload.
   */
  public async stoppable(
    target: WorkloadTarget,
    owned: { sessionId: string } | { takeOver: boolean },
  ): Promise<StopPlan> {
    const cluster = await this.clusters.client(target.context);
    const { records, workload } = await this.lookUp(cluster.objects, target);
    const mine = records.filter((record) =>
      'sessionId' in owned
        ? record.sessionId === owned.sessionId
        : owned.takeOver || abandonedByOwner(record.owner, this.owner),
    );
    if (mine.length === 0) {
      const other = records[0];
      if (other !== undefined && sameOwner(other.owner, this.owner) && !('sessionId' in owned)) {
        throw new EngineError(
          'AlreadyInDevMode',
          `${target.kind} ${target.name} is in DevMode by another devmode server of yours (session ${other.sessionId}, started ${other.startedAt})`,
          {
            owner: other.owner,
            sessionId: other.sessionId,
            reason: 'OwnedByAnotherServer',
            hint: 'Stop it from the editor or terminal that started it, or take it over: devMode/stop with "takeOver": true, or devMode/reset.',
          },
        );
      }
      if (other !== undefined) throw alreadyInDevMode(target, other);
      throw new EngineError('NotInDevMode', `${target.kind} ${target.name} is not in DevMode`, {
        hint: 'Nothing to stop. devMode/list shows the workloads in DevMode.',
      });
    }
    for (const record of mine) await this.refuseForeignChanges(cluster.objects, target, record, workload);
    return { records: mine, workload };
  }

  /**
   * Restores the workload from the records `stoppable` returned, and waits until it has rolled out again; resolves
   * with why its pods are not ready when they cannot become so (see `waitForRestored`).
   */
  public async stop(target: WorkloadTarget, plan: StopPlan, reporter: DevModeReporter): Promise<string | undefined> {
    const cluster = await this.clusters.client(target.context);
    let podsNotReady: string | undefined;
    // What `stoppable` read serves the first restore; each restore changes the workload, so later ones read again.
    let known: Lookup | undefined = { records: plan.records, workload: plan.workload };
    for (const record of plan.records) {
      const options = { sessionId: record.sessionId, wait: true, force: false };
      podsNotReady = (await this.restore(cluster, target, options, reporter, known)) ?? podsNotReady;
      known = undefined;
    }
    return podsNotReady;
  }

  /** Waits (bounded) until the pods of a rolled-back session are gone and the workload has rolled out again. */
  public async waitUntilRestored(
    target: WorkloadTarget,
    sessionId: string,
    reporter: DevModeReporter,
  ): Promise<string | undefined> {
    const cluster = await this.clusters.client(target.context);
    return this.waitForRestored(cluster.objects, target, sessionId, reporter);
  }

  /**
   * Watches the object that holds a running session's record; `onEnded` is called once when the record is gone
   * or belongs to another session (someone restored the workload), so the session's owner can stop its parts.
   */
  public async watchRecord(
    devWorkload: WorkloadTarget,
    sessionId: string,
    observedAt: string | undefined,
    onEnded: (reason: string) => void,
  ): Promise<() => void> {
    const cluster = await this.clusters.client(devWorkload.context);
    const ref = workloadRef(devWorkload);
    let ended = false;
    return cluster.objects.watch(
      ref.apiVersion,
      ref.kind,
      devWorkload.namespace,
      {
        fieldSelector: `metadata.name=${devWorkload.name}`,
        // The start has just seen the session running: only what changed since matters, so no list first.
        ...(observedAt !== undefined ? { resourceVersion: observedAt } : {}),
      },
      (type, object) => {
        if (ended) return;
        let recorded: string | undefined;
        try {
          recorded = readRecord(object)?.sessionId;
        } catch {
          return;
        }
        if (type === 'DELETED') {
          ended = true;
          onEnded(`${devWorkload.kind} ${devWorkload.name} was deleted`);
        } else if (recorded !== sessionId) {
          ended = true;
          onEnded(
            `${devWorkload.kind} ${devWorkload.name} was restored by someone else (another devmode server or devMode/reset)`,
          );
        }
      },
    );
  }

  /**
   * Stop writes the recorded original back; if someone else changed the dev workload meanwhile, doing so would
   * silently drop their change. Report it instead; reset is the explicit way to restore anyway.
   */
  private async refuseForeignChanges(
    objects: ObjectClient,
    target: WorkloadTarget,
    record: DevModeRecord,
    workload: KubeObject | undefined,
  ): Promise<void> {
    const holder =
      record.mode === 'replace' && (record.kind === 'Deployment' || record.kind === 'StatefulSet')
        ? workload
        : await objects.get(deploymentRef(target.namespace, generatedDeploymentName(record)));
    if (holder === undefined) return;
    const changes = foreignChanges({ current: holder, record, sessionId: record.sessionId });
    if (changes.length === 0) return;
    throw new EngineError(
      'WorkloadConflict',
      `${target.kind} ${target.name} was changed by someone else during DevMode: ${changes.join('; ')}`,
      {
        changes,
        hint: 'Stopping would overwrite that change. devMode/reset restores the recorded original anyway.',
      },
    );
  }

  /** Restores a workload from what is recorded in the cluster alone, whoever started DevMode and whatever state it is in. */
  public async reset(target: WorkloadTarget, reporter: DevModeReporter): Promise<ResetOutcome> {
    const cluster = await this.clusters.client(target.context);
    const [found, hpaRestored] = await Promise.all([
      this.lookUp(cluster.objects, target),
      restoreHpas(cluster.objects, target.namespace, target.kind, target.name),
    ]);
    const records = found.records;
    if (records.length === 0 && hpaRestored.length === 0) {
      throw new EngineError('NotInDevMode', `${target.kind} ${target.name} has no DevMode record to reset`, {
        hint: 'The workload is already as it was. devMode/list shows the workloads in DevMode.',
      });
    }
    this.onStateChange({ target, state: 'stopping', phase: 'restoreWorkload', message: 'reset' });
    let podsNotReady: string | undefined;
    let known: Lookup | undefined = found;
    for (const record of records) {
      const options = { sessionId: record.sessionId, wait: true, force: true };
      podsNotReady = (await this.restore(cluster, target, options, reporter, known)) ?? podsNotReady;
      known = undefined;
    }
    const ended = records.map((record) => record.sessionId);
    this.onStateChange({ target, state: 'stopped', message: 'reset' });
    return { endedSessions: ended, ...(podsNotReady !== undefined ? { podsNotReady } : {}) };
  }

  /** The records of every DevMode on a target: on the workload itself and on Deployments generated for it. */
  public async findRecords(objects: ObjectClient, target: WorkloadTarget): Promise<DevModeRecord[]> {
    return (await this.lookUp(objects, target)).records;
  }

  /** The workload as it is now, and the records of every DevMode on it, read at the same time. */
  private async lookUp(objects: ObjectClient, target: WorkloadTarget): Promise<Lookup> {
    const records = new Map<string, DevModeRecord>();
    const [workload, generated] = await Promise.all([
      objects.get(workloadRef(target)),
      objects.list('apps/v1', 'Deployment', target.namespace),
    ]);
    const own = workload === undefined ? undefined : this.recordOf(workload);
    if (own !== undefined) records.set(own.sessionId, own);
    const value = `${target.kind.toLowerCase()}.${target.name}`;
    for (const deployment of generated) {
      const label = deployment.metadata.labels?.[generatedForLabel];
      if (label === undefined || !(label === value || value.startsWith(label.slice(0, 40)))) continue;
      const record = this.recordOf(deployment);
      if (record !== undefined && record.kind === target.kind && record.name === target.name)
        records.set(record.sessionId, record);
    }
    return { workload, records: [...records.values()] };
  }

  /** Workloads in DevMode in a namespace (or every namespace), as the cluster records them. */
  public async clusterRecords(context: string | undefined, namespace: string | undefined): Promise<DevModeRecord[]> {
    const cluster = await this.clusters.client(context);
    const records = new Map<string, DevModeRecord>();
    // One list per kind, all at once: the kinds a user may not list (403) are left out.
    const lists = await Promise.all(
      (Object.keys(workloadApiVersions) as DevModeKind[]).map(async (kind) => {
        try {
          return await cluster.objects.list(workloadApiVersions[kind], kind, namespace);
        } catch (error) {
          if (error instanceof KubeError && error.status === 403) return [];
          throw error;
        }
      }),
    );
    for (const item of lists.flat()) {
      const record = this.recordOf(item);
      if (record !== undefined) records.set(record.sessionId, record);
    }
    return [...records.values()];
  }

  public get me(): Owner {
    return this.owner;
  }

  private recordOf(object: KubeObject): DevModeRecord | undefined {
    try {
      return readRecord(object);
    } catch (error) {
      throw asEngineError(error);
    }
  }

  /** The effective dev config of a target and where each value came from (`devConfig/get`). */
  public async devConfig(target: WorkloadTarget, localDir: string) {
    checkLocalDir(localDir);
    const cluster = await this.clusters.client(target.context);
    const workload = await cluster.objects.get(workloadRef(target));
    if (workload === undefined) throw notFound(target, cluster);
    try {
      const file = loadDevConfigFile(localDir);
      const annotation = annotationDevConfig(workload);
      const sources: DevConfigSources = {
        ...(annotation !== undefined ? { annotation } : {}),
        ...(file !== undefined ? { file } : {}),
      };
      const { container, set, result } = this.containerSet(target, workload, localDir, sources);
      return {
        container,
        config: result.config,
        sources: result.sources,
        ...(set.added.length > 0
          ? { devContainers: set.added.map(({ config }) => ({ container: config.container, config })) }
          : {}),
        ...(file !== undefined ? { file: file.file } : {}),
      };
    } catch (error) {
      throw asEngineError(error);
    }
  }

  /** Every container the dev config puts into DevMode, the target first, checked across containers. */
  private loadConfig(request: StartRequest, workload: KubeObject): DevContainerSet {
    try {
      const file = loadDevConfigFile(request.localDir);
      const annotation = annotationDevConfig(workload);
      const requestConfig =
        request.config === undefined ? undefined : validateDevConfig(request.config, { kind: 'request' });
      const sources: DevConfigSources = {
        ...(annotation !== undefined ? { annotation } : {}),
        ...(file !== undefined ? { file } : {}),
        ...(requestConfig !== undefined ? { request: requestConfig } : {}),
      };
      return this.containerSet(request.target, workload, request.localDir, sources).set;
    } catch (error) {
      throw asEngineError(error);
    }
  }

  private containerSet(target: WorkloadTarget, workload: KubeObject, localDir: string, sources: DevConfigSources) {
    const container = target.container ?? firstContainer(workload);
    const podContainers = podContainerNames(workload);
    const set = devContainerSet({
      sources,
      target: container,
      // An unknown target container is reported by the plan, with the containers to choose from.
      podContainers: podContainers.includes(container) ? podContainers : [...podContainers, container],
      workload: `${target.kind} ${target.name}`,
      localDir,
    });
    return { container, set, result: set.target };
  }

  private plan(
    workload: KubeObject,
    target: WorkloadTarget,
    containers: DevContainerSet,
    mode: DevModeMode,
    sessionId: string,
  ) {
    try {
      return planDevMode({
        workload,
        ...(target.container !== undefined ? { container: target.container } : {}),
        config: containers.target.config,
        added: containers.added.map(({ config }) => config),
        mode,
        owner: this.owner,
        sessionId,
        now: new Date().toISOString(),
      });
    } catch (error) {
      throw asEngineError(error);
    }
  }

  /** Stores the record with the resourceVersion read, so a concurrent change is noticed rather than overwritten. */
  private async recordOriginal(
    objects: ObjectClient,
    workload: KubeObject,
    patch: Record<string, unknown>,
  ): Promise<KubeObject> {
    const metadata = (patch.metadata ?? {}) as Record<string, unknown>;
    return objects.patch(
      workloadRef({
        namespace: workload.metadata.namespace ?? 'default',
        kind: workload.kind as DevModeKind,
        name: workload.metadata.name,
      }),
      { ...patch, metadata: { ...metadata, resourceVersion: workload.metadata.resourceVersion } },
      'merge',
    );
  }

  /**
   * Rewrites the object, starting from `known` (a copy just read or written) when given; re-reads and rewrites on a
   * resourceVersion conflict (a controller updating status is the usual cause, or `known` being out of date).
   */
  private async updateWithRetry(
    objects: ObjectClient,
    ref: ObjectRef,
    rewrite: (current: KubeObject) => KubeObject,
    known?: KubeObject,
  ): Promise<KubeObject> {
    let first = known;
    return retryOnConflict(
      async () => {
        const current = first ?? (await objects.get(ref));
        first = undefined;
        if (current === undefined)
          throw new EngineError('NotFound', `${ref.kind} ${ref.name} disappeared during DevMode`);
        return current;
      },
      (current) => {
        const next = rewrite(current);
        next.metadata.resourceVersion = current.metadata.resourceVersion;
        return objects.replace(next);
      },
    );
  }

  private async createOrReplace(objects: ObjectClient, object: KubeObject): Promise<void> {
    try {
      await objects.create(object);
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 409)) throw error;
      await this.updateWithRetry(
        objects,
        deploymentRef(object.metadata.namespace ?? 'default', object.metadata.name),
        () => structuredClone(object),
      );
    }
  }

  private async deleteWorkloadPods(
    objects: ObjectClient,
    target: WorkloadTarget,
    devObject: KubeObject,
  ): Promise<void> {
    const pods = await objects.list('v1', 'Pod', target.namespace, selectorOf(devObject));
    for (const pod of pods)
      await objects.delete({ apiVersion: 'v1', kind: 'Pod', namespace: target.namespace, name: pod.metadata.name });
  }

  /**
   * Undoes one DevMode session from its record: writes the original back in place (never delete-and-recreate, but
   * for a bare Pod, whose spec cannot change), gives HPAs their bounds back, deletes what DevMode generated. With
   * `wait`, resolves with why the workload's pods are not ready when they cannot become so.
   */
  private async restore(
    cluster: ClusterClient,
    target: WorkloadTarget,
    options: { sessionId: string; wait: boolean; force: boolean },
    reporter: DevModeReporter,
    known?: Lookup,
  ): Promise<string | undefined> {
    const objects = cluster.objects;
    const ref = workloadRef(target);
    const { records, workload: current } = known ?? (await this.lookUp(objects, target));
    const record = records.find((candidate) => candidate.sessionId === options.sessionId);
    reporter.progress('restoreWorkload', `Restoring ${target.kind} ${target.name}`);
    // The HPAs are read while the workload is written back; they do not depend on it.
    const hpas = record === undefined || record.mode === 'replace' ? listHpas(objects, target.namespace) : undefined;
    // Awaited below; a failed write must not leave its rejection unheard meanwhile.
    hpas?.catch(() => undefined);
    const devReplicaSets = target.kind === 'Deployment' && (record === undefined || record.mode === 'replace');
    let restored = current;
    if (record !== undefined) {
      const plan = planRestore({ current, record });
      if (plan.update !== undefined) {
        restored = await this.updateWithRetry(
          objects,
          ref,
          (live) => planRestore({ current: live, record }).update ?? live,
          current,
        );
      }
      if (plan.create !== undefined) await this.createOrIgnore(objects, plan.create);
      // The dev template's ReplicaSets are looked for only once the workload holds the original again: a controller
      // still acting on the dev template may be making one until then. The HPAs get their bounds back meanwhile.
      await Promise.all([
        devReplicaSets
          ? this.deleteSessionReplicaSets(
              objects,
              target,
              restored,
              this.sessionReplicaSets(objects, target, options.sessionId),
            )
          : undefined,
        hpas === undefined ? undefined : restoreHpas(objects, target.namespace, target.kind, target.name, hpas),
      ]);
      failpoint('stop:afterRestore');
      failpoint('stop:afterHpa');
      if (plan.deleteDeployment !== undefined)
        await objects.delete(deploymentRef(target.namespace, plan.deleteDeployment));
      failpoint('stop:afterCleanup');
    } else {
      // No record is left (a crash between steps): clean up whatever else the session may have left behind.
      const leftover = generatedDeploymentName({ name: target.name, mode: 'replace', sessionId: options.sessionId });
      const [, , deployment] = await Promise.all([
        restoreHpas(objects, target.namespace, target.kind, target.name, hpas),
        devReplicaSets
          ? this.deleteSessionReplicaSets(
              objects,
              target,
              current,
              this.sessionReplicaSets(objects, target, options.sessionId),
            )
          : undefined,
        objects.get(deploymentRef(target.namespace, leftover)),
      ]);
      if (deployment?.metadata.labels?.[sessionLabel] === options.sessionId)
        await objects.delete(deploymentRef(target.namespace, leftover));
    }
    return options.wait ? this.waitForRestored(objects, target, options.sessionId, reporter, restored) : undefined;
  }

  /** The ReplicaSets the Deployment controller made for a session's dev template (they carry the session label). */
  private sessionReplicaSets(objects: ObjectClient, target: WorkloadTarget, sessionId: string): Promise<KubeObject[]> {
    return objects.list('apps/v1', 'ReplicaSet', target.namespace, `${sessionLabel}=${sessionId}`);
  }

  /**
   * Deletes the ReplicaSets the Deployment controller made for the dev template, and with them their pods. Left to
   * the controller, a rolling update back to the original can never finish while no pod is available: with
   * `maxUnavailable: 0` it keeps the dev pods until the original ones are ready, and an original pod that cannot
   * run (no node has room) leaves dev pods running forever. Only ReplicaSets the workload owns (by uid) go. A user
   * who may not delete ReplicaSets gets the controller's own rollout instead.
   */
  private async deleteSessionReplicaSets(
    objects: ObjectClient,
    target: WorkloadTarget,
    workload: KubeObject | undefined,
    listed: Promise<KubeObject[]>,
  ): Promise<void> {
    const owned = (await listed).filter((replicaSet) =>
      replicaSet.metadata.ownerReferences?.some(
        (owner) => owner.kind === 'Deployment' && owner.name === target.name && owner.uid === workload?.metadata.uid,
      ),
    );
    await Promise.all(
      owned.map(async (replicaSet) => {
        try {
          await objects.delete({
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            namespace: target.namespace,
            name: replicaSet.metadata.name,
          });
        } catch (error) {
          if (!(error instanceof KubeError && error.status === 403)) throw error;
        }
      }),
    );
  }

  private async createOrIgnore(objects: ObjectClient, object: KubeObject): Promise<void> {
    try {
      await objects.create(object);
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 409)) throw error;
    }
  }

  /**
   * Waits until no pod of the session is left and the workload has rolled back out, from watches (the session's
   * pods, the workload, and the workload's pods) rather than by polling. The workload is restored before this
   * wait; the wait only tells whether its pods are back. It resolves with undefined when they are, and with the
   * reason when they cannot become ready by themselves (a pod no node can run, an image that cannot be pulled, a
   * crash loop) or are still not ready after `restoreWaitMs`: the answer says "restored, pods not ready" rather
   * than waiting on or claiming more than it knows.
   */
  private async waitForRestored(
    objects: ObjectClient,
    target: WorkloadTarget,
    sessionId: string,
    reporter: DevModeReporter,
    known?: KubeObject,
  ): Promise<string | undefined> {
    const ref = workloadRef(target);
    // The restore's write answered with the workload; only without it is it read here.
    const live = known ?? (await objects.get(ref));
    const workloadSelector =
      live !== undefined && (live.kind === 'Deployment' || live.kind === 'StatefulSet') ? selectorOf(live) : '';
    const devPods = new Set<string>();
    const troubles = new Map<string, string>();
    // A Deployment controller still acting on the dev template can make its ReplicaSet after the restore looked for
    // it; a dev pod that is not going away names it, and it goes too (best effort: the wait reports what is left).
    const lateReplicaSets = new Set<string>();
    const deleteLateReplicaSet = (pod: KubeObject): void => {
      const owner = pod.metadata.ownerReferences?.find((reference) => reference.kind === 'ReplicaSet');
      if (live?.kind !== 'Deployment' || owner === undefined || lateReplicaSets.has(owner.name)) return;
      lateReplicaSets.add(owner.name);
      const replicaSet = objects
        .get({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: target.namespace, name: owner.name })
        .then((found) => (found?.metadata.labels?.[sessionLabel] === sessionId ? [found] : []));
      this.deleteSessionReplicaSets(objects, target, live, replicaSet).catch(() => undefined);
    };
    let workload: KubeObject | undefined;
    let podsSynced = false;
    let workloadSynced = false;
    let reported = '';
    return new Promise((resolve) => {
      const finish = (podsNotReady?: string): void => {
        clearTimeout(timer);
        judge.dispose();
        stopPods();
        stopWorkload();
        stopWorkloadPods();
        if (podsNotReady !== undefined)
          reporter.progress('restoreWorkload', `Restored; pods not ready: ${podsNotReady}`);
        resolve(podsNotReady);
      };
      const check = (): void => {
        if (!podsSynced || !workloadSynced) return;
        if (devPods.size === 0 && (workload === undefined || isRolledOut(workload))) return finish();
        const trouble = troubles.values().next();
        if (devPods.size === 0 && !trouble.done) return finish(trouble.value);
        const message =
          devPods.size > 0
            ? `Waiting for ${devPods.size} dev pod(s) to terminate`
            : 'Waiting for the original pods to be ready';
        if (message !== reported) reporter.progress('restoreWorkload', message);
        reported = message;
      };
      const judge = new UnschedulableJudge(
        objects,
        (pod, message) => {
          troubles.set(pod.metadata.name, `pod ${pod.metadata.name} cannot be scheduled: ${message}`);
          check();
        },
        () => devPods.size > 0,
      );
      const timer = setTimeout(
        () =>
          finish(
            devPods.size > 0
              ? `${devPods.size} dev pod(s) still terminating after ${restoreWaitMs / 1000} s`
              : `the original pods are not ready after ${restoreWaitMs / 1000} s (kubectl rollout status shows why)`,
          ),
        restoreWaitMs,
      );
      const stopPods = objects.watch(
        'v1',
        'Pod',
        target.namespace,
        {
          labelSelector: `${sessionLabel}=${sessionId}`,
          onSynced: () => {
            podsSynced = true;
            check();
          },
        },
        (type, pod) => {
          if (type === 'DELETED') devPods.delete(pod.metadata.name);
          else {
            devPods.add(pod.metadata.name);
            if (pod.metadata.deletionTimestamp === undefined) deleteLateReplicaSet(pod);
          }
          check();
        },
      );
      const stopWorkload = objects.watch(
        ref.apiVersion,
        ref.kind,
        target.namespace,
        {
          fieldSelector: `metadata.name=${target.name}`,
          onSynced: () => {
            workloadSynced = true;
            check();
          },
        },
        (type, object) => {
          workload = type === 'DELETED' ? undefined : object;
          check();
        },
      );
      const stopWorkloadPods =
        workloadSelector === ''
          ? () => undefined
          : objects.watch('v1', 'Pod', target.namespace, { labelSelector: workloadSelector }, (type, pod) => {
              const name = pod.metadata.name;
              if (type === 'DELETED' || pod.metadata.labels?.[sessionLabel] !== undefined) {
                troubles.delete(name);
                judge.forget(name);
              } else {
                const lasting = lastingContainerTrouble(pod);
                if (lasting !== undefined) troubles.set(name, `pod ${name}: ${lasting}`);
                else troubles.delete(name);
                judge.observe(pod);
              }
              check();
            });
    });
  }
}

function isRolledOut(workload: KubeObject): boolean {
  const spec = (workload.spec ?? {}) as { replicas?: number };
  const status = (workload.status ?? {}) as {
    observedGeneration?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    replicas?: number;
  };
  if (workload.kind !== 'Deployment' && workload.kind !== 'StatefulSet') return true;
  const generation = workload.metadata.generation ?? 0;
  const desired = spec.replicas ?? 1;
  return (
    (status.observedGeneration ?? 0) >= generation &&
    (status.updatedReplicas ?? 0) >= desired &&
    (status.readyReplicas ?? 0) >= desired
  );
}

function withoutRecord(object: KubeObject): KubeObject {
  // While starting, the record on the object is ours; planning from it again must see the workload as it was.
  const copy = structuredClone(object);
  if (copy.metadata.annotations !== undefined) delete copy.metadata.annotations['devmode.dev/original'];
  return copy;
}

function selectorOf(object: KubeObject): string {
  const labels =
    (object.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function firstContainer(workload: KubeObject): string {
  const spec = workload.spec;
  const template =
    workload.kind === 'Pod'
      ? spec
      : workload.kind === 'CronJob'
        ? ((spec?.jobTemplate as { spec?: { template?: { spec?: unknown } } } | undefined)?.spec?.template?.spec as
            Record<string, unknown> | undefined)
        : ((spec?.template as { spec?: unknown } | undefined)?.spec as Record<string, unknown> | undefined);
  const containers = (template?.containers ?? []) as { name?: string }[];
  return containers[0]?.name ?? '';
}

/** True when both name the same workload (the container aside). */
export function sameWorkload(a: WorkloadTarget, b: WorkloadTarget): boolean {
  return (
    a.namespace === b.namespace && a.kind === b.kind && a.name === b.name && (a.context ?? '') === (b.context ?? '')
  );
}

function describeRestart(target: WorkloadTarget, mode: DevModeMode): string {
  if (mode === 'duplicate') return `Creating a duplicate of ${target.kind} ${target.name}`;
  if (target.kind === 'Deployment' || target.kind === 'StatefulSet')
    return `Updating ${target.kind} ${target.name}: dev container, workDir volume, no probes, one replica`;
  return `Parking ${target.kind} ${target.name} and creating its dev Deployment`;
}

function checkLocalDir(localDir: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(localDir).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new EngineError('LocalDirInvalid', `The local folder ${localDir} does not exist or is not a folder`, {
      field: 'localDir',
      hint: 'Pass the absolute path of the project folder to synchronise into the container.',
    });
  }
}

function notFound(target: WorkloadTarget, cluster: ClusterClient): EngineError {
  return new EngineError(
    'NotFound',
    `${target.kind} "${target.name}" not found in namespace "${target.namespace}" of context "${cluster.context}"`,
    {
      hint: 'tree/children lists the workloads; check the namespace and the kind.',
    },
  );
}

function alreadyInDevMode(target: WorkloadTarget, record: DevModeRecord): EngineError {
  const owner = `${record.owner.user}@${record.owner.machine}`;
  return new EngineError(
    'AlreadyInDevMode',
    `${target.kind} ${target.name} is in DevMode, started by ${owner} at ${record.startedAt}`,
    {
      owner: record.owner,
      sessionId: record.sessionId,
      hint: `Ask ${owner} to stop it, use mode "duplicate" to get your own copy, or reset it (devMode/reset) if that session is abandoned.`,
    },
  );
}

const planErrorCodes: Record<DevModePlanError['code'], EngineError['code']> = {
  UnsupportedKind: 'UnsupportedKind',
  InvalidWorkload: 'UnsupportedKind',
  PodHasOwner: 'UnsupportedKind',
  InvalidSessionId: 'WorkloadConflict',
  ContainerNotFound: 'NotFound',
  AlreadyInDevMode: 'AlreadyInDevMode',
  PatchFailed: 'DevConfigInvalid',
  InvalidRecord: 'WorkloadConflict',
  RecordTooLarge: 'UnsupportedKind',
};

/** Converts the pure cores' errors into engine errors; cluster errors pass through for the handler to explain. */
export function asEngineError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  if (error instanceof DevConfigError) {
    return new EngineError('DevConfigInvalid', error.message, {
      ...(error.file !== undefined ? { file: error.file } : {}),
      ...(error.line !== undefined ? { line: error.line } : {}),
      field: error.field,
      hint: 'Fix the field named above; devConfig/schema describes every field.',
    });
  }
  if (error instanceof DevModePlanError) {
    return new EngineError(planErrorCodes[error.code], error.message, { reason: error.code, ...error.details });
  }
  throw error;
}

/**
 * The DevMode workload rewrite, a pure function from plain objects to plain objects: what to record (format in
 * devModeRecord.ts), what to write, how to park the original. Its undo is in devModeRestore.ts.
 *
 * ## Per kind (replace mode)
 * - Deployment: pod template rewritten in place, replicas 1, strategy Recreate (so the old pod never runs
 *   alongside the dev pod), `paused` cleared so the rollout happens.
 * - StatefulSet: pod template rewritten, replicas 1, a rolling-update partition set to 0 so pod 0 is updated; with
 *   the OnDelete strategy the controller never replaces pods, so `needsPodDeletion` tells the caller to delete it.
 * - DaemonSet, Job, CronJob, bare Pod: a generated Deployment `<name>-devmode` runs the dev pod (with the original
 *   pod labels, so Services route to it); the original is parked: a DaemonSet gets a node selector no node has,
 *   a Job and a CronJob are suspended (`spec.suspend`; a suspended Job's running pods are stopped, while Jobs a
 *   CronJob already started run to completion), and a bare Pod is deleted after being recorded and re-created from
 *   the record on stop. Deleting is unavoidable there: a Pod's spec cannot be changed.
 *
 * Every rewritten pod template: the dev container (and each container `containers.<name>.dev` adds, with a workDir
 * volume `devmode-workdir-<name>` of its own and its own persistent dirs) gets the dev image (when set), the dev command (image arguments
 * cleared), workingDir, the config's env (winning over same-named variables) and resources (when set); workDir is an
 * emptyDir `devmode-workdir`, or the PVC of a persistent dir on that path; other persistent dirs mount their own
 * PVCs (`devmode-<workload>-<sha1(path):10>`, per user in duplicate mode); probes go from every container; the
 * template carries `devmode.dev/session` as annotation and label (and, with several containers in DevMode,
 * `kubectl.kubernetes.io/default-container` naming the target container); the config's patches are applied last.
 *
 * ## Duplicate mode
 * Every kind gets a Deployment `<name>-devmode-<short session>` whose selector and pod labels are only devmode's, so
 * Services keep routing to the untouched original. Host ports are dropped from the copy.
 */
import type { ObjectRef as KubeObjectRef } from '../kube/objects.js';
import type { EffectiveDevConfig } from './devConfig.js';
import {
  boundedName,
  containerNames,
  DevModePlanError,
  podTemplateOf,
  type PlannedPersistentDir,
  type PodTemplate,
  resolveDevContainer,
  rewritePodTemplate,
  shortHash,
  templateForDeployment,
} from './devPodTemplate.js';
import { controllerOf } from './managers.js';
import {
  cloneJson,
  generatedForLabel,
  isJsonObject,
  type JsonObject,
  type KubeObject,
  objectList,
  heartbeatAnnotation,
  recordAnnotation,
  sessionLabel,
} from './objects.js';

import {
  type DevModeKind,
  type DevModeMode,
  type DevModeOwner,
  type DevModeRecord,
  generatedDeploymentName,
  inPlaceKinds,
  readRecord,
  serverOwnedAnnotations,
  supportedKinds,
  withoutServerState,
} from './devModeRecord.js';

export { DevModePlanError, type DevModePlanErrorCode } from './devPodTemplate.js';
export * from './devModeRecord.js';
export * from './devModeRestore.js';

export interface DevModePlanInput {
  workload: KubeObject;
  container?: string;
  config: EffectiveDevConfig;
  /** The configs of the containers `containers.<name>.dev` adds to DevMode (devContainers.ts), in pod order. */
  added?: EffectiveDevConfig[];
  mode: DevModeMode;
  owner: DevModeOwner;
  sessionId: string;
  /** The start time, ISO 8601. */
  now: string;
}

/** An object a plan names; always namespaced here. */
export type ObjectRef = KubeObjectRef & { namespace: string };

export interface DevModePlan {
  record: DevModeRecord;
  /** The record as stored in the annotation. */
  recordText: string;
  /**
   * Replace mode: the JSON merge patch that stores the record on the workload, applied before anything else.
   * Absent in duplicate mode, where the record travels on `devObject`.
   */
  recordPatch?: { target: ObjectRef; patch: JsonObject };
  /**
   * The object to write: the rewritten workload (`update`) or a generated Deployment (`create`). Both carry the
   * record too, so for Deployment and StatefulSet the update alone records and rewrites in one atomic write; a
   * caller that applies `recordPatch` first must take the resourceVersion it returns for this update.
   */
  devObject: KubeObject;
  devObjectAction: 'update' | 'create';
  /** How the original is parked (replace mode of DaemonSet, Job and CronJob). */
  parkPatch?: { target: ObjectRef; type: 'strategic' | 'merge'; patch: JsonObject };
  /** Replace mode of a bare Pod: delete the original pod once the dev Deployment exists. */
  deleteOriginalPod: boolean;
  /** StatefulSet with the OnDelete strategy: delete the pod so it comes back with the dev template. */
  needsPodDeletion: boolean;
  /** Claims to create (when absent) before `devObject`. */
  pvcs: KubeObject[];
  /** The dev container's name. */
  container: string;
}

const sessionIdPattern = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** Plans DevMode for a workload: what to record, what to write, how to park the original. */
export function planDevMode(input: DevModePlanInput): DevModePlan {
  const { workload, mode, sessionId } = input;
  const kind = workload.kind;
  const name = workload.metadata.name;
  const namespace = workload.metadata.namespace ?? 'default';
  assertSupportedKind(kind);
  if (!sessionIdPattern.test(sessionId)) {
    throw new DevModePlanError('InvalidSessionId', `session id "${sessionId}" is not a valid label value`);
  }
  if (!isJsonObject(workload.spec)) throw new DevModePlanError('InvalidWorkload', `${kind} ${name} has no spec`);
  // A controller rewrites what it controls, so it would undo DevMode; a duplicate of a workload (not of a Pod,
  // which a duplicate does not free from its ReplicaSet's selector) is a copy no controller owns.
  const controller = controllerOf(workload);
  if (controller !== undefined && (mode === 'replace' || kind === 'Pod')) {
    const owner = `${controller.kind} ${controller.name}`;
    throw new DevModePlanError(
      'OwnedByController',
      `${kind} ${name} is controlled by ${owner} (${controller.apiVersion}), which would undo DevMode; nothing was changed`,
      {
        controller,
        hint:
          kind === 'Pod'
            ? `Start DevMode on the workload that owns the pod: ${owner} (or the Deployment that owns it).`
            : `Use mode "duplicate" to develop in a copy that ${owner} does not control, or change ${owner} itself.`,
      },
    );
  }
  const ownerRefs = objectList(workload.metadata.ownerReferences);
  if (kind === 'Pod' && ownerRefs.length > 0) {
    const owner = ownerRefs[0];
    throw new DevModePlanError(
      'PodHasOwner',
      `pod ${name} is managed by ${String(owner?.kind)} ${String(owner?.name)}; start DevMode on that workload instead`,
    );
  }
  const existing = readRecord(workload);
  if (existing !== undefined && mode === 'replace') {
    throw new DevModePlanError(
      'AlreadyInDevMode',
      `${kind} ${name} is already in DevMode (session ${existing.sessionId} of ${existing.owner.user} on ${existing.owner.machine})`,
      { owner: existing.owner },
    );
  }

  // A duplicate of a workload that someone has in replace mode copies the recorded original, not the dev version.
  const original = existing !== undefined ? cloneJson(existing.original) : recordedOriginal(workload, workload.spec);
  const baseTemplate = podTemplateOf(
    { ...workload, metadata: { ...workload.metadata, labels: original.labels, annotations: original.annotations } },
    original.spec,
  );
  const container = resolveDevContainer(baseTemplate, input.container ?? input.config.container, `${kind} ${name}`);
  const generated = mode === 'duplicate' || !inPlaceKinds.includes(kind);
  const ownerScope = mode === 'duplicate' ? `-${shortHash(`${input.owner.user}@${input.owner.machine}`, 6)}` : '';
  // An added container's dirs hash its name too, so two containers keeping the same path get a volume each.
  const planDirs = (config: EffectiveDevConfig, scope: string): PlannedPersistentDir[] =>
    config.persistentDirs.map((dir) => {
      const dirHash = shortHash(scope + (dir.path.replace(/\/+$/, '') || '/'), 10);
      return {
        path: dir.path,
        volumeName: `devmode-dir-${dirHash}`,
        claimName: boundedName(`devmode-${name}`, `${ownerScope}-${dirHash}`, 253),
        capacity: dir.capacity,
        ...(dir.storageClass !== undefined && { storageClass: dir.storageClass }),
      };
    });
  const dirs = planDirs(input.config, '');
  const added = (input.added ?? [])
    .filter((config) => config.container !== container)
    .map((config) => {
      resolveDevContainer(baseTemplate, config.container, `${kind} ${name}`);
      return { config, persistentDirs: planDirs(config, `${config.container}:`) };
    });

  const startTemplate = generated ? templateForDeployment(workload, baseTemplate, original.spec, mode) : baseTemplate;
  const devTemplate = rewritePodTemplate({
    template: startTemplate,
    container,
    config: input.config,
    persistentDirs: dirs,
    sessionId,
    ...(added.length > 0 ? { added } : {}),
  });
  const written = (entry: string): DevModeRecord['devContainer'] => {
    const devContainer = objectList(devTemplate.spec.containers).find((candidate) => candidate.name === entry);
    if (devContainer === undefined) {
      throw new DevModePlanError('PatchFailed', `the dev config's patches removed the dev container "${entry}"`);
    }
    return {
      image: typeof devContainer.image === 'string' ? devContainer.image : '',
      command: Array.isArray(devContainer.command) ? devContainer.command.map(String) : [],
      workingDir: typeof devContainer.workingDir === 'string' ? devContainer.workingDir : '',
    };
  };
  const record: DevModeRecord = {
    version: 1,
    kind: kind as DevModeKind,
    name,
    namespace,
    mode,
    owner: {
      machine: input.owner.machine,
      user: input.owner.user,
      ...(input.owner.pid !== undefined ? { pid: input.owner.pid } : {}),
    },
    sessionId,
    startedAt: input.now,
    container,
    devContainer: written(container),
    ...(added.length > 0
      ? { addedContainers: added.map(({ config }) => ({ container: config.container, ...written(config.container) })) }
      : {}),
    original,
  };
  const recordText = JSON.stringify(record);
  checkAnnotationSize(`${kind} ${name}`, { ...workload.metadata.annotations, [recordAnnotation]: recordText });
  const target: ObjectRef = { apiVersion: workload.apiVersion, kind, name, namespace };
  const pvcs = [...dirs, ...added.flatMap((entry) => entry.persistentDirs)].map((dir) =>
    claimFor(dir, namespace, `${kind.toLowerCase()}.${name}`),
  );
  const plan: DevModePlan = {
    record,
    recordText,
    devObject: generated
      ? generatedDeployment(record, devTemplate, recordText)
      : inPlaceDevObject(workload, devTemplate, recordText, sessionId),
    devObjectAction: generated ? 'create' : 'update',
    deleteOriginalPod: mode === 'replace' && kind === 'Pod',
    needsPodDeletion: mode === 'replace' && kind === 'StatefulSet' && updateStrategyType(workload) === 'OnDelete',
    pvcs,
    container,
  };
  if (mode === 'replace') {
    plan.recordPatch = { target, patch: { metadata: { annotations: { [recordAnnotation]: recordText } } } };
    const park = parkPatchFor(kind);
    if (park !== undefined) plan.parkPatch = { target, ...park };
  }
  return plan;
}

/**
 * The container DevMode would develop in a workload: the requested one, or the first; ContainerNotFound names the
 * available ones. Needed before planning, to pick the per-container dev config.
 */
export function targetContainer(workload: KubeObject, requested?: string): string {
  assertSupportedKind(workload.kind);
  const existing = readRecord(workload);
  const spec = existing?.original.spec ?? workload.spec;
  if (!isJsonObject(spec))
    throw new DevModePlanError('InvalidWorkload', `${workload.kind} ${workload.metadata.name} has no spec`);
  return resolveDevContainer(podTemplateOf(workload, spec), requested, `${workload.kind} ${workload.metadata.name}`);
}

/** The containers of a workload's pod template (as recorded, when it is in DevMode), in order. */
export function podContainerNames(workload: KubeObject): string[] {
  const spec = readRecord(workload)?.original.spec ?? workload.spec;
  if (!isJsonObject(spec)) return [];
  try {
    return containerNames(podTemplateOf(workload, spec).spec);
  } catch {
    return [];
  }
}

function assertSupportedKind(kind: string): void {
  if (!supportedKinds.includes(kind)) {
    throw new DevModePlanError(
      'UnsupportedKind',
      `${kind} is not supported; DevMode works on ${supportedKinds.join(', ')}`,
    );
  }
}

function recordedOriginal(workload: KubeObject, spec: JsonObject): DevModeRecord['original'] {
  const annotations = { ...workload.metadata.annotations };
  delete annotations[recordAnnotation];
  // A heartbeat left behind by an earlier session is not part of the workload.
  delete annotations[heartbeatAnnotation];
  for (const key of serverOwnedAnnotations) delete annotations[key];
  return { spec: cloneJson(spec), labels: { ...workload.metadata.labels }, annotations };
}

/** `<kind>.<name>` as a label value: at most 63 characters, a hash standing in for what is cut. */
function generatedForValue(record: Pick<DevModeRecord, 'kind' | 'name'>): string {
  return boundedName(`${record.kind.toLowerCase()}.${record.name}`, '');
}

function generatedDeployment(record: DevModeRecord, template: PodTemplate, recordText: string): KubeObject {
  const selector = { [sessionLabel]: record.sessionId, [generatedForLabel]: generatedForValue(record) };
  const podTemplate = cloneJson(template);
  const originalLabels = record.mode === 'replace' ? (podTemplate.metadata.labels ?? {}) : {};
  podTemplate.metadata.labels = { ...originalLabels, ...selector };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: generatedDeploymentName(record),
      namespace: record.namespace,
      labels: { ...selector },
      annotations: { [recordAnnotation]: recordText },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...selector } },
      strategy: { type: 'Recreate' },
      template: podTemplate,
    },
  };
}

function inPlaceDevObject(
  workload: KubeObject,
  template: PodTemplate,
  recordText: string,
  sessionId: string,
): KubeObject {
  const object = withoutServerState(workload);
  object.metadata.annotations = { ...object.metadata.annotations, [recordAnnotation]: recordText };
  object.metadata.labels = { ...object.metadata.labels, [sessionLabel]: sessionId };
  const spec = object.spec as JsonObject;
  spec.template = template;
  spec.replicas = 1;
  if (workload.kind === 'Deployment') {
    spec.strategy = { type: 'Recreate' };
    delete spec.paused;
  } else {
    const rollingUpdate = (spec.updateStrategy as JsonObject | undefined)?.rollingUpdate;
    if (isJsonObject(rollingUpdate) && rollingUpdate.partition !== undefined) rollingUpdate.partition = 0;
  }
  return object;
}

/** The API server refuses an object whose annotations add up to more than this many bytes. */
const annotationLimitBytes = 256 * 1024;

function checkAnnotationSize(what: string, annotations: Record<string, string>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (bytes > annotationLimitBytes) {
    throw new DevModePlanError(
      'RecordTooLarge',
      `recording ${what} would bring its annotations to ${bytes} bytes, over the ${annotationLimitBytes} the API ` +
        'server accepts; a large kubectl.kubernetes.io/last-applied-configuration annotation is the usual cause',
    );
  }
}

function updateStrategyType(workload: KubeObject): unknown {
  return (workload.spec?.updateStrategy as JsonObject | undefined)?.type;
}

function parkPatchFor(kind: string): { type: 'strategic' | 'merge'; patch: JsonObject } | undefined {
  switch (kind) {
    case 'DaemonSet':
      return {
        type: 'strategic',
        patch: { spec: { template: { spec: { nodeSelector: { 'devmode.dev/parked': 'true' } } } } },
      };
    case 'Job':
    case 'CronJob':
      return { type: 'merge', patch: { spec: { suspend: true } } };
    default:
      return undefined;
  }
}

function claimFor(dir: PlannedPersistentDir, namespace: string, generatedFor: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: dir.claimName,
      namespace,
      labels: { [generatedForLabel]: boundedName(generatedFor, ''), 'devmode.dev/dir': dir.claimName.slice(-10) },
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: dir.capacity } },
      ...(dir.storageClass !== undefined && { storageClassName: dir.storageClass }),
    },
  };
}

/**
 * Defaults a real API server fills in when it decodes an object, and the status it resets on create. Applying
 * them on every write keeps them stable, so a defaulted field never looks like a spec change.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment */
import { randomInt } from 'node:crypto';
import { ApiError, type KubeObject, type Store } from '../contracts.js';

type Loose = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function podSpecDefaults(spec: Loose): void {
  if (spec === undefined || spec === null || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const list of ['initContainers', 'containers']) {
    for (const container of (spec[list] ?? []) as Loose[]) {
      const image = String(container.image ?? '');
      const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
      container.imagePullPolicy ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
      container.terminationMessagePath ??= '/dev/termination-log';
      container.terminationMessagePolicy ??= 'File';
      container.resources ??= {};
      for (const port of (container.ports ?? []) as Loose[]) port.protocol ??= 'TCP';
    }
  }
}

/**
 * A template's metadata is a struct, not a pointer, in the API server: it always comes back, with a zero
 * `creationTimestamp` written as null.
 */
function templateMetadata(template: Loose): void {
  if (template === null || typeof template !== 'object') return;
  template.metadata ??= {};
  template.metadata.creationTimestamp = null;
}

function templateDefaults(spec: Loose): void {
  templateMetadata(spec?.template);
  podSpecDefaults(spec?.template?.spec);
}

/** Fills the defaults of `resource` (a store key) into `object`, in place. */
export function applyDefaults(resource: string, object: KubeObject): void {
  const spec: Loose = object.spec;
  switch (resource) {
    case 'pods':
      podSpecDefaults(spec);
      if (spec) spec.enableServiceLinks ??= true;
      break;
    case 'deployments.apps':
      if (spec) {
        spec.replicas ??= 1;
        spec.revisionHistoryLimit ??= 10;
        spec.progressDeadlineSeconds ??= 600;
        spec.strategy ??= { type: 'RollingUpdate' };
        if (spec.strategy.type === 'RollingUpdate')
          spec.strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
        templateDefaults(spec);
      }
      break;
    case 'replicasets.apps':
      if (spec) spec.replicas ??= 1;
      templateDefaults(spec);
      break;
    case 'statefulsets.apps':
      if (spec) {
        spec.replicas ??= 1;
        spec.podManagementPolicy ??= 'OrderedReady';
        spec.revisionHistoryLimit ??= 10;
        spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
        spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      }
      templateDefaults(spec);
      break;
    case 'daemonsets.apps':
      if (spec) {
        spec.revisionHistoryLimit ??= 10;
        spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      }
      templateDefaults(spec);
      break;
    case 'jobs.batch':
      if (spec) {
        if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
        spec.parallelism ??= 1;
        spec.backoffLimit ??= 6;
        if (spec.podFailurePolicy === undefined) spec.podReplacementPolicy ??= 'TerminatingOrFailed';
        spec.completionMode ??= 'NonIndexed';
        spec.suspend ??= false;
        if (spec.template?.spec) spec.template.spec.restartPolicy ??= 'Never';
      }
      templateDefaults(spec);
      break;
    case 'cronjobs.batch':
      if (spec) {
        spec.suspend ??= false;
        spec.concurrencyPolicy ??= 'Allow';
        spec.successfulJobsHistoryLimit ??= 3;
        spec.failedJobsHistoryLimit ??= 1;
        templateMetadata(spec.jobTemplate);
        templateDefaults(spec.jobTemplate?.spec);
      }
      break;
    case 'services':
      if (spec) {
        spec.type ??= 'ClusterIP';
        spec.sessionAffinity ??= 'None';
        for (const port of (spec.ports ?? []) as Loose[]) {
          port.protocol ??= 'TCP';
          port.targetPort ??= port.port;
        }
      }
      break;
    case 'secrets': {
      const secret = object as Loose;
      secret.type ??= 'Opaque';
      // stringData is write-only: a real server merges it into data, encoded, and never stores it.
      if (secret.stringData !== null && typeof secret.stringData === 'object') {
        secret.data = { ...secret.data };
        for (const [key, value] of Object.entries(secret.stringData as Record<string, unknown>))
          secret.data[key] = Buffer.from(String(value)).toString('base64');
      }
      delete secret.stringData;
      break;
    }
    case 'persistentvolumeclaims':
      if (spec) spec.volumeMode ??= 'Filesystem';
      break;
    case 'namespaces':
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name };
      // The namespace controller's finalizer, which a real server adds to every new namespace.
      object.spec ??= {};
      object.spec.finalizers ??= ['kubernetes'];
      break;
  }
}

/** The status a freshly created object starts with; real servers drop whatever status the client sent. */
export function initialStatus(resource: string): unknown {
  switch (resource) {
    case 'pods':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    case 'namespaces':
      return { phase: 'Active' };
    case 'persistentvolumeclaims':
      return { phase: 'Pending' };
    case 'services':
      return { loadBalancer: {} };
    default:
      return undefined;
  }
}

/** Gives a new Service a free cluster IP from 10.96.0.0/16, as the service IP allocator does. */
export function allocateClusterIp(store: Store, service: KubeObject): void {
  const spec: Loose = service.spec;
  if (!spec || spec.type === 'ExternalName' || spec.clusterIP === 'None') return;
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '') {
    spec.clusterIPs ??= [spec.clusterIP];
    return;
  }
  const used = new Set(store.list('services', undefined).items.map((s) => String(s.spec?.clusterIP ?? '')));
  for (let n = 10; n < 65534; n++) {
    const ip = `10.96.${Math.floor(n / 256)}.${n % 256}`;
    if (!used.has(ip)) {
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
      return;
    }
  }
}

const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * What a real API server's admission plugins add to a new Pod: its service account (ServiceAccount), the
 * projected `kube-api-access-*` token volume mounted in every container (unless automounting is off), the
 * priority (Priority) and the two 300 s NoExecute tolerations (DefaultTolerationSeconds).
 */
export function admitPod(store: Store, pod: KubeObject): void {
  const spec: Loose = pod.spec;
  if (spec === null || typeof spec !== 'object') return;
  const namespace = pod.metadata.namespace ?? 'default';
  const accountName = String(spec.serviceAccountName || spec.serviceAccount || 'default');
  spec.serviceAccountName = accountName;
  spec.serviceAccount = accountName;
  const account = store.get('serviceaccounts', namespace, accountName);
  // The `default` account is created with its namespace; a pod racing that creation is let through.
  if (account === undefined && accountName !== 'default') {
    throw new ApiError(
      403,
      'Forbidden',
      `pods "${pod.metadata.name || pod.metadata.generateName || ''}" is forbidden: error looking up service account ${namespace}/${accountName}: serviceaccount "${accountName}" not found`,
      { name: pod.metadata.name, kind: 'pods' },
    );
  }
  const automount = spec.automountServiceAccountToken ?? (account as Loose)?.automountServiceAccountToken ?? true;
  if (automount !== false) mountToken(spec);
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tolerations: Loose[] = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const tolerated = tolerations.some(
      (t) =>
        (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'),
    );
    if (!tolerated) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
}

function mountToken(spec: Loose): void {
  const containers: Loose[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const needing = containers.filter(
    (c) => !((c.volumeMounts ?? []) as Loose[]).some((m) => m.mountPath === TOKEN_MOUNT_PATH),
  );
  if (needing.length === 0) return;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  const name = `kube-api-access-${suffix}`;
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
        defaultMode: 420,
      },
    },
  ];
  for (const container of needing)
    container.volumeMounts = [...(container.volumeMounts ?? []), { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
}

/**
 * The selector a real server generates for a new Job (unless `manualSelector`): the Job's uid, as a label of
 * its pod template and of the Job itself when it has none of its own.
 */
export function selectJobPods(job: KubeObject): void {
  const spec: Loose = job.spec;
  if (spec === null || typeof spec !== 'object' || spec.manualSelector === true) return;
  const uid = job.metadata.uid ?? '';
  spec.manualSelector = false;
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  spec.template ??= {};
  spec.template.metadata ??= {};
  spec.template.metadata.labels = {
    ...spec.template.metadata.labels,
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': job.metadata.name,
    'controller-uid': uid,
    'job-name': job.metadata.name,
  };
  if (job.metadata.labels === undefined || Object.keys(job.metadata.labels).length === 0)
    job.metadata.labels = { ...(spec.template.metadata.labels as Record<string, string>) };
}

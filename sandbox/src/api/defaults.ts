/**
 * Defaults a real API server fills in when it decodes an object, and the status it resets on create. Applying
 * them on every write keeps them stable, so a defaulted field never looks like a spec change.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment */
import type { KubeObject, Store } from '../contracts.js';

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

function templateDefaults(spec: Loose): void {
  podSpecDefaults(spec?.template?.spec);
}

/** Fills the defaults of `resource` (a store key) into `object`, in place. */
export function applyDefaults(resource: string, object: KubeObject): void {
  const spec: Loose = object.spec;
  switch (resource) {
    case 'pods':
      podSpecDefaults(spec);
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
        spec.parallelism ??= 1;
        spec.backoffLimit ??= 6;
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
    case 'secrets':
      (object as Loose).type ??= 'Opaque';
      break;
    case 'persistentvolumeclaims':
      if (spec) spec.volumeMode ??= 'Filesystem';
      break;
    case 'namespaces':
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name };
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

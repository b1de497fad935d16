/**
 * The resources the sandbox serves, described once: discovery, the store, the API routes and the controllers all
 * read this table.
 */
import type { ResourceInfo } from './contracts.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface ResourceSpec {
  group?: string;
  version?: string;
  kind: string;
  plural: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  /** Objects carry `metadata.generation`, bumped on every spec change. */
  generation?: boolean;
  /** Verbs other than the full set: review kinds only take `create`, component statuses only read. */
  verbs?: string[];
}

function define(spec: ResourceSpec): ResourceInfo {
  const group = spec.group ?? '';
  return {
    key: group === '' ? spec.plural : `${spec.plural}.${group}`,
    group,
    version: spec.version ?? 'v1',
    kind: spec.kind,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced ?? true,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.verbs ?? ALL_VERBS,
    subresources: spec.subresources ?? [],
    generation: spec.generation ?? false,
  };
}

export const RESOURCES: ResourceInfo[] = [
  define({ kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: ['status'] }),
  define({ kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status'] }),
  define({
    kind: 'Pod',
    plural: 'pods',
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log', 'exec', 'portforward', 'attach'],
  }),
  define({ kind: 'Service', plural: 'services', shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
  define({ kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'] }),
  define({ kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] }),
  define({ kind: 'Secret', plural: 'secrets' }),
  define({ kind: 'Event', plural: 'events', shortNames: ['ev'] }),
  define({
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  define({ kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'] }),
  define({
    group: 'apps',
    kind: 'Deployment',
    generation: true,
    plural: 'deployments',
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['scale', 'status'],
  }),
  define({
    group: 'apps',
    kind: 'ReplicaSet',
    generation: true,
    plural: 'replicasets',
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['scale', 'status'],
  }),
  define({
    group: 'apps',
    kind: 'StatefulSet',
    generation: true,
    plural: 'statefulsets',
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['scale', 'status'],
  }),
  define({
    group: 'apps',
    kind: 'DaemonSet',
    generation: true,
    plural: 'daemonsets',
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
  }),
  define({
    group: 'batch',
    kind: 'Job',
    plural: 'jobs',
    generation: true,
    categories: ['all'],
    subresources: ['status'],
  }),
  define({
    group: 'batch',
    kind: 'CronJob',
    generation: true,
    plural: 'cronjobs',
    shortNames: ['cj'],
    categories: ['all'],
    subresources: ['status'],
  }),
  define({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: ['status'],
  }),
  // Stored and served but acted on by nothing, as in a cluster without the matching controllers: they let
  // application manifests that carry them apply unchanged.
  define({ kind: 'LimitRange', plural: 'limitranges', shortNames: ['limits'] }),
  define({ kind: 'ResourceQuota', plural: 'resourcequotas', shortNames: ['quota'], subresources: ['status'] }),
  define({
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    subresources: ['status'],
  }),
  define({
    group: 'networking.k8s.io',
    kind: 'Ingress',
    generation: true,
    plural: 'ingresses',
    shortNames: ['ing'],
    subresources: ['status'],
  }),
  define({
    group: 'networking.k8s.io',
    kind: 'IngressClass',
    generation: true,
    plural: 'ingressclasses',
    namespaced: false,
  }),
  define({
    group: 'networking.k8s.io',
    kind: 'NetworkPolicy',
    generation: true,
    plural: 'networkpolicies',
    shortNames: ['netpol'],
  }),
  define({ group: 'rbac.authorization.k8s.io', kind: 'Role', plural: 'roles' }),
  define({ group: 'rbac.authorization.k8s.io', kind: 'RoleBinding', plural: 'rolebindings' }),
  define({ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false }),
  define({
    group: 'rbac.authorization.k8s.io',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
  }),
  define({
    group: 'policy',
    kind: 'PodDisruptionBudget',
    generation: true,
    plural: 'poddisruptionbudgets',
    shortNames: ['pdb'],
    subresources: ['status'],
  }),
  define({
    group: 'storage.k8s.io',
    kind: 'StorageClass',
    plural: 'storageclasses',
    namespaced: false,
    shortNames: ['sc'],
  }),
  define({ group: 'coordination.k8s.io', kind: 'Lease', plural: 'leases' }),
  define({ group: 'discovery.k8s.io', kind: 'EndpointSlice', plural: 'endpointslices' }),
  define({
    group: 'scheduling.k8s.io',
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
  }),
  // Served as a real cluster serves them so that tools which list them (kubectl, dashboards, rollout history)
  // get an answer; nothing acts on them.
  define({ kind: 'PodTemplate', plural: 'podtemplates' }),
  define({
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    shortNames: ['rc'],
    categories: ['all'],
    subresources: ['scale', 'status'],
    generation: true,
  }),
  define({ kind: 'Binding', plural: 'bindings', verbs: ['create'] }),
  define({
    kind: 'ComponentStatus',
    plural: 'componentstatuses',
    namespaced: false,
    shortNames: ['cs'],
    verbs: ['get', 'list'],
  }),
  define({ group: 'apps', kind: 'ControllerRevision', plural: 'controllerrevisions' }),
  define({ group: 'events.k8s.io', kind: 'Event', plural: 'events', shortNames: ['ev'] }),
  define({
    group: 'apiextensions.k8s.io',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: ['status'],
    generation: true,
  }),
  define({
    group: 'apiregistration.k8s.io',
    kind: 'APIService',
    plural: 'apiservices',
    namespaced: false,
    categories: ['api-extensions'],
    subresources: ['status'],
  }),
  ...(
    [
      ['MutatingWebhookConfiguration', 'mutatingwebhookconfigurations'],
      ['ValidatingAdmissionPolicy', 'validatingadmissionpolicies'],
      ['ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings'],
      ['ValidatingWebhookConfiguration', 'validatingwebhookconfigurations'],
    ] as const
  ).map(([kind, plural]) =>
    define({
      group: 'admissionregistration.k8s.io',
      kind,
      plural,
      namespaced: false,
      categories: ['api-extensions'],
      generation: true,
      ...(kind === 'ValidatingAdmissionPolicy' ? { subresources: ['status'] } : {}),
    }),
  ),
  define({
    group: 'authentication.k8s.io',
    kind: 'SelfSubjectReview',
    plural: 'selfsubjectreviews',
    namespaced: false,
    verbs: ['create'],
  }),
  define({
    group: 'authentication.k8s.io',
    kind: 'TokenReview',
    plural: 'tokenreviews',
    namespaced: false,
    verbs: ['create'],
  }),
  define({
    group: 'authorization.k8s.io',
    kind: 'LocalSubjectAccessReview',
    plural: 'localsubjectaccessreviews',
    verbs: ['create'],
  }),
  define({
    group: 'authorization.k8s.io',
    kind: 'SelfSubjectAccessReview',
    plural: 'selfsubjectaccessreviews',
    namespaced: false,
    verbs: ['create'],
  }),
  define({
    group: 'authorization.k8s.io',
    kind: 'SelfSubjectRulesReview',
    plural: 'selfsubjectrulesreviews',
    namespaced: false,
    verbs: ['create'],
  }),
  define({
    group: 'authorization.k8s.io',
    kind: 'SubjectAccessReview',
    plural: 'subjectaccessreviews',
    namespaced: false,
    verbs: ['create'],
  }),
  define({
    group: 'certificates.k8s.io',
    kind: 'CertificateSigningRequest',
    plural: 'certificatesigningrequests',
    namespaced: false,
    shortNames: ['csr'],
    subresources: ['approval', 'status'],
  }),
  define({
    group: 'flowcontrol.apiserver.k8s.io',
    kind: 'FlowSchema',
    plural: 'flowschemas',
    namespaced: false,
    subresources: ['status'],
    generation: true,
  }),
  define({
    group: 'flowcontrol.apiserver.k8s.io',
    kind: 'PriorityLevelConfiguration',
    plural: 'prioritylevelconfigurations',
    namespaced: false,
    subresources: ['status'],
    generation: true,
  }),
  define({ group: 'node.k8s.io', kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false }),
  define({ group: 'storage.k8s.io', kind: 'CSIDriver', plural: 'csidrivers', namespaced: false }),
  define({ group: 'storage.k8s.io', kind: 'CSINode', plural: 'csinodes', namespaced: false }),
  define({ group: 'storage.k8s.io', kind: 'CSIStorageCapacity', plural: 'csistoragecapacities' }),
  define({
    group: 'storage.k8s.io',
    kind: 'VolumeAttachment',
    plural: 'volumeattachments',
    namespaced: false,
    subresources: ['status'],
  }),
];

/** The `apiVersion` string objects of a resource carry (`v1`, `apps/v1`). */
export function apiVersionOf(resource: ResourceInfo): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** Looks resources up by key, by URL path parts and by kind. */
export class ResourceIndex {
  private readonly byKey = new Map<string, ResourceInfo>();
  private readonly kinds = new Map<string, ResourceInfo>();

  public constructor(public readonly all: readonly ResourceInfo[] = RESOURCES) {
    for (const resource of all) {
      this.byKey.set(resource.key, resource);
      this.kinds.set(`${apiVersionOf(resource)}|${resource.kind}`, resource);
    }
  }

  /** `pods`, `deployments.apps`. */
  public byResourceKey(key: string): ResourceInfo | undefined {
    return this.byKey.get(key);
  }

  /** The resource served at `/api/v1/<plural>` (group '') or `/apis/<group>/<version>/<plural>`. */
  public byPath(group: string, version: string, plural: string): ResourceInfo | undefined {
    const resource = this.byKey.get(group === '' ? plural : `${plural}.${group}`);
    return resource?.version === version ? resource : undefined;
  }

  /** The resource for an object's `apiVersion` and `kind`, as found in ownerReferences. */
  public byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.kinds.get(`${apiVersion}|${kind}`);
  }

  /** Every group/version served, the core group first. */
  public groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const resource of this.all)
      seen.set(apiVersionOf(resource), { group: resource.group, version: resource.version });
    return [...seen.values()];
  }
}

const defaultIndex = new ResourceIndex(RESOURCES);

/** The resource with the given key (`pods`, `deployments.apps`) among the default resources. */
export function resourceByKey(key: string): ResourceInfo | undefined {
  return defaultIndex.byResourceKey(key);
}

/** The resource for `apiVersion` and `kind` among the default resources. */
export function resourceByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return defaultIndex.byKind(apiVersion, kind);
}

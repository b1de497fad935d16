/**
 * Decoding a request body into a kind, as a real API server's typed decoder does it for the kinds clients write
 * most (Pods and their templates, workloads, ConfigMaps, Secrets): a value of the wrong JSON type is a 400
 * BadRequest worded as Go's decoder words it, and a field the kind does not have is dropped, reported as a
 * warning (`fieldValidation=Warn`, the default) or refused (`Strict`). Parts of an object the table below does
 * not describe are kept as sent.
 */
import type { ServerResponse } from 'node:http';
import { ApiError, type KubeObject, type ResourceInfo } from '../contracts.js';

/** A field's type: a Go scalar, a string map, a struct (by name), or a list of one of them. */
type FieldType =
  'string' | 'int32' | 'int64' | 'bool' | 'map' | 'bytesMap' | 'opaque' | { struct: string } | { list: FieldType };

type Struct = Record<string, FieldType>;

const s = (struct: string): FieldType => ({ struct });
const list = (of: FieldType): FieldType => ({ list: of });

const OBJECT_META: Struct = {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  selfLink: 'string',
  uid: 'string',
  resourceVersion: 'string',
  generation: 'int64',
  creationTimestamp: 'opaque',
  deletionTimestamp: 'opaque',
  deletionGracePeriodSeconds: 'int64',
  labels: 'map',
  annotations: 'map',
  ownerReferences: 'opaque',
  finalizers: list('string'),
  managedFields: 'opaque',
};

const CONTAINER: Struct = {
  name: 'string',
  image: 'string',
  command: list('string'),
  args: list('string'),
  workingDir: 'string',
  ports: list(s('ContainerPort')),
  envFrom: 'opaque',
  env: list(s('EnvVar')),
  resources: 'opaque',
  resizePolicy: 'opaque',
  restartPolicy: 'string',
  volumeMounts: 'opaque',
  volumeDevices: 'opaque',
  livenessProbe: 'opaque',
  readinessProbe: 'opaque',
  startupProbe: 'opaque',
  lifecycle: 'opaque',
  terminationMessagePath: 'string',
  terminationMessagePolicy: 'string',
  imagePullPolicy: 'string',
  securityContext: 'opaque',
  stdin: 'bool',
  stdinOnce: 'bool',
  tty: 'bool',
};

const POD_SPEC: Struct = {
  volumes: 'opaque',
  initContainers: list(s('Container')),
  containers: list(s('Container')),
  ephemeralContainers: 'opaque',
  restartPolicy: 'string',
  terminationGracePeriodSeconds: 'int64',
  activeDeadlineSeconds: 'int64',
  dnsPolicy: 'string',
  nodeSelector: 'map',
  serviceAccountName: 'string',
  serviceAccount: 'string',
  automountServiceAccountToken: 'bool',
  nodeName: 'string',
  hostNetwork: 'bool',
  hostPID: 'bool',
  hostIPC: 'bool',
  shareProcessNamespace: 'bool',
  securityContext: 'opaque',
  imagePullSecrets: 'opaque',
  hostname: 'string',
  subdomain: 'string',
  affinity: 'opaque',
  schedulerName: 'string',
  tolerations: 'opaque',
  hostAliases: 'opaque',
  priorityClassName: 'string',
  priority: 'int32',
  dnsConfig: 'opaque',
  readinessGates: 'opaque',
  runtimeClassName: 'string',
  enableServiceLinks: 'bool',
  preemptionPolicy: 'string',
  overhead: 'opaque',
  topologySpreadConstraints: 'opaque',
  setHostnameAsFQDN: 'bool',
  os: 'opaque',
  hostUsers: 'bool',
  schedulingGates: 'opaque',
  resourceClaims: 'opaque',
  resources: 'opaque',
};

const WORKLOAD_TOP: Struct = { apiVersion: 'string', kind: 'string', metadata: s('ObjectMeta'), status: 'opaque' };

const STRUCTS: Record<string, Struct> = {
  ObjectMeta: OBJECT_META,
  Container: CONTAINER,
  ContainerPort: { name: 'string', hostPort: 'int32', containerPort: 'int32', protocol: 'string', hostIP: 'string' },
  EnvVar: { name: 'string', value: 'string', valueFrom: 'opaque' },
  PodSpec: POD_SPEC,
  PodTemplateSpec: { metadata: s('ObjectMeta'), spec: s('PodSpec') },
  Pod: { ...WORKLOAD_TOP, spec: s('PodSpec') },
  ConfigMap: {
    apiVersion: 'string',
    kind: 'string',
    metadata: s('ObjectMeta'),
    data: 'map',
    binaryData: 'opaque',
    immutable: 'bool',
  },
  Secret: {
    apiVersion: 'string',
    kind: 'string',
    metadata: s('ObjectMeta'),
    data: 'bytesMap',
    stringData: 'map',
    type: 'string',
    immutable: 'bool',
  },
  Deployment: { ...WORKLOAD_TOP, spec: s('DeploymentSpec') },
  DeploymentSpec: {
    replicas: 'int32',
    selector: 'opaque',
    template: s('PodTemplateSpec'),
    strategy: 'opaque',
    minReadySeconds: 'int32',
    revisionHistoryLimit: 'int32',
    paused: 'bool',
    progressDeadlineSeconds: 'int32',
  },
  ReplicaSet: { ...WORKLOAD_TOP, spec: s('ReplicaSetSpec') },
  ReplicaSetSpec: { replicas: 'int32', minReadySeconds: 'int32', selector: 'opaque', template: s('PodTemplateSpec') },
  StatefulSet: { ...WORKLOAD_TOP, spec: s('StatefulSetSpec') },
  StatefulSetSpec: {
    replicas: 'int32',
    selector: 'opaque',
    template: s('PodTemplateSpec'),
    volumeClaimTemplates: 'opaque',
    serviceName: 'string',
    podManagementPolicy: 'string',
    updateStrategy: 'opaque',
    revisionHistoryLimit: 'int32',
    minReadySeconds: 'int32',
    persistentVolumeClaimRetentionPolicy: 'opaque',
    ordinals: 'opaque',
  },
  DaemonSet: { ...WORKLOAD_TOP, spec: s('DaemonSetSpec') },
  DaemonSetSpec: {
    selector: 'opaque',
    template: s('PodTemplateSpec'),
    updateStrategy: 'opaque',
    minReadySeconds: 'int32',
    revisionHistoryLimit: 'int32',
  },
};

/** The kinds decoded with the table; others are stored as sent. */
const KIND_STRUCTS: Record<string, string> = {
  pods: 'Pod',
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  'deployments.apps': 'Deployment',
  'replicasets.apps': 'ReplicaSet',
  'statefulsets.apps': 'StatefulSet',
  'daemonsets.apps': 'DaemonSet',
};

/** The JSON type Go's decoder names in its errors. */
function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'number' : `number ${value}`;
  return typeof value;
}

/** Go's error for text that is not standard base64 (`illegal base64 data at input byte 3`), if it is not. */
function base64Error(text: string): string | undefined {
  const clean = text.replace(/[\r\n]/g, '');
  const invalid = clean.search(/[^A-Za-z0-9+/=]/);
  const padding = clean.indexOf('=');
  if (invalid >= 0) return `illegal base64 data at input byte ${invalid}`;
  if (padding >= 0 && (/[^=]/.test(clean.slice(padding)) || clean.length % 4 !== 0))
    return `illegal base64 data at input byte ${padding}`;
  if (clean.length % 4 === 1) return `illegal base64 data at input byte ${clean.length - 1}`;
  if (clean.length % 4 !== 0) return `illegal base64 data at input byte ${clean.length}`;
  return undefined;
}

/** A value Go's decoder refuses: `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`. */
export interface TypeMismatch {
  message: string;
}

interface Walk {
  mismatch?: string;
  unknown: string[];
}

function goTypeName(type: FieldType): string {
  if (typeof type === 'string') return type === 'map' ? 'map[string]string' : type;
  if ('struct' in type) return `v1.${type.struct}`;
  return `[]${goTypeName(type.list)}`;
}

/**
 * Walks `value` as `type`, at JSON path `path` (`spec.template`) and Go path `goPath` (`spec.template`, without
 * indexes), inside the struct `owner`. Records the first mismatch, collects unknown fields and removes them.
 */
function walk(value: unknown, type: FieldType, path: string, goPath: string, owner: string, result: Walk): void {
  if (value === null || type === 'opaque') return;
  const mismatch = (expected: string): void => {
    result.mismatch ??= `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${owner}.${goPath} of type ${expected}`;
  };
  if (type === 'string') {
    if (typeof value !== 'string') mismatch('string');
    return;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') mismatch('bool');
    return;
  }
  if (type === 'int32' || type === 'int64') {
    if (typeof value !== 'number' || !Number.isInteger(value)) mismatch(type);
    return;
  }
  if (type === 'bytesMap') {
    if (typeof value !== 'object' || Array.isArray(value)) return mismatch('map[string][]uint8');
    for (const member of Object.values(value as Record<string, unknown>)) {
      if (member === null) continue;
      if (typeof member !== 'string') {
        result.mismatch ??= `json: cannot unmarshal ${jsonKind(member)} into Go struct field ${owner}.${goPath} of type []uint8`;
      } else {
        const bad = base64Error(member);
        if (bad !== undefined) result.mismatch ??= bad;
      }
    }
    return;
  }
  if (type === 'map') {
    if (typeof value !== 'object' || Array.isArray(value)) return mismatch('map[string]string');
    for (const member of Object.values(value as Record<string, unknown>)) {
      if (member !== null && typeof member !== 'string') {
        result.mismatch ??= `json: cannot unmarshal ${jsonKind(member)} into Go struct field ${owner}.${goPath} of type string`;
      }
    }
    return;
  }
  if ('list' in type) {
    if (!Array.isArray(value)) return mismatch(goTypeName(type));
    value.forEach((item, index) => walk(item, type.list, `${path}[${index}]`, goPath, owner, result));
    return;
  }
  const struct = STRUCTS[type.struct];
  if (struct === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) return mismatch(goTypeName(type));
  const object = value as Record<string, unknown>;
  for (const [key, member] of Object.entries(object)) {
    const memberType = struct[key];
    const memberPath = path === '' ? key : `${path}.${key}`;
    if (memberType === undefined) {
      result.unknown.push(memberPath);
      delete object[key];
      continue;
    }
    walk(member, memberType, memberPath, goPath === '' ? key : `${goPath}.${key}`, type.struct, result);
  }
}

/** What decoding found: the first type mismatch (as Go words it) and the unknown fields (already removed). */
export function decodeObject(resource: ResourceInfo, object: KubeObject): { mismatch?: string; unknown: string[] } {
  const struct = KIND_STRUCTS[resource.key];
  const result: Walk = { unknown: [] };
  if (struct === undefined) return result;
  walk(object, { struct }, '', '', struct, result);
  return result;
}

/** How unknown fields are treated: the `fieldValidation` parameter, `Warn` when absent as on a real server. */
export function fieldValidationOf(query: URLSearchParams): 'Strict' | 'Warn' | 'Ignore' {
  const value = query.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new ApiError(
    400,
    'BadRequest',
    `fieldValidation parameter unsupported: ${value}. Supported values: "Ignore", "Warn", "Strict"`,
  );
}

/**
 * Decodes a create or update body: 400 for a wrong type or (under Strict) an unknown field; unknown fields are
 * dropped and, under Warn, named in `Warning` headers, as kubectl shows them.
 */
export function decodeBody(
  resource: ResourceInfo,
  object: KubeObject,
  query: URLSearchParams,
  res: ServerResponse,
): void {
  const validation = fieldValidationOf(query);
  const { mismatch, unknown } = decodeObject(resource, object);
  const cannot = `${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}`;
  if (mismatch !== undefined) throw new ApiError(400, 'BadRequest', `${cannot}: ${mismatch}`);
  if (unknown.length === 0) return;
  const described = unknown.map((field) => `unknown field "${field}"`);
  if (validation === 'Strict')
    throw new ApiError(400, 'BadRequest', `${cannot}: strict decoding error: ${described.join(', ')}`);
  if (validation === 'Warn')
    res.setHeader(
      'Warning',
      described.map((text) => `299 - ${JSON.stringify(text)}`),
    );
}

/** JSON as Go writes a map: keys sorted, `<`, `>` and `&` escaped. */
function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
  }
  return (JSON.stringify(value) ?? 'null').replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * Decodes the result of a JSON or merge patch: a wrong type is a 422 on the field `patch` whose value is the
 * patched object, as a real server answers `{"spec":{"replicas":"x"}}`. Unknown fields are dropped.
 */
export function decodePatched(resource: ResourceInfo, patched: KubeObject): void {
  const text = goJson(patched);
  const { mismatch } = decodeObject(resource, patched);
  if (mismatch === undefined) return;
  const body = `Invalid value: ${JSON.stringify(text)}: ${mismatch}`;
  throw new ApiError(422, 'Invalid', ` "" is invalid: patch: ${body}`, {
    causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }],
  });
}

/**
 * The seams between the sandbox's parts: the object store (API server side), the kubelet (process pods) and
 * the streaming endpoints (exec, attach, port-forward, logs). Each part depends on these interfaces only.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** Object metadata, as a real API server sets it. */
export interface ObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any stored object. Spec and status stay loosely typed: the store does not interpret them. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  [key: string]: unknown;
}

/**
 * A resource the API serves. `key` identifies it everywhere in the sandbox: the plural for the core group
 * (`pods`), `plural.group` otherwise (`deployments.apps`, `jobs.batch`).
 */
export interface ResourceInfo {
  key: string;
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: string[];
  /** Whether objects carry `metadata.generation` (workloads do; Pods, ConfigMaps and Secrets do not). */
  generation: boolean;
}

/**
 * An error with the HTTP status and `metav1.Status` reason a real API server would answer.
 * For example `new ApiError(404, 'NotFound', 'pods "x" not found')`.
 */
export class ApiError extends Error {
  public constructor(
    public readonly code: number,
    public readonly reason: string,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A `metav1.Status` body, as a real API server answers every error. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

export function statusOf(error: ApiError): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    code: error.code,
  };
  // An unclassified error (reason "") has no reason member, as a real server's JSON omits empty fields.
  if (error.reason === '') delete status.reason;
  // A real server leaves out an empty group (the core group), as its JSON omits empty fields.
  if (error.details !== undefined)
    status.details = Object.fromEntries(
      Object.entries(error.details).filter(([key, value]) => !(key === 'group' && value === '')),
    );
  return status;
}

/** Any thrown value as the ApiError a client should see; unexpected errors become 500 InternalError. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  /** The object after the change (for DELETED: the last state). */
  object: KubeObject;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * The in-memory object store behind the API server. Controllers and the kubelet use it directly, in process.
 * Every write gets the next global resourceVersion; watchers see the change synchronously after the write.
 */
export interface Store {
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(
    resource: string,
    namespace: string | undefined,
    options?: ListOptions,
  ): { items: KubeObject[]; resourceVersion: string };
  /** Fills uid, resourceVersion, creationTimestamp, generation (1), apiVersion/kind; resolves generateName. 409 AlreadyExists. */
  create(resource: string, object: KubeObject): KubeObject;
  /**
   * Replaces the object. 409 Conflict when `metadata.resourceVersion` is set and stale. Without a subresource, a
   * change to anything but metadata/status bumps `generation` and the stored status is kept; with `'status'`,
   * only the status is taken from the object.
   */
  update(resource: string, object: KubeObject, options?: { subresource?: 'status' }): KubeObject;
  /** Removes the object at once (graceful deletion of pods is the kubelet's job, through deletionTimestamp). */
  delete(resource: string, namespace: string | undefined, name: string): KubeObject;
  /**
   * Calls `listener` for every change after `fromResourceVersion` (replaying buffered events newer than it;
   * 410 Gone when it is older than the buffer). Without `fromResourceVersion`, only future changes.
   * Returns an unsubscribe function.
   */
  watch(
    resource: string,
    namespace: string | undefined,
    fromResourceVersion: string | undefined,
    listener: (event: WatchEvent) => void,
  ): () => void;
  /** The current global resourceVersion. */
  currentResourceVersion(): string;
}

/** A process running inside a container: exec or attach. */
export interface ContainerProcess {
  /** Input to the process, when stdin was requested. */
  stdin: Writable | null;
  /** Output; with a TTY it carries stderr too. */
  stdout: Readable;
  /** Error output; null with a TTY. */
  stderr: Readable | null;
  /** Changes the TTY size; a no-op without a TTY. */
  resize(cols: number, rows: number): void;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number>;
  /** Ends the process. */
  kill(): void;
}

export interface ExecOptions {
  stdin: boolean;
  tty: boolean;
  cols?: number;
  rows?: number;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  previous?: boolean;
  limitBytes?: number;
}

/**
 * What the kubelet offers the streaming endpoints. Every method throws `ApiError` (404 for an unknown pod or
 * container, 400 for a pod that is not running, as a real kubelet answers).
 * `container` undefined or '' means the pod's first container (or the one named by the
 * `kubectl.kubernetes.io/default-container` annotation).
 */
export interface PodRuntime {
  exec(
    namespace: string,
    pod: string,
    container: string | undefined,
    command: string[],
    options: ExecOptions,
  ): ContainerProcess;
  attach(namespace: string, pod: string, container: string | undefined, options: ExecOptions): ContainerProcess;
  /** A TCP connection to 127.0.0.1:port inside the pod's own network namespace. */
  connect(namespace: string, pod: string, port: number): Promise<Duplex>;
  /** The container's log as a stream of bytes, formatted as `kubectl logs` expects. */
  logs(namespace: string, pod: string, container: string | undefined, options: LogOptions): Readable;
}

/** The pod subresource an upgrade request (exec, attach, port-forward) targets, as the API server routed it. */
export interface StreamTarget {
  namespace: string;
  pod: string;
  subresource: 'exec' | 'attach' | 'portforward';
  /** The request's query: `command`, `container`, `stdin`, `tty`, `ports`… */
  query: URLSearchParams;
}

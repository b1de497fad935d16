/**
 * Plain Kubernetes objects as the engine sees them, and the narrow interface through which it reads and writes
 * them. Only this folder knows how the interface is implemented.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export type PatchType = 'strategic' | 'merge' | 'json';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Identifies one object: its API version and kind as the API spells them, namespace and name. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Reads and writes objects of any kind. Every method throws `KubeError` for an API failure. */
export interface ObjectClient {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<KubeObject[]>;
  create(object: KubeObject): Promise<KubeObject>;
  /** Replaces the object; fails with status 409 when its resourceVersion is stale. */
  replace(object: KubeObject): Promise<KubeObject>;
  patch(ref: ObjectRef, patch: unknown, type: PatchType): Promise<KubeObject>;
  /** Deletes the object; a missing object is not an error. */
  delete(ref: ObjectRef, options?: { gracePeriodSeconds?: number }): Promise<void>;
  /**
   * Calls `onEvent` for every change of the matching objects until the returned function is called. Reconnects
   * by itself (listing again when the resourceVersion expired), so a quiet or dropped watch never ends it.
   */
  watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    options: {
      labelSelector?: string;
      fieldSelector?: string;
      /** Called once the current objects have been reported (after each list), so a caller knows what is absent. */
      onSynced?: () => void;
      /**
       * Called with false and the reason each time the watch cannot be opened (the API server is unreachable or
       * refuses), and with true each time it is open again.
       */
      onConnection?: (connected: boolean, error?: Error) => void;
      /**
       * Watch from this resourceVersion instead of listing first: the caller has just read the cluster at that
       * version. An expired version falls back to listing.
       */
      resourceVersion?: string;
    },
    onEvent: (type: WatchEventType, object: KubeObject) => void,
  ): () => void;
}

import type * as k8s from '@kubernetes/client-node';
import { createInterface } from 'node:readline';
import type { Kubeconfig } from './kubeconfig.js';
import { KubeError } from './errors.js';
import type { KubeObject, ObjectClient, ObjectRef, PatchType, WatchEventType } from './objects.js';
import { collectionPath } from './resources.js';
import { RestTransport } from './rest.js';

/** A connection to one context of a kubeconfig. */
export interface ClusterClient {
  /** The context's name. */
  context: string;
  /** The context's default namespace. */
  namespace: string;
  objects: ObjectClient;
  /** The client library's configuration, for the stream helpers in this folder. */
  readonly kubeConfig: k8s.KubeConfig;
  readonly rest: RestTransport;
}

// The client library is large; loading it only when a cluster is first used keeps `initialize` fast.
let library: Promise<typeof k8s> | undefined;
export function loadLibrary(): Promise<typeof k8s> {
  library ??= import('@kubernetes/client-node');
  return library;
}

/** Opens a client for `contextName` (default: the kubeconfig's current context). */
export async function openCluster(config: Kubeconfig, contextName?: string): Promise<ClusterClient> {
  const lib = await loadLibrary();
  const name = contextName ?? config.currentContext;
  const context = config.contexts.find((candidate) => candidate.name === name);
  if (name === undefined || context === undefined) {
    const known = config.contexts.map((entry) => entry.name).join(', ');
    throw new KubeError(
      0,
      'ContextNotFound',
      name === undefined ? 'the kubeconfig has no current context' : `context "${name}" not found (known: ${known})`,
    );
  }
  const kubeConfig = new lib.KubeConfig();
  kubeConfig.loadFromString(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': name,
      contexts: config.contexts.map((entry) => ({
        name: entry.name,
        context: {
          cluster: entry.cluster,
          user: entry.user,
          ...(entry.namespace !== undefined ? { namespace: entry.namespace } : {}),
        },
      })),
      clusters: config.clusters.map((entry) => ({ name: entry.name, cluster: entry.raw })),
      users: config.users.map((entry) => ({ name: entry.name, user: entry.raw })),
    }),
  );
  const rest = new RestTransport(kubeConfig);
  return {
    context: name,
    namespace: context.namespace ?? 'default',
    kubeConfig,
    rest,
    objects: new RestObjectClient(rest),
  };
}

const patchContentTypes: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

const fieldManager = 'fieldManager=devmode';

function objectPath(ref: ObjectRef): string {
  return `${collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
}

function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
  };
}

interface ListBody {
  metadata?: { resourceVersion?: string };
  items?: KubeObject[];
}

class RestObjectClient implements ObjectClient {
  public constructor(private readonly rest: RestTransport) {}

  public async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await this.rest.json<KubeObject>('GET', objectPath(ref));
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined;
      throw error;
    }
  }

  public async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector?: string,
  ): Promise<KubeObject[]> {
    return (await this.listWithVersion(apiVersion, kind, namespace, { labelSelector })).items;
  }

  public create(object: KubeObject): Promise<KubeObject> {
    return this.rest.json(
      'POST',
      `${collectionPath(object.apiVersion, object.kind, object.metadata.namespace)}?${fieldManager}`,
      object,
    );
  }

  public replace(object: KubeObject): Promise<KubeObject> {
    return this.rest.json('PUT', `${objectPath(refOf(object))}?${fieldManager}`, object);
  }

  public patch(ref: ObjectRef, patch: unknown, type: PatchType): Promise<KubeObject> {
    return this.rest.json('PATCH', `${objectPath(ref)}?${fieldManager}`, patch, patchContentTypes[type]);
  }

  public async delete(ref: ObjectRef, options: { gracePeriodSeconds?: number } = {}): Promise<void> {
    try {
      await this.rest.json('DELETE', objectPath(ref), {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
        ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
      });
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error;
    }
  }

  public watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    options: {
      labelSelector?: string;
      fieldSelector?: string;
      onSynced?: () => void;
      onConnection?: (connected: boolean, error?: Error) => void;
      resourceVersion?: string;
    },
    onEvent: (type: WatchEventType, object: KubeObject) => void,
  ): () => void {
    let stopped = false;
    let current: { destroy(): void } | undefined;
    let resourceVersion: string | undefined = options.resourceVersion;
    let failures = 0;

    const once = async (): Promise<void> => {
      if (resourceVersion === undefined) {
        // (Re)list so that no change between two watches is missed; the caller sees the current objects.
        const list = await this.listWithVersion(apiVersion, kind, namespace, options);
        for (const item of list.items) onEvent('ADDED', item);
        resourceVersion = list.resourceVersion;
        options.onSynced?.();
      }
      const query = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: '300' });
      if (resourceVersion !== undefined) query.set('resourceVersion', resourceVersion);
      if (options.labelSelector !== undefined) query.set('labelSelector', options.labelSelector);
      if (options.fieldSelector !== undefined) query.set('fieldSelector', options.fieldSelector);
      const response = await this.rest.stream(`${collectionPath(apiVersion, kind, namespace)}?${query.toString()}`);
      if (stopped) {
        response.destroy();
        return;
      }
      current = response;
      failures = 0;
      options.onConnection?.(true);
      const lines = createInterface({ input: response, crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as { type: string; object: KubeObject & { code?: number } };
        if (event.type === 'ERROR') {
          // Usually 410 Gone: the resourceVersion is too old, so list again.
          resourceVersion = undefined;
          break;
        }
        resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')
          onEvent(event.type, event.object);
      }
    };
    const loop = async (): Promise<void> => {
      while (!stopped) {
        try {
          await once();
        } catch (error) {
          if (error instanceof KubeError && error.status === 410) resourceVersion = undefined;
          else if (!stopped) options.onConnection?.(false, error as Error);
          failures++;
          await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** failures)).unref());
        }
      }
    };
    void loop();
    return () => {
      stopped = true;
      current?.destroy();
    };
  }

  private async listWithVersion(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    options: { labelSelector?: string; fieldSelector?: string },
  ): Promise<{ items: KubeObject[]; resourceVersion?: string }> {
    const query = new URLSearchParams();
    if (options.labelSelector !== undefined) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector !== undefined) query.set('fieldSelector', options.fieldSelector);
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    const body = await this.rest.json<ListBody>('GET', `${collectionPath(apiVersion, kind, namespace)}${suffix}`);
    const items = (body.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
    return {
      items,
      ...(body.metadata?.resourceVersion !== undefined ? { resourceVersion: body.metadata.resourceVersion } : {}),
    };
  }
}

/**
 * What a real controller manager puts in every namespace: the `default` ServiceAccount (pods run as it unless
 * they name another) and the `kube-root-ca.crt` ConfigMap holding the cluster's CA certificate, which the
 * projected `kube-api-access-*` volume of every pod mounts as `ca.crt`.
 */
import { ApiError } from '../contracts.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';

export function startNamespaceController(ctx: ControllerContext, caCert: string): StopFn {
  const { store } = ctx;
  const createIfMissing = (create: () => void): void => {
    try {
      create();
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error;
    }
  };
  const queue = new WorkQueue('namespace-defaults', (_namespace, name) => {
    const namespace = store.get('namespaces', undefined, name);
    if (namespace === undefined || namespace.metadata.deletionTimestamp !== undefined) return;
    if (store.get('serviceaccounts', name, 'default') === undefined) {
      createIfMissing(() =>
        store.create('serviceaccounts', {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'default', namespace: name },
        }),
      );
    }
    const existing = store.get('configmaps', name, 'kube-root-ca.crt');
    if (existing === undefined) {
      createIfMissing(() =>
        store.create('configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'kube-root-ca.crt',
            namespace: name,
            annotations: { 'kubernetes.io/description': CA_DESCRIPTION },
          },
          data: { 'ca.crt': caCert },
        }),
      );
    }
  });
  const unwatchNamespaces = watchAll(store, 'namespaces', (event) => {
    if (event.type !== 'DELETED') queue.add(undefined, event.object.metadata.name);
  });
  // Deleted by a user, both come back, as a real controller manager recreates them.
  const unwatchAccounts = watchAll(store, 'serviceaccounts', (event) => {
    if (event.type === 'DELETED' && event.object.metadata.name === 'default')
      queue.add(undefined, event.object.metadata.namespace ?? '');
  });
  const unwatchConfigMaps = watchAll(store, 'configmaps', (event) => {
    if (event.type === 'DELETED' && event.object.metadata.name === 'kube-root-ca.crt')
      queue.add(undefined, event.object.metadata.namespace ?? '');
  });
  enqueueAll(store, 'namespaces', queue);
  return () => {
    unwatchNamespaces();
    unwatchAccounts();
    unwatchConfigMaps();
    queue.stop();
  };
}

const CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

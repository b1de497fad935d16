import { DevModeErrorCodes, type ListClustersResult } from '@devmode/protocol';
import { KubeconfigError, kubeconfigPaths, loadKubeconfig } from '../kube/kubeconfig.js';
import { devModeError } from './errors.js';
import { paramsObject } from './validate.js';

/** Where the server finds its kubeconfig: the `initialize` option if the client gave one. */
export interface KubeconfigSource {
  kubeconfig?: string;
}

export function listClusters(params: unknown, source: KubeconfigSource): ListClustersResult {
  paramsObject(params);
  const config = loadOrExplain(source);
  return {
    files: config.files,
    contexts: config.contexts.map((context) => {
      const server = config.clusters.find((cluster) => cluster.name === context.cluster)?.server;
      return {
        name: context.name,
        cluster: context.cluster,
        ...(server !== undefined ? { server } : {}),
        namespace: context.namespace ?? 'default',
        user: context.user,
        current: context.name === config.currentContext,
      };
    }),
  };
}

function loadOrExplain(source: KubeconfigSource): ReturnType<typeof loadKubeconfig> {
  try {
    return loadKubeconfig(kubeconfigPaths(source.kubeconfig));
  } catch (error) {
    if (error instanceof KubeconfigError) {
      throw devModeError(DevModeErrorCodes.KubeconfigInvalid, `Kubeconfig ${error.message}`, {
        file: error.file,
        ...(error.line !== undefined ? { line: error.line } : {}),
        reason: error.reason,
        hint: 'Point KUBECONFIG (or the kubeconfig option of initialize) at a valid kubeconfig file.',
      });
    }
    throw error;
  }
}

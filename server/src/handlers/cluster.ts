import type { ListClustersResult } from '@devmode/protocol';
import type { Clusters } from '../engine/clusters.js';
import { paramsObject } from './validate.js';

export function listClusters(params: unknown, clusters: Clusters): ListClustersResult {
  paramsObject(params);
  const config = clusters.kubeconfig(true);
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

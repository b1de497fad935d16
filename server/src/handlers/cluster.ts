import type { ListClustersResult } from '@devmode/protocol';
import type { Clusters } from '../engine/clusters.js';
import { paramsObject } from './validate.js';

export async function listClusters(params: unknown, clusters: Clusters): Promise<ListClustersResult> {
  paramsObject(params);
  const config = clusters.kubeconfig(true);
  // Every context is probed at once, so the answer takes at most one probe's bound however many there are.
  const reachable = await Promise.all(config.contexts.map((context) => clusters.reachable(context.name)));
  return {
    files: config.files,
    contexts: config.contexts.map((context, index) => {
      const server = config.clusters.find((cluster) => cluster.name === context.cluster)?.server;
      return {
        name: context.name,
        cluster: context.cluster,
        ...(server !== undefined ? { server } : {}),
        namespace: context.namespace ?? 'default',
        user: context.user,
        current: context.name === config.currentContext,
        reachable: reachable[index] ?? false,
      };
    }),
  };
}

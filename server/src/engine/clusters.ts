import { openCluster, type ClusterClient } from '../kube/client.js';
import { kubeconfigPaths, loadKubeconfig, type Kubeconfig } from '../kube/kubeconfig.js';

/**
 * The clusters this server talks to, one client per kubeconfig context, opened on first use. The kubeconfig is
 * read again when a context is not known yet, so a context added while the editor runs is found.
 */
export class Clusters {
  private readonly clients = new Map<string, Promise<ClusterClient>>();
  private config: Kubeconfig | undefined;

  public constructor(private readonly source: () => string | undefined) {}

  public kubeconfig(reload = false): Kubeconfig {
    if (reload || this.config === undefined) this.config = loadKubeconfig(kubeconfigPaths(this.source()));
    return this.config;
  }

  /** The client of `context`, or of the current context when none is named. */
  public async client(context?: string): Promise<ClusterClient> {
    let config = this.kubeconfig();
    if (context !== undefined && !config.contexts.some((entry) => entry.name === context))
      config = this.kubeconfig(true);
    const name = context ?? config.currentContext ?? '';
    let client = this.clients.get(name);
    if (client === undefined) {
      client = openCluster(config, context);
      this.clients.set(name, client);
      client.catch(() => this.clients.delete(name));
    }
    return client;
  }
}

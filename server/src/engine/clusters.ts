import { openCluster, type ClusterClient } from '../kube/client.js';
import { kubeconfigPaths, loadKubeconfig, type Kubeconfig } from '../kube/kubeconfig.js';

/** How long `cluster/list` waits for a context's API server to answer before listing it as unreachable. */
const probeTimeoutMs = 2_000;
/** How long a probe's answer is reused. */
const probeReuseMs = 5_000;

/**
 * The clusters this server talks to, one client per kubeconfig context, opened on first use. The kubeconfig is
 * read again when a context is not known yet, so a context added while the editor runs is found.
 */
export class Clusters {
  private readonly clients = new Map<string, Promise<ClusterClient>>();
  private readonly probes = new Map<string, { at: number; reachable: Promise<boolean> }>();
  private config: Kubeconfig | undefined;

  public constructor(private readonly source: () => string | undefined) {}

  public kubeconfig(reload = false): Kubeconfig {
    if (reload || this.config === undefined) this.config = loadKubeconfig(kubeconfigPaths(this.source()));
    return this.config;
  }

  /**
   * Whether the API server of `context` answers, within `probeTimeoutMs` (credential plugins included). A probe is
   * shared by the requests that ask while it runs and reused for `probeReuseMs`, so a client asking often costs the
   * cluster one request.
   */
  public reachable(context: string): Promise<boolean> {
    const cached = this.probes.get(context);
    if (cached !== undefined && Date.now() - cached.at < probeReuseMs) return cached.reachable;
    const probe = async (): Promise<boolean> => {
      // Opening the client is local work (loading the client library the first time), not part of the bound.
      const client = await this.client(context).catch(() => undefined);
      if (client === undefined) return false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), probeTimeoutMs);
      });
      try {
        return await Promise.race([client.rest.answers(probeTimeoutMs), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    };
    const reachable = probe();
    this.probes.set(context, { at: Date.now(), reachable });
    return reachable;
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

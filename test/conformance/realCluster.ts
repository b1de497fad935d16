/** The real control plane the scenarios are compared with. */
export interface RealCluster {
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export function startRealCluster(): Promise<RealCluster> {
  return Promise.reject(new Error('the real control plane harness is not wired in yet'));
}

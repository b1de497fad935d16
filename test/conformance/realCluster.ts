/**
 * The real control plane the scenarios are compared with: etcd, kube-apiserver, kube-controller-manager (its
 * service account and root CA publisher controllers fill new namespaces as the sandbox does) and kube-scheduler,
 * built by `npm run build:control-plane`. No node joins it.
 */
import { startControlPlane } from '../helpers/controlPlane.js';

export interface RealCluster {
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export function startRealCluster(): Promise<RealCluster> {
  return startControlPlane({ controllers: true });
}

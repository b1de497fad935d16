import { MessageDirection, ProtocolRequestType } from './messages.js';

/**
 * The params of `cluster/list`: none.
 */
export type ListClustersParams = Record<string, never>;

/**
 * One kubeconfig context.
 */
export interface ClusterContext {
  /**
   * The context's name, as `kubectl config get-contexts` shows it.
   */
  name: string;

  /**
   * The name of the cluster entry the context points at.
   */
  cluster: string;

  /**
   * The API server address of that cluster, when the kubeconfig has it.
   */
  server?: string;

  /**
   * The context's default namespace (`default` when the context sets none).
   */
  namespace: string;

  /**
   * The name of the user entry the context uses.
   */
  user: string;

  /**
   * True for the kubeconfig's current context.
   */
  current: boolean;

  /**
   * True when the context's API server answered a version probe (`GET /version`, any HTTP status) within 2 s,
   * false when it did not or the context cannot be used (no such cluster, a credential plugin that fails). Every
   * context is probed at once; a probe's answer is reused for 5 s.
   */
  reachable: boolean;
}

/**
 * The result of `cluster/list`.
 */
export interface ListClustersResult {
  /**
   * The contexts of the kubeconfig, in file order.
   */
  contexts: ClusterContext[];

  /**
   * The kubeconfig files that were read, in the order they were merged.
   */
  files: string[];
}

/**
 * Lists the kubeconfig contexts and whether each one's API server answers (a bounded probe, so the answer takes
 * at most about 2 s however many contexts there are). A missing or broken kubeconfig fails with
 * `KubeconfigInvalid` naming the file and the reason.
 *
 * @since 0.1.0
 * @errors KubeconfigInvalid
 * @example
 * {
 *   "params": {},
 *   "result": {
 *     "contexts": [
 *       {"name": "kind-dev", "cluster": "kind-dev", "server": "https://127.0.0.1:6443", "namespace": "default", "user": "kind-dev", "current": true, "reachable": true}
 *     ],
 *     "files": ["/home/dev/.kube/config"]
 *   }
 * }
 */
export namespace ListClustersRequest {
  export const method = 'cluster/list' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<ListClustersParams, ListClustersResult>(method);
}

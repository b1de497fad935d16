import { MessageDirection, ProtocolNotificationType, ProtocolRequestType } from './messages.js';
import type { PodTarget, Target } from './protocol.devMode.js';

/**
 * What a tree node stands for. A `group` gathers the workloads of one kind in a namespace (`Deployments`, ...).
 */
export type TreeNodeKind = 'context' | 'namespace' | 'group' | 'workload' | 'pod' | 'container';

/**
 * The state a client shows on a node (icon, colour). `devMode-mine` is a workload in DevMode started by this
 * server; `devMode-other` one started elsewhere; `devMode-stale` one whose owning server stopped renewing its
 * heartbeat (see `devMode/list`). `unreachable` is a context whose cluster does not answer.
 */
export type TreeNodeState =
  | 'running'
  | 'pending'
  | 'succeeded'
  | 'failed'
  | 'terminating'
  | 'devMode-starting'
  | 'devMode-mine'
  | 'devMode-other'
  | 'devMode-stale'
  | 'unreachable';

/**
 * What a client may offer on a node; the server lists only the actions that make sense in the node's state.
 */
export type TreeNodeAction =
  | 'startDevMode'
  | 'stopDevMode'
  | 'resetDevMode'
  | 'openDevConfig'
  | 'openTerminal'
  | 'openLogs'
  | 'startPortForward'
  | 'syncStatus'
  | 'refresh';

/**
 * One node of the cluster tree.
 */
export interface TreeNode {
  /**
   * A stable id, the same across calls while the object exists; pass it back as `nodeId`.
   */
  id: string;

  /**
   * What the node stands for.
   */
  kind: TreeNodeKind;

  /**
   * The text to show, usually the object's name.
   */
  label: string;

  /**
   * Secondary text, e.g. `2/2 ready` or `DevMode by ana@laptop`.
   */
  description?: string;

  /**
   * A longer text for a hover.
   */
  tooltip?: string;

  /**
   * The state to show, when the node has one.
   */
  state?: TreeNodeState;

  /**
   * True when `tree/children` may return children for this node.
   */
  hasChildren: boolean;

  /**
   * What the client may offer on this node.
   */
  actions: TreeNodeAction[];

  /**
   * The workload or pod the node stands for, ready to pass to `devMode/start`, `terminal/open` or `logs/open`;
   * present on `workload`, `pod` and `container` nodes.
   */
  target?: Target | PodTarget;
}

/**
 * The params of `tree/children`.
 */
export interface TreeChildrenParams {
  /**
   * The node whose children to list; the roots (one node per kubeconfig context) when absent.
   */
  nodeId?: string;
}

/**
 * The result of `tree/children`.
 */
export interface TreeChildrenResult {
  /**
   * The children, sorted as they should be shown.
   */
  nodes: TreeNode[];
}

/**
 * Lists the children of a tree node. Asking for a node starts watching its children, so that
 * `tree/didChange` reports what changes later; clients never poll.
 *
 * @since 0.1.0
 * @errors UnknownId, KubeconfigInvalid, ContextNotFound, ClusterUnreachable, Forbidden
 * @example
 * {
 *   "params": {"nodeId": "ctx/kind-dev/ns/shop/Deployment"},
 *   "result": {
 *     "nodes": [
 *       {
 *         "id": "ctx/kind-dev/ns/shop/Deployment/web",
 *         "kind": "workload",
 *         "label": "web",
 *         "description": "1/1 ready",
 *         "state": "running",
 *         "hasChildren": true,
 *         "actions": ["startDevMode", "openTerminal", "openLogs", "startPortForward", "openDevConfig"],
 *         "target": {"context": "kind-dev", "namespace": "shop", "kind": "Deployment", "name": "web"}
 *       }
 *     ]
 *   }
 * }
 */
export namespace TreeChildrenRequest {
  export const method = 'tree/children' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<TreeChildrenParams, TreeChildrenResult>(method);
}

/**
 * The params of `tree/didChange`.
 */
export interface DidChangeTreeParams {
  /**
   * The nodes whose children or own fields changed; the client asks `tree/children` again for them. An empty
   * list means the whole tree.
   */
  nodeIds: string[];
}

/**
 * Tells the client which parts of the tree to fetch again, driven by watches on the cluster.
 *
 * @since 0.1.0
 * @example {"params": {"nodeIds": ["ctx/kind-dev/ns/shop/Deployment"]}}
 */
export namespace DidChangeTreeNotification {
  export const method = 'tree/didChange' as const;
  export const messageDirection: MessageDirection = MessageDirection.serverToClient;
  export const type = new ProtocolNotificationType<DidChangeTreeParams>(method);
}

/**
 * The Clusters view: a lazy tree read with `tree/children` and refreshed only when the server sends
 * `tree/didChange`. Each node's context menu offers exactly the node's `actions`.
 */
import * as vscode from 'vscode';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  DidChangeTreeNotification,
  TreeChildrenRequest,
  type DevModeErrorData,
  type TreeNode,
  type TreeNodeState,
} from '@devmode/protocol';
import type { DevModeClient } from './client';
import { contextValue } from './labels';

/** A row of the view: a server node, or a line standing for a failure to list a node's children. */
export type ClusterItem = { node: TreeNode } | { error: string; hint?: string; parentId?: string };

const stateIcons: Record<TreeNodeState, [string, string?]> = {
  running: ['pass', 'testing.iconPassed'],
  pending: ['loading~spin'],
  succeeded: ['check'],
  failed: ['error', 'testing.iconFailed'],
  terminating: ['trash'],
  'devMode-starting': ['sync~spin', 'charts.yellow'],
  'devMode-mine': ['tools', 'charts.green'],
  'devMode-other': ['tools', 'charts.orange'],
  'devMode-stale': ['warning', 'charts.red'],
  unreachable: ['debug-disconnect', 'errorForeground'],
};

const kindIcons: Record<TreeNode['kind'], string> = {
  context: 'cloud',
  namespace: 'symbol-namespace',
  group: 'folder',
  workload: 'package',
  pod: 'vm',
  container: 'symbol-method',
};

export class ClustersTree implements vscode.TreeDataProvider<ClusterItem> {
  private readonly changed = new vscode.EventEmitter<ClusterItem | undefined>();
  public readonly onDidChangeTreeData = this.changed.event;
  /** The items shown, by node id, so that `tree/didChange` can name them back. */
  private readonly items = new Map<string, { node: TreeNode }>();
  private firstShown: (() => void) | undefined;
  /** Resolves once the roots are on screen for the first time. */
  public readonly shown = new Promise<void>((resolve) => (this.firstShown = resolve));

  public constructor(private readonly client: DevModeClient) {}

  public register(connection: MessageConnection): void {
    connection.onNotification(DidChangeTreeNotification.type, ({ nodeIds }) => {
      if (nodeIds.length === 0) return this.refresh();
      for (const id of nodeIds) {
        const item = this.items.get(id);
        if (item !== undefined) this.changed.fire(item);
      }
    });
    // A new server knows nothing of the old one's watches: read the whole tree again.
    this.refresh();
  }

  /** The nodes seen so far that offer `action`, for commands run from the palette without a selected node. */
  public nodesWith(action: TreeNode['actions'][number]): TreeNode[] {
    return [...this.items.values()].map(({ node }) => node).filter((node) => node.actions.includes(action));
  }

  public refresh(item?: ClusterItem): void {
    if (item === undefined) this.items.clear();
    this.changed.fire(item);
  }

  public getTreeItem(item: ClusterItem): vscode.TreeItem {
    if ('error' in item) {
      const row = new vscode.TreeItem(item.error, vscode.TreeItemCollapsibleState.None);
      row.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      if (item.hint !== undefined) {
        row.description = item.hint;
        row.tooltip = `${item.error}\n${item.hint}`;
      }
      return row;
    }
    const { node } = item;
    const row = new vscode.TreeItem(
      node.label,
      node.hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    row.id = node.id;
    if (node.description !== undefined) row.description = node.description;
    if (node.tooltip !== undefined) row.tooltip = node.tooltip;
    row.contextValue = contextValue(node.actions);
    const [icon, color] = node.state !== undefined ? stateIcons[node.state] : [kindIcons[node.kind]];
    row.iconPath = new vscode.ThemeIcon(icon, color !== undefined ? new vscode.ThemeColor(color) : undefined);
    return row;
  }

  public async getChildren(item?: ClusterItem): Promise<ClusterItem[]> {
    if (item !== undefined && 'error' in item) return [];
    try {
      const connection = await this.client.get();
      const { nodes } = await connection.sendRequest(
        TreeChildrenRequest.type,
        item !== undefined ? { nodeId: item.node.id } : {},
      );
      const children = nodes.map((node) => {
        const child = { node };
        this.items.set(node.id, child);
        return child;
      });
      if (item === undefined) this.firstShown?.();
      return children;
    } catch (error) {
      const data = error instanceof ResponseError ? (error.data as DevModeErrorData | undefined) : undefined;
      const message = error instanceof Error ? error.message : String(error);
      return [{ error: message, ...(data?.hint !== undefined ? { hint: data.hint } : {}) }];
    }
  }
}

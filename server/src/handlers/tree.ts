import type { TreeChildrenResult } from '@devmode/protocol';
import type { WorkloadTree } from '../engine/tree.js';
import { optionalString, paramsObject } from './validate.js';

export async function treeChildren(params: unknown, tree: WorkloadTree): Promise<TreeChildrenResult> {
  const nodeId = optionalString(paramsObject(params), 'nodeId');
  return { nodes: await tree.children(nodeId) };
}

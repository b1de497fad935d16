import { DevModeErrorCodes, type TreeChildrenResult } from '@devmode/protocol';
import { UnknownNodeError, type WorkloadTree } from '../engine/tree.js';
import { devModeError } from './errors.js';
import { explainClusterError } from './kubeErrors.js';
import { optionalString, paramsObject } from './validate.js';

export async function treeChildren(params: unknown, tree: WorkloadTree): Promise<TreeChildrenResult> {
  const nodeId = optionalString(paramsObject(params), 'nodeId');
  try {
    return { nodes: await tree.children(nodeId) };
  } catch (error) {
    if (error instanceof UnknownNodeError) {
      throw devModeError(DevModeErrorCodes.UnknownId, error.message, { field: 'nodeId' });
    }
    throw explainClusterError(error);
  }
}

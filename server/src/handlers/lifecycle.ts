import { protocolVersion, type InitializeResult } from '@devmode/protocol';
import { serverVersion } from '../version.js';
import { invalidParams } from './errors.js';
import { optionalObject, optionalString, paramsObject } from './validate.js';

/** What `initialize` told the server, and where the lifecycle stands. */
export interface LifecycleState {
  initialized: boolean;
  shutdownRequested: boolean;
  rootPath?: string;
  kubeconfig?: string;
  clientName?: string;
}

export function initialize(params: unknown, state: LifecycleState, methods: string[]): InitializeResult {
  const p = paramsObject(params, false);
  const clientInfo = optionalObject(p, 'clientInfo');
  if (clientInfo !== undefined) {
    state.clientName = optionalString(clientInfo, 'name', 'clientInfo.name');
    optionalString(clientInfo, 'version', 'clientInfo.version');
  }
  optionalObject(p, 'capabilities');
  const rootPath = optionalString(p, 'rootPath');
  const kubeconfig = optionalString(p, 'kubeconfig');
  if (kubeconfig === '') throw invalidParams('kubeconfig', 'must not be empty');
  if (rootPath !== undefined) state.rootPath = rootPath;
  if (kubeconfig !== undefined) state.kubeconfig = kubeconfig;
  state.initialized = true;
  return {
    serverInfo: { name: 'devmode', version: serverVersion },
    protocolVersion,
    capabilities: { methods, workDoneProgress: true },
  };
}

import { MessageType, protocolVersion, type InitializeResult, type TraceValue } from '@devmode/protocol';
import { serverVersion } from '../version.js';
import { invalidParams } from './errors.js';
import { optionalBoolean, optionalInteger, optionalObject, optionalString, paramsObject } from './validate.js';

/** What `initialize` told the server, and where the lifecycle stands. */
export interface LifecycleState {
  initialized: boolean;
  shutdownRequested: boolean;
  rootPath?: string;
  kubeconfig?: string;
  clientName?: string;
  /** The least serious `window/logMessage` the client wants. */
  logLevel?: MessageType;
  /** The trace level the client asked for in `initialize`. */
  trace?: TraceValue;
  /** True when the client answers `window/workDoneProgress/create`. */
  workDoneProgress?: boolean;
}

export function initialize(params: unknown, state: LifecycleState, methods: string[]): InitializeResult {
  const p = paramsObject(params, false);
  const clientInfo = optionalObject(p, 'clientInfo');
  if (clientInfo !== undefined) {
    state.clientName = optionalString(clientInfo, 'name', 'clientInfo.name');
    optionalString(clientInfo, 'version', 'clientInfo.version');
  }
  const capabilities = optionalObject(p, 'capabilities');
  if (capabilities !== undefined) {
    state.workDoneProgress =
      optionalBoolean(capabilities, 'workDoneProgress', 'capabilities.workDoneProgress') ?? false;
  }
  const logLevel = optionalInteger(p, 'logLevel', { min: MessageType.Error, max: MessageType.Debug });
  if (logLevel !== undefined) state.logLevel = logLevel;
  const trace = optionalString(p, 'trace');
  if (trace !== undefined && trace !== 'off' && trace !== 'messages' && trace !== 'verbose') {
    throw invalidParams('trace', `must be "off", "messages" or "verbose", not "${trace}"`);
  }
  if (trace !== undefined) state.trace = trace;
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

import {
  DevModeErrorCodes,
  ExitNotification,
  DidChangeTreeNotification,
  TreeChildrenRequest,
  InitializedNotification,
  InitializeRequest,
  ListClustersRequest,
  ShutdownRequest,
  type ProtocolRequestType,
} from '@devmode/protocol';
import type { Readable, Writable } from 'node:stream';
import {
  createMessageConnection,
  ResponseError,
  StreamMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { Clusters } from './engine/clusters.js';
import { WorkloadTree } from './engine/tree.js';
import { listClusters } from './handlers/cluster.js';
import { devModeError } from './handlers/errors.js';
import { initialize, type LifecycleState } from './handlers/lifecycle.js';
import { treeChildren } from './handlers/tree.js';
import { ResilientFrameReader } from './rpc/frameReader.js';

export interface ServerOptions {
  input: Readable;
  output: Writable;
  /** Where diagnostics go; never stdout. */
  log: (line: string) => void;
  /** Called once the process should end, with its exit code. */
  exit: (code: number) => void;
}

type Handler<P, R> = (params: P, token: CancellationToken) => R | Promise<R>;

/**
 * The composition root: builds the server's state and wires every protocol method to its handler, in one table.
 */
export function createServerConnection(options: ServerOptions): MessageConnection {
  const connection = createMessageConnection(
    new ResilientFrameReader(options.input),
    new StreamMessageWriter(options.output),
  );
  const state: LifecycleState = { initialized: false, shutdownRequested: false };
  const methods: string[] = [];
  const clusters = new Clusters(() => state.kubeconfig);
  const tree = new WorkloadTree(clusters, (nodeIds) => {
    void connection.sendNotification(DidChangeTreeNotification.type, { nodeIds });
  });

  /** Registers a request handler that refuses to run before `initialize` or after `shutdown`. */
  function on<P, R>(type: ProtocolRequestType<P, R>, handler: Handler<P, R>): void {
    methods.push(type.method);
    connection.onRequest(type.method, async (params: unknown, token: CancellationToken) => {
      if (!state.initialized && type.method !== InitializeRequest.method) {
        throw devModeError(DevModeErrorCodes.ServerNotInitialized, `${type.method} was sent before initialize`);
      }
      if (state.shutdownRequested) {
        throw new ResponseError(-32600, `${type.method} was sent after shutdown`);
      }
      try {
        return await handler(params as P, token);
      } catch (error) {
        if (!(error instanceof ResponseError)) {
          options.log(`${type.method} failed: ${(error as Error).stack ?? String(error)}`);
        }
        throw error;
      }
    });
  }

  on(InitializeRequest.type, (params) => {
    if (state.initialized) throw new ResponseError(-32600, 'initialize was sent twice');
    return initialize(params, state, methods);
  });
  on(ShutdownRequest.type, () => {
    state.shutdownRequested = true;
    tree.dispose();
    return null;
  });
  on(ListClustersRequest.type, (params) => listClusters(params, clusters));
  on(TreeChildrenRequest.type, (params) => treeChildren(params, tree));

  connection.onNotification(InitializedNotification.type, () => undefined);
  connection.onNotification(ExitNotification.type, () => options.exit(state.shutdownRequested ? 0 : 1));
  connection.onError(([error]) => options.log(`protocol error: ${error.message}`));
  connection.onClose(() => {
    tree.dispose();
    options.exit(0);
  });
  return connection;
}

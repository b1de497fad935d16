import {
  ExitNotification,
  DidChangeTreeNotification,
  TreeChildrenRequest,
  InitializedNotification,
  InitializeRequest,
  ListClustersRequest,
  ShutdownRequest,
  GetSyncStatusRequest,
  FlushSyncRequest,
  PauseSyncRequest,
  ResumeSyncRequest,
  ResyncRequest,
  ConflictContentRequest,
  StartDevModeRequest,
  StopDevModeRequest,
  ResetDevModeRequest,
  ListDevModeSessionsRequest,
  GetDevConfigRequest,
  GetDevConfigSchemaRequest,
  StartPortForwardRequest,
  StopPortForwardRequest,
  ListPortForwardsRequest,
  DidChangePortForwardStateNotification,
  OpenTerminalRequest,
  SendTerminalInputNotification,
  ResizeTerminalNotification,
  CloseTerminalRequest,
  DidOutputTerminalNotification,
  DidExitTerminalNotification,
  OpenLogsRequest,
  CloseLogsRequest,
  DidAppendLogsNotification,
  DidEndLogsNotification,
  SetTraceNotification,
  CancelWorkDoneProgressNotification,
  MessageType,
  type ProtocolRequestType,
  type ProtocolNotificationType,
} from '@devmode/protocol';
import type { Readable, Writable } from 'node:stream';
import {
  createMessageConnection,
  StreamMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { Clusters } from './engine/clusters.js';
import { DevModeEngine, type DevModeStateChange } from './engine/devMode.js';
import { SessionRegistry } from './engine/sessionRegistry.js';
import { WorkloadTree } from './engine/tree.js';
import { SyncSessions } from './engine/sync/index.js';
import {
  forwardSyncStates,
  syncConflictContent,
  syncFlush,
  syncPause,
  syncResume,
  syncResync,
  syncStatus,
} from './handlers/sync.js';
import { forwardClusters, PortForwards } from './engine/portForward.js';
import { terminalClusters, Terminals } from './engine/terminal.js';
import { logsClusters, LogStreams } from './engine/logs.js';
import { listPortForwards, startPortForward, stopPortForward } from './handlers/portForward.js';
import { closeTerminal, openTerminal, resizeTerminal, sendTerminalInput } from './handlers/terminal.js';
import { closeLogs, openLogs } from './handlers/logs.js';
import { devConfigSchemaResult, getDevConfig } from './handlers/devConfig.js';
import { listDevModeSessions, notifyStateChange, resetDevMode, startDevMode, stopDevMode } from './handlers/devMode.js';
import { listClusters } from './handlers/cluster.js';
import { devModeError } from './handlers/errors.js';
import { toResponseError } from './rpc/responseError.js';
import { initialize, type LifecycleState } from './handlers/lifecycle.js';
import { treeChildren } from './handlers/tree.js';
import { ResilientFrameReader } from './rpc/frameReader.js';
import { IdleCollector } from './rpc/idleCollector.js';
import { ClientWindow } from './handlers/window.js';
import { tellSyncDisconnects } from './engine/userEvents.js';

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
  const writer = new StreamMessageWriter(options.output);
  const connection = createMessageConnection(
    new ResilientFrameReader(options.input, (answer) => void writer.write(answer)),
    writer,
  );
  const state: LifecycleState = { initialized: false, shutdownRequested: false };
  const idleCollector = new IdleCollector();
  options.input.on('data', () => idleCollector.touch());
  const window = new ClientWindow(connection, writer);
  /** A diagnostic: always to stderr, and to the client's log down to the level it asked for. */
  const log = (line: string, type: MessageType = MessageType.Log): void => {
    options.log(line);
    window.log(type, line);
  };
  const methods: string[] = [];
  const clusters = new Clusters(() => state.kubeconfig);
  const tree = new WorkloadTree(clusters, (nodeIds) => {
    void connection.sendNotification(DidChangeTreeNotification.type, { nodeIds });
  });
  const syncSessions = new SyncSessions();
  forwardSyncStates(syncSessions, connection);
  tellSyncDisconnects(syncSessions, window);
  const notifyDevMode = (change: DevModeStateChange): void => notifyStateChange(connection, change);
  const devMode = new DevModeEngine(clusters, notifyDevMode);

  const forwards = new PortForwards(forwardClusters(clusters), (change) => {
    void connection.sendNotification(DidChangePortForwardStateNotification.type, change);
  });
  const terminals = new Terminals(
    terminalClusters(clusters),
    {
      output: (terminalId, data) =>
        connection.sendNotification(DidOutputTerminalNotification.type, { terminalId, data }),
      exit: (params) => void connection.sendNotification(DidExitTerminalNotification.type, params),
    },
    () => state.rootPath,
  );
  const sessions = new SessionRegistry(devMode, clusters, forwards, syncSessions, notifyDevMode, log, window);
  const logs = new LogStreams(
    logsClusters(clusters),
    {
      append: (params) => connection.sendNotification(DidAppendLogsNotification.type, params),
      end: (params) => void connection.sendNotification(DidEndLogsNotification.type, params),
    },
    (sessionId, container) => sessions.onSyncOf(sessionId, container),
  );

  /** Registers a request handler that refuses to run before `initialize` or after `shutdown`. */
  function on<P, R>(type: ProtocolRequestType<P, R>, handler: Handler<P, R>): void {
    methods.push(type.method);
    connection.onRequest(type.method, async (params: unknown, token: CancellationToken) => {
      try {
        if (!state.initialized && type.method !== InitializeRequest.method) {
          throw devModeError('ServerNotInitialized', `${type.method} was sent before initialize`);
        }
        if (state.shutdownRequested) throw devModeError('InvalidRequest', `${type.method} was sent after shutdown`);
        return await handler(params as P, token);
      } catch (error) {
        throw toResponseError(error, (unexpected) =>
          log(`${type.method} failed: ${(unexpected as Error).stack ?? String(unexpected)}`, MessageType.Error),
        );
      }
    });
  }

  /** Registers a notification handler; a notification has no answer, so a failure is only logged. */
  function onNotification<P>(type: ProtocolNotificationType<P>, handler: (params: P) => void): void {
    connection.onNotification(type.method, (params: unknown) => {
      try {
        handler(params as P);
      } catch (error) {
        log(`${type.method} ignored: ${toResponseError(error).message}`, MessageType.Warning);
      }
    });
  }

  on(InitializeRequest.type, (params) => {
    if (state.initialized) throw devModeError('InvalidRequest', 'initialize was sent twice');
    const result = initialize(params, state, methods);
    if (state.logLevel !== undefined) window.logLevel = state.logLevel;
    window.workDoneProgress = state.workDoneProgress === true;
    if (state.trace !== undefined) window.setTrace({ value: state.trace });
    return result;
  });
  on(ShutdownRequest.type, async () => {
    state.shutdownRequested = true;
    tree.dispose();
    terminals.dispose();
    logs.dispose();
    await sessions.dispose();
    forwards.dispose();
    return null;
  });
  on(ListClustersRequest.type, (params) => listClusters(params, clusters));
  on(TreeChildrenRequest.type, (params) => treeChildren(params, tree));
  on(GetSyncStatusRequest.type, (params) => syncStatus(params, sessions));
  on(FlushSyncRequest.type, (params, token) => syncFlush(params, token, sessions));
  on(PauseSyncRequest.type, (params) => syncPause(params, sessions));
  on(ResumeSyncRequest.type, (params) => syncResume(params, sessions));
  on(ResyncRequest.type, (params, token) => syncResync(params, token, sessions, connection));
  on(ConflictContentRequest.type, (params) => syncConflictContent(params, sessions));
  on(StartPortForwardRequest.type, (params) => startPortForward(params, forwards));
  on(StopPortForwardRequest.type, (params) => stopPortForward(params, forwards));
  on(ListPortForwardsRequest.type, (params) => listPortForwards(params, forwards));
  on(OpenTerminalRequest.type, (params) => openTerminal(params, terminals, connection));
  on(CloseTerminalRequest.type, (params) => closeTerminal(params, terminals));
  on(OpenLogsRequest.type, (params) => openLogs(params, logs, connection));
  on(CloseLogsRequest.type, (params) => closeLogs(params, logs));
  on(StartDevModeRequest.type, (params, token) => startDevMode(params, token, sessions, connection));
  on(StopDevModeRequest.type, (params) => stopDevMode(params, sessions, connection));
  on(ResetDevModeRequest.type, (params) => resetDevMode(params, sessions, connection));
  on(ListDevModeSessionsRequest.type, (params) => listDevModeSessions(params, sessions, devMode));
  on(GetDevConfigRequest.type, (params) => getDevConfig(params, devMode));
  on(GetDevConfigSchemaRequest.type, (params) => devConfigSchemaResult(params));

  onNotification(InitializedNotification.type, () => undefined);
  onNotification(SendTerminalInputNotification.type, (params) => sendTerminalInput(params, terminals));
  onNotification(ResizeTerminalNotification.type, (params) => resizeTerminal(params, terminals));
  onNotification(SetTraceNotification.type, (params) => window.setTrace(params));
  onNotification(CancelWorkDoneProgressNotification.type, (params) => window.cancel(params));
  onNotification(ExitNotification.type, () => options.exit(state.shutdownRequested ? 0 : 1));
  connection.onError(([error]) => log(`protocol error: ${error.message}`, MessageType.Warning));
  connection.onClose(() => {
    idleCollector.dispose();
    tree.dispose();
    terminals.dispose();
    logs.dispose();
    void sessions
      .dispose()
      .finally(() => forwards.dispose())
      .finally(() => options.exit(0));
  });
  return connection;
}

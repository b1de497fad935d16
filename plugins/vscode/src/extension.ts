/**
 * The DevMode extension: one devmode server per window, spoken to over JSON-RPC, whose messages drive the views,
 * terminals, output channels and status bar. Nothing here polls; everything listens.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  type DevModeErrorData,
  type DevModeMode,
  type DevModeSession,
  type LogsTarget,
  type PodTarget,
  type PortForward,
  type Target,
  type TerminalTarget,
  type TreeNode,
  type TreeNodeAction,
  ResetDevModeRequest,
  StartDevModeRequest,
  StartPortForwardRequest,
  StopDevModeRequest,
  StopPortForwardRequest,
} from '@devmode/protocol';
import { DevModeClient } from './client';
import { attachAddress, attachConfiguration, containerDebuggee, type Debuggee, debuggees } from './debugAttach';
import { DevConfigDiagnostics, devConfigFileName } from './devConfig';
import { chooseFolder } from './folders';
import { podLabel, targetLabel } from './labels';
import { Logs } from './logs';
import { ProgressView } from './progress';
import { SessionsView, targetKey, type SessionItem } from './sessions';
import { SyncStatusBar } from './sync';
import { Terminals } from './terminal';
import { ClustersTree, type ClusterItem } from './tree';

/** What a command receives: a row of either view, or nothing when run from the palette. */
type CommandArgument = ClusterItem | SessionItem | undefined;

let client: DevModeClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const activatedAt = Date.now();
  const progress = new ProgressView();
  const sessions = new SessionsView();
  // Every view listens to each server the client starts, the first and any restarted one.
  const registrations: ((connection: MessageConnection) => void)[] = [];
  const devClient = new DevModeClient(context, (connection) => {
    for (const register of registrations) register(connection);
  });
  client = devClient;
  const clusters = new ClustersTree(devClient);
  const terminals = new Terminals(devClient);
  const logs = new Logs(devClient);
  const sync = new SyncStatusBar(devClient, progress);
  for (const view of [progress, sessions, clusters, terminals, logs, sync])
    registrations.push((connection) => view.register(connection));
  context.subscriptions.push(sync.onDidChange((change) => sessions.updateSync(change)));
  const devConfig = new DevConfigDiagnostics(devClient, (folder) => rememberedTarget(context, folder));
  context.subscriptions.push(devClient, sync, devConfig);
  context.subscriptions.push(
    vscode.window.createTreeView('devmode.clusters', { treeDataProvider: clusters, showCollapseAll: true }),
    vscode.window.createTreeView('devmode.sessions', { treeDataProvider: sessions }),
  );
  void clusters.shown.then(() =>
    devClient.log.appendLine(`Clusters tree shown ${Date.now() - activatedAt} ms after activation`),
  );
  devClient.get().then(
    () => {
      devConfig.checkOpenDocuments();
      devConfig
        .contributeSchema()
        .catch((error: unknown) => devClient.log.appendLine(`No YAML schema: ${String(error)}`));
    },
    (error: unknown) => devClient.log.appendLine(`The devmode server did not start: ${String(error)}`),
  );

  const command = (id: string, run: (argument: CommandArgument) => Promise<unknown>): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (argument: CommandArgument) => {
        try {
          await run(argument);
        } catch (error) {
          devClient.log.appendLine(`${id} failed: ${describeError(error)}`);
          showError(error);
        }
      }),
    );
  };

  /** The workload a command works on: the selected row's, or one picked from the nodes offering `action`. */
  const pickNode = async (argument: CommandArgument, action: TreeNodeAction): Promise<TreeNode | undefined> => {
    if (argument !== undefined && 'node' in argument) return argument.node;
    const candidates = clusters.nodesWith(action);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('Expand the DevMode Clusters view to the workload first.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((node) => ({ label: node.label, description: node.description, node })),
      { title: 'DevMode: pick a workload' },
    );
    return picked?.node;
  };

  const pickSession = async (argument: CommandArgument, mineOnly: boolean): Promise<DevModeSession | undefined> => {
    if (argument !== undefined && 'session' in argument) return argument.session;
    if (argument !== undefined && 'node' in argument && isWorkload(argument.node.target)) {
      const known = sessions.sessionFor(argument.node.target);
      return known ?? { target: argument.node.target, state: 'running', mode: 'replace', mine: false };
    }
    const candidates = sessions.allSessions().filter((session) => !mineOnly || session.mine);
    const picked = await vscode.window.showQuickPick(
      candidates.map((session) => ({ label: targetLabel(session.target), description: session.state, session })),
      { title: 'DevMode: pick a session' },
    );
    return picked?.session;
  };

  const startDevMode = async (argument: CommandArgument, mode: DevModeMode): Promise<void> => {
    const node = await pickNode(argument, 'startDevMode');
    if (node === undefined || !isWorkload(node.target)) return;
    const target = node.target;
    const localDir = await folderFor(context, target);
    if (localDir === undefined) return;
    const connection = await devClient.get();
    const cancellation = new vscode.CancellationTokenSource();
    const workDoneToken = progress.token(() => cancellation.cancel());
    try {
      const started = await connection.sendRequest(
        StartDevModeRequest.type,
        { target, localDir, mode, workDoneToken },
        cancellation.token,
      );
      sessions.upsertSession({
        sessionId: started.sessionId,
        target: { ...target, container: started.container },
        state: 'running',
        mode,
        mine: true,
        localDir,
        pod: started.pod,
        containers: started.containers,
        ...(started.debug !== undefined ? { debug: started.debug } : {}),
      });
      for (const forward of started.portForwards) sessions.upsertPortForward(forward);
      if (started.sync !== undefined) await sync.track(started.sessionId, targetLabel(target));
      const forwards = started.portForwards.map((forward) => `${forward.address}:${forward.localPort}`).join(', ');
      void vscode.window.showInformationMessage(
        `DevMode is running for ${targetLabel(target)} in pod ${started.pod}${forwards ? `, forwarding ${forwards}` : ''}.`,
      );
    } finally {
      progress.done(workDoneToken);
      cancellation.dispose();
    }
  };

  command('devmode.startDevMode', (argument) => startDevMode(argument, 'replace'));
  command('devmode.startDuplicate', (argument) => startDevMode(argument, 'duplicate'));

  command('devmode.stopDevMode', async (argument) => {
    const session = await pickSession(argument, true);
    if (session === undefined) return;
    const connection = await devClient.get();
    const cancellation = new vscode.CancellationTokenSource();
    const workDoneToken = progress.token(() => cancellation.cancel());
    try {
      await connection.sendRequest(
        StopDevModeRequest.type,
        session.sessionId !== undefined
          ? { sessionId: session.sessionId, workDoneToken }
          : { target: session.target, workDoneToken },
        cancellation.token,
      );
    } finally {
      progress.done(workDoneToken);
      cancellation.dispose();
    }
    if (session.sessionId !== undefined) sync.forget(session.sessionId);
    void vscode.window.showInformationMessage(`DevMode stopped: ${targetLabel(session.target)} is restored.`);
  });

  command('devmode.resetDevMode', async (argument) => {
    const session = await pickSession(argument, false);
    if (session === undefined) return;
    const answer = await vscode.window.showWarningMessage(
      `Reset ${targetLabel(session.target)}? This restores the workload from what DevMode recorded in the cluster and ends any session on it.`,
      { modal: true },
      'Reset',
    );
    if (answer !== 'Reset') return;
    const connection = await devClient.get();
    const workDoneToken = progress.token(() => undefined);
    try {
      const reset = await connection.sendRequest(ResetDevModeRequest.type, { target: session.target, workDoneToken });
      for (const sessionId of reset.endedSessions) sync.forget(sessionId);
    } finally {
      progress.done(workDoneToken);
    }
    void vscode.window.showInformationMessage(`DevMode reset: ${targetLabel(session.target)} is restored.`);
  });

  command('devmode.openTerminal', async (argument) => {
    const { target, name } = await terminalTarget(argument);
    if (target !== undefined) terminals.create(target, name);
  });

  command('devmode.newLocalTerminal', async () => {
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    terminals.create({ local: cwd !== undefined ? { cwd } : {} }, 'DevMode: local');
    return Promise.resolve();
  });

  command('devmode.openLogs', async (argument) => {
    let target: LogsTarget | undefined;
    let name: string;
    if (argument !== undefined && 'container' in argument) {
      target = { ...argument.session.target, container: argument.container.container };
      name = targetLabel(target);
    } else if (argument !== undefined && 'session' in argument) {
      target = argument.session.target;
      name = targetLabel(argument.session.target);
    } else {
      const node = await pickNode(argument, 'openLogs');
      target = node?.target;
      name = node?.target !== undefined ? nodeName(node.target) : '';
    }
    if (target !== undefined) await logs.open(target, name);
  });

  command('devmode.closeLogs', async () => {
    const picked = await vscode.window.showQuickPick(
      logs.list().map((stream) => ({ label: stream.name, streamId: stream.streamId })),
      { title: 'DevMode: close a log stream' },
    );
    if (picked !== undefined) await logs.close(picked.streamId);
  });

  command('devmode.startPortForward', async (argument) => {
    const node = await pickNode(argument, 'startPortForward');
    if (node?.target === undefined) return;
    const port = await vscode.window.showInputBox({
      title: `Port-forward ${nodeName(node.target)}`,
      prompt: 'The port in the pod, or local:remote',
      validateInput: (value) =>
        /^\d+(:\d+)?$/.test(value.trim()) ? undefined : 'A port (9080) or local:remote (18080:9080)',
    });
    if (port === undefined) return;
    const [first, second] = port.trim().split(':').map(Number);
    const remotePort = second ?? first ?? 0;
    const connection = await devClient.get();
    const started = await connection.sendRequest(StartPortForwardRequest.type, {
      target: node.target,
      remotePort,
      ...(second !== undefined ? { localPort: first } : {}),
      allowNextFreePort: true,
    });
    const forward: PortForward = {
      id: started.id,
      target: node.target,
      address: started.address,
      localPort: started.localPort,
      remotePort,
      state: 'active',
    };
    sessions.upsertPortForward(forward);
    void vscode.window.showInformationMessage(`Forwarding ${started.address}:${started.localPort} → ${remotePort}.`);
  });

  const pickForward = async (argument: CommandArgument): Promise<PortForward | undefined> => {
    if (argument !== undefined && 'portForward' in argument) return argument.portForward;
    const picked = await vscode.window.showQuickPick(
      sessions.allPortForwards().map((forward) => ({
        label: `${forward.address}:${forward.localPort} → ${forward.remotePort}`,
        description: forward.state,
        forward,
      })),
      { title: 'DevMode: pick a port-forward' },
    );
    return picked?.forward;
  };

  command('devmode.stopPortForward', async (argument) => {
    const forward = await pickForward(argument);
    if (forward === undefined) return;
    const connection = await devClient.get();
    await connection.sendRequest(StopPortForwardRequest.type, { id: forward.id });
    sessions.upsertPortForward({ ...forward, state: 'stopped' });
  });

  command('devmode.openInBrowser', async (argument) => {
    const forward = await pickForward(argument);
    if (forward !== undefined)
      await vscode.env.openExternal(vscode.Uri.parse(`http://${forward.address}:${forward.localPort}/`));
  });

  command('devmode.openDevConfig', async (argument) => {
    const node = await pickNode(argument, 'openDevConfig');
    if (node === undefined || !isWorkload(node.target)) return;
    const folder = await folderFor(context, node.target);
    if (folder === undefined) return;
    const file = vscode.Uri.file(join(folder, devConfigFileName));
    if (!existsSync(file.fsPath)) {
      await vscode.workspace.fs.writeFile(
        file,
        Buffer.from(
          `# The dev config of ${targetLabel(node.target)}; see the DevMode README for every field.\nimage: \n`,
        ),
      );
    }
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  });

  command('devmode.syncStatus', async (argument) => {
    const sessionId = argument !== undefined && 'session' in argument ? argument.session.sessionId : undefined;
    await sync.showActions(sessionId);
  });

  command('devmode.attachDebugger', async (argument) => {
    const picked = await pickDebuggee(argument);
    if (picked === undefined) return;
    const { debug, name } = picked;
    const configuration = attachConfiguration(debug, `DevMode: ${name}`);
    if (configuration === undefined) {
      void vscode.window.showInformationMessage(
        `DevMode: ${name} runs its own ${debug.kind} debugger; attach yours to ${attachAddress(debug)}.`,
      );
      return;
    }
    devClient.log.appendLine(`Attaching the debugger: ${JSON.stringify(configuration)}`);
    const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.uri.fsPath === debug.localRoot);
    if (!(await vscode.debug.startDebugging(folder, configuration)))
      throw new Error(
        `VS Code could not start a ${configuration.type} debug session: is the debugger extension for ${debug.kind} installed?`,
      );
  });

  /** The dev command to attach to: the row's container or session, else one picked among those with a debugger. */
  const pickDebuggee = async (argument: CommandArgument): Promise<Debuggee | undefined> => {
    const candidates = debuggeesOf(argument);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(
        'DevMode: no session of this window runs a debugger; add `debug: {port, kind}` to devmode.yaml and start DevMode again.',
      );
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const picked = await vscode.window.showQuickPick(
      candidates.map((candidate) => ({
        label: candidate.name,
        description: `${candidate.debug.kind} debugger on ${candidate.debug.address}:${candidate.debug.localPort}`,
        candidate,
      })),
      { title: 'DevMode: attach the debugger to' },
    );
    return picked?.candidate;
  };

  /** The dev commands the command means: the row's container, the row's session's, or all of this window's. */
  const debuggeesOf = (argument: CommandArgument): Debuggee[] => {
    if (argument !== undefined && 'container' in argument) {
      const found = containerDebuggee(argument.session, argument.container);
      return found !== undefined ? [found] : [];
    }
    if (argument !== undefined && 'session' in argument) return debuggees([argument.session]);
    return debuggees(sessions.allSessions().filter((session) => session.mine));
  };

  command('devmode.refresh', (argument) => {
    clusters.refresh(argument !== undefined && 'node' in argument ? argument : undefined);
    return Promise.resolve();
  });

  command('devmode.restartServer', async () => {
    await devClient.restart();
    void vscode.window.showInformationMessage('The DevMode server restarted.');
  });

  command('devmode.showServerLog', () => {
    devClient.log.show();
    return Promise.resolve();
  });

  async function terminalTarget(argument: CommandArgument): Promise<{ target?: TerminalTarget; name: string }> {
    if (argument !== undefined && 'session' in argument) {
      const { session } = argument;
      if (session.pod !== undefined) {
        const container = 'container' in argument ? argument.container.container : session.target.container;
        const target: PodTarget = {
          ...(session.target.context !== undefined ? { context: session.target.context } : {}),
          namespace: session.target.namespace,
          pod: session.pod,
          ...(container !== undefined ? { container } : {}),
        };
        return { target, name: podLabel(session.pod, container) };
      }
      return { target: session.target, name: targetLabel(session.target) };
    }
    const node = await pickNode(argument, 'openTerminal');
    if (node?.target === undefined) return { name: '' };
    // A workload in DevMode of this window: the terminal opens in its dev pod, and its tab says so.
    const session = isWorkload(node.target) ? sessions.sessionFor(node.target) : undefined;
    if (session?.mine === true && session.pod !== undefined) return terminalTarget({ session });
    return { target: node.target, name: nodeName(node.target) };
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

function isWorkload(target: Target | PodTarget | undefined): target is Target {
  return target !== undefined && 'kind' in target;
}

/** How a terminal or log channel names its target: pod and container, or the workload. */
function nodeName(target: Target | PodTarget): string {
  if (isWorkload(target)) return targetLabel(target);
  return podLabel(target.pod, target.container);
}

/** The folder a workload's DevMode syncs: found, remembered, or asked for (and then remembered). */
async function folderFor(context: vscode.ExtensionContext, target: Target): Promise<string | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
  const withDevConfig = folders.filter((folder) => existsSync(join(folder, devConfigFileName)));
  const key = `devmode.folder/${targetKey(target)}`;
  const choice = chooseFolder(folders, withDevConfig, context.workspaceState.get<string>(key));
  let folder = choice.folder;
  if (folder === undefined) {
    if (choice.ask === undefined || choice.ask.length === 0) {
      void vscode.window.showErrorMessage('DevMode syncs a workspace folder: open the folder of your project first.');
      return undefined;
    }
    folder = await vscode.window.showQuickPick(choice.ask, { title: `Which folder does ${targetLabel(target)} sync?` });
    if (folder === undefined) return undefined;
  }
  await context.workspaceState.update(key, folder);
  await context.workspaceState.update(`devmode.target/${folder}`, target);
  return folder;
}

function rememberedTarget(context: vscode.ExtensionContext, folder: string): Target | undefined {
  return context.workspaceState.get<Target>(`devmode.target/${folder}`);
}

/** A failed request in one line for the server log: the message, the code and the hint. */
function describeError(error: unknown): string {
  if (!(error instanceof ResponseError)) return error instanceof Error ? error.message : String(error);
  const hint = (error.data as DevModeErrorData | undefined)?.hint;
  return `${error.message} (code ${error.code})${hint !== undefined ? `: ${hint}` : ''}`;
}

/** A failed request as a notification: the server's message, and its hint when it has one. */
function showError(error: unknown): void {
  if (error instanceof ResponseError) {
    const data = error.data as DevModeErrorData | undefined;
    if (error.code === -32800) {
      void vscode.window.showInformationMessage(`DevMode: cancelled. ${data?.hint ?? ''}`.trim());
      return;
    }
    void vscode.window.showErrorMessage(`DevMode: ${error.message}${data?.hint !== undefined ? ` ${data.hint}` : ''}`);
    return;
  }
  void vscode.window.showErrorMessage(`DevMode: ${error instanceof Error ? error.message : String(error)}`);
}

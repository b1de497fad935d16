/**
 * The sync status bar item: the state and pending count of the active session's file sync, from
 * `sync/didChangeState`. Clicking it offers Flush, Resync, Pause or Resume, and the files with errors or conflicts.
 */
import * as vscode from 'vscode';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import {
  ConflictContentRequest,
  DidChangeSyncStateNotification,
  FlushSyncRequest,
  GetSyncStatusRequest,
  PauseSyncRequest,
  ResumeSyncRequest,
  ResyncRequest,
  type DidChangeSyncStateParams,
  type SyncConflict,
  type SyncFileError,
  type SyncState,
} from '@devmode/protocol';
import type { DevModeClient } from './client';
import type { ProgressView } from './progress';
import { syncStatusText } from './labels';

interface SessionSync {
  sessionId: string;
  label: string;
  localDir: string;
  state: SyncState;
  pendingFiles: number;
  message?: string;
  errors: SyncFileError[];
  conflicts: SyncConflict[];
}

/** Serves the container's version of a file in conflict to the diff editor, as read-only documents. */
class ContainerVersions implements vscode.TextDocumentContentProvider {
  public static readonly scheme = 'devmode-container';
  private readonly contents = new Map<string, string>();

  public uriFor(remotePath: string, content: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: ContainerVersions.scheme, path: remotePath, query: String(Date.now()) });
    this.contents.set(uri.toString(), content);
    return uri;
  }

  public provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }
}

export class SyncStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('devmode.sync', vscode.StatusBarAlignment.Left, 10);
  private readonly containerVersions = new ContainerVersions();
  private readonly providerRegistration = vscode.workspace.registerTextDocumentContentProvider(
    ContainerVersions.scheme,
    this.containerVersions,
  );
  private readonly sessions = new Map<string, SessionSync>();
  private lastStarted: string | undefined;
  private readonly changed = new vscode.EventEmitter<DidChangeSyncStateParams>();
  /** Every `sync/didChangeState`, for the views that show a container's sync (one handler per method). */
  public readonly onDidChange = this.changed.event;

  public constructor(
    private readonly client: DevModeClient,
    private readonly progress: ProgressView,
  ) {
    this.item.name = 'DevMode sync';
    this.item.command = 'devmode.syncStatus';
    vscode.window.onDidChangeActiveTextEditor(() => this.render());
  }

  public register(connection: MessageConnection): void {
    this.sessions.clear();
    this.render();
    connection.onNotification(DidChangeSyncStateNotification.type, (change) => {
      this.changed.fire(change);
      const known = this.sessions.get(change.sessionId);
      if (known === undefined) return;
      known.state = change.state;
      known.pendingFiles = change.pendingFiles;
      if (change.message !== undefined) known.message = change.message;
      else delete known.message;
      if (change.errors !== undefined) known.errors = change.errors;
      if (change.conflicts !== undefined) known.conflicts = change.conflicts;
      this.render();
    });
  }

  /** Starts showing a session's sync, as `devMode/start` answered it. */
  public async track(sessionId: string, label: string): Promise<void> {
    const connection = await this.client.get();
    const status = await connection.sendRequest(GetSyncStatusRequest.type, { sessionId });
    this.sessions.set(sessionId, { ...status, label });
    this.lastStarted = sessionId;
    this.render();
  }

  public forget(sessionId: string): void {
    this.sessions.delete(sessionId);
    if (this.lastStarted === sessionId) this.lastStarted = [...this.sessions.keys()].pop();
    this.render();
  }

  /** The session whose folder holds the active editor's file, else the one started last. */
  private active(): SessionSync | undefined {
    const file = vscode.window.activeTextEditor?.document.uri.fsPath;
    if (file !== undefined) {
      for (const session of this.sessions.values()) if (file.startsWith(`${session.localDir}/`)) return session;
    }
    return this.lastStarted !== undefined ? this.sessions.get(this.lastStarted) : undefined;
  }

  private render(): void {
    const session = this.active();
    if (session === undefined) {
      this.item.hide();
      return;
    }
    this.item.text = syncStatusText(
      session.state,
      session.pendingFiles,
      session.errors.length + session.conflicts.length,
    );
    this.item.tooltip = `${session.label}: ${session.localDir}${session.message !== undefined ? `\n${session.message}` : ''}`;
    this.item.backgroundColor =
      session.state === 'error' || session.conflicts.length > 0
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : undefined;
    this.item.show();
  }

  /** The quick pick behind the status bar item. */
  public async showActions(sessionId?: string): Promise<void> {
    const session = sessionId !== undefined ? this.sessions.get(sessionId) : this.active();
    if (session === undefined) {
      void vscode.window.showInformationMessage('No DevMode session of this window is syncing files.');
      return;
    }
    const connection = await this.client.get();
    const id = session.sessionId;
    const problems = session.errors.length + session.conflicts.length;
    const picks: (vscode.QuickPickItem & { run(): Promise<unknown> })[] = [
      {
        label: '$(sync) Flush',
        description: 'wait until every local change is in the container',
        run: () => connection.sendRequest(FlushSyncRequest.type, { sessionId: id }),
      },
      {
        label: '$(refresh) Resync',
        description: 'compare the whole folder and transfer every difference',
        run: async () => {
          const source = new vscode.CancellationTokenSource();
          const workDoneToken = this.progress.token(() => source.cancel());
          try {
            await connection.sendRequest(ResyncRequest.type, { sessionId: id, workDoneToken }, source.token);
          } finally {
            this.progress.done(workDoneToken);
          }
        },
      },
      session.state === 'paused'
        ? {
            label: '$(debug-continue) Resume',
            run: () => connection.sendRequest(ResumeSyncRequest.type, { sessionId: id }),
          }
        : {
            label: '$(debug-pause) Pause',
            run: () => connection.sendRequest(PauseSyncRequest.type, { sessionId: id }),
          },
      {
        label: `$(warning) Show errors and conflicts (${problems})`,
        run: () => this.showProblems(session),
      },
    ];
    const picked = await vscode.window.showQuickPick(picks, { title: `DevMode sync: ${session.label}` });
    if (picked === undefined) return;
    try {
      await picked.run();
    } catch (error) {
      void vscode.window.showErrorMessage(`DevMode sync: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async showProblems(session: SessionSync): Promise<void> {
    const items = [
      ...session.conflicts.map((conflict) => ({
        label: `$(git-merge) ${vscode.workspace.asRelativePath(conflict.localPath)}`,
        description: conflict.reason,
        detail: conflict.remotePath,
        path: conflict.localPath,
        conflict: true,
      })),
      ...session.errors.map((error) => ({
        label: `$(error) ${vscode.workspace.asRelativePath(error.localPath)}`,
        description: error.message,
        detail: error.remotePath,
        path: error.localPath,
        conflict: false,
      })),
    ];
    if (items.length === 0) {
      void vscode.window.showInformationMessage(`DevMode sync of ${session.label}: no errors and no conflicts.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(items, { title: 'DevMode sync: errors and conflicts' });
    if (picked === undefined) return;
    if (picked.conflict) await this.showConflict(session, picked.path);
    else await vscode.window.showTextDocument(vscode.Uri.file(picked.path));
  }

  /** A conflict opens as a diff: the container's version on the left, the local file (editable) on the right. */
  public async showConflict(session: SessionSync, localPath: string): Promise<void> {
    const connection = await this.client.get();
    const remote = await connection.sendRequest(ConflictContentRequest.type, {
      sessionId: session.sessionId,
      localPath,
    });
    const text = Buffer.from(remote.contentBase64, 'base64').toString('utf8');
    const left = this.containerVersions.uriFor(remote.remotePath, text);
    const name = vscode.workspace.asRelativePath(localPath);
    const note = remote.truncated ? ', first 8 MiB' : '';
    await vscode.commands.executeCommand(
      'vscode.diff',
      left,
      vscode.Uri.file(localPath),
      `${name} (container${note}) ↔ ${name} (local)`,
    );
  }

  public dispose(): void {
    this.changed.dispose();
    this.providerRegistration.dispose();
    this.item.dispose();
  }
}

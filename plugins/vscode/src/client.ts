/**
 * The one devmode server process of the window and its JSON-RPC connection. It survives the server dying: it
 * tells the person, restarts the server with back-off and lets the views read everything again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as vscode from 'vscode';
import { createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  MessageType,
  ShowMessageNotification,
  ShutdownRequest,
} from '@devmode/protocol';
import { resolveServerPath, restartDelayMs, ServerNotFoundError } from './serverPath';

export class DevModeClient implements vscode.Disposable {
  /** The "DevMode" output channel: the server's `window/logMessage` lines and its stderr. */
  public readonly log: vscode.OutputChannel;
  private connection: MessageConnection | undefined;
  private child: ChildProcess | undefined;
  private ready: Promise<MessageConnection> | undefined;
  private failuresInARow = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;

  public constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly register: (connection: MessageConnection) => void,
  ) {
    this.log = vscode.window.createOutputChannel('DevMode');
  }

  /** The connection of a running, initialized server, starting one when none runs. */
  public get(): Promise<MessageConnection> {
    this.ready ??= this.start();
    return this.ready;
  }

  public get pid(): number | undefined {
    return this.child?.pid;
  }

  private async start(): Promise<MessageConnection> {
    const config = vscode.workspace.getConfiguration('devmode');
    let serverPath: string;
    try {
      const resolved = resolveServerPath({
        setting: config.get<string>('serverPath', ''),
        extensionPath: this.context.extensionPath,
        pathVariable: process.env.PATH ?? '',
        isExecutable: (path) => {
          try {
            accessSync(path, constants.X_OK);
            return true;
          } catch {
            return false;
          }
        },
      });
      serverPath = resolved.path;
      this.log.appendLine(`Starting ${serverPath} serve --stdio (from ${resolved.source})`);
    } catch (error) {
      this.ready = undefined;
      if (error instanceof ServerNotFoundError) void vscode.window.showErrorMessage(error.message);
      throw error;
    }
    const child = spawn(serverPath, ['serve', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.log.append(chunk));
    const connection = createMessageConnection(child.stdout, child.stdin);
    this.connection = connection;
    connection.onNotification(LogMessageNotification.type, ({ type, message }) => {
      this.log.appendLine(`[${MessageType[type] ?? type}] ${message}`);
    });
    connection.onNotification(ShowMessageNotification.type, ({ type, message }) => {
      if (type === MessageType.Error) void vscode.window.showErrorMessage(message);
      else if (type === MessageType.Warning) void vscode.window.showWarningMessage(message);
      else void vscode.window.showInformationMessage(message);
    });
    this.register(connection);
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    child.on('error', (error) => this.log.appendLine(`The server could not start: ${error.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    connection.listen();

    const kubeconfig = config.get<string>('kubeconfig', '').trim();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const initialized = connection.sendRequest(InitializeRequest.type, {
      clientInfo: {
        name: 'devmode-vscode',
        version: (this.context.extension.packageJSON as { version: string }).version,
      },
      capabilities: { workDoneProgress: true },
      ...(folder !== undefined ? { rootPath: folder } : {}),
      ...(kubeconfig !== '' ? { kubeconfig } : {}),
    });
    const result = await Promise.race([
      initialized,
      exited.then(() => {
        throw new Error('the devmode server exited before it answered initialize; see DevMode: Show server log');
      }),
    ]);
    await connection.sendNotification(InitializedNotification.type, {});
    this.log.appendLine(`Connected to ${result.serverInfo.name} ${result.serverInfo.version}`);
    this.failuresInARow = 0;
    return connection;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.connection?.dispose();
    this.connection = undefined;
    this.child = undefined;
    this.ready = undefined;
    if (this.stopping) return;
    this.failuresInARow += 1;
    const delay = restartDelayMs(this.failuresInARow);
    const how = signal !== null ? `signal ${signal}` : `code ${code ?? '?'}`;
    this.log.appendLine(`The devmode server exited (${how}); restarting in ${delay / 1000} s`);
    void vscode.window.showWarningMessage(
      `The DevMode server stopped (${how}). Restarting it in ${delay / 1000} s; port-forwards and sync resume once it is back.`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.get().catch((error: unknown) => this.log.appendLine(`Restart failed: ${String(error)}`));
    }, delay);
  }

  /** Stops the running server and starts a new one now. */
  public async restart(): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.failuresInARow = 0;
    await this.get();
  }

  /** Asks the server to shut down, as PROTOCOL.md describes, and kills it if it does not. */
  public async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    const child = this.child;
    const connection = this.connection;
    if (child === undefined || connection === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await Promise.race([connection.sendRequest(ShutdownRequest.method), delay(5000)]);
      await connection.sendNotification(ExitNotification.type);
    } catch {
      // The server is already gone or not answering; the kill below ends it.
    }
    await Promise.race([exited, delay(5000)]);
    if (this.child === child) child.kill('SIGKILL');
  }

  public dispose(): void {
    void this.stop();
    this.log.dispose();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

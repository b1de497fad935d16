/**
 * Terminals as VS Code Pseudoterminals over `terminal/open`, `terminal/input`, `terminal/resize` and
 * `terminal/close`: one per click, named after the pod (or workload) and container, showing the exit code when
 * the command ends.
 */
import * as vscode from 'vscode';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import {
  CloseTerminalRequest,
  DidExitTerminalNotification,
  DidOutputTerminalNotification,
  OpenTerminalRequest,
  ResizeTerminalNotification,
  SendTerminalInputNotification,
  type TerminalTarget,
} from '@devmode/protocol';
import type { DevModeClient } from './client';

interface TerminalHandlers {
  output(data: string): void;
  exit(exitCode: number | null, reason?: string): void;
}

export class Terminals {
  private readonly open = new Map<string, TerminalHandlers>();

  public constructor(private readonly client: DevModeClient) {}

  public register(connection: MessageConnection): void {
    for (const terminal of this.open.values()) terminal.exit(null, 'the DevMode server restarted');
    this.open.clear();
    connection.onNotification(DidOutputTerminalNotification.type, ({ terminalId, data }) => {
      this.open.get(terminalId)?.output(data);
    });
    connection.onNotification(DidExitTerminalNotification.type, ({ terminalId, exitCode, reason }) => {
      this.open.get(terminalId)?.exit(exitCode, reason);
      this.open.delete(terminalId);
    });
  }

  /** Opens a new terminal tab on `target`. */
  public create(target: TerminalTarget, name: string): vscode.Terminal {
    const write = new vscode.EventEmitter<string>();
    let terminalId: string | undefined;
    let connection: MessageConnection | undefined;
    let ended = false;
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      open: (dimensions) => {
        void (async () => {
          try {
            connection = await this.client.get();
            const opened = await connection.sendRequest(OpenTerminalRequest.type, {
              target,
              cols: dimensions?.columns ?? 80,
              rows: dimensions?.rows ?? 24,
            });
            terminalId = opened.terminalId;
            this.open.set(opened.terminalId, {
              output: (data) => write.fire(data),
              exit: (exitCode, reason) => {
                ended = true;
                const code = exitCode === null ? 'no exit code' : `exit code ${exitCode}`;
                write.fire(`\r\n\x1b[2m[${name}: the command ended, ${code}${reason ? `: ${reason}` : ''}]\x1b[0m\r\n`);
              },
            });
          } catch (error) {
            ended = true;
            write.fire(`\x1b[31m${error instanceof Error ? error.message : String(error)}\x1b[0m\r\n`);
            const hint = (error as { data?: { hint?: string } }).data?.hint;
            if (hint !== undefined) write.fire(`${hint}\r\n`);
          }
        })();
      },
      handleInput: (data) => {
        if (terminalId !== undefined && !ended)
          void connection?.sendNotification(SendTerminalInputNotification.type, { terminalId, data });
      },
      setDimensions: (dimensions) => {
        if (terminalId !== undefined && !ended)
          void connection?.sendNotification(ResizeTerminalNotification.type, {
            terminalId,
            cols: dimensions.columns,
            rows: dimensions.rows,
          });
      },
      close: () => {
        if (terminalId === undefined) return;
        this.open.delete(terminalId);
        if (!ended) connection?.sendRequest(CloseTerminalRequest.type, { terminalId }).catch(() => undefined);
      },
    };
    const terminal = vscode.window.createTerminal({ name, pty });
    terminal.show();
    return terminal;
  }
}

/**
 * Log streams as output channels: one channel per `logs/open`, following, with container restarts and pod
 * replacements marked in the text. Closing the stream (DevMode: Close log stream) disposes its channel.
 */
import * as vscode from 'vscode';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import {
  CloseLogsRequest,
  DidAppendLogsNotification,
  DidEndLogsNotification,
  OpenLogsRequest,
  type LogsTarget,
} from '@devmode/protocol';
import type { DevModeClient } from './client';
import { attachmentLine, endLine, logLine } from './logText';

interface Stream {
  name: string;
  channel: vscode.OutputChannel;
  pods: Set<string>;
}

export class Logs {
  private readonly streams = new Map<string, Stream>();

  public constructor(private readonly client: DevModeClient) {}

  public register(connection: MessageConnection): void {
    for (const stream of this.streams.values())
      stream.channel.appendLine(endLine('error', 'the DevMode server restarted'));
    this.streams.clear();
    connection.onNotification(DidAppendLogsNotification.type, ({ streamId, lines, attached }) => {
      const stream = this.streams.get(streamId);
      if (stream === undefined) return;
      for (const attachment of attached ?? []) {
        stream.pods.add(attachment.pod);
        stream.channel.appendLine(attachmentLine(attachment));
      }
      for (const line of lines) stream.channel.appendLine(logLine(line, stream.pods.size > 1));
    });
    connection.onNotification(DidEndLogsNotification.type, ({ streamId, reason, message }) => {
      this.streams.get(streamId)?.channel.appendLine(endLine(reason, message));
    });
  }

  public async open(target: LogsTarget, name: string): Promise<void> {
    const connection = await this.client.get();
    const channel = vscode.window.createOutputChannel(`DevMode logs: ${name}`);
    channel.show(true);
    try {
      const { streamId, pods } = await connection.sendRequest(OpenLogsRequest.type, {
        target,
        follow: true,
        tailLines: 200,
      });
      this.streams.set(streamId, { name, channel, pods: new Set(pods) });
    } catch (error) {
      channel.appendLine(`Could not open the logs: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  /** The open streams, for a quick pick. */
  public list(): { streamId: string; name: string }[] {
    return [...this.streams].map(([streamId, { name }]) => ({ streamId, name }));
  }

  public async close(streamId: string): Promise<void> {
    const stream = this.streams.get(streamId);
    this.streams.delete(streamId);
    stream?.channel.dispose();
    const connection = await this.client.get();
    await connection.sendRequest(CloseLogsRequest.type, { streamId });
  }
}

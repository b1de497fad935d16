import { PassThrough } from 'node:stream';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { createServerConnection } from '../connection.js';

/**
 * The server and a client wired back to back in this process. The CLI is one more client of the protocol, so a
 * command behaves exactly as the same request from an editor, named errors and all.
 */
export async function connectInProcess(
  log: (line: string) => void,
): Promise<{ rpc: MessageConnection; close(): Promise<void> }> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  let exited: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (exited = resolve));
  const server = createServerConnection({ input: toServer, output: toClient, log, exit: () => exited() });
  server.listen();
  const rpc = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  rpc.listen();
  await rpc.sendRequest('initialize', { clientInfo: { name: 'devmode-cli' }, rootPath: process.cwd() });
  await rpc.sendNotification('initialized', {});
  return {
    rpc,
    async close() {
      await rpc.sendRequest('shutdown');
      await rpc.sendNotification('exit');
      await done;
      rpc.dispose();
      server.dispose();
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

/** A devmode server process driven over its stdio, as an editor plugin drives it. */
export interface ServerProcess {
  connection: MessageConnection;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
}

export function spawnServer(
  self: { command: string; args: string[] },
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ServerProcess {
  const child = spawn(self.command, [...self.args, 'serve', '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  connection.listen();
  return { connection, child, stderr: () => stderr, exited };
}

/**
 * Drives the real devmode server over stdio, as an editor plugin does, and records what it pushes.
 */
import { spawnServer, type ServerProcess } from '../../server/src/rpc/client.js';
import { devmodeCommand, type DevmodeCommand } from './rawServer.js';

export interface Notification {
  method: string;
  params: Record<string, unknown>;
}

export interface DevmodeClient {
  server: ServerProcess;
  notifications: Notification[];
  request<R = Record<string, unknown>>(method: string, params?: unknown): Promise<R>;
  /** Sends a request and resolves with its error (fails the test when it succeeds). */
  requestError(
    method: string,
    params?: unknown,
  ): Promise<{ code: number; message: string; data?: Record<string, unknown> }>;
  waitForNotification(predicate: (notification: Notification) => boolean, timeoutMs?: number): Promise<Notification>;
  /** Ends the server the polite way. */
  close(): Promise<void>;
}

export async function startClient(
  env: NodeJS.ProcessEnv,
  initialize: Record<string, unknown> = {},
  command: DevmodeCommand = devmodeCommand(),
): Promise<DevmodeClient> {
  const server = spawnServer(command, { env });
  const notifications: Notification[] = [];
  const waiters: (() => void)[] = [];
  const record = (method: string, params: unknown): void => {
    notifications.push({ method, params: (params ?? {}) as Record<string, unknown> });
    for (const wake of waiters.splice(0)) wake();
  };
  server.connection.onNotification(record);
  // vscode-jsonrpc routes `$/progress` to progress handlers, never to the generic notification handler.
  server.connection.onUnhandledProgress((params) => record('$/progress', params));
  const client: DevmodeClient = {
    server,
    notifications,
    request: (method, params) => server.connection.sendRequest(method, params ?? {}),
    async requestError(method, params) {
      try {
        const result: unknown = await server.connection.sendRequest(method, params ?? {});
        throw new Error(`${method} succeeded but an error was expected: ${JSON.stringify(result)}`);
      } catch (error) {
        const failure = error as { code?: number; message: string; data?: Record<string, unknown> };
        if (failure.code === undefined) throw error;
        return {
          code: failure.code,
          message: failure.message,
          ...(failure.data !== undefined ? { data: failure.data } : {}),
        };
      }
    },
    async waitForNotification(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = notifications.find(predicate);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no matching notification within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    async close() {
      try {
        await server.connection.sendRequest('shutdown');
        await server.connection.sendNotification('exit');
      } catch {
        // The server may already be gone (a crash test killed it).
      }
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      server.child.kill('SIGKILL');
      server.connection.dispose();
    },
  };
  await client.request('initialize', { clientInfo: { name: 'devmode-test' }, ...initialize });
  await server.connection.sendNotification('initialized', {});
  return client;
}

/**
 * A devmode server started under the V8 inspector, so a test can read its heap, force a full collection and count
 * live objects of a kind from outside, with nothing in the server for that purpose.
 */
import { spawnServer, type ServerProcess } from '../../server/src/rpc/client.js';
import { devmodeBin } from './rawServer.js';

interface InspectorReply {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  private readonly events: { method: string; params: Record<string, unknown> }[] = [];
  private readonly eventWaiters = new Set<() => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event: MessageEvent) => {
      const reply = JSON.parse(String(event.data)) as InspectorReply;
      if (reply.method !== undefined) {
        this.events.push({ method: reply.method, params: reply.params ?? {} });
        for (const wake of this.eventWaiters) wake();
        return;
      }
      const waiter = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (waiter === undefined || reply.id === undefined) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter.reject(new Error(reply.error.message));
      else waiter.resolve(reply.result);
    });
  }

  public static async connect(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
    });
    return new Inspector(socket);
  }

  public call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (result) => resolve(result as T), reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The first event named `method` (received so far or later) whose params satisfy `matches`. */
  public async event(
    method: string,
    matches: (params: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 60_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((event) => event.method === method && matches(event.params));
      if (found !== undefined) return found.params;
      if (Date.now() > deadline) throw new Error(`no ${method} event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.eventWaiters.delete(wake);
          resolve();
        };
        this.eventWaiters.add(wake);
        setTimeout(wake, 500);
      });
    }
  }

  /** Heap used in bytes, as it is: no collection is forced. */
  public async heapUsed(): Promise<number> {
    return (await this.call<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
  }

  /** Heap used in bytes after two full collections. */
  public async heapUsedAfterGc(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    return this.heapUsed();
  }

  /** How many live objects share the prototype of the value `expression` evaluates to. */
  public async countLike(expression: string): Promise<number> {
    const sample = await this.call<{ result: { objectId: string } }>('Runtime.evaluate', {
      expression: `Object.getPrototypeOf(${expression})`,
    });
    const found = await this.call<{ objects: { objectId: string } }>('Runtime.queryObjects', {
      prototypeObjectId: sample.result.objectId,
    });
    const length = await this.call<{ result: { value: number } }>('Runtime.callFunctionOn', {
      objectId: found.objects.objectId,
      functionDeclaration: 'function () { return this.length; }',
      returnByValue: true,
    });
    return length.result.value;
  }

  public close(): void {
    this.socket.close();
  }
}

/** `devmode serve --stdio` under this node with the inspector on a free loopback port. */
export async function startInspectedServer(
  env: NodeJS.ProcessEnv,
): Promise<{ server: ServerProcess; inspector: Inspector }> {
  const server = spawnServer({ command: process.execPath, args: ['--inspect=127.0.0.1:0', devmodeBin] }, { env });
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while ((url = /ws:\/\/127\.0\.0\.1:\d+\/[-0-9a-f]+/.exec(server.stderr())?.[0]) === undefined) {
    if (Date.now() > deadline) throw new Error(`the server printed no inspector address: ${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { server, inspector: await Inspector.connect(url) };
}

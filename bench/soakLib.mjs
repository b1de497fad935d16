// A devmode server started under the V8 inspector, so a benchmark or a test can force a full GC in it and read its
// heap, without any code in the server for that purpose.
import { fileURLToPath } from 'node:url';

const devmodeBin = fileURLToPath(new URL('../server/bin/devmode.mjs', import.meta.url));

/** Speaks the Chrome DevTools protocol to a process's inspector over its WebSocket. */
export async function connectInspector(url) {
  const socket = new globalThis.WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), {
      once: true,
    });
  });
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    /** Heap used in bytes after two full collections (the second frees what finalizers of the first released). */
    async heapUsedAfterGc() {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      return (await call('Runtime.getHeapUsage')).usedSize;
    },
    /** Heap used in bytes, as it is: no collection is forced. */
    async heapUsed() {
      return (await call('Runtime.getHeapUsage')).usedSize;
    },
    close: () => socket.close(),
  };
}

/** Starts `devmode serve --stdio` with the inspector on a free loopback port, initializes it and connects. */
export async function startInspectedDevmode(env) {
  const { spawnServer } = await import('../server/dist/rpc/client.js');
  const server = spawnServer({ command: process.execPath, args: ['--inspect=127.0.0.1:0', devmodeBin] }, { env });
  const url = await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no inspector URL on stderr: ${server.stderr()}`)), 30_000);
    const poll = setInterval(() => {
      const found = /ws:\/\/127\.0\.0\.1:\d+\/[-0-9a-f]+/.exec(server.stderr())?.[0];
      if (found === undefined) return;
      clearInterval(poll);
      clearTimeout(deadline);
      resolve(found);
    }, 50);
  });
  const inspector = await connectInspector(url);
  await server.connection.sendRequest('initialize', { clientInfo: { name: 'soak' } });
  await server.connection.sendNotification('initialized', {});
  return {
    pid: server.child.pid,
    inspector,
    request: (method, params) => server.connection.sendRequest(method, params),
    notify: (method, params) => server.connection.sendNotification(method, params),
    async stop() {
      inspector.close();
      await server.connection.sendRequest('shutdown').catch(() => undefined);
      await server.connection.sendNotification('exit').catch(() => undefined);
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      server.child.kill('SIGKILL');
      server.connection.dispose();
    },
  };
}

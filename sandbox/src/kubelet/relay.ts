/**
 * Connections into a pod's network namespace. Each pod runs one relay process inside its namespace (entered
 * with `nsenter -n`); the relay listens on a Unix socket on the host and, per connection, dials
 * 127.0.0.1:<port> inside the pod. A connection costs one Unix-socket connect, not a process start.
 *
 * Wire format on the Unix socket: the client sends the port as 2 bytes big-endian; the relay answers one byte,
 * 0 once the TCP connection inside the pod is open (then bytes flow both ways), or 1 followed by an error
 * message and EOF.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperArgv, runHelperSource } from '../locations.js';

const RELAY_SOURCE = `
const net = require('node:net');
const fs = require('node:fs');
const path = process.argv[1];
try { fs.unlinkSync(path); } catch {}
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  client.setNoDelay(true);
  let header = Buffer.alloc(0);
  const onData = (chunk) => {
    header = Buffer.concat([header, chunk]);
    if (header.length < 2) return;
    client.off('data', onData);
    client.pause();
    const port = header.readUInt16BE(0);
    const rest = header.subarray(2);
    const target = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    target.setNoDelay(true);
    target.once('connect', () => {
      target.off('error', onFail);
      client.write(Buffer.from([0]));
      if (rest.length > 0) target.write(rest);
      client.pipe(target);
      target.pipe(client);
      client.resume();
      // pipe() carries each side's end to the other (half-close); destroying on 'close' would drop bytes still
      // buffered for the other side, so only an error tears both down.
      target.on('error', () => client.destroy());
      client.on('error', () => target.destroy());
    });
    const onFail = (error) => {
      client.end(Buffer.concat([Buffer.from([1]), Buffer.from(error.message)]));
    };
    target.once('error', onFail);
  };
  client.on('data', onData);
  client.on('error', () => {});
});
server.listen(path, () => process.stdout.write('ready\\n'));
// The kubelet holds our stdin open; when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`;

/**
 * Runs a script file as `node <file> <args>` does: the single executable's stand-in for Node inside containers of
 * images that ask for the sandbox's own Node (see projectNodeMounts).
 */
const SCRIPT_SOURCE = `
const { createRequire } = require('node:module');
const { resolve } = require('node:path');
const file = resolve(process.argv[1]);
process.argv = [process.execPath, file, ...process.argv.slice(2)];
createRequire(file)(file);
`;

const HELPERS: Record<string, string> = { relay: RELAY_SOURCE, script: SCRIPT_SOURCE };

/**
 * The argv that runs one of the sandbox's Node helper scripts. Every helper is launched through here so a
 * packaged build can change how (for example a single binary re-executing itself) in one place.
 */
export function nodeHelperCommand(name: string, args: string[]): string[] {
  return helperArgv(name, helperSource(name), args);
}

function helperSource(name: string): string {
  const source = HELPERS[name];
  if (source === undefined) throw new Error(`unknown helper script "${name}"`);
  return source;
}

/** Runs a helper in this process; the single executable's hidden helper subcommand lands here. */
export function runNodeHelper(name: string, args: string[]): Promise<number> {
  return runHelperSource(name, helperSource(name), args);
}

/** Spawns a Node helper, optionally wrapped in a prefix command such as `nsenter -t PID -n --`. */
export function spawnNodeHelper(name: string, args: string[], prefix: string[], options: SpawnOptions): ChildProcess {
  const argv = [...prefix, ...nodeHelperCommand(name, args)];
  return spawn(argv[0] ?? process.execPath, argv.slice(1), options);
}

/**
 * A Unix socket path for a pod's relay. Socket paths are limited to 107 bytes, so a long state directory gets
 * a short directory under the temp dir instead, named after a hash of the state directory.
 */
export function relaySocketPath(stateDir: string, podUid: string): string {
  const short = podUid.replace(/-/g, '').slice(0, 16);
  const preferred = join(stateDir, 'run', `${short}.sock`);
  if (Buffer.byteLength(preferred) <= 100) {
    mkdirSync(join(stateDir, 'run'), { recursive: true });
    return preferred;
  }
  const dir = join(tmpdir(), `devmode-sbx-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, `${short}.sock`);
}

/** Starts a relay inside a pod's network namespace (entered by `prefix`); resolves once it listens. */
export async function startRelay(prefix: string[], socketPath: string): Promise<ChildProcess> {
  const child = spawnNodeHelper('relay', [socketPath], prefix, {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pod relay did not start: ${stderr}`)), 10_000);
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pod relay exited with code ${code}: ${stderr}`));
    });
  });
  return child;
}

/** Opens a TCP connection to 127.0.0.1:port inside the pod through its relay. */
export function relayConnect(socketPath: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ path: socketPath, allowHalfOpen: true });
    socket.setNoDelay(true);
    let answer = Buffer.alloc(0);
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      const header = Buffer.alloc(2);
      header.writeUInt16BE(port, 0);
      socket.write(header);
    });
    // The answer is read with 'readable' so the socket never starts flowing before its user attaches.
    const onReadable = (): void => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
        answer = Buffer.concat([answer, chunk]);
        if (answer[0] !== 0) continue;
        socket.off('readable', onReadable);
        socket.off('end', onEnd);
        socket.off('error', fail);
        const rest = answer.subarray(1);
        if (rest.length > 0) socket.unshift(rest);
        resolve(socket);
        return;
      }
    };
    const onEnd = (): void => {
      const message = answer.subarray(1).toString() || 'connection closed by the pod relay';
      fail(new Error(message));
    };
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
  });
}

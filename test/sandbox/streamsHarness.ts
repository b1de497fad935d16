/**
 * A minimal HTTPS API server around `handleStreamUpgrade`, with a fake pod runtime whose processes run on the
 * host and whose pod ports map to local TCP servers, so that the real kubectl and @kubernetes/client-node can be
 * pointed at the streaming code without a cluster.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Duplex, Writable } from 'node:stream';
import * as pty from '@lydell/node-pty';
import forge from 'node-forge';
import { ApiError, type ContainerProcess, type ExecOptions, type PodRuntime } from '../../sandbox/src/contracts.js';
import { handleStreamUpgrade } from '../../sandbox/src/streams/index.js';

const TOKEN = 'streams-test-token';

/** Pods the fake runtime knows: `web` runs; `stopped` exists for the API but its runtime refuses streams. */
export const RUNNING_POD = 'web';
export const STOPPED_POD = 'stopped';

export class FakeRuntime implements PodRuntime {
  /** Pod port → local TCP port. */
  public readonly ports = new Map<number, number>();
  public readonly resizes: { cols: number; rows: number }[] = [];
  public readonly children = new Set<ChildProcess | pty.IPty>();

  private check(namespace: string, pod: string, container?: string): void {
    if (namespace !== 'default' || (pod !== RUNNING_POD && pod !== STOPPED_POD)) {
      throw new ApiError(404, 'NotFound', `pods "${pod}" not found`);
    }
    if (pod === STOPPED_POD) {
      throw new ApiError(400, 'BadRequest', `pod ${pod} is not running: phase Succeeded`);
    }
    if (container !== undefined && container !== 'main') {
      throw new ApiError(404, 'NotFound', `container ${container} is not valid for pod ${pod}`);
    }
  }

  public exec(
    ns: string,
    pod: string,
    container: string | undefined,
    command: string[],
    options: ExecOptions,
  ): ContainerProcess {
    this.check(ns, pod, container);
    return options.tty ? this.spawnTerminal(command, options) : this.spawnPiped(command, options);
  }

  public attach(ns: string, pod: string, container: string | undefined, options: ExecOptions): ContainerProcess {
    this.check(ns, pod, container);
    return this.spawnPiped(['sh', '-c', 'echo attached; cat; exit 4'], options);
  }

  public async connect(ns: string, pod: string, port: number): Promise<Duplex> {
    this.check(ns, pod);
    // An unmapped pod port is a closed port: port 1 on the loopback refuses connections.
    const target = this.ports.get(port) ?? 1;
    return new Promise((resolve, reject) => {
      const socket = connect(target, '127.0.0.1');
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  public logs(): never {
    throw new ApiError(400, 'BadRequest', 'logs are not part of this fake');
  }

  private spawnPiped(command: string[], options: ExecOptions): ContainerProcess {
    const child = spawn(command[0]!, command.slice(1), { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    const exited = new Promise<number>((resolve) =>
      child.once('exit', (code, signal) => {
        this.children.delete(child);
        resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
      }),
    );
    return {
      stdin: child.stdin,
      stdout: child.stdout!,
      stderr: child.stderr,
      resize: () => undefined,
      exited,
      kill: () => child.kill('SIGKILL'),
    };
  }

  private spawnTerminal(command: string[], options: ExecOptions): ContainerProcess {
    const terminal = pty.spawn(command[0]!, command.slice(1), { cols: options.cols ?? 80, rows: options.rows ?? 24 });
    this.children.add(terminal);
    const stdout = new PassThrough();
    terminal.onData((data) => stdout.write(data));
    const exited = new Promise<number>((resolve) =>
      terminal.onExit(({ exitCode }) => {
        this.children.delete(terminal);
        stdout.end();
        resolve(exitCode);
      }),
    );
    const stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        terminal.write(chunk.toString());
        callback();
      },
    });
    return {
      stdin: options.stdin ? stdin : null,
      stdout,
      stderr: null,
      resize: (cols, rows) => {
        this.resizes.push({ cols, rows });
        terminal.resize(cols, rows);
      },
      exited,
      kill: () => terminal.kill('SIGKILL'),
    };
  }

  public killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

function pod(name: string): object {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1' },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

const DISCOVERY: Record<string, object> = {
  '/version': { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' },
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      {
        name: 'pods/portforward',
        singularName: '',
        namespaced: true,
        kind: 'PodPortForwardOptions',
        verbs: ['create', 'get'],
      },
    ],
  },
};

const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/;
const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;

export interface Harness {
  runtime: FakeRuntime;
  /** Every upgrade request seen, as `METHOD upgrade subresource`, e.g. `POST spdy/3.1 portforward`. */
  upgrades: string[];
  server: Server;
  url: string;
  kubeconfig: string;
  kubeconfigYaml: string;
  /** The server certificate, which is its own CA. */
  ca: string;
  token: string;
  home: string;
  dir: string;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (its own CA), made in process; key.pem is kept in `dir`. */
function selfSignedCertificate(dir: string): { key: string; cert: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(key);
  const cert = forge.pki.createCertificate();
  cert.serialNumber = '01';
  cert.publicKey = forge.pki.rsa.setPublicKey(forgeKey.n, forgeKey.e);
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: '127.0.0.1' }]);
  cert.setIssuer([{ name: 'commonName', value: '127.0.0.1' }]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  writeFileSync(join(dir, 'key.pem'), key, { mode: 0o600 });
  return { key, cert: forge.pki.certificateToPem(cert) };
}

export async function startHarness(runtime: PodRuntime = new FakeRuntime()): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'streams-test-'));
  const { key, cert } = selfSignedCertificate(dir);
  const server = createHttpsServer({ key, cert }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    const podMatch = POD_PATH.exec(path);
    const body = DISCOVERY[path] ?? (podMatch ? pod(decodeURIComponent(podMatch[2]!)) : undefined);
    res.setHeader('Content-Type', 'application/json');
    if (!body) {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    res.end(JSON.stringify(body));
  });
  const upgrades: string[] = [];
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const match = STREAM_PATH.exec(url.pathname);
    upgrades.push(`${req.method} ${(req.headers.upgrade ?? '').toLowerCase()} ${match?.[3] ?? url.pathname}`);
    if (req.headers.authorization !== `Bearer ${TOKEN}` || !match) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const subresource = match[3] as 'exec' | 'attach' | 'portforward';
    handleStreamUpgrade(
      req,
      socket,
      head,
      { namespace: match[1]!, pod: match[2]!, subresource, query: url.searchParams },
      runtime,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigYaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test\n  cluster:\n    server: ${url}\n    certificate-authority-data: ${Buffer.from(cert).toString('base64')}`,
    'users:',
    `- name: test\n  user:\n    token: ${TOKEN}`,
    'contexts:',
    '- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: default',
    'current-context: test',
    '',
  ].join('\n');
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml);
  const home = join(dir, 'home');
  return {
    runtime: runtime as FakeRuntime,
    upgrades,
    server,
    url,
    kubeconfig,
    kubeconfigYaml,
    ca: cert,
    token: TOKEN,
    home,
    dir,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP server that sends back whatever it receives and ends when the client ends. */
export async function startEchoServer(): Promise<{ server: TcpServer; port: number }> {
  const server = createTcpServer({ allowHalfOpen: true }, (socket: Socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Sends `data` to 127.0.0.1:port, half-closes, and returns everything received until the server ends. */
export function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
    socket.end(data);
  });
}

/**
 * Sends `data` to 127.0.0.1:port and reads until as many bytes came back, then closes: a request/response
 * exchange that does not depend on how the server closes its side.
 */
export function exchange(port: number, data: Buffer, timeoutMs = 15_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`received ${received} of ${data.length} bytes within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < data.length) return;
      clearTimeout(timer);
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
    socket.write(data);
  });
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin. */
export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  timeoutMs = 20_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    if (input !== undefined) child.stdin.end(input);
  });
}

/** What kubectl needs to reach a cluster: its kubeconfig and a throw-away HOME. */
export interface KubectlTarget {
  kubeconfig: string;
  home: string;
}

/** The environment kubectl runs in: a throw-away HOME, so no cached discovery or version leaks between runs. */
export function kubectlEnv(target: KubectlTarget, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: target.home, KUBECONFIG: target.kubeconfig, ...extra };
}

/** Quotes one argument for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Starts `kubectl port-forward` and resolves with its local port once it reports that it is forwarding. */
export function startPortForward(
  target: KubectlTarget,
  podPort: number,
  extraEnv: NodeJS.ProcessEnv = {},
  pod = RUNNING_POD,
): Promise<{ child: ChildProcess; localPort: number; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', `pod/${pod}`, `:${podPort}`], {
      env: kubectlEnv(target, extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`kubectl port-forward did not start: ${output}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, localPort: Number(match[1]), output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward exited with ${code}: ${output}`));
    });
  });
}

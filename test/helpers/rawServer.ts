import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The path of the devmode CLI that npm's bin runs; tests drive the real, built server through it. */
export const devmodeBin = fileURLToPath(new URL('../../server/bin/devmode.mjs', import.meta.url));

/** How tests start devmode: npm's bin under this node, or the executable named by DEVMODE_TEST_BIN. */
export interface DevmodeCommand {
  command: string;
  args: string[];
}

export function devmodeCommand(): DevmodeCommand {
  const bin = process.env.DEVMODE_TEST_BIN;
  return bin ? { command: bin, args: [] } : { command: process.execPath, args: [devmodeBin] };
}

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/**
 * A devmode server spoken to byte by byte: tests can send malformed frames and check that stdout carries nothing
 * but well-formed Content-Length frames.
 */
export class RawServer {
  public readonly child: ChildProcessWithoutNullStreams;
  public readonly messages: RpcMessage[] = [];
  public stderr = '';
  /** Bytes on stdout that were not part of a frame; must stay empty. */
  public strayStdout = '';
  public readonly exited: Promise<number | null>;
  private stdout = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private nextId = 1;

  public constructor(
    env: NodeJS.ProcessEnv = process.env,
    args: string[] = ['serve', '--stdio'],
    devmode: DevmodeCommand = devmodeCommand(),
  ) {
    this.child = spawn(devmode.command, [...devmode.args, ...args], { env, stdio: 'pipe' });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.exited = new Promise((resolve) => {
      // 'close' comes after 'exit' once stdout and stderr are drained, so everything the process printed is here.
      this.child.once('close', (code) => resolve(code));
      // A command that cannot start (say a wrong DEVMODE_TEST_BIN) shows up in stderr, which waitFor reports.
      this.child.once('error', (error) => {
        this.stderr += `cannot run ${devmode.command}: ${error.message}\n`;
        resolve(null);
      });
    });
  }

  public sendRaw(bytes: string | Buffer): void {
    this.child.stdin.write(bytes);
  }

  public send(message: Omit<RpcMessage, 'jsonrpc'>): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.sendRaw(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  /** Sends a request and waits for its response. */
  public async request(method: string, params?: unknown, timeoutMs = 20_000): Promise<RpcMessage> {
    const id = this.nextId++;
    this.send({ id, method, ...(params === undefined ? {} : { params }) });
    return this.waitFor((message) => message.id === id, timeoutMs);
  }

  public notify(method: string, params?: unknown): void {
    this.send({ method, ...(params === undefined ? {} : { params }) });
  }

  public async initialize(params: Record<string, unknown> = {}): Promise<RpcMessage> {
    const response = await this.request('initialize', { clientInfo: { name: 'test' }, ...params });
    this.notify('initialized', {});
    return response;
  }

  public async waitFor(predicate: (message: RpcMessage) => boolean, timeoutMs = 20_000): Promise<RpcMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Resolves with stderr once it matches. Stderr is a separate pipe from stdout, so a diagnostic may arrive after a
   * response that the server sent later.
   */
  public async stderrMatching(pattern: RegExp, timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stderr) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.stderr;
  }

  public kill(): void {
    this.child.kill('SIGKILL');
  }

  private onStdout(chunk: Buffer): void {
    this.stdout = Buffer.concat([this.stdout, chunk]);
    for (;;) {
      const end = this.stdout.indexOf('\r\n\r\n');
      if (end === -1) break;
      const header = this.stdout.toString('ascii', 0, end);
      const match = /^Content-Length: (\d+)$/im.exec(header);
      if (match?.[1] === undefined || !header.startsWith('Content-Length')) {
        this.strayStdout += this.stdout.toString('utf8');
        this.stdout = Buffer.alloc(0);
        break;
      }
      const length = Number(match[1]);
      if (this.stdout.length < end + 4 + length) break;
      const body = this.stdout.toString('utf8', end + 4, end + 4 + length);
      this.stdout = this.stdout.subarray(end + 4 + length);
      this.messages.push(JSON.parse(body) as RpcMessage);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

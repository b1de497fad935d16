/**
 * Container probes (exec, httpGet, tcpSocket), run inside the pod's namespaces, and the periodic worker that
 * applies initialDelaySeconds, periodSeconds, timeoutSeconds and the success/failure thresholds.
 */
import type { Duplex } from 'node:stream';

export interface Probe {
  exec?: { command: string[] };
  httpGet?: {
    path?: string;
    port: number | string;
    host?: string;
    scheme?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  tcpSocket?: { port: number | string };
  grpc?: { port: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ProbeTarget {
  /** Runs a command in the container; resolves with its exit code and combined output. */
  exec(argv: string[], timeoutMs: number): Promise<{ code: number; output: string }>;
  connect(port: number): Promise<Duplex>;
  /** Named container ports. */
  ports: Map<string, number>;
}

export interface ProbeResult {
  ok: boolean;
  message: string;
}

function resolvePort(port: number | string, target: ProbeTarget): number {
  if (typeof port === 'number') return port;
  const named = target.ports.get(port);
  if (named !== undefined) return named;
  const n = Number(port);
  if (Number.isInteger(n)) return n;
  throw new Error(`unknown port name "${port}"`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} (Client.Timeout exceeded while awaiting headers)`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

async function httpGet(
  probe: NonNullable<Probe['httpGet']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeResult> {
  const port = resolvePort(probe.port, target);
  const path = probe.path ?? '/';
  const url = `http://127.0.0.1:${port}${path}`;
  let socket: Duplex | undefined;
  try {
    socket = await withTimeout(target.connect(port), timeoutMs, `Get "${url}": context deadline exceeded`);
    const headers = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'User-Agent: kube-probe/1.32',
      'Accept: */*',
      'Connection: close',
    ];
    for (const header of probe.httpHeaders ?? []) headers.push(`${header.name}: ${header.value}`);
    socket.write(`${headers.join('\r\n')}\r\n\r\n`);
    const conn = socket;
    const statusLine = await withTimeout(
      new Promise<string>((resolve, reject) => {
        let buffered = '';
        conn.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('latin1');
          const end = buffered.indexOf('\r\n');
          if (end >= 0) resolve(buffered.slice(0, end));
        });
        conn.once('end', () => reject(new Error(`Get "${url}": EOF`)));
        conn.once('error', reject);
      }),
      timeoutMs,
      `Get "${url}": context deadline exceeded`,
    );
    const code = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
    if (code >= 200 && code < 400) return { ok: true, message: '' };
    return { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const refused = /ECONNREFUSED|connect/.test(text) && !text.startsWith('Get');
    return {
      ok: false,
      message: refused ? `Get "${url}": dial tcp 127.0.0.1:${port}: connect: connection refused` : text,
    };
  } finally {
    socket?.destroy();
  }
}

/** Runs one probe once. */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    try {
      const { code, output } = await target.exec(probe.exec.command, timeoutMs);
      return code === 0
        ? { ok: true, message: '' }
        : { ok: false, message: output.trim() || `command exited with ${code}` };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  }
  if (probe.httpGet) return httpGet(probe.httpGet, target, timeoutMs);
  const tcp = probe.tcpSocket ?? probe.grpc;
  if (tcp) {
    const port = resolvePort(tcp.port, target);
    try {
      const socket = await withTimeout(target.connect(port), timeoutMs, `dial tcp 127.0.0.1:${port}: i/o timeout`);
      socket.destroy();
      return { ok: true, message: '' };
    } catch {
      return { ok: false, message: `dial tcp 127.0.0.1:${port}: connect: connection refused` };
    }
  }
  return { ok: true, message: '' };
}

/**
 * Runs a probe periodically and reports when its result flips after the configured number of consecutive
 * results, and every failure (for the Unhealthy event).
 */
export class ProbeWorker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;

  public constructor(
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    public result: boolean,
    private readonly onChange: (result: boolean) => void,
    private readonly onFailure: (message: string) => void,
  ) {}

  public start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  public stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    let outcome: ProbeResult;
    try {
      outcome = await runProbe(this.probe, this.target);
    } catch (error) {
      outcome = { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    if (this.stopped) return;
    if (outcome.ok) {
      this.failures = 0;
      this.successes++;
      if (!this.result && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.result = true;
        this.onChange(true);
      }
    } else {
      this.successes = 0;
      this.failures++;
      this.onFailure(outcome.message);
      if (this.result !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.result = false;
        this.failures = 0;
        this.onChange(false);
      } else if (this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.failures = 0;
        this.onChange(false);
      }
    }
    if (!this.stopped) this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}

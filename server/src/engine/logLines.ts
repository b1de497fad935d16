/**
 * The pure parts of log streaming: splitting bytes into whole lines, reading the timestamp the API server puts in
 * front of each line, remembering where a stream was so that reopening it repeats nothing, and batching lines into
 * notifications.
 */
import { StringDecoder } from 'node:string_decoder';

/** Splits a byte stream into lines; a partial line (or character) is held until it is complete. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** The lines completed by `chunk`, without their line breaks. */
  public push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map(stripCarriageReturn);
  }

  /** The last line when the stream ended without a line break. */
  public end(): string | undefined {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? undefined : stripCarriageReturn(rest);
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Splits `2024-05-01T10:00:00.123456789Z text` into its timestamp and text. */
export function splitTimestamp(line: string): { timestamp?: string; text: string } {
  const space = line.indexOf(' ');
  const candidate = space === -1 ? line : line.slice(0, space);
  if (!/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/.test(candidate)) return { text: line };
  return { timestamp: candidate, text: space === -1 ? '' : line.slice(space + 1) };
}

/** An RFC 3339 timestamp in nanoseconds since the epoch, so that timestamps of any precision compare correctly. */
export function timestampNanos(timestamp: string): bigint | undefined {
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (match === null) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = (match[2] ?? '').padEnd(9, '0').slice(0, 9);
  return BigInt(seconds) * 1_000_000n + BigInt(fraction);
}

/**
 * Where a stream of one container instance got to: the last timestamp delivered and how many lines carried it.
 * Reopening the stream from that timestamp and skipping what `isRepeat` says repeats no line and loses none.
 */
export class ResumePoint {
  private last: bigint | undefined;
  private lastText: string | undefined;
  private atLast = 0;
  private seenAtLast = 0;

  /** The timestamp to reopen from (`sinceTime`), if any line was delivered. */
  public get since(): string | undefined {
    return this.lastText;
  }

  /** Call when the stream is reopened: lines at the last timestamp are counted again from zero. */
  public reopened(): void {
    this.seenAtLast = 0;
  }

  /** True when a line with this timestamp was already delivered before the stream was reopened. */
  public isRepeat(timestamp: string | undefined): boolean {
    if (timestamp === undefined || this.last === undefined) return false;
    const nanos = timestampNanos(timestamp);
    if (nanos === undefined) return false;
    if (nanos < this.last) return true;
    if (nanos === this.last && this.seenAtLast < this.atLast) {
      this.seenAtLast++;
      return true;
    }
    return false;
  }

  /** Records a delivered line. */
  public delivered(timestamp: string | undefined): void {
    if (timestamp === undefined) return;
    const nanos = timestampNanos(timestamp);
    if (nanos === undefined) return;
    if (nanos === this.last) {
      this.atLast++;
      this.seenAtLast++;
    } else {
      this.last = nanos;
      this.lastText = timestamp;
      this.atLast = 1;
      this.seenAtLast = 1;
    }
  }
}

export interface BatchOptions {
  /** How long a line may wait for others to join it. */
  intervalMs: number;
  /** The most lines in one notification. */
  maxLines: number;
  /** Lines waiting beyond this make `push` return false, so that readers pause. */
  highWaterMark: number;
}

export const defaultBatchOptions: BatchOptions = { intervalMs: 50, maxLines: 500, highWaterMark: 5000 };

/**
 * Collects items and hands them over in batches: after `intervalMs`, or at once when `maxLines` wait. One batch is
 * in flight at a time, which bounds the rate to what the receiver takes.
 */
export class Batcher<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private drainListeners: (() => void)[] = [];

  public constructor(
    private readonly send: (batch: T[]) => Promise<void> | void,
    private readonly options: BatchOptions = defaultBatchOptions,
  ) {}

  /** Queues an item; false means the caller should wait for `onDrain`. */
  public push(item: T): boolean {
    this.queue.push(item);
    if (this.queue.length >= this.options.maxLines) this.flushSoon(0);
    else this.flushSoon(this.options.intervalMs);
    return this.queue.length < this.options.highWaterMark;
  }

  public onDrain(listener: () => void): void {
    if (this.queue.length < this.options.highWaterMark) listener();
    else this.drainListeners.push(listener);
  }

  /** Sends everything queued; resolves once it was handed over. */
  public async flushAll(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending !== undefined || this.queue.length > 0) {
      if (this.sending !== undefined) await this.sending;
      else await this.sendNext();
    }
  }

  private flushSoon(delay: number): void {
    if (this.sending !== undefined) return;
    if (this.timer !== undefined) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sendNext();
    }, delay);
  }

  private async sendNext(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxLines);
    const sent = Promise.resolve(this.send(batch)).catch(() => undefined);
    this.sending = sent;
    await sent;
    this.sending = undefined;
    if (this.queue.length < this.options.highWaterMark) {
      for (const listener of this.drainListeners.splice(0)) listener();
    }
    if (this.queue.length >= this.options.maxLines) this.flushSoon(0);
    else if (this.queue.length > 0) this.flushSoon(this.options.intervalMs);
  }
}

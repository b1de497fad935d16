/**
 * Turns a byte stream into UTF-8 text messages: a character split across reads is held until it is whole, and
 * chunks that arrive close together are sent as one message, so a busy stream sends a bounded number of messages
 * while a keystroke's echo still goes out at once.
 */
import { StringDecoder } from 'node:string_decoder';

export interface TextOutputOptions {
  /** The shortest time between two messages once the burst is used up, in milliseconds. */
  minIntervalMs: number;
  /** How many messages may go out back to back: interactive echo is never held, a flood is paced. */
  burst: number;
  /** Text waiting beyond this many characters asks the writer to pause (`write` returns false). */
  highWaterMark: number;
}

const defaults: TextOutputOptions = { minIntervalMs: 30, burst: 10, highWaterMark: 256 * 1024 };

export class TextOutput {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private tokens: number;
  private tokensAt = Date.now();
  private sending: Promise<void> | undefined;
  private drainListeners: (() => void)[] = [];

  public constructor(
    private readonly send: (text: string) => Promise<void> | void,
    private readonly options: TextOutputOptions = defaults,
  ) {
    this.tokens = options.burst;
  }

  /** Queues bytes; returns false when the writer should wait for `onDrain` before writing more. */
  public write(chunk: Buffer): boolean {
    this.pending += this.decoder.write(chunk);
    this.schedule();
    return this.pending.length < this.options.highWaterMark;
  }

  /** Calls `listener` once the queued text fell below the high-water mark. */
  public onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  /** Sends everything still queued, including an incomplete character at the very end (as U+FFFD). */
  public async end(): Promise<void> {
    this.pending += this.decoder.end();
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    await this.sending;
    await this.flush();
  }

  /** Tokens come back one per `minIntervalMs`, up to the burst. */
  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.options.burst, this.tokens + (now - this.tokensAt) / this.options.minIntervalMs);
    this.tokensAt = now;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.sending !== undefined || this.pending === '') return;
    this.refill();
    const wait = this.tokens >= 1 ? 0 : (1 - this.tokens) * this.options.minIntervalMs;
    const run = (): void => {
      this.timer = undefined;
      void this.flush();
    };
    this.timer = wait > 0 ? setTimeout(run, wait) : setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.refill();
    this.tokens = Math.max(0, this.tokens - 1);
    const sent = Promise.resolve(this.send(text)).catch(() => undefined);
    this.sending = sent;
    await sent;
    this.sending = undefined;
    if (this.pending.length < this.options.highWaterMark) {
      for (const listener of this.drainListeners.splice(0)) listener();
    }
    this.schedule();
  }
}

/**
 * An async reader over a byte stream: whole lines, NUL-terminated fields and exact byte counts, as the sync agent's
 * replies need. Reads wait for data; the end of the stream rejects every pending and later read.
 */
import type { Readable } from 'node:stream';

export class StreamEndedError extends Error {
  public constructor(message = 'the sync channel closed') {
    super(message);
    this.name = 'StreamEndedError';
  }
}

export class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private ended: Error | undefined;
  private wake: (() => void) | undefined;

  public constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => this.push(chunk));
    stream.on('end', () => this.end());
    stream.on('close', () => this.end());
    stream.on('error', (error: Error) => this.end(error));
  }

  public end(error?: Error): void {
    this.ended ??= error ?? new StreamEndedError();
    this.notify();
  }

  /** Reads up to and without the first `delimiter` byte, which is consumed. */
  public async readUntil(delimiter: number): Promise<Buffer> {
    let scanned = 0;
    for (;;) {
      const index = this.indexOf(delimiter, scanned);
      if (index >= 0) {
        const result = this.take(index);
        this.take(1);
        return result;
      }
      scanned = this.length;
      await this.more();
    }
  }

  public async readLine(): Promise<string> {
    return (await this.readUntil(0x0a)).toString('latin1');
  }

  public async readExact(count: number): Promise<Buffer> {
    while (this.length < count) await this.more();
    return this.take(count);
  }

  /** Skips bytes equal to `value` and resolves once another byte is next. */
  public async skipWhile(value: number): Promise<void> {
    for (;;) {
      while (this.chunks.length > 0) {
        const first = this.chunks[0]!;
        let i = 0;
        while (i < first.length && first[i] === value) i++;
        if (i < first.length) {
          this.take(i);
          return;
        }
        this.take(first.length);
      }
      await this.more();
    }
  }

  private push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async more(): Promise<void> {
    if (this.ended !== undefined) throw this.ended;
    await new Promise<void>((resolve) => (this.wake = resolve));
    const ended = this.ended as Error | undefined;
    if (ended !== undefined && this.length === 0) throw ended;
  }

  private indexOf(byte: number, from: number): number {
    let offset = 0;
    for (const chunk of this.chunks) {
      if (from < offset + chunk.length) {
        const index = chunk.indexOf(byte, Math.max(0, from - offset));
        if (index >= 0) return offset + index;
      }
      offset += chunk.length;
    }
    return -1;
  }

  private take(count: number): Buffer {
    if (count === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length >= count) {
      const result = first.subarray(0, count);
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      this.length -= count;
      return result;
    }
    const result = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, count - filled);
      chunk.copy(result, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    this.length -= count;
    return result;
  }
}

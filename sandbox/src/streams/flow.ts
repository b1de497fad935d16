/**
 * Backpressure between the client connection and the container side, in both directions, so that a large
 * transfer neither stalls nor piles up in memory.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** How much may wait in the client socket's buffer before the container-side sources are paused. */
export const SEND_HIGH_WATER = 256 * 1024;

/** Turns Nagle's algorithm off where the stream is a TCP (or TLS) socket: interactive streams need it. */
export function disableNagle(stream: Duplex): void {
  const candidate = stream as Duplex & { setNoDelay?: (noDelay: boolean) => unknown };
  if (typeof candidate.setNoDelay === 'function') candidate.setNoDelay(true);
}

/**
 * Pauses the sources that feed one client socket while that socket's buffer is too full, and resumes them all
 * once it drains.
 */
export class OutputGate {
  private readonly paused = new Set<Readable>();
  private waiting = false;

  public constructor(private readonly socket: Duplex) {}

  public get blocked(): boolean {
    return this.waiting;
  }

  /** Call after writing data that came from `source` to the socket. */
  public afterWrite(source: Readable): void {
    if (this.socket.writableLength < SEND_HIGH_WATER || !this.socket.writableNeedDrain) return;
    source.pause();
    this.paused.add(source);
    if (this.waiting) return;
    this.waiting = true;
    this.socket.once('drain', () => {
      this.waiting = false;
      for (const stream of this.paused) stream.resume();
      this.paused.clear();
    });
  }
}

/**
 * Writes client input to container-side sinks and pauses the client connection while any sink is full.
 */
export class InputGate {
  private readonly blockedSinks = new Set<Writable>();

  public constructor(
    private readonly pauseInput: () => void,
    private readonly resumeInput: () => void,
  ) {}

  public write(sink: Writable, chunk: Buffer): void {
    if (sink.destroyed || sink.writableEnded) return;
    if (sink.write(chunk) || this.blockedSinks.has(sink)) return;
    this.blockedSinks.add(sink);
    if (this.blockedSinks.size === 1) this.pauseInput();
    const release = (): void => {
      sink.off('drain', release);
      sink.off('close', release);
      this.forget(sink);
    };
    sink.on('drain', release);
    sink.on('close', release);
  }

  /** Stops waiting for a sink that went away. */
  public forget(sink: Writable): void {
    if (!this.blockedSinks.delete(sink)) return;
    if (this.blockedSinks.size === 0) this.resumeInput();
  }
}

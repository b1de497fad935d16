/**
 * Writes a stream of short-lived views (pieces of a socket's reused read buffer) into a writable stream as few,
 * large writes. Each view is copied into a slab; a slab is written once it is full or once the current round of
 * reads is over (`setImmediate`), and goes back to a shared pool when its write completes. A bulk transfer thus
 * makes one write call per slab instead of one per TLS record, and allocates nothing once the pool is warm.
 */
import type { Writable } from 'node:stream';
import { returnSlab, SLAB_BYTES, takeSlab } from './slabs.js';

export interface CoalescingWriterOptions {
  /** Called when more than `backlogBytes` wait to be written: stop reading the source. */
  pause(): void;
  /** Called once the backlog fell below the limit again. */
  resume(): void;
  backlogBytes?: number;
}

export class CoalescingWriter {
  private slab: Buffer | undefined;
  private used = 0;
  private flushScheduled = false;
  private inFlight = 0;
  private paused = false;
  private readonly maxInFlight: number;

  public constructor(
    private readonly sink: Writable,
    private readonly options: CoalescingWriterOptions,
  ) {
    this.maxInFlight = Math.max(1, Math.ceil((options.backlogBytes ?? 1024 * 1024) / SLAB_BYTES));
  }

  /** Copies `view`; it may be reused as soon as this returns. */
  public write(view: Uint8Array): void {
    let offset = 0;
    while (offset < view.length) {
      this.slab ??= takeSlab();
      const copied = Math.min(view.length - offset, SLAB_BYTES - this.used);
      this.slab.set(view.subarray(offset, offset + copied), this.used);
      this.used += copied;
      offset += copied;
      if (this.used === SLAB_BYTES) this.flush();
    }
    if (this.used > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Writes what is gathered now; called before the sink is ended so that nothing is left behind. */
  public flush(): void {
    const slab = this.slab;
    if (slab === undefined || this.used === 0) return;
    const length = this.used;
    this.slab = undefined;
    this.used = 0;
    if (this.sink.destroyed) return;
    this.inFlight++;
    this.sink.write(slab.subarray(0, length), (error) => {
      this.inFlight--;
      // A failed write may still be referenced by the stream; only a completed one frees its slab.
      if (error === undefined || error === null) returnSlab(slab);
      if (this.paused && this.inFlight < this.maxInFlight) {
        this.paused = false;
        this.options.resume();
      }
    });
    if (!this.paused && this.inFlight >= this.maxInFlight) {
      this.paused = true;
      this.options.pause();
    }
  }
}

/**
 * A shared pool of fixed-size buffers for bulk I/O. A buffer handed to a socket write goes back to the pool only
 * once the write completed, so a busy stream reuses the same memory instead of allocating (and having V8 collect)
 * a new buffer per chunk.
 */
export const SLAB_BYTES = 128 * 1024;
/** Buffers kept for reuse across all streams. */
const POOL_LIMIT = 32;
const pool: Buffer[] = [];

export function takeSlab(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
}

/** Gives a buffer back; only call this once nothing (no pending write) refers to it any more. */
export function returnSlab(slab: Buffer): void {
  if (slab.length === SLAB_BYTES && pool.length < POOL_LIMIT) pool.push(slab);
}

/**
 * Compression of the archives sent to the container. The codec is one the agent found working in the container
 * (zstd first, then gzip); without either, archives go as plain tar. A compressed archive is framed as a plain tar
 * archive of chunks (see agentScript.ts), so it is streamed as it is compressed and still ends on a record boundary.
 *
 * Each chunk of about 1 MiB of archive is compressed on its own (a gzip member or a zstd frame; the decompressor
 * reads them one after the other) while the next is read and the previous one is sent. Whether a chunk is
 * compressed or only stored (gzip level 0, zstd's fastest level) follows from the pace measured so far: compressing
 * pays unless it takes longer than both reading the chunk and sending it uncompressed, which is the case only on a
 * link faster than this machine compresses (see `Pace`). So on a slow link everything is compressed, and on a fast
 * one compression does not make the transfer slower.
 *
 * Small archives are not compressed (starting the decompressor in the container costs more than it saves), nor
 * archives made mostly of files that are compressed already (images, archives, fonts).
 */
import * as zlib from 'node:zlib';
import type { Codec } from './agentScript.js';
import { RECORD, BLOCK, entryHeader, padding } from './tarWriter.js';
import type { RelPath } from './paths.js';

export type { Codec } from './agentScript.js';

/** Archives with fewer compressible bytes than this go uncompressed. */
export const MIN_COMPRESSED_BYTES = 64 * 1024;
/** The archive is compressed in chunks of this size. */
const CHUNK_BYTES = 1024 * 1024;
/** A write the channel takes longer than this to accept measures the link's pace. */
const LINK_WAIT_MS = 2;
/** The level when the link is the bottleneck, and the one that only stores, per codec. */
const LEVELS: Record<Codec, { compress: number; store: number }> = {
  gzip: { compress: 1, store: 0 },
  zstd: { compress: 1, store: -1000 },
};

/** File name endings of formats that are compressed already. */
const COMPRESSED = new Set([
  ...['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'ico', 'mp3', 'mp4', 'm4a', 'mov', 'webm', 'ogg', 'pdf'],
  ...['gz', 'tgz', 'zip', 'jar', 'war', 'whl', 'xz', 'bz2', 'zst', '7z', 'rar', 'br', 'woff', 'woff2'],
]);

/** Whether a file's name says its content is compressed already. */
export function isCompressedName(path: RelPath): boolean {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') && COMPRESSED.has(path.slice(dot + 1).toLowerCase());
}

/**
 * The codec to send an archive with: `codec` (the container's) when the archive holds enough bytes worth
 * compressing, at least half of it, and undefined otherwise.
 */
export function codecFor(
  codec: Codec | undefined,
  files: Iterable<{ path: RelPath; size: number }>,
): Codec | undefined {
  if (codec === undefined) return undefined;
  let total = 0;
  let compressible = 0;
  for (const { path, size } of files) {
    total += size;
    if (!isCompressedName(path)) compressible += size;
  }
  return compressible >= MIN_COMPRESSED_BYTES && 2 * compressible >= total ? codec : undefined;
}

/** Whether this runtime can compress with `codec` (zstd came with Node 22.15 and 23.8). */
export function canCompress(codec: Codec): boolean {
  return codec === 'gzip' || typeof zlib.createZstdCompress === 'function';
}

/** Compresses one chunk on libuv's thread pool, so that reading the next one goes on meanwhile. */
function compressChunk(codec: Codec, chunk: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer): void => (error === null ? resolve(result) : reject(error));
    if (codec === 'zstd') {
      zlib.zstdCompress(chunk, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } }, done);
    } else {
      zlib.gzip(chunk, { level }, done);
    }
  });
}

/** The archive in chunks of `CHUNK_BYTES` (the last one shorter), noting how long each took to read. */
function* chunksOf(source: Iterable<Buffer>, pace: Pace): Generator<Buffer> {
  let pieces: Buffer[] = [];
  let size = 0;
  let started = performance.now();
  for (const piece of source) {
    pieces.push(piece);
    size += piece.length;
    if (size >= CHUNK_BYTES) {
      pace.noteRead(performance.now() - started, size);
      yield Buffer.concat(pieces, size);
      pieces = [];
      size = 0;
      started = performance.now();
    }
  }
  if (size > 0) yield Buffer.concat(pieces, size);
}

const FRAME_NAME = 'z' as RelPath;

function frame(compressed: Buffer): Buffer {
  const header = entryHeader({ path: FRAME_NAME, type: 'file', mode: 0o600, mtimeNs: 0n }, compressed.length);
  return Buffer.concat([header, compressed, padding(compressed.length)]);
}

/**
 * Per byte of archive, in ms: how long reading, compressing and sending take, as last measured. The three overlap,
 * so compression pays unless it takes longer than both reading and sending the chunk uncompressed would.
 */
class Pace {
  private read = 0;
  private compress = 0;
  /** Unknown until a write had to wait for the link; until then the link is assumed slow. */
  private link = Number.POSITIVE_INFINITY;
  private unwaited = 0;
  private stored = 0;

  public noteRead(ms: number, bytes: number): void {
    this.read = average(this.read, ms / bytes);
  }

  public noteCompress(ms: number, bytes: number): void {
    this.compress = average(this.compress, ms / bytes);
  }

  /**
   * The channel took `ms` to accept a write of `bytes`. A wait measures the link; no wait while chunks were only
   * stored says the link keeps up with reading (no wait after compression says nothing: less was sent).
   */
  public noteWrite(ms: number, bytes: number, stored: boolean): void {
    if (ms < LINK_WAIT_MS) {
      // Buffers on the way take the first megabytes without a wait: a link never waited for is taken to be as fast
      // as reading only after several compressed chunks, so that storing gets tried; once stored chunks are taken
      // without a wait, the estimate moves towards reading's pace.
      if (stored) this.link = Number.isFinite(this.link) ? average(this.link, this.read) : this.read;
      else if (!Number.isFinite(this.link) && ++this.unwaited >= 8) this.link = this.read;
      return;
    }
    const perByte = ms / bytes;
    this.link = Number.isFinite(this.link) ? average(this.link, perByte) : perByte;
  }

  /** Whether the next chunk is to be compressed; every few stored chunks one is, to measure compression again. */
  public worthCompressing(): boolean {
    return this.compress <= Math.max(this.read, this.link) || ++this.stored % 8 === 0;
  }
}

function average(previous: number, sample: number): number {
  return previous === 0 ? sample : 0.7 * previous + 0.3 * sample;
}

/**
 * Compresses the archive `source` with `codec` and hands the framed result to `write` piece by piece, waiting for
 * each write (the channel's pace). Resolves with the number of bytes written.
 */
export async function sendCompressed(
  source: Iterable<Buffer>,
  codec: Codec,
  write: (buffer: Buffer) => Promise<void>,
): Promise<number> {
  const pace = new Pace();
  let sent = 0;
  let writing: Promise<void> = Promise.resolve();
  const send = async ({ compressed, stored }: { compressed: Promise<Buffer>; stored: boolean }): Promise<void> => {
    const framed = frame(await compressed);
    await writing;
    sent += framed.length;
    const started = performance.now();
    writing = write(framed).then(() => pace.noteWrite(performance.now() - started, framed.length, stored));
    writing.catch(() => undefined);
  };
  // One chunk is compressed while the next is read, and the one before is on its way.
  let compressing: { compressed: Promise<Buffer>; stored: boolean } | undefined;
  for (const chunk of chunksOf(source, pace)) {
    const compress = pace.worthCompressing();
    const started = performance.now();
    const compressed = compressChunk(codec, chunk, compress ? LEVELS[codec].compress : LEVELS[codec].store).then(
      (result) => {
        if (compress) pace.noteCompress(performance.now() - started, chunk.length);
        return result;
      },
    );
    compressed.catch(() => undefined);
    const next = { compressed, stored: !compress };
    if (compressing !== undefined) await send(compressing);
    compressing = next;
  }
  if (compressing !== undefined) await send(compressing);
  await writing;
  // The end of the outer archive: two zero blocks, then zeros up to a whole record.
  const rest = (sent + 2 * BLOCK) % RECORD;
  const end = Buffer.alloc(2 * BLOCK + (rest === 0 ? 0 : RECORD - rest));
  sent += end.length;
  await write(end);
  return sent;
}

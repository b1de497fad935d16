/**
 * Compression of the archives sent to the container. The codec is one the agent found working in the container
 * (zstd first, then gzip); without either, archives go as plain tar. A compressed archive is framed as a plain tar
 * archive of chunks (see agentScript.ts), so it is streamed as it is compressed and still ends on a record boundary.
 *
 * Each chunk of about 1 MiB of archive is compressed on its own (a gzip member or a zstd frame; the decompressor
 * reads them one after the other), two at a time on libuv's threads, while the next is read and the previous one
 * is sent. The levels are the fastest: zstd's level 1 compresses source text about four times at several hundred
 * MB/s per core, faster than any link to a cluster far enough away to be compressed for (see `SyncAgent.codec`:
 * on a LAN, whose bandwidth outruns compression, archives go as plain tar).
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
/** The archive is compressed in chunks of this size, this many at once. */
const CHUNK_BYTES = 1024 * 1024;
const PARALLEL = 2;
/** The fastest levels that still shrink source text about four times. */
const LEVELS: Record<Codec, number> = { gzip: 1, zstd: 1 };

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
function compressChunk(codec: Codec, chunk: Buffer): Promise<Buffer> {
  const level = LEVELS[codec];
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer): void => (error === null ? resolve(result) : reject(error));
    if (codec === 'zstd') {
      zlib.zstdCompress(chunk, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } }, done);
    } else {
      zlib.gzip(chunk, { level }, done);
    }
  });
}

/** The archive in chunks of `CHUNK_BYTES` (the last one shorter). */
function* chunksOf(source: Iterable<Buffer>): Generator<Buffer> {
  let pieces: Buffer[] = [];
  let size = 0;
  for (const piece of source) {
    pieces.push(piece);
    size += piece.length;
    if (size >= CHUNK_BYTES) {
      yield Buffer.concat(pieces, size);
      pieces = [];
      size = 0;
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
 * Compresses the archive `source` with `codec` and hands the framed result to `write` piece by piece, waiting for
 * each write (the channel's pace). Resolves with the number of bytes written.
 */
export async function sendCompressed(
  source: Iterable<Buffer>,
  codec: Codec,
  write: (buffer: Buffer) => Promise<void>,
): Promise<number> {
  let sent = 0;
  let writing: Promise<void> = Promise.resolve();
  const send = async (compressed: Promise<Buffer>): Promise<void> => {
    const framed = frame(await compressed);
    await writing;
    sent += framed.length;
    writing = write(framed);
    writing.catch(() => undefined);
  };
  // Two chunks are compressed (on two threads) while the next is read, and the one before is on its way.
  const compressing: Promise<Buffer>[] = [];
  for (const chunk of chunksOf(source)) {
    const compressed = compressChunk(codec, chunk);
    compressed.catch(() => undefined);
    compressing.push(compressed);
    if (compressing.length >= PARALLEL) await send(compressing.shift()!);
  }
  for (const chunk of compressing) await send(chunk);
  await writing;
  // The end of the outer archive: two zero blocks, then zeros up to a whole record.
  const rest = (sent + 2 * BLOCK) % RECORD;
  const end = Buffer.alloc(2 * BLOCK + (rest === 0 ? 0 : RECORD - rest));
  sent += end.length;
  await write(end);
  return sent;
}

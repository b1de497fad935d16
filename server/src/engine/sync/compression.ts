/**
 * Compression of the archives sent to the container. The codec is one the agent found working in the container
 * (zstd first, then gzip); without either, archives go as plain tar. A compressed archive is framed as a plain tar
 * archive of chunks (see agentScript.ts), so it is streamed as it is compressed and still ends on a record boundary.
 *
 * The levels are the fastest that still shrink source text about four times: at 1 Gbit/s (a LAN) a slower level
 * would make the sender, not the link, the bottleneck. Small archives are not compressed (starting the
 * decompressor in the container costs more than it saves), nor archives made mostly of files that are compressed
 * already (images, archives, fonts), which would cost CPU for nothing.
 */
import { constants, createGzip, createZstdCompress } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable, type Transform } from 'node:stream';
import type { Codec } from './agentScript.js';
import { RECORD, BLOCK, entryHeader, padding } from './tarWriter.js';
import type { RelPath } from './paths.js';

export type { Codec } from './agentScript.js';

/** Archives with fewer compressible bytes than this go uncompressed. */
export const MIN_COMPRESSED_BYTES = 64 * 1024;
/** The compressed stream is cut into tar members of about this size. */
const FRAME_BYTES = 256 * 1024;
const GZIP_LEVEL = 1;
const ZSTD_LEVEL = 1;

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

function compressor(codec: Codec): Transform {
  return codec === 'zstd'
    ? createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } })
    : createGzip({ level: GZIP_LEVEL });
}

const FRAME_NAME = 'z' as RelPath;

function frame(chunks: Buffer[], size: number): Buffer {
  const header = entryHeader({ path: FRAME_NAME, type: 'file', mode: 0o600, mtimeNs: 0n }, size);
  return Buffer.concat([header, ...chunks, padding(size)]);
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
  const send = async (buffer: Buffer): Promise<void> => {
    sent += buffer.length;
    await write(buffer);
  };
  await pipeline(Readable.from(source), compressor(codec), async (compressed: AsyncIterable<Buffer>) => {
    let chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of compressed) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= FRAME_BYTES) {
        await send(frame(chunks, size));
        chunks = [];
        size = 0;
      }
    }
    if (size > 0) await send(frame(chunks, size));
  });
  // The end of the outer archive: two zero blocks, then zeros up to a whole record.
  const rest = (sent + 2 * BLOCK) % RECORD;
  await send(Buffer.alloc(2 * BLOCK + (rest === 0 ? 0 : RECORD - rest)));
  return sent;
}

/**
 * Writes tar archives (ustar with PAX extended headers) for the sync channel. PAX carries what ustar cannot: long
 * names, link targets over 100 bytes, mtimes before 1970 and sizes over 8 GiB; mtimes are whole seconds. Names are raw bytes; `hdrcharset=BINARY` tells GNU tar not to transcode those that are not
 * UTF-8. Archives are padded to whole 10 KiB records so that a `tar -x` reading a shared pipe stops exactly at the end.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { relToBytes, type RelPath } from './paths.js';

export const BLOCK = 512;
export const RECORD = 20 * BLOCK;

export type EntryType = 'file' | 'dir' | 'symlink';

export interface TarEntry {
  path: RelPath;
  type: EntryType;
  /** Permission bits (0o7777). */
  mode: number;
  mtimeNs: bigint;
  /** For files: read from this absolute path (bytes) when `data` is absent. */
  source?: Buffer;
  data?: Buffer;
  linkTarget?: RelPath;
  /** Hash the bytes written for this file (reported in `WrittenEntry.sha256`). */
  hash?: boolean;
}

export interface WrittenEntry {
  path: RelPath;
  /** The number of content bytes written. */
  size: number;
  /** False when the file changed size while it was read, so the archive holds a padded or cut copy. */
  complete: boolean;
  sha256?: string;
}

function octal(value: number | bigint, width: number): Buffer {
  const text = value.toString(8).padStart(width - 1, '0');
  return Buffer.from(`${text}\0`, 'ascii');
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'ascii'), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), 'ascii'), body]);
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** Splits a long name into ustar's prefix (155 bytes) and name (100 bytes) at a slash, when possible. */
function splitUstar(name: Buffer): { prefix: Buffer; name: Buffer } | undefined {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
      return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
    }
  }
  return undefined;
}

function header(options: {
  name: Buffer;
  prefix?: Buffer;
  mode: number;
  size: number | bigint;
  mtime: bigint;
  typeflag: string;
  linkname?: Buffer;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  options.name.copy(block, 0, 0, 100);
  octal(options.mode & 0o7777, 8).copy(block, 100);
  octal(0, 8).copy(block, 108);
  octal(0, 8).copy(block, 116);
  octal(options.size, 12).copy(block, 124);
  octal(options.mtime < 0n ? 0n : options.mtime, 12).copy(block, 136);
  block.write(options.typeflag, 156, 'ascii');
  options.linkname?.copy(block, 157, 0, 100);
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  options.prefix?.copy(block, 345, 0, 155);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  octal(sum, 7).copy(block, 148);
  block[155] = 0x20;
  return block;
}

function mtimeText(mtimeNs: bigint): string {
  const seconds = mtimeNs / 1_000_000_000n;
  const nanos = mtimeNs % 1_000_000_000n;
  return nanos === 0n ? String(seconds) : `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/** The header blocks (a PAX header when needed, then the ustar header) of one entry. */
export function entryHeader(entry: TarEntry, size: number): Buffer {
  const nameBytes = relToBytes(entry.type === 'dir' ? `${entry.path}/` : entry.path);
  const linkBytes = entry.linkTarget === undefined ? Buffer.alloc(0) : relToBytes(entry.linkTarget);
  const pax: Buffer[] = [];
  const split = splitUstar(nameBytes);
  let binary = false;
  if (split === undefined) {
    pax.push(paxRecord('path', nameBytes));
    binary ||= !isUtf8(nameBytes);
  }
  if (linkBytes.length > 100) {
    pax.push(paxRecord('linkpath', linkBytes));
    binary ||= !isUtf8(linkBytes);
  }
  if (entry.mtimeNs < 0n) pax.push(paxRecord('mtime', Buffer.from(mtimeText(entry.mtimeNs), 'ascii')));
  const bigSize = size > 0o77777777777;
  if (bigSize) pax.push(paxRecord('size', Buffer.from(String(size), 'ascii')));
  if (binary) pax.unshift(paxRecord('hdrcharset', Buffer.from('BINARY', 'ascii')));
  const blocks: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.concat(pax);
    blocks.push(
      header({
        name: Buffer.from('././@PaxHeader', 'ascii'),
        mode: 0o644,
        size: body.length,
        mtime: 0n,
        typeflag: 'x',
      }),
    );
    blocks.push(body, padding(body.length));
  }
  const typeflag = entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0';
  blocks.push(
    header({
      name: split?.name ?? nameBytes.subarray(0, 100),
      ...(split !== undefined ? { prefix: split.prefix } : {}),
      mode: entry.mode,
      size: bigSize ? 0 : size,
      mtime: entry.mtimeNs / 1_000_000_000n,
      typeflag,
      linkname: linkBytes,
    }),
  );
  return Buffer.concat(blocks);
}

export function padding(length: number): Buffer {
  const rest = length % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

const CHUNK = 1 << 20;

/**
 * Produces the archive as a sequence of buffers. File contents are read when their turn comes, with the size taken
 * from the open file, so memory stays bounded by the chunk size. `written` receives one record per entry.
 */
export function* tarStream(entries: Iterable<TarEntry>, written: WrittenEntry[] = []): Generator<Buffer> {
  let total = 0;
  const emit = (buffer: Buffer): Buffer => {
    total += buffer.length;
    return buffer;
  };
  for (const entry of entries) {
    if (entry.type !== 'file') {
      yield emit(entryHeader(entry, 0));
      written.push({ path: entry.path, size: 0, complete: true });
      continue;
    }
    if (entry.data !== undefined) {
      yield emit(entryHeader(entry, entry.data.length));
      yield emit(entry.data);
      yield emit(padding(entry.data.length));
      written.push({ path: entry.path, size: entry.data.length, complete: true });
      continue;
    }
    if (entry.source === undefined) throw new Error('a file entry needs data or a source');
    // Synchronous reads: for the many small files of a source tree they are several times faster than promises.
    let fd: number;
    try {
      fd = openSync(entry.source, 'r');
    } catch {
      // The file went away between the scan and now; the watcher reports the deletion separately.
      written.push({ path: entry.path, size: -1, complete: false });
      continue;
    }
    try {
      const size = fstatSync(fd).size;
      yield emit(entryHeader(entry, size));
      const hash = entry.hash === true ? createHash('sha256') : undefined;
      let offset = 0;
      let complete = true;
      while (offset < size) {
        const length = Math.min(CHUNK, size - offset);
        const buffer = Buffer.allocUnsafe(length);
        const bytesRead = readSync(fd, buffer, 0, length, offset);
        if (bytesRead === 0) {
          // The file shrank while it was read: pad it so the archive stays well formed, and say so.
          complete = false;
          yield emit(Buffer.alloc(size - offset));
          offset = size;
          break;
        }
        offset += bytesRead;
        const data = bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
        hash?.update(data);
        yield emit(data);
      }
      yield emit(padding(size));
      written.push({ path: entry.path, size, complete, ...(hash !== undefined ? { sha256: hash.digest('hex') } : {}) });
    } finally {
      closeSync(fd);
    }
  }
  const end = 2 * BLOCK;
  const rest = (total + end) % RECORD;
  yield Buffer.alloc(end + (rest === 0 ? 0 : RECORD - rest));
}

/** The SHA-256 of a file's current content, or undefined when it cannot be read. */
export function hashFile(path: Buffer): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Reads tar archives from the container (GNU, ustar and PAX forms) entry by entry. Every name is checked before it
 * is returned: absolute names and `..` are refused with `UnsafePathError`, so nothing read here can point outside
 * the local folder.
 */
import type { ByteQueue } from './byteQueue.js';
import { relFromBytes, unsafeReason, UnsafePathError, type RelPath } from './paths.js';
import { BLOCK, type EntryType } from './tarWriter.js';

export interface ReadEntry {
  path: RelPath;
  type: EntryType;
  mode: number;
  mtimeNs: bigint;
  data: Buffer;
  linkTarget?: RelPath;
}

export class TarFormatError extends Error {
  public constructor(message: string) {
    super(`malformed tar stream: ${message}`);
    this.name = 'TarFormatError';
  }
}

function field(block: Buffer, offset: number, length: number): Buffer {
  const raw = block.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return nul < 0 ? raw : raw.subarray(0, nul);
}

function number(block: Buffer, offset: number, length: number): bigint {
  const raw = block.subarray(offset, offset + length);
  if ((raw[0]! & 0x80) !== 0) {
    // GNU base-256 for values that do not fit in octal.
    let value = BigInt(raw[0]! & 0x7f);
    for (let i = 1; i < raw.length; i++) value = (value << 8n) | BigInt(raw[i]!);
    return value;
  }
  const text = raw.toString('ascii').replace(/\0.*$/s, '').trim();
  if (text === '') return 0n;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad octal field "${text}"`);
  return BigInt(`0o${text}`);
}

function parsePax(body: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(body.subarray(offset, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) throw new TarFormatError('bad PAX record length');
    const record = body.subarray(space + 1, offset + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals > 0) records.set(record.subarray(0, equals).toString('ascii'), record.subarray(equals + 1));
    offset += length;
  }
  return records;
}

function parseMtime(text: string): bigint {
  const match = /^(-?\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) throw new TarFormatError(`bad PAX mtime "${text}"`);
  const fraction = (match[2] ?? '').slice(0, 9).padEnd(9, '0');
  return BigInt(match[1]!) * 1_000_000_000n + BigInt(fraction);
}

function cleanName(raw: Buffer): RelPath {
  let name = relFromBytes(raw);
  while (name.startsWith('./')) name = name.slice(2);
  while (name.endsWith('/')) name = name.slice(0, -1);
  return name;
}

/**
 * Reads entries until the end-of-archive block. Entries that are neither files, directories nor symlinks (hard
 * links, devices) are skipped. The first unsafe name ends the read with `UnsafePathError` after the stream has been
 * consumed to the end of the archive, so the channel stays usable.
 */
export async function readTar(queue: ByteQueue, onEntry: (entry: ReadEntry) => void | Promise<void>): Promise<void> {
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  let pax = new Map<string, Buffer>();
  let unsafe: UnsafePathError | undefined;
  for (;;) {
    const block = await queue.readExact(BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const typeflag = String.fromCharCode(block[156]!);
    let size = number(block, 124, 12);
    const paxSize = pax.get('size');
    if (paxSize !== undefined) size = BigInt(paxSize.toString('ascii'));
    const body = await queue.readExact(Number(size));
    const rest = Number(size) % BLOCK;
    if (rest !== 0) await queue.readExact(BLOCK - rest);
    if (typeflag === 'x') {
      pax = parsePax(body);
      continue;
    }
    if (typeflag === 'g') continue;
    if (typeflag === 'L' || typeflag === 'K') {
      const value = field(body, 0, body.length);
      if (typeflag === 'L') longName = value;
      else longLink = value;
      continue;
    }
    const prefix = field(block, 345, 155);
    const ustarName = field(block, 0, 100);
    const nameBytes =
      pax.get('path') ??
      longName ??
      (prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), ustarName]) : ustarName);
    const linkBytes = pax.get('linkpath') ?? longLink ?? field(block, 157, 100);
    const paxMtime = pax.get('mtime');
    const mtimeNs =
      paxMtime !== undefined ? parseMtime(paxMtime.toString('ascii')) : number(block, 136, 12) * 1_000_000_000n;
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    const type: EntryType | undefined =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'dir'
          : typeflag === '2'
            ? 'symlink'
            : undefined;
    if (type === undefined) continue;
    const path = cleanName(nameBytes);
    if (path === '' && type === 'dir') continue;
    const reason = unsafeReason(path);
    if (reason !== undefined) {
      unsafe ??= new UnsafePathError(path, reason);
      continue;
    }
    const entry: ReadEntry = {
      path,
      type,
      mode: Number(number(block, 100, 8) & 0o7777n),
      mtimeNs,
      data: type === 'file' ? body : Buffer.alloc(0),
    };
    if (type === 'symlink') entry.linkTarget = relFromBytes(linkBytes);
    await onEntry(entry);
  }
  if (unsafe !== undefined) throw unsafe;
}

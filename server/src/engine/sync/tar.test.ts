import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { encodePath } from './agent.js';
import { ByteQueue } from './byteQueue.js';
import { UnsafePathError } from './paths.js';
import { readTar, type ReadEntry } from './tarReader.js';
import { RECORD, tarStream, type TarEntry } from './tarWriter.js';
import { removeTempDirs, tempDir } from './testkit.js';

afterAll(removeTempDirs);

async function readAll(archive: Buffer): Promise<ReadEntry[]> {
  const stream = new PassThrough();
  const queue = new ByteQueue(stream);
  stream.end(archive);
  const entries: ReadEntry[] = [];
  await readTar(queue, (entry) => {
    entries.push(entry);
  });
  return entries;
}

const latin1Name = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff]).toString('latin1');
const longName = `${'deep/'.repeat(40)}${'n'.repeat(120)}`;

const sample: TarEntry[] = [
  { path: 'dir', type: 'dir', mode: 0o750, mtimeNs: 1_700_000_000_000_000_000n },
  { path: 'dir/a b.txt', type: 'file', mode: 0o640, mtimeNs: 1_700_000_001_000_000_000n, data: Buffer.from('hello') },
  { path: latin1Name, type: 'file', mode: 0o600, mtimeNs: 1_700_000_002_000_000_000n, data: Buffer.from('x') },
  { path: longName, type: 'file', mode: 0o644, mtimeNs: 1_700_000_003_000_000_000n, data: Buffer.alloc(1000, 7) },
  {
    path: 'link',
    type: 'symlink',
    mode: 0o777,
    mtimeNs: 1_700_000_004_000_000_000n,
    linkTarget: `dir/${'t'.repeat(150)}`,
  },
];

describe('tar writer and reader', () => {
  test('round-trip names, modes, mtimes, contents and link targets, in whole records', async () => {
    const archive = Buffer.concat([...tarStream(sample)]);
    expect(archive.length % RECORD).toBe(0);
    const entries = await readAll(archive);
    expect(
      entries.map(({ path, type, mode, mtimeNs, linkTarget }) => ({ path, type, mode, mtimeNs, linkTarget })),
    ).toEqual(sample.map(({ path, type, mode, mtimeNs, linkTarget }) => ({ path, type, mode, mtimeNs, linkTarget })));
    expect(entries[3]!.data).toEqual(Buffer.alloc(1000, 7));
  });

  test('GNU tar extracts what the writer produces, names as raw bytes', () => {
    const dir = tempDir('tar');
    const archive = Buffer.concat([...tarStream(sample)]);
    const result = spawnSync('tar', ['-x', '-f', '-', '-C', dir], { input: archive });
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, 'dir/a b.txt'), 'utf8')).toBe('hello');
    expect(
      readFileSync(Buffer.from(`${dir}/${Buffer.from(latin1Name, 'latin1').toString('latin1')}`, 'latin1')).toString(),
    ).toBe('x');
    expect(readFileSync(join(dir, longName))).toEqual(Buffer.alloc(1000, 7));
  });

  test('reads archives written by GNU tar, long names included', async () => {
    const dir = tempDir('tar');
    mkdirSync(join(dir, 'src', 'x'.repeat(90)), { recursive: true });
    writeFileSync(join(dir, 'src', 'x'.repeat(90), 'y'.repeat(90)), 'gnu');
    const archive = spawnSync('tar', ['-c', '-f', '-', '-C', join(dir, 'src'), '.']).stdout;
    const entries = await readAll(archive);
    const file = entries.find((entry) => entry.type === 'file');
    expect(file?.path).toBe(`${'x'.repeat(90)}/${'y'.repeat(90)}`);
    expect(file?.data.toString()).toBe('gnu');
  });

  test('the reader refuses names with .. and absolute names, after reading the whole archive', async () => {
    const archive = Buffer.concat([
      ...tarStream([
        { path: '../escape', type: 'file', mode: 0o644, mtimeNs: 0n, data: Buffer.from('bad') },
        { path: 'fine.txt', type: 'file', mode: 0o644, mtimeNs: 0n, data: Buffer.from('ok') },
      ]),
    ]);
    const stream = new PassThrough();
    const queue = new ByteQueue(stream);
    stream.end(Buffer.concat([archive, Buffer.from('DONE\n')]));
    const seen: string[] = [];
    await expect(readTar(queue, (entry) => void seen.push(entry.path))).rejects.toBeInstanceOf(UnsafePathError);
    expect(seen).toEqual(['fine.txt']);

    const absolute = Buffer.concat([
      ...tarStream([{ path: '/etc/passwd', type: 'file', mode: 0o644, mtimeNs: 0n, data: Buffer.from('x') }]),
    ]);
    await expect(readAll(absolute)).rejects.toThrow(/absolute paths are not allowed/);
  });
});

describe('agent path encoding', () => {
  test('leaves safe bytes alone and escapes everything else as octal that printf %b decodes', () => {
    const name = Buffer.from('a b\n"$(x)\\-é', 'utf8').toString('latin1');
    const encoded = encodePath(name);
    expect(encoded).toMatch(/^[A-Za-z0-9._/+\\-]+$/);
    const decoded = spawnSync('sh', ['-c', 'printf "%b" "$1"', 'sh', encoded]).stdout;
    expect(decoded.toString('latin1')).toBe(name);
  });
});

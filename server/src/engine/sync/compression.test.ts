/**
 * Compressed archives on the agent's channel, with the real agent under the local `sh`: what the container holds
 * afterwards is byte for byte what was sent, the channel stays in step for the next command, and a container
 * without a decompressor is sent plain tar.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PassThrough } from 'node:stream';
import { SyncAgent, type Compression, type SyncProcess } from './agent.js';
import { syncAgentCommand, type Codec } from './agentScript.js';
import { codecFor, MIN_COMPRESSED_BYTES } from './compression.js';
import { spawnLocalProcess } from './localRemote.js';
import type { RelPath } from './paths.js';
import type { TarEntry } from './tarWriter.js';
import { IgnoreRules } from './ignore.js';
import { scanLocal } from './manifest.js';
import { localContainer, removeTempDirs, snapshot, tempDir } from './testkit.js';

const agents: SyncAgent[] = [];
afterEach(() => {
  for (const agent of agents.splice(0)) agent.close();
  removeTempDirs();
});

/** A PATH with every tool of this machine except `missing`, as a container image without them would have. */
function pathWithout(missing: string[]): string {
  const bin = tempDir('bin');
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (missing.includes(name)) continue;
      try {
        symlinkSync(join(dir, name), join(bin, name));
      } catch {
        // Already linked from a directory earlier in PATH.
      }
    }
  }
  return bin;
}

/** The process as seen across a network: whatever it answers arrives `delayMs` later, in order. */
function delayed(process_: SyncProcess, delayMs: number): SyncProcess {
  const stdout = new PassThrough();
  let last = Promise.resolve();
  process_.stdout.on('data', (chunk: Buffer) => {
    const due = performance.now() + delayMs;
    // A timer may fire up to a millisecond early by this clock: round up, plus one.
    last = last.then(
      () => new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(due - performance.now()) + 1))),
    );
    void last.then(() => stdout.write(chunk));
  });
  process_.stdout.on('end', () => void last.then(() => stdout.end()));
  return { ...process_, stdout };
}

async function startAgent(
  workDir: string,
  options: { missing?: string[]; compress?: Compression; delayMs?: number; compressMinRttMs?: number } = {},
): Promise<SyncAgent> {
  const env = { ...process.env, PATH: pathWithout(options.missing ?? []) };
  const process_ = await spawnLocalProcess(syncAgentCommand(workDir), env);
  const agent = await SyncAgent.start(
    options.delayMs === undefined ? process_ : delayed(process_, options.delayMs),
    workDir,
    {
      compress: options.compress ?? true,
      ...(options.compressMinRttMs !== undefined ? { compressMinRttMs: options.compressMinRttMs } : {}),
    },
  );
  agents.push(agent);
  return agent;
}

function sourceText(size: number, seed: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = `  const value${(i * 7 + seed) % 1000} = request.items(options, ${i});`;
    lines.push(line);
    length += line.length + 1;
  }
  return Buffer.from(lines.join('\n')).subarray(0, size);
}

/** Text and binary files, one with a compressed format's name, and a folder: about 600 KiB in all. */
function entries(): TarEntry[] {
  const mtimeNs = 1_700_000_000_000_000_000n;
  const list: TarEntry[] = [{ path: 'src', type: 'dir', mode: 0o755, mtimeNs }];
  for (let i = 0; i < 40; i++) {
    list.push({ path: `src/file${i}.js`, type: 'file', mode: 0o644, mtimeNs, data: sourceText(12_000, i) });
  }
  list.push({ path: 'src/blob.bin', type: 'file', mode: 0o600, mtimeNs, data: randomBytes(100_000) });
  list.push({ path: 'src/logo.png', type: 'file', mode: 0o644, mtimeNs, data: randomBytes(30_000) });
  list.push({ path: 'src/zeros', type: 'file', mode: 0o755, mtimeNs, data: Buffer.alloc(70_000) });
  return list;
}

function expected(list: TarEntry[]): Map<string, unknown> {
  const result = new Map<string, unknown>();
  for (const entry of list) {
    result.set(
      entry.path,
      entry.type === 'dir'
        ? { type: 'dir', mode: entry.mode }
        : { type: 'file', mode: entry.mode, content: entry.data!.toString('latin1') },
    );
  }
  return result;
}

const rawSize = (list: TarEntry[]): number => list.reduce((sum, entry) => sum + (entry.data?.length ?? 0), 0);

describe('compressed archives', () => {
  test.each<[Codec, string[]]>([
    ['zstd', []],
    ['gzip', ['zstd']],
  ])(
    'with %s, an archive arrives byte for byte, in far fewer bytes, and the channel stays in step',
    async (codec, missing) => {
      const workDir = join(tempDir('container'), 'app');
      const agent = await startAgent(workDir, { missing });
      expect(agent.codec).toBe(codec);
      const list = entries();
      const { reply, wireBytes } = await agent.extract(list, undefined, undefined, codec);
      expect(reply).toEqual({ exitCode: 0, message: '' });
      expect(snapshot(workDir)).toEqual(expected(list));
      expect(wireBytes).toBeLessThan(rawSize(list) / 2);

      // A batch put in place file by file (as a save is), compressed too, right after on the same channel.
      const mtimeNs = 1_710_000_000_000_000_000n;
      const batch: TarEntry[] = [
        { path: 'src/file1.js', type: 'file', mode: 0o644, mtimeNs, data: sourceText(90_000, 99) },
        { path: 'src/new.bin', type: 'file', mode: 0o644, mtimeNs, data: randomBytes(5000) },
      ];
      const placed = await agent.extract(
        batch,
        undefined,
        batch.map(({ path }) => ({ path })),
        codec,
      );
      expect(placed.reply).toEqual({ exitCode: 0, message: '' });
      const after = expected([...list.filter((entry) => entry.path !== 'src/file1.js'), ...batch]);
      expect(snapshot(workDir, (rel) => rel.startsWith('.devmode'))).toEqual(after);
      const listing = await agent.list([]);
      expect(listing?.get('src/new.bin')).toMatchObject({ type: 'file', size: 5000 });
    },
  );

  test('a container without gzip or zstd is sent plain tar', async () => {
    const workDir = join(tempDir('container'), 'app');
    const agent = await startAgent(workDir, { missing: ['gzip', 'zstd'] });
    expect(agent.codec).toBeUndefined();
    const list = entries();
    const { reply, wireBytes } = await agent.extract(list);
    expect(reply.exitCode).toBe(0);
    expect(snapshot(workDir)).toEqual(expected(list));
    expect(wireBytes).toBeGreaterThan(rawSize(list));
  });

  test('a decompressor that fails leaves the channel in step: the error is answered, the next command works', async () => {
    const workDir = join(tempDir('container'), 'app');
    const agent = await startAgent(workDir, { missing: ['zstd'] });
    // The container has no zstd; asking for it anyway must fail this archive only.
    const { reply } = await agent.extract(entries(), undefined, undefined, 'zstd');
    expect(reply.exitCode).not.toBe(0);
    mkdirSync(join(workDir, 'later'));
    const listing = await agent.list([]);
    expect(listing?.get('later')).toMatchObject({ type: 'dir' });
  });

  test('compression can be turned off', async () => {
    const agent = await startAgent(join(tempDir('container'), 'app'), { compress: false });
    expect(agent.decompressor).toBe('zstd');
    expect(agent.codec).toBeUndefined();
  });

  test('by default, only a container far enough away is sent compressed archives', async () => {
    // No round trip is measured before the first listing: until then, nothing is compressed.
    const far = await startAgent(join(tempDir('container'), 'app'), { compress: 'auto', delayMs: 25 });
    expect(far.codec).toBeUndefined();
    await far.list([]);
    expect(far.rttMs).toBeGreaterThanOrEqual(25);
    expect(far.codec).toBe('zstd');
    // The same round trip under a threshold above it: a near container gets plain tar.
    const near = await startAgent(join(tempDir('container'), 'app'), {
      compress: 'auto',
      delayMs: 25,
      compressMinRttMs: 60_000,
    });
    await near.list([]);
    expect(near.codec).toBeUndefined();
  });

  test('a long scan of the local folder is not taken for a far container', async () => {
    // The scan is synchronous: an answer read only after it would measure the scan, not the round trip.
    const local = tempDir('local');
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(local, `pkg${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(join(local, `pkg${d}`, `index${f}.js`), sourceText(200 + f, d));
    }
    const config = { mode: 'send' as const, ignore: [], include: [], useGitignore: true };
    const started = performance.now();
    scanLocal(local, new IgnoreRules(local, config));
    const scanMs = performance.now() - started;
    expect(scanMs).toBeGreaterThan(20);
    // Compression starts at half the scan's time: far above a local round trip, far below the scan.
    const near = localContainer(config, { compress: 'auto', compressMinRttMs: scanMs / 2 }, { local });
    try {
      const counts = await near.session.start();
      expect(counts.filesTransferred).toBe(10_100); // the files and their folders
      expect(counts.codec).toBeUndefined();
    } finally {
      await near.cleanup();
    }
  });

  test('small archives and archives of compressed formats are not compressed', () => {
    const file = (path: string, size: number): { path: RelPath; size: number } => ({ path: path, size });
    expect(codecFor('zstd', [file('a.js', MIN_COMPRESSED_BYTES)])).toBe('zstd');
    expect(codecFor('zstd', [file('a.js', MIN_COMPRESSED_BYTES - 1)])).toBeUndefined();
    expect(codecFor('gzip', [file('a.js', 100_000), file('photo.JPG', 150_000)])).toBeUndefined();
    expect(codecFor('gzip', [file('a.js', 100_000), file('font.woff2', 50_000)])).toBe('gzip');
    expect(codecFor(undefined, [file('a.js', 1_000_000)])).toBeUndefined();
  });
});

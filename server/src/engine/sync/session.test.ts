import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { STAGING_DIR } from './agentScript.js';
import { spawnLocalProcess } from './localRemote.js';
import { localContainer, removeTempDirs, snapshot, tempDir, waitFor, type LocalContainer } from './testkit.js';

const contexts: LocalContainer[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.cleanup()));
  removeTempDirs();
});

function setup(...args: Parameters<typeof localContainer>): LocalContainer {
  const context = localContainer(...args);
  contexts.push(context);
  return context;
}

function write(root: string, rel: string | Buffer, content: string | Buffer, mode?: number): void {
  const path = Buffer.isBuffer(rel) ? Buffer.concat([Buffer.from(`${root}/`), rel]) : join(root, rel);
  mkdirSync(dirname(path.toString()), { recursive: true });
  writeFileSync(path, content);
  if (mode !== undefined) chmodSync(path, mode);
}

/** Paths the sync leaves out locally, and the agent's staging folder in the container. */
const isIgnoredInTest = (rel: string): boolean =>
  rel === STAGING_DIR ||
  rel.startsWith(`${STAGING_DIR}/`) ||
  rel === '.git' ||
  rel === 'node_modules' ||
  rel.startsWith('node_modules/') ||
  rel.startsWith('.git/');

function expectSame(context: LocalContainer, skip: (rel: string) => boolean = isIgnoredInTest): void {
  expect(snapshot(context.remote, skip)).toEqual(snapshot(context.local, skip));
}

describe('initial sync', () => {
  test('copies files, modes, empty folders and links inside the folder, leaving ignored paths out', async () => {
    const context = setup({ ignore: ['*.log'], include: ['node_modules/keep'] });
    write(context.local, 'src/index.js', 'console.log(1)\n');
    write(context.local, 'bin/run.sh', '#!/bin/sh\necho hi\n', 0o755);
    write(context.local, 'secret.txt', 'private', 0o600);
    mkdirSync(join(context.local, 'empty'));
    symlinkSync('src/index.js', join(context.local, 'main.js'));
    write(context.local, 'debug.log', 'noise');
    write(context.local, '.gitignore', 'dist/\n*.tmp\n');
    write(context.local, 'dist/bundle.js', 'built');
    write(context.local, 'a.tmp', 'temp');
    write(context.local, '.git/HEAD', 'ref: refs/heads/main\n');
    write(context.local, 'node_modules/left/index.js', 'x');
    write(context.local, 'node_modules/keep/index.js', 'kept');
    write(context.local, 'sub/.gitignore', 'local-only.txt\n');
    write(context.local, 'sub/local-only.txt', 'no');
    write(context.local, 'sub/shared.txt', 'yes');

    const counts = await context.session.start();

    const remote = snapshot(context.remote);
    expect([...remote.keys()].sort()).toEqual(
      [
        '.gitignore',
        'bin',
        'bin/run.sh',
        'empty',
        'main.js',
        'node_modules',
        'node_modules/keep',
        'node_modules/keep/index.js',
        'secret.txt',
        'src',
        'src/index.js',
        'sub',
        'sub/.gitignore',
        'sub/shared.txt',
      ].sort(),
    );
    expect(remote.get('bin/run.sh')).toMatchObject({ mode: 0o755, content: '#!/bin/sh\necho hi\n' });
    expect(remote.get('secret.txt')).toMatchObject({ mode: 0o600, content: 'private' });
    expect(remote.get('main.js')).toEqual({ type: 'symlink', mode: 0, target: 'src/index.js' });
    expect(counts.filesTransferred).toBeGreaterThanOrEqual(8);
    expect(context.session.status()).toMatchObject({ state: 'idle', pendingFiles: 0, errors: [], conflicts: [] });
  });

  test('sends only what differs and deletes what the folder no longer has', async () => {
    const context = setup();
    for (let i = 0; i < 20; i++) write(context.local, `f${i}.txt`, `content ${i}`);
    await context.session.start();
    await context.session.stop();

    write(context.local, 'f3.txt', 'changed locally');
    write(context.remote, 'stray.txt', 'only in the container');
    const second = setup({}, {}, { local: context.local, remote: context.remote });
    const counts = await second.session.start();
    // Only the changed file's bytes cross the channel, uncompressed (too few to be worth it).
    expect(counts).toMatchObject({ filesTransferred: 1, filesDeleted: 1, bytesSent: 'changed locally'.length });
    expect(counts.codec).toBeUndefined();
    expectSame(second);
  });

  test('a file with the same content but another mtime is compared by hash and not sent again', async () => {
    const context = setup();
    write(context.local, 'same.txt', 'identical');
    write(context.remote, 'same.txt', 'identical');
    utimesSync(join(context.remote, 'same.txt'), new Date(2020, 1, 1), new Date(2020, 1, 1));
    write(context.local, 'differs.txt', 'aaaa');
    write(context.remote, 'differs.txt', 'bbbb');
    utimesSync(join(context.remote, 'differs.txt'), new Date(2020, 1, 1), new Date(2020, 1, 1));
    const counts = await context.session.start();
    expect(counts.filesTransferred).toBe(1);
    expect(readFileSync(join(context.remote, 'differs.txt'), 'utf8')).toBe('aaaa');
  });
});

describe('compression', () => {
  const text = (i: number, size: number): string =>
    Array.from({ length: Math.ceil(size / 20) }, (_, line) => `const item${i}_${line} = load(${line});`)
      .join('\n')
      .slice(0, size);

  test('the initial sync and a large batch are compressed and arrive byte for byte, binary files included', async () => {
    const context = setup({}, { compress: true });
    for (let i = 0; i < 50; i++) write(context.local, `src/m${i}.js`, text(i, 8000));
    write(context.local, 'assets/blob.bin', randomBytes(200_000), 0o600);
    write(context.local, 'assets/icon.png', randomBytes(20_000));
    const counts = await context.session.start();
    expect(counts.codec).toBe('zstd');
    expect(counts.bytesSent).toBe(50 * 8000 + 220_000);
    // The text shrinks, the random bytes do not: well under the raw size, above the incompressible part.
    expect(counts.wireBytes).toBeLessThan(counts.bytesSent * 0.7);
    expect(counts.wireBytes).toBeGreaterThan(220_000);
    expectSame(context);

    // A burst of 60 changed files (a branch switch), then a save: both arrive.
    for (let i = 0; i < 60; i++) write(context.local, `lib/n${i}.js`, text(i + 100, 6000));
    write(context.local, 'assets/blob.bin', randomBytes(150_000), 0o600);
    await context.session.flush();
    write(context.local, 'src/m1.js', 'saved\n');
    await context.session.flush();
    expectSame(context);
  });

  test('with compression off, the same tree arrives uncompressed', async () => {
    const context = setup({}, { compress: false });
    for (let i = 0; i < 20; i++) write(context.local, `src/m${i}.js`, text(i, 8000));
    const counts = await context.session.start();
    expect(counts.codec).toBeUndefined();
    expect(counts.wireBytes).toBeGreaterThan(counts.bytesSent);
    expectSame(context);
  });
});

describe('incremental sync', () => {
  test('create, modify, delete, rename, chmod and symlink changes reach the container by flush', async () => {
    const context = setup();
    write(context.local, 'keep.txt', 'keep');
    await context.session.start();

    write(context.local, 'new/deep/file.txt', 'created');
    await context.session.flush(5000);
    expect(readFileSync(join(context.remote, 'new/deep/file.txt'), 'utf8')).toBe('created');

    write(context.local, 'keep.txt', 'modified');
    await context.session.flush(5000);
    expect(readFileSync(join(context.remote, 'keep.txt'), 'utf8')).toBe('modified');

    chmodSync(join(context.local, 'keep.txt'), 0o700);
    await context.session.flush(5000);
    expect(snapshot(context.remote).get('keep.txt')?.mode).toBe(0o700);

    renameSync(join(context.local, 'new'), join(context.local, 'moved'));
    await context.session.flush(5000);
    expect(existsSync(join(context.remote, 'new'))).toBe(false);
    expect(readFileSync(join(context.remote, 'moved/deep/file.txt'), 'utf8')).toBe('created');

    renameSync(join(context.local, 'keep.txt'), join(context.local, 'renamed.txt'));
    await context.session.flush(5000);
    expect(existsSync(join(context.remote, 'keep.txt'))).toBe(false);
    expect(readFileSync(join(context.remote, 'renamed.txt'), 'utf8')).toBe('modified');

    symlinkSync('moved/deep/file.txt', join(context.local, 'link'));
    await context.session.flush(5000);
    expect(snapshot(context.remote).get('link')).toEqual({ type: 'symlink', mode: 0, target: 'moved/deep/file.txt' });

    rmSync(join(context.local, 'moved'), { recursive: true });
    unlinkSync(join(context.local, 'link'));
    await context.session.flush(5000);
    expect(existsSync(join(context.remote, 'moved'))).toBe(false);
    expect(existsSync(join(context.remote, 'link'))).toBe(false);
    expectSame(context);
  });

  test('each landed batch names the files it brought: those of a folder moved in, and those of a folder deleted', async () => {
    const landed: string[] = [];
    // The batch goes out at once, before the watcher has read the new folder.
    const context = setup({}, { onBatch: (batch) => landed.push(...batch.paths), coalesceMs: 0, maxCoalesceMs: 0 });
    write(context.local, 'keep.txt', 'keep');
    await context.session.start();

    // A folder that appears whole is seen as one new folder: the files inside it travel with it.
    const outside = tempDir('outside');
    for (let index = 0; index < 20; index++) write(outside, `tools/sub${index % 4}/gen${index}.txt`, `${index}`);
    renameSync(join(outside, 'tools'), join(context.local, 'tools'));
    await context.session.flush(5000);
    expect(readFileSync(join(context.remote, 'tools/sub3/gen19.txt'), 'utf8')).toBe('19');
    for (let index = 0; index < 20; index++) expect(landed).toContain(`tools/sub${index % 4}/gen${index}.txt`);

    landed.length = 0;
    renameSync(join(context.local, 'tools'), join(outside, 'gone'));
    await context.session.flush(5000);
    expect(existsSync(join(context.remote, 'tools'))).toBe(false);
    for (let index = 0; index < 20; index++) expect(landed).toContain(`tools/sub${index % 4}/gen${index}.txt`);
  });

  test('the watcher sends a change without flush, within moments', async () => {
    const context = setup();
    await context.session.start();
    const started = Date.now();
    write(context.local, 'watched.txt', 'seen');
    await waitFor(() => existsSync(join(context.remote, 'watched.txt')), 5000, 'the watched file');
    // Typically tens of milliseconds; the bound leaves room for a loaded CI machine.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('names with spaces, quotes, newlines, non-UTF-8 bytes and leading dashes round-trip', async () => {
    const context = setup();
    const names = [
      'with space.txt',
      `quo"te's.txt`,
      'new\nline.txt',
      '-leading-dash',
      '--',
      '$(touch pwned)',
      'back\\slash',
      'ünïcødé.txt',
      `${'long-'.repeat(40)}.txt`,
    ];
    for (const name of names) write(context.local, name, `content of ${name}`);
    const latin1 = Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9, 0xff, 0x2e, 0x74, 0x78, 0x74]);
    write(context.local, latin1, 'not utf-8');
    await context.session.start();
    expectSame(context);

    write(context.local, 'dir with "quotes"/\n-x', 'incremental');
    write(context.local, Buffer.concat([Buffer.from('sub-'), latin1]), 'incremental latin1');
    await context.session.flush(5000);
    expectSame(context);
    expect(existsSync(join(context.remote, 'pwned'))).toBe(false);
    expect(existsSync(join(dirname(context.remote), 'pwned'))).toBe(false);

    rmSync(join(context.local, 'new\nline.txt'));
    unlinkSync(Buffer.concat([Buffer.from(`${context.local}/`), latin1]));
    await context.session.flush(5000);
    expectSame(context);
  });

  test('a symlink pointing outside the folder is not followed, not synced, and reported', async () => {
    const outside = tempDir('outside');
    write(outside, 'secret', 'outside the folder');
    const context = setup();
    symlinkSync(outside, join(context.local, 'escape'));
    symlinkSync('../../etc', join(context.local, 'relative-escape'));
    write(context.local, 'inside.txt', 'ok');
    await context.session.start();
    expect(existsSync(join(context.remote, 'escape'))).toBe(false);
    expect(existsSync(join(context.remote, 'relative-escape'))).toBe(false);
    expect(readFileSync(join(context.remote, 'inside.txt'), 'utf8')).toBe('ok');
    const errors = context.session.status().errors;
    expect(errors.map((error) => error.localPath).sort()).toEqual([
      join(context.local, 'escape'),
      join(context.local, 'relative-escape'),
    ]);
    expect(errors[0]).toMatchObject({ code: -31031 });
    rmSync(outside, { recursive: true });
  });

  test('ignore rules apply to changes too, and a changed .gitignore takes effect', async () => {
    const context = setup({ ignore: ['*.log'] });
    await context.session.start();
    write(context.local, 'app.log', 'ignored');
    write(context.local, 'node_modules/pkg/index.js', 'ignored');
    write(context.local, 'code.js', 'synced');
    await context.session.flush(5000);
    expect(existsSync(join(context.remote, 'app.log'))).toBe(false);
    expect(existsSync(join(context.remote, 'node_modules'))).toBe(false);
    expect(existsSync(join(context.remote, 'code.js'))).toBe(true);

    write(context.local, '.gitignore', 'generated/\n');
    write(context.local, 'generated/out.js', 'ignored by .gitignore');
    await context.session.flush(5000);
    expect(existsSync(join(context.remote, 'generated'))).toBe(false);
  });

  test('pause holds changes back and resume sends them', async () => {
    const context = setup();
    await context.session.start();
    context.session.pause();
    expect(context.session.status().state).toBe('paused');
    write(context.local, 'while-paused.txt', 'waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(join(context.remote, 'while-paused.txt'))).toBe(false);
    await expect(context.session.flush(1000)).rejects.toThrow(/paused/);
    context.session.resume();
    await context.session.flush(5000);
    expect(readFileSync(join(context.remote, 'while-paused.txt'), 'utf8')).toBe('waiting');
    expect(context.states.map((change) => change.state)).toContain('paused');
  });
});

describe('one-way mode', () => {
  test('never deletes or changes a local file, whatever happens in the container', async () => {
    const context = setup({ mode: 'send' });
    write(context.local, 'a.txt', 'local a');
    write(context.local, 'dir/b.txt', 'local b');
    await context.session.start();
    const before = snapshot(context.local);

    write(context.remote, 'a.txt', 'changed in the container');
    rmSync(join(context.remote, 'dir'), { recursive: true });
    write(context.remote, 'container-only.txt', 'new in the container');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await context.session.resync();

    expect(snapshot(context.local)).toEqual(before);
    expectSame(context);
  });
});

describe('two-way mode', () => {
  test('a change made in the container comes back to the local folder', async () => {
    const context = setup({ mode: 'both' });
    write(context.local, 'package.json', '{}');
    await context.session.start();

    write(context.remote, 'package-lock.json', '{"lockfileVersion": 3}');
    write(context.remote, 'package.json', '{"name": "changed"}');
    await waitFor(() => existsSync(join(context.local, 'package-lock.json')), 5000, 'the lock file');
    await waitFor(
      () => readFileSync(join(context.local, 'package.json'), 'utf8').includes('changed'),
      5000,
      'the change',
    );
    expect(readFileSync(join(context.local, 'package-lock.json'), 'utf8')).toBe('{"lockfileVersion": 3}');

    // What came back is not sent out again as a local change.
    const opens = context.opens;
    await context.session.flush(5000);
    expect(context.opens).toBe(opens);
    expectSame(context);

    rmSync(join(context.remote, 'package-lock.json'));
    await waitFor(() => !existsSync(join(context.local, 'package-lock.json')), 5000, 'the deletion');
  });

  test('a save is one command to the container, which checks its own version right before the rename', async () => {
    // Everything written to the agent, as text: command lines and archives.
    let written = '';
    const context = setup(
      { mode: 'both' },
      {
        remotePollMs: 60_000,
        openRemote: async (command) => {
          const process_ = await spawnLocalProcess(command);
          const tap = new PassThrough();
          tap.on('data', (chunk: Buffer) => (written += chunk.toString('latin1')));
          tap.pipe(process_.stdin);
          return { ...process_, stdin: tap };
        },
      },
    );
    write(context.local, 'src/app.js', 'one');
    await context.session.start();
    written = '';
    write(context.local, 'src/app.js', 'two');
    await context.session.flush(5000);
    expect(readFileSync(join(context.remote, 'src/app.js'), 'utf8')).toBe('two');
    const commands = written.split('\n').filter((line) => /^[A-Z] \d+/.test(line));
    expect(commands).toEqual([expect.stringMatching(/^P \d+ 1 -$/)]);

    // The container's own edit is still never overwritten: the next save becomes a conflict.
    write(context.remote, 'src/app.js', 'edited in the container');
    write(context.local, 'src/app.js', 'three');
    await context.session.flush(5000);
    expect(readFileSync(join(context.remote, 'src/app.js'), 'utf8')).toBe('edited in the container');
    expect(context.session.status().conflicts).toHaveLength(1);
  });

  test('a file changed on both sides is a conflict: both versions are kept and reported', async () => {
    const context = setup({ mode: 'both' }, { remotePollMs: 60_000 });
    write(context.local, 'shared.txt', 'original');
    await context.session.start();

    write(context.remote, 'shared.txt', 'container version');
    write(context.local, 'shared.txt', 'local version');
    await context.session.flush(5000);

    expect(readFileSync(join(context.remote, 'shared.txt'), 'utf8')).toBe('container version');
    expect(readFileSync(join(context.local, 'shared.txt'), 'utf8')).toBe('local version');
    expect(context.session.status().conflicts).toEqual([
      {
        localPath: join(context.local, 'shared.txt'),
        remotePath: join(context.remote, 'shared.txt'),
        reason: expect.stringContaining('changed on both sides') as string,
      },
    ]);
    expect(context.states.some((change) => change.conflicts?.length === 1)).toBe(true);

    // Deleting one copy settles it: the other one wins.
    rmSync(join(context.local, 'shared.txt'));
    await context.session.resync();
    expect(readFileSync(join(context.local, 'shared.txt'), 'utf8')).toBe('container version');
    expect(context.session.status().conflicts).toEqual([]);
  });
});

describe('failures', () => {
  test('names with .. or absolute paths are refused by the agent in the container', async () => {
    const context = setup();
    await context.session.start();
    const outside = dirname(context.remote);
    const { SyncAgent } = await import('./agent.js');
    const { spawnLocalProcess } = await import('./localRemote.js');
    const { syncAgentCommand } = await import('./agentScript.js');
    const agent = await SyncAgent.start(await spawnLocalProcess(syncAgentCommand(context.remote)), context.remote);
    const data = Buffer.from('escaped');
    const { reply } = await agent.extract([
      { path: '../escaped.txt', type: 'file', mode: 0o644, mtimeNs: 0n, data },
      { path: `${outside}/absolute.txt`, type: 'file', mode: 0o644, mtimeNs: 0n, data },
    ]);
    expect(reply.exitCode).not.toBe(0);
    expect(existsSync(join(outside, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(outside, 'absolute.txt'))).toBe(false);

    write(outside, 'victim.txt', 'must survive');
    const removal = await agent.remove(['../victim.txt', '/etc/hostname', 'a//b', './x']);
    expect(removal.message.match(/^unsafe \d+$/gm)).toHaveLength(4);
    expect(existsSync(join(outside, 'victim.txt'))).toBe(true);

    // A symlink in the container must not lead a delete outside the work directory.
    symlinkSync(outside, join(context.remote, 'trap'));
    await agent.remove(['trap/victim.txt']);
    expect(existsSync(join(outside, 'victim.txt'))).toBe(true);
    agent.close();
  });

  test('a folder replaced by a symlink in the container is not written through', async () => {
    const context = setup();
    write(context.local, 'trap/keep.txt', 'first');
    await context.session.start();
    const outside = tempDir('outside');
    rmSync(join(context.remote, 'trap'), { recursive: true });
    symlinkSync(outside, join(context.remote, 'trap'));
    write(context.local, 'trap/new.txt', 'must not leave the work directory');
    await context.session.flush(5000);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(context.session.status().errors).toEqual([
      expect.objectContaining({ localPath: join(context.local, 'trap/new.txt') }),
    ]);
    rmSync(outside, { recursive: true });
  });

  test("a symlink planted in place of the agent's staging folder does not lead writes outside", async () => {
    const context = setup();
    write(context.local, 'sub/a.txt', 'one');
    await context.session.start();
    const outside = tempDir('outside');
    rmSync(join(context.remote, STAGING_DIR), { recursive: true, force: true });
    symlinkSync(outside, join(context.remote, STAGING_DIR));
    write(context.local, 'sub/a.txt', 'two');
    await context.session.flush(5000);
    expect(readFileSync(join(context.remote, 'sub/a.txt'), 'utf8')).toBe('two');
    expect(snapshot(outside).size).toBe(0);
    rmSync(outside, { recursive: true });
  });

  test('a connection lost half-way through is repaired: the session reconnects and resyncs', async () => {
    const context = setup();
    await context.session.start();
    for (let i = 0; i < 200; i++) write(context.local, `big/${i}.bin`, Buffer.alloc(64 * 1024, i));
    const flush = context.session.flush(20_000);
    await waitFor(() => existsSync(join(context.remote, 'big')), 10_000, 'the transfer to begin');
    context.processes.at(-1)!.close();
    await expect(flush).rejects.toThrow(/connection|interrupted/i);
    await waitFor(() => context.session.status().state === 'idle' && context.opens >= 2, 10_000, 'the reconnect');
    await context.session.flush(10_000);
    expectSame(context);
    expect(context.states.map((change) => change.state)).toContain('disconnected');
  });

  test('drift in the container is repaired by resync', async () => {
    const context = setup();
    for (let i = 0; i < 10; i++) write(context.local, `f${i}.txt`, `content ${i}`);
    await context.session.start();
    rmSync(join(context.remote, 'f1.txt'));
    write(context.remote, 'f2.txt', 'truncated');
    write(context.remote, 'junk.txt', 'left over');
    const counts = await context.session.resync();
    expect(counts).toMatchObject({ filesTransferred: 2, filesDeleted: 1 });
    expectSame(context);
  });

  test('a replaced pod reports disconnected, then gets every file again', async () => {
    const context = setup();
    write(context.local, 'a.txt', 'a');
    write(context.local, 'dir/b.txt', 'b');
    await context.session.start();
    rmSync(context.remote, { recursive: true });
    context.session.podChanged();
    expect(context.session.status().state).toBe('disconnected');
    await waitFor(() => context.session.status().state === 'idle', 10_000, 'the new pod');
    expectSame(context);
  });

  test('a local folder that does not exist is a clear error', async () => {
    const context = setup({}, {}, { local: '/nonexistent/devmode-folder' });
    await expect(context.session.start()).rejects.toThrow(/does not exist/);
  });
});

describe('scale', () => {
  // The time both take is a figure for bench/sync.mjs; here the behaviour must hold on a loaded machine.
  test('10,000 files sync initially and a change among them is flushed', async () => {
    const context = setup();
    for (let d = 0; d < 100; d++) {
      for (let f = 0; f < 100; f++) write(context.local, `d${d}/f${f}.txt`, `file ${d}/${f}\n`);
    }
    await context.session.start();
    expect(snapshot(context.remote).size).toBe(10_100);
    write(context.local, 'd50/f50.txt', 'changed');
    await context.session.flush(60_000);
    expect(readFileSync(join(context.remote, 'd50/f50.txt'), 'utf8')).toBe('changed');
  }, 180_000);
});

describe('files that cannot be synced', () => {
  test('a FIFO on either side is reported with its reason, and forgotten once it is gone', async () => {
    const context = setup({ mode: 'both' });
    const mkfifo = (path: string): void => {
      const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`mkfifo failed (install coreutils): ${made.stderr}`);
    };
    mkfifo(join(context.local, 'here'));
    write(context.local, 'plain.txt', 'synced');
    await context.session.start();
    const skipped = (): string[] =>
      context.session
        .status()
        .errors.filter((error) => error.skipped === 'unsupportedType')
        .map((error) => error.remotePath.slice(context.remote.length + 1))
        .sort();
    expect(skipped()).toEqual(['here']);
    mkfifo(join(context.remote, 'there'));
    await waitFor(() => skipped().length === 2, 10_000, 'the FIFO in the container to be reported');
    expect(skipped()).toEqual(['here', 'there']);
    expect(readFileSync(join(context.remote, 'plain.txt'), 'utf8')).toBe('synced');
    rmSync(join(context.local, 'here'));
    rmSync(join(context.remote, 'there'));
    await context.session.flush(5000);
    await waitFor(() => skipped().length === 0, 10_000, 'both to be forgotten');
  });
});

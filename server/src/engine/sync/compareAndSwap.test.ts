/**
 * The compare-and-swap that keeps a concurrent edit: a file is put in place on either side only if that side still
 * holds the version the transfer was planned against. The container side is the real agent over `sh`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SyncAgent } from './agent.js';
import { syncAgentCommand } from './agentScript.js';
import { spawnLocalProcess } from './localRemote.js';
import { LocalChangedError, writeLocalEntry } from './localWriter.js';
import { statLocal } from './manifest.js';
import { removeTempDirs, tempDir } from './testkit.js';

afterEach(() => removeTempDirs());

const entry = (
  path: string,
  text: string,
): { path: string; type: 'file'; mode: number; mtimeNs: bigint; data: Buffer } => ({
  path,
  type: 'file',
  mode: 0o644,
  mtimeNs: 1_700_000_000_000_000_000n,
  data: Buffer.from(text),
});

describe('the agent in the container', () => {
  test('puts a file in place only over the expected version, and reports the others as changed', async () => {
    const remote = tempDir('cas-remote');
    const agent = await SyncAgent.start(await spawnLocalProcess(syncAgentCommand(remote)), remote);
    try {
      writeFileSync(join(remote, 'base.txt'), 'base');
      writeFileSync(join(remote, 'edited.txt'), 'base');
      writeFileSync(join(remote, 'appeared.txt'), 'made in the container');
      const listing = (await agent.list([]))!;
      const base = listing.get('base.txt')!;
      // Edited in the container after the version the send was planned against.
      const planned = listing.get('edited.txt')!;
      writeFileSync(join(remote, 'edited.txt'), 'edited in the container');

      const { reply } = await agent.extract(
        [
          entry('appeared.txt', 'local'),
          entry('base.txt', 'local'),
          entry('edited.txt', 'local'),
          entry('new.txt', 'local'),
        ],
        undefined,
        [
          { path: 'appeared.txt', expect: null },
          { path: 'base.txt', expect: base },
          { path: 'edited.txt', expect: planned },
          { path: 'new.txt', expect: null },
        ],
      );
      expect(reply.message.match(/^changed \d+$/gm)).toEqual(['changed 0', 'changed 2']);
      expect(readFileSync(join(remote, 'appeared.txt'), 'utf8')).toBe('made in the container');
      expect(readFileSync(join(remote, 'base.txt'), 'utf8')).toBe('local');
      expect(readFileSync(join(remote, 'edited.txt'), 'utf8')).toBe('edited in the container');
      expect(readFileSync(join(remote, 'new.txt'), 'utf8')).toBe('local');
    } finally {
      agent.close();
    }
  });
});

describe('the agent deleting in the container', () => {
  test('deletes a file only if it is the expected version, and reports the others as changed', async () => {
    const remote = tempDir('cas-remote');
    const agent = await SyncAgent.start(await spawnLocalProcess(syncAgentCommand(remote)), remote);
    try {
      writeFileSync(join(remote, 'base.txt'), 'base');
      writeFileSync(join(remote, 'edited.txt'), 'base');
      const listing = (await agent.list([]))!;
      writeFileSync(join(remote, 'edited.txt'), 'edited in the container');
      const reply = await agent.remove(['base.txt', 'edited.txt'], listing);
      expect(reply.message.match(/^changed \d+$/gm)).toEqual(['changed 1']);
      expect(existsSync(join(remote, 'base.txt'))).toBe(false);
      expect(readFileSync(join(remote, 'edited.txt'), 'utf8')).toBe('edited in the container');
    } finally {
      agent.close();
    }
  });
});

describe('the local writer', () => {
  test('replaces a local file only if it is still the expected version', () => {
    const local = tempDir('cas-local');
    writeFileSync(join(local, 'kept.txt'), 'base');
    const planned = statLocal(local, 'kept.txt')!;
    writeFileSync(join(local, 'kept.txt'), 'edited locally, longer');
    expect(() => writeLocalEntry(local, entry('kept.txt', 'container'), planned)).toThrow(LocalChangedError);
    expect(readFileSync(join(local, 'kept.txt'), 'utf8')).toBe('edited locally, longer');

    writeFileSync(join(local, 'appeared.txt'), 'made locally');
    expect(() => writeLocalEntry(local, entry('appeared.txt', 'container'), null)).toThrow(LocalChangedError);
    expect(readFileSync(join(local, 'appeared.txt'), 'utf8')).toBe('made locally');

    writeFileSync(join(local, 'base.txt'), 'base');
    writeLocalEntry(local, entry('base.txt', 'container'), statLocal(local, 'base.txt'));
    writeLocalEntry(local, entry('new.txt', 'container'), null);
    expect(readFileSync(join(local, 'base.txt'), 'utf8')).toBe('container');
    expect(readFileSync(join(local, 'new.txt'), 'utf8')).toBe('container');
  });
});

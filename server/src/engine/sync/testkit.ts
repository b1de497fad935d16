/**
 * Test helpers for the sync engine: a "container" that is a local directory served by the real agent over `sh`,
 * and a byte-exact snapshot of a folder to compare both sides with.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyncProcess } from './agent.js';
import { spawnLocalProcess } from './localRemote.js';
import { SyncSession, type SyncConfig, type SyncSessionOptions, type SyncStateChange } from './session.js';

export interface Entry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  content?: string;
  target?: string;
}

/** Every entry under `root` keyed by its path as raw bytes (latin1), without following symlinks. */
export function snapshot(root: string, skip: (rel: string) => boolean = () => false): Map<string, Entry> {
  const result = new Map<string, Entry>();
  const walk = (dir: Buffer, rel: string): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const path = Buffer.concat([dir, Buffer.from('/'), name]);
      const childRel = rel === '' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
      if (skip(childRel)) continue;
      const stats = lstatSync(path);
      const mode = stats.mode & 0o7777;
      if (stats.isSymbolicLink()) {
        result.set(childRel, {
          type: 'symlink',
          mode: 0,
          target: readlinkSync(path, { encoding: 'buffer' }).toString('latin1'),
        });
      } else if (stats.isDirectory()) {
        result.set(childRel, { type: 'dir', mode });
        walk(path, childRel);
      } else {
        result.set(childRel, { type: 'file', mode, content: readFileSync(path).toString('latin1') });
      }
    }
  };
  walk(Buffer.from(root), '');
  return result;
}

const created: string[] = [];

/** A new temporary directory, removed by `removeTempDirs`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `devmode-sync-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface LocalContainer {
  session: SyncSession;
  local: string;
  /** The "container's" work directory. */
  remote: string;
  states: SyncStateChange[];
  processes: SyncProcess[];
  /** How many times the agent was started. */
  opens: number;
  cleanup(): Promise<void>;
}

/** A sync session whose container is a local directory, with the agent running under the local `sh`. */
export function localContainer(
  config: Partial<SyncConfig> = {},
  options: Partial<SyncSessionOptions> = {},
  dirs: { local?: string; remote?: string } = {},
): LocalContainer {
  const states: SyncStateChange[] = [];
  const context: LocalContainer = {
    local: dirs.local ?? tempDir('local'),
    remote: dirs.remote ?? join(tempDir('container'), 'app'),
    states,
    processes: [],
    opens: 0,
    session: undefined as unknown as SyncSession,
    cleanup: async () => {
      await context.session.stop();
      rmSync(context.local, { recursive: true, force: true });
      rmSync(context.remote, { recursive: true, force: true });
    },
  };
  context.session = new SyncSession({
    localDir: context.local,
    workDir: context.remote,
    config: { mode: 'send', ignore: [], include: [], useGitignore: true, ...config },
    openRemote: async (command) => {
      context.opens++;
      const process = await spawnLocalProcess(command);
      context.processes.push(process);
      return process;
    },
    onState: (change) => states.push(change),
    remotePollMs: 100,
    reconnectMs: 50,
    ...options,
  });
  return context;
}

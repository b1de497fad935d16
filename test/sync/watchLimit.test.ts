/**
 * A folder with more directories than the inotify watch limit allows. The limit is lowered for this test only, in a
 * user namespace of its own (`/proc/sys/user/max_inotify_watches`), around a process running the built sync engine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const engine = fileURLToPath(new URL('../../server/dist/engine/sync/index.js', import.meta.url));

/** Starts a session on argv[1] into argv[2], waits, saves one file, flushes, and prints what the client would see. */
const PROBE = `
const [local, remote, engine] = process.argv.slice(1);
const { writeFileSync, readFileSync } = await import('node:fs');
const { SyncSession, spawnLocalProcess } = await import(engine);
const states = [];
const session = new SyncSession({
  localDir: local, workDir: remote,
  config: { mode: 'send', ignore: [], include: [], useGitignore: true },
  openRemote: (command) => spawnLocalProcess(command),
  onState: (change) => states.push(change),
});
await session.start();
await new Promise((resolve) => setTimeout(resolve, 1500));
writeFileSync(local + '/d5/saved.txt', 'still synced');
await session.flush(5000);
console.log(JSON.stringify({ status: session.status(), states, saved: readFileSync(remote + '/d5/saved.txt', 'utf8') }));
await session.stop();
`;

test('over the watch limit: the state is error with the limit and how to raise it, and flush still syncs', () => {
  if (!existsSync(engine)) throw new Error(`the server is not built (${engine} is missing): run \`npx tsc -b\``);
  const local = mkdtempSync(join(tmpdir(), 'devmode-watch-limit-'));
  const remote = `${local}-container`;
  for (let i = 0; i < 200; i++) mkdirSync(join(local, `d${i}`));
  try {
    const result = spawnSync(
      'unshare',
      [
        '--user',
        '--map-root-user',
        'sh',
        '-c',
        'echo 50 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"',
        process.execPath,
        '--input-type=module',
        '-e',
        PROBE,
        local,
        remote,
        engine,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (result.status !== 0) throw new Error(`the probe failed (${result.status}): ${result.stderr}`);
    const seen = JSON.parse(result.stdout) as {
      status: { state: string; message: string };
      states: { state: string; message?: string }[];
      saved: string;
    };
    expect(seen.status.state).toBe('error');
    expect(seen.status.message).toContain('fs.inotify.max_user_watches = 50');
    expect(seen.status.message).toContain('sudo sysctl fs.inotify.max_user_watches=');
    expect(seen.states.some((change) => change.state === 'error')).toBe(true);
    expect(seen.saved).toBe('still synced');
  } finally {
    rmSync(local, { recursive: true, force: true });
    rmSync(remote, { recursive: true, force: true });
  }
});

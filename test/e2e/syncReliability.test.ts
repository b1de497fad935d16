/**
 * Sync reliability through the real server over stdio, against the sandbox. Two-way sync under the timings that
 * used to lose data: the same file written locally and in the container within a few milliseconds of each other,
 * many times (one pair in six deletes the file locally instead); every edit must survive, as the file on one side
 * or as a recorded conflict (each side keeps its own version). And files that cannot be synced (a FIFO, a path longer than PATH_MAX) are reported, never skipped
 * silently.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, rolledOut, waitUntil } from './devModeHelpers.js';

const WORKDIR = '/home/devmode/app';
const ROUNDS = 10;
const PAIRS_PER_ROUND = 6;

let sandbox: TestSandbox;
let client: DevmodeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  await apply(sandbox, 'deployment.yaml');
  await rolledOut(sandbox, 'deployment/ratings');
  client = await startClient(sandbox.env);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A shell in the pod that writes a file on request, reading it right before (in the same process, builtins only,
 * so nothing runs between the read and the write) and answering what it overwrote.
 */
class PodWriter {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers = new Map<string, (old: string) => void>();

  public constructor(pod: string) {
    const script =
      'cd "$1" || exit 1\n' +
      "while IFS=' ' read -r name content; do\n" +
      '  old=\n' +
      '  IFS= read -r old < "$name"\n' +
      '  printf "%s\\n" "$content" > "$name"\n' +
      '  printf "%s %s\\n" "$name" "$old"\n' +
      'done\n';
    this.child = spawn(
      'kubectl',
      ['--kubeconfig', sandbox.kubeconfig, 'exec', '-i', pod, '--', 'sh', '-c', script, 'writer', WORKDIR],
      { env: sandbox.env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const [name = '', old = ''] = line.split(' ');
      this.answers.get(name)?.(old);
      this.answers.delete(name);
    });
  }

  /** Sends the request at once; resolves with what the file held right before the pod wrote it. */
  public write(name: string, content: string): Promise<string> {
    const answered = new Promise<string>((resolve) => this.answers.set(name, resolve));
    this.child.stdin.write(`${name} ${content}\n`);
    return answered;
  }

  public close(): void {
    this.child.stdin.end();
    this.child.kill('SIGKILL');
  }
}

interface Pair {
  name: string;
  /** The local side deletes the file instead of writing it. */
  deletes: boolean;
  local: string;
  pod: string;
  /** What each writer overwrote: a version it overwrote knowingly was not lost. */
  localSaw?: string;
  podSaw?: string;
}

describe('two-way sync with edits on both sides at the same instant', () => {
  it('never loses an edit: each survives as the file on one side or as a recorded conflict', async () => {
    const dir = projectDir(`image: devmode/dev\nworkDir: ${WORKDIR}\nsync:\n  mode: both\n`);
    const { sessionId, pod } = await client.request<{ sessionId: string; pod: string }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: dir,
    });
    const writer = new PodWriter(pod);
    const pairs: Pair[] = [];
    const readLocal = (name: string): string | undefined => {
      try {
        return readFileSync(join(dir, name), 'utf8').trimEnd();
      } catch {
        return undefined;
      }
    };
    const losses: string[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const batch: Pair[] = [];
        for (let k = 0; k < PAIRS_PER_ROUND; k++) {
          const i = round * PAIRS_PER_ROUND + k;
          const name = `race-${String(i).padStart(3, '0')}.txt`;
          writeFileSync(join(dir, name), `base-${i}\n`);
          batch.push({ name, deletes: k === 2, local: `local-${i}`, pod: `pod-${i}` });
        }
        await client.request('sync/flush', { sessionId, timeoutMs: 30_000 });

        // The pod's write is requested, and the local one made, at offsets from -15 to +15 ms of each other.
        const podWrites: Promise<void>[] = [];
        for (const [k, pair] of batch.entries()) {
          const offsetMs = (((round * PAIRS_PER_ROUND + k) * 7) % 31) - 15;
          const writeLocal = (): void => {
            const path = join(dir, pair.name);
            pair.localSaw = readFileSync(path, 'utf8').trimEnd();
            if (pair.deletes) unlinkSync(path);
            else writeFileSync(path, `${pair.local}\n`);
          };
          if (offsetMs < 0) {
            writeLocal();
            await sleep(-offsetMs);
          }
          podWrites.push(writer.write(pair.name, pair.pod).then((old) => void (pair.podSaw = old)));
          if (offsetMs >= 0) {
            await sleep(offsetMs);
            writeLocal();
          }
          await sleep(40);
        }
        await Promise.all(podWrites);

        // Settled: each file is the same on both sides, or a conflict is recorded for it.
        let podFiles = new Map<string, string>();
        let conflicts = new Set<string>();
        await waitUntil(
          async () => {
            const status = await client.request<{ state: string; conflicts: { remotePath: string }[] }>('sync/status', {
              sessionId,
            });
            conflicts = new Set(status.conflicts.map((conflict) => conflict.remotePath));
            const listing = await sandbox.kubectl([
              'exec',
              pod,
              '--',
              'sh',
              '-c',
              'cd "$1" && for f in race-*.txt; do printf "%s %s\\n" "$f" "$(cat "$f")"; done',
              'list',
              WORKDIR,
            ]);
            podFiles = new Map(
              listing.stdout
                .trim()
                .split('\n')
                .map((line) => line.split(' ') as [string, string]),
            );
            return (
              status.state === 'idle' &&
              batch.every(
                (pair) => conflicts.has(`${WORKDIR}/${pair.name}`) || podFiles.get(pair.name) === readLocal(pair.name),
              )
            );
          },
          30_000,
          `round ${round} to settle`,
        ).catch(() => undefined);

        for (const pair of batch) {
          const local = readLocal(pair.name);
          const there = podFiles.get(pair.name);
          const kept = new Set([local, there]);
          const conflict = conflicts.has(`${WORKDIR}/${pair.name}`);
          const facts = `local "${local}", pod "${there}", conflict ${conflict}, local saw "${pair.localSaw}", pod saw "${pair.podSaw}"`;
          // A deletion that loses to an edit in the container is no loss: the edit comes back instead.
          if (!pair.deletes && !kept.has(pair.local) && pair.podSaw !== pair.local)
            losses.push(`${pair.name}: local edit lost (${facts})`);
          if (!kept.has(pair.pod) && pair.localSaw !== pair.pod) losses.push(`${pair.name}: pod edit lost (${facts})`);
          if (local !== there && !conflict) losses.push(`${pair.name}: sides differ without a conflict (${facts})`);
        }
        pairs.push(...batch);
      }
    } finally {
      writer.close();
      await client.request('devMode/stop', { sessionId });
    }
    const concurrent = pairs.filter((pair) => pair.localSaw === pair.podSaw).length;
    const outcome = losses.length === 0 ? 'without a loss' : `with ${losses.length} lost`;
    console.log(
      `${pairs.length} concurrent pairs tried ${outcome} ` +
        `(${concurrent} where neither side saw the other's edit before writing)`,
    );
    expect(losses).toEqual([]);
    expect(pairs.length).toBe(ROUNDS * PAIRS_PER_ROUND);
  }, 600_000);
});

interface FileError {
  localPath: string;
  remotePath: string;
  message: string;
  skipped?: string;
}

/** Runs a constant shell script with arguments on this machine; fails loudly when it fails. */
function sh(script: string, ...args: string[]): void {
  const result = spawnSync('sh', ['-c', script, 'sh', ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sh failed (install coreutils' mkfifo?): ${result.stderr}`);
}

describe('files that cannot be synced', () => {
  it('reports a FIFO and a path longer than PATH_MAX in sync/status and sync/didChangeState, with the reason', async () => {
    const dir = projectDir(`image: devmode/dev\nworkDir: ${WORKDIR}\nsync:\n  mode: send\n`);
    sh('mkfifo "$1/pipe"', dir);
    // 22 folders of 200 characters: the path passes PATH_MAX (4096) on the way down. A child process walks down
    // with relative chdir, which works past the limit where a shell's cd does not.
    const deepTree = spawnSync(
      process.execPath,
      [
        '-e',
        "const fs = require('node:fs'); process.chdir(process.argv[1]); for (let i = 0; i < 22; i++) { fs.mkdirSync(process.argv[2]); process.chdir(process.argv[2]); } fs.writeFileSync('leaf.txt', 'deep');",
        dir,
        'd'.repeat(200),
      ],
      { encoding: 'utf8' },
    );
    expect(deepTree.stderr).toBe('');
    const { sessionId } = await client.request<{ sessionId: string }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: dir,
    });
    try {
      const status = async (): Promise<FileError[]> =>
        (await client.request<{ state: string; errors: FileError[] }>('sync/status', { sessionId })).errors;
      const initial = await status();
      const pipe = initial.find((error) => error.localPath === `${dir}/pipe`);
      expect(pipe).toMatchObject({ remotePath: `${WORKDIR}/pipe`, skipped: 'unsupportedType' });
      expect(pipe?.message).toMatch(/FIFO/);
      const deep = initial.filter((error) => error.skipped === 'pathTooLong');
      expect(deep).toHaveLength(1);
      expect(deep[0]!.localPath.startsWith(`${dir}/${'d'.repeat(200)}/`)).toBe(true);
      expect(deep[0]!.localPath.length).toBeGreaterThanOrEqual(4096);
      expect(deep[0]!.message).toMatch(/PATH_MAX/);
      const app = await sandbox.kubectl(['exec', 'deploy/ratings', '--', 'cat', `${WORKDIR}/app.js`]);
      expect(app.stdout).toBe('console.log("hello from the local folder");\n');

      // One made while the sync runs is reported to the client as it appears, and forgotten once it is gone.
      sh('mkfifo "$1/later-pipe"', dir);
      await client.waitForNotification(
        (n) =>
          n.method === 'sync/didChangeState' &&
          n.params.sessionId === sessionId &&
          ((n.params.errors as FileError[] | undefined) ?? []).some(
            (error) => error.localPath === `${dir}/later-pipe` && error.skipped === 'unsupportedType',
          ),
        20_000,
      );
      rmSync(`${dir}/later-pipe`);
      rmSync(`${dir}/pipe`);
      await client.request('sync/flush', { sessionId, timeoutMs: 20_000 });
      const after = await status();
      expect(after.filter((error) => error.skipped === 'unsupportedType')).toEqual([]);
      expect(after.filter((error) => error.skipped === 'pathTooLong')).toHaveLength(1);
    } finally {
      await client.request('devMode/stop', { sessionId });
      // rm walks a tree deeper than PATH_MAX; Node's rmSync cannot.
      sh('rm -rf -- "$1"', dir);
    }
  }, 180_000);
});

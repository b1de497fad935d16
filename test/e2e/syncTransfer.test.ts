/**
 * What crosses the network for a sync, against the sandbox: a tree and a burst of changes arrive compressed and
 * byte for byte (binary files too), a container without gzip or zstd is sent plain tar, and after a reconnect only
 * the files that changed are sent again, as the counts the person is shown say.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncSession } from '../../server/src/engine/sync/index.js';
import { removeTempDirs, tempDir } from '../../server/src/engine/sync/testkit.js';
import { openCluster, type ClusterClient } from '../../server/src/kube/client.js';
import { execInPod } from '../../server/src/kube/exec.js';
import { loadKubeconfig } from '../../server/src/kube/kubeconfig.js';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, rolledOut, waitUntil } from './devModeHelpers.js';
import { applyManifest, devPod, waitForPodReady } from './streamFixtures.js';

const WORKDIR = '/home/devmode/app';

let sandbox: TestSandbox;
let cluster: ClusterClient;
const sessions: SyncSession[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  cluster = await openCluster(loadKubeconfig([sandbox.kubeconfig]));
}, 180_000);

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.stop()));
});

afterAll(async () => {
  removeTempDirs();
  await sandbox?.stop();
}, 60_000);

function write(root: string, rel: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

/** Lines of code-like text, as compressible as real sources. */
function sourceText(seed: number, size: number): string {
  let text = '';
  for (let line = 0; text.length < size; line++) text += `export const item${seed}_${line} = load(${line});\n`;
  return text.slice(0, size);
}

/** A small project: text sources, random bytes, an image and a file of zeros. */
function project(root: string, files: number): void {
  for (let i = 0; i < files; i++) write(root, `src/mod${i % 10}/file${i}.js`, sourceText(i, 6000));
  write(root, 'assets/blob.bin', randomBytes(300_000));
  write(root, 'assets/logo.png', randomBytes(40_000));
  write(root, 'assets/zeros.dat', Buffer.alloc(100_000));
}

/** `path sha256` of every file under a local folder, sorted. */
function localHashes(root: string, rel = ''): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.name === 'devmode.yaml') continue;
    if (entry.isDirectory()) lines.push(...localHashes(root, path));
    else
      lines.push(
        `${path} ${createHash('sha256')
          .update(readFileSync(join(root, path)))
          .digest('hex')}`,
      );
  }
  return rel === '' ? lines.sort() : lines;
}

/** The same list computed in the pod by a constant script, the directory its only argument. */
async function podHashes(pod: string, dir: string): Promise<string[]> {
  const result = await sandbox.kubectl([
    'exec',
    pod,
    '--',
    'sh',
    '-c',
    'cd "$1" && find . -type f ! -path ./devmode.yaml ! -path "./.devmode-sync-staging.tmp/*" -exec sha256sum {} + | LC_ALL=C sort -k2',
    'sh',
    dir,
  ]);
  if (result.code !== 0) throw new Error(`kubectl exec failed: ${result.stderr}`);
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [hash, path] = line.split(/\s+\.\//);
      return `${path} ${hash}`;
    })
    .sort();
}

function session(pod: string, local: string): SyncSession {
  const created = new SyncSession({
    localDir: local,
    workDir: WORKDIR,
    config: { mode: 'send', ignore: [], include: [], useGitignore: true },
    openRemote: (command) => execInPod(cluster, { namespace: 'default', pod }, command, { stdin: true }),
    // The sandbox is on this machine, where `auto` would not compress: these tests ask for it.
    compress: true,
  });
  sessions.push(created);
  return created;
}

describe('compression in a sandbox pod', () => {
  it('the initial sync and a burst of changes arrive compressed, byte for byte', async () => {
    await applyManifest(sandbox, devPod('compressed', ['sleep', 'infinity']));
    await waitForPodReady(sandbox, 'compressed');
    const local = tempDir('compressed');
    project(local, 120);
    const sync = session('compressed', local);
    const counts = await sync.start();
    expect(counts.codec).toBe('zstd');
    // 123 files and their 12 folders.
    expect(counts.filesTransferred).toBe(135);
    // About a quarter of the text crosses the network; the random bytes do not shrink.
    expect(counts.wireBytes).toBeLessThan(counts.bytesSent * 0.6);
    expect(counts.wireBytes).toBeGreaterThan(340_000);
    expect(await podHashes('compressed', WORKDIR)).toEqual(localHashes(local));

    // A branch switch: many files at once, sent as one compressed archive; then a single save.
    for (let i = 0; i < 80; i++) write(local, `lib/changed${i}.js`, sourceText(i + 1000, 8000));
    write(local, 'assets/blob.bin', randomBytes(200_000));
    await sync.flush(60_000);
    write(local, 'src/mod1/file1.js', 'saved\n');
    await sync.flush(60_000);
    expect(await podHashes('compressed', WORKDIR)).toEqual(localHashes(local));
  }, 180_000);

  it('a container without gzip or zstd is sent plain tar, and the tree arrives all the same', async () => {
    // The image's tools, minus the decompressors: a PATH of links made by the container itself.
    const bin = '/home/devmode/bin';
    const links = `PATH=/usr/bin:/bin; mkdir -p ${bin} && for f in /usr/bin/* /bin/*; do case \${f##*/} in gzip | gunzip | zcat | zstd | unzstd | zstdcat | pigz) ;; *) ln -sf "$f" ${bin}/ ;; esac; done && touch ${bin}/.ready && exec sleep infinity`;
    await applyManifest(
      sandbox,
      devPod(
        'plain',
        ['/bin/sh', '-c', links],
        `    env: [{name: PATH, value: ${bin}}]
    readinessProbe:
      exec: {command: [/bin/test, -e, ${bin}/.ready]}
      periodSeconds: 1
`,
      ),
    );
    await waitForPodReady(sandbox, 'plain');
    const missing = await sandbox.kubectl(['exec', 'plain', '--', 'sh', '-c', 'command -v gzip zstd || echo none']);
    expect(missing.stdout).toBe('none\n');
    const local = tempDir('plain');
    project(local, 60);
    const sync = session('plain', local);
    const counts = await sync.start();
    expect(counts.codec).toBeUndefined();
    expect(counts.wireBytes).toBeGreaterThan(counts.bytesSent);
    expect(await podHashes('plain', WORKDIR)).toEqual(localHashes(local));
    for (let i = 0; i < 40; i++) write(local, `lib/changed${i}.js`, sourceText(i + 2000, 8000));
    await sync.flush(60_000);
    expect(await podHashes('plain', WORKDIR)).toEqual(localHashes(local));
  }, 180_000);
});

describe('a reconnect over stdio', () => {
  let client: DevmodeClient;
  const created: (string | number)[] = [];
  beforeAll(async () => {
    client = await startClient(sandbox.env, { capabilities: { workDoneProgress: true } });
    client.server.connection.onRequest('window/workDoneProgress/create', (params: { token: string | number }) => {
      created.push(params.token);
      return null;
    });
    await apply(sandbox, 'deployment.yaml');
    await rolledOut(sandbox, 'deployment/ratings');
  }, 120_000);
  afterAll(async () => {
    await client?.close();
  });

  function progressOf(token: string | number): { kind: string; title?: string; message?: string }[] {
    return client.notifications
      .filter((n) => n.method === '$/progress' && n.params.token === token)
      .map((n) => n.params.value as { kind: string; title?: string; message?: string });
  }

  async function state(sessionId: string): Promise<{ state: string; message?: string }> {
    return client.request<{ state: string; message?: string }>('sync/status', { sessionId });
  }

  it('DevMode start says what crossed the network; after a reconnect only the 10 changed files are sent', async () => {
    const dir = projectDir(`image: devmode/dev\nworkDir: ${WORKDIR}\n`);
    project(dir, 300);
    const started = await client.request<{ sessionId: string; pod: string }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: dir,
      workDoneToken: 'start',
    });
    const { sessionId } = started;
    try {
      const messages = progressOf('start').map((value) => value.message ?? '');
      expect(messages).toContainEqual(
        expect.stringMatching(
          /^File sync started \(\d+ file\(s\) sent \(2\.1 MiB, [\d.]+ [KM]iB over the network (with zstd|uncompressed)\)/,
        ),
      );
      expect(await podHashes(started.pod, WORKDIR)).toEqual(localHashes(dir));

      // While the sync is paused its channel to the container breaks; 10 files change meanwhile.
      await client.request('sync/pause', { sessionId });
      for (let i = 0; i < 10; i++) write(dir, `src/mod${i}/file${i * 10}.js`, sourceText(5000 + i, 1024));
      const killed = await sandbox.kubectl([
        'exec',
        started.pod,
        '--',
        'sh',
        '-c',
        'for d in /proc/[0-9]*; do case "$(tr "\\0" " " <"$d/cmdline" 2>/dev/null)" in *devmode-sy[n]c*) kill "${d#/proc/}" ;; esac; done',
      ]);
      expect(killed.code).toBe(0);
      await waitUntil(
        async () => (await state(sessionId)).message?.includes('resync was cancelled') === true,
        60_000,
        'the sync to notice the broken channel while paused',
      );
      const before = created.length;
      await client.request('sync/resume', { sessionId });
      await waitUntil(
        () => Promise.resolve(created.length > before && progressOf(created.at(-1)!).at(-1)?.kind === 'end'),
        90_000,
        'the resync after reconnecting',
      );
      const resync = progressOf(created.at(-1)!);
      expect(resync[0]).toMatchObject({ title: 'Resyncing files after reconnecting to the dev container' });
      // 10 files of 1 KiB out of 300: nothing else crossed the network (tar headers and padding aside).
      const done = /^10 files copied \(10\.0 KiB, ([\d.]+) KiB over the network uncompressed\), 0 deleted$/.exec(
        resync.at(-1)?.message ?? '',
      );
      expect(done, resync.at(-1)?.message).not.toBeNull();
      expect(Number(done![1])).toBeLessThan(40);
      expect(await podHashes(started.pod, WORKDIR)).toEqual(localHashes(dir));
    } finally {
      await client.request('devMode/stop', { sessionId });
    }
  }, 240_000);
});

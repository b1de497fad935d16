/**
 * File sync against the sandbox cluster: the engine's session runs its agent in a real pod over the exec channel,
 * and what lands in the pod is checked with the real kubectl. The sync/* methods are exercised over stdio.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  lstatSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncSession, type SyncConfig, type SyncStateChange } from '../../server/src/engine/sync/index.js';
import { removeTempDirs, tempDir, waitFor } from '../../server/src/engine/sync/testkit.js';
import { openCluster, type ClusterClient } from '../../server/src/kube/client.js';
import { execInPod } from '../../server/src/kube/exec.js';
import { loadKubeconfig } from '../../server/src/kube/kubeconfig.js';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, rolledOut, waitUntil } from './devModeHelpers.js';
import { applyManifest, devPod, waitForPodReady } from './streamFixtures.js';

const WORKDIR = '/home/devmode/app';
const UnknownId = -31021;
const InvalidParams = -32602;

let sandbox: TestSandbox;
let cluster: ClusterClient;
const sessions: SyncSession[] = [];

async function newPod(name: string): Promise<void> {
  await applyManifest(sandbox, devPod(name, ['sleep', 'infinity']));
  await waitForPodReady(sandbox, name);
}

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

/** Runs a constant script in the pod with kubectl and returns its stdout as raw bytes. */
async function inPod(pod: string, script: string): Promise<string> {
  const result = await sandbox.kubectl(['exec', pod, '--', 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`kubectl exec failed: ${result.stderr}`);
  return result.stdout;
}

function session(
  pod: string,
  local: string,
  config: Partial<SyncConfig> = {},
  states: SyncStateChange[] = [],
): SyncSession {
  const created = new SyncSession({
    localDir: local,
    workDir: WORKDIR,
    config: { mode: 'send', ignore: [], include: [], useGitignore: true, ...config },
    openRemote: (command) => execInPod(cluster, { namespace: 'default', pod }, command, { stdin: true }),
    onState: (change) => states.push(change),
    remotePollMs: 200,
  });
  sessions.push(created);
  return created;
}

function write(root: string, rel: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

/**
 * A digest of every path, type, mode and content under a local folder (`node_modules` left out, as sync leaves it),
 * as the pod-side script computes it.
 */
function localDigest(root: string): string {
  const lines: Buffer[] = [];
  const walk = (dir: Buffer, rel: Buffer): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      if (name.toString() === 'node_modules') continue;
      const path = Buffer.concat([dir, Buffer.from('/'), name]);
      const childRel = rel.length === 0 ? name : Buffer.concat([rel, Buffer.from('/'), name]);
      const stats = lstatSync(path);
      const kind = stats.isSymbolicLink() ? 'l' : stats.isDirectory() ? 'd' : 'f';
      const hash = kind === 'f' ? createHash('sha256').update(readFileSync(path)).digest('hex') : '-';
      const mode = kind === 'l' ? '777' : (stats.mode & 0o777).toString(8);
      lines.push(Buffer.concat([childRel, Buffer.from(` ${kind} ${mode} ${hash}\0`)]));
      if (kind === 'd') walk(path, childRel);
    }
  };
  walk(Buffer.from(root), Buffer.alloc(0));
  lines.sort((a, b) => Buffer.compare(a, b));
  return createHash('sha256').update(Buffer.concat(lines)).digest('hex');
}

/**
 * The same digest computed inside the pod, leaving out the sync agent's staging folder; a constant script, the
 * directory is its only argument.
 */
const POD_DIGEST = `cd "$1" && find . -mindepth 1 -path ./.devmode-sync-staging.tmp -prune -o -printf '%P %y %m\\0' | while IFS= read -r -d '' line; do
  p=\${line% * *}; rest=\${line#"$p" }; kind=\${rest% *}; mode=\${rest#* }
  if [ "$kind" = l ]; then mode=777; fi
  if [ "$kind" = f ]; then h=$(sha256sum < "$p"); h=\${h%% *}; else h=-; fi
  printf '%s %s %s %s\\0' "$p" "$kind" "$mode" "$h"
done | LC_ALL=C sort -z | sha256sum | cut -d' ' -f1`;

async function podDigest(pod: string): Promise<string> {
  const result = await sandbox.kubectl(['exec', pod, '--', 'bash', '-c', POD_DIGEST, 'digest', WORKDIR]);
  if (result.code !== 0) throw new Error(`kubectl exec failed: ${result.stderr}`);
  return result.stdout.trim();
}

describe('sync into a sandbox pod', () => {
  it('round-trips create, modify, delete, rename, chmod and symlinks, checked with kubectl exec', async () => {
    await newPod('sync-basic');
    const local = tempDir('e2e');
    write(local, 'src/app.js', 'console.log("v1")\n');
    write(local, 'run.sh', '#!/bin/sh\necho run\n');
    chmodSync(join(local, 'run.sh'), 0o755);
    symlinkSync('src/app.js', join(local, 'main.js'));
    write(local, 'node_modules/dep/index.js', 'ignored');
    const sync = session('sync-basic', local);
    await sync.start();
    expect(
      await inPod(
        'sync-basic',
        `cat ${WORKDIR}/src/app.js; stat -c '%a' ${WORKDIR}/run.sh; readlink ${WORKDIR}/main.js`,
      ),
    ).toBe('console.log("v1")\n755\nsrc/app.js\n');
    expect(await inPod('sync-basic', `test -e ${WORKDIR}/node_modules && echo present || echo absent`)).toBe(
      'absent\n',
    );

    write(local, 'src/app.js', 'console.log("v2")\n');
    write(local, 'src/new file.txt', 'new');
    chmodSync(join(local, 'run.sh'), 0o700);
    renameSync(join(local, 'src'), join(local, 'lib'));
    rmSync(join(local, 'main.js'));
    symlinkSync('lib/app.js', join(local, 'main.js'));
    await sync.flush(10_000);
    expect(
      await inPod('sync-basic', `cd ${WORKDIR} && ls && cat lib/app.js && stat -c '%a' run.sh && readlink main.js`),
    ).toBe('lib\nmain.js\nrun.sh\nconsole.log("v2")\n700\nlib/app.js\n');
    expect(await podDigest('sync-basic')).toBe(localDigest(local));
  }, 60_000);

  it('keeps unsafe names byte for byte: spaces, quotes, newlines, non-UTF-8 bytes, leading dashes', async () => {
    await newPod('sync-names');
    const local = tempDir('e2e');
    for (const name of ['with space', `qu"o't`, 'new\nline', '-dash', '$(touch pwned)', 'ünï'])
      write(local, name, name);
    writeFileSync(Buffer.concat([Buffer.from(`${local}/`), Buffer.from([0x62, 0xe9, 0xff])]), 'latin1');
    const sync = session('sync-names', local);
    await sync.start();
    expect(await podDigest('sync-names')).toBe(localDigest(local));
    write(local, 'sub dir/-x "y"', 'later');
    await sync.flush(10_000);
    expect(await podDigest('sync-names')).toBe(localDigest(local));
    expect(await inPod('sync-names', `find / -name pwned -not -path '/proc/*' 2>/dev/null | wc -l`)).toBe('0\n');
  }, 60_000);

  it('two-way: a file written in the pod comes back; a file changed on both sides is a conflict', async () => {
    await newPod('sync-both');
    const local = tempDir('e2e');
    write(local, 'shared.txt', 'original');
    const sync = session('sync-both', local, { mode: 'both' });
    await sync.start();
    await inPod('sync-both', `echo lock > ${WORKDIR}/package-lock.json`);
    await waitFor(
      () => {
        try {
          return readFileSync(join(local, 'package-lock.json'), 'utf8') === 'lock\n';
        } catch {
          return false;
        }
      },
      10_000,
      'the file written in the pod',
    );

    sync.pause();
    await inPod('sync-both', `echo container > ${WORKDIR}/shared.txt`);
    write(local, 'shared.txt', 'local');
    sync.resume();
    await sync.flush(10_000);
    expect(await inPod('sync-both', `cat ${WORKDIR}/shared.txt`)).toBe('container\n');
    expect(readFileSync(join(local, 'shared.txt'), 'utf8')).toBe('local');
    expect(sync.status().conflicts.map((conflict) => conflict.remotePath)).toEqual([`${WORKDIR}/shared.txt`]);
  }, 60_000);

  it('the pod deleted mid-sync: reports disconnected, then resyncs into the new pod', async () => {
    await newPod('sync-restart');
    const local = tempDir('e2e');
    write(local, 'a.txt', 'a');
    const states: SyncStateChange[] = [];
    const sync = session('sync-restart', local, {}, states);
    await sync.start();
    for (let i = 0; i < 300; i++) write(local, `bulk/${i}.bin`, Buffer.alloc(32 * 1024, i));
    const flush = sync.flush(30_000).catch((error: Error) => error);
    await sandbox.kubectl(['delete', 'pod', 'sync-restart', '--wait=true', '--grace-period=1']);
    expect(await flush).toBeInstanceOf(Error);
    await waitFor(() => states.some((change) => change.state === 'disconnected'), 20_000, 'disconnected');
    await newPod('sync-restart');
    sync.podChanged();
    await waitFor(() => sync.status().state === 'idle', 30_000, 'the sync to come back');
    await sync.flush(30_000);
    expect(await podDigest('sync-restart')).toBe(localDigest(local));
  }, 120_000);

  it('syncs 10,000 files into the pod', async () => {
    await newPod('sync-many');
    const local = tempDir('e2e');
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(local, `d${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(join(local, `d${d}/f${f}.txt`), `file ${d}/${f}\n`);
    }
    const sync = session('sync-many', local);
    await sync.start();
    expect(await inPod('sync-many', `find ${WORKDIR} -type f | wc -l`)).toBe('10000\n');
    writeFileSync(join(local, 'd7/f7.txt'), 'changed');
    await sync.flush(10_000);
    expect(await inPod('sync-many', `cat ${WORKDIR}/d7/f7.txt`)).toBe('changed');
  }, 180_000);
});

describe('sync/* over stdio, on a DevMode session', () => {
  let client: DevmodeClient;
  beforeAll(async () => {
    client = await startClient(sandbox.env);
    await apply(sandbox, 'deployment.yaml');
    await rolledOut(sandbox, 'deployment/ratings');
  }, 120_000);
  afterAll(async () => {
    await client?.close();
  });

  /** The running dev pods of a session, per the real kubectl. */
  async function devPods(sessionId: string): Promise<string[]> {
    const result = await sandbox.kubectl(['get', 'pods', '-l', `devmode.dev/session=${sessionId}`, '-o', 'json']);
    const pods = JSON.parse(result.stdout) as {
      items: { metadata: { name: string; deletionTimestamp?: string }; status?: { phase?: string } }[];
    };
    return pods.items
      .filter((pod) => pod.metadata.deletionTimestamp === undefined && pod.status?.phase === 'Running')
      .map((pod) => pod.metadata.name);
  }

  function statesOf(sessionId: string): string[] {
    return client.notifications
      .filter((n) => n.method === 'sync/didChangeState' && n.params.sessionId === sessionId)
      .map((n) => n.params.state as string);
  }

  it('pause, flush, resume, resync, two-way changes and a deleted pod, seen as a client sees them', async () => {
    const dir = projectDir(`image: devmode/dev\nworkDir: ${WORKDIR}\nsync:\n  mode: both\n  ignore: ['*.log']\n`);
    write(dir, 'debug.log', 'never synced');
    const started = await client.request<{ sessionId: string; pod: string }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
      localDir: dir,
    });
    const { sessionId } = started;
    const podFile = async (pod: string, name: string): Promise<string> =>
      (await sandbox.kubectl(['exec', pod, '--', 'cat', `${WORKDIR}/${name}`])).stdout;
    try {
      expect(await podFile(started.pod, 'app.js')).toBe('console.log("hello from the local folder");\n');
      expect(await inPod(started.pod, `test -e ${WORKDIR}/debug.log && echo present || echo absent`)).toBe('absent\n');

      await client.request('sync/pause', { sessionId });
      expect(await client.request('sync/status', { sessionId })).toMatchObject({ sessionId, state: 'paused' });
      write(dir, 'app.js', 'console.log("edited while paused");\n');
      const paused = await client.requestError('sync/flush', { sessionId });
      expect(paused.code).toBe(-31032);
      expect(await podFile(started.pod, 'app.js')).toBe('console.log("hello from the local folder");\n');
      await client.request('sync/resume', { sessionId });
      await client.request('sync/flush', { sessionId, timeoutMs: 10_000 });
      expect(await podFile(started.pod, 'app.js')).toBe('console.log("edited while paused");\n');

      await inPod(started.pod, `echo '{"lockfileVersion": 3}' > ${WORKDIR}/package-lock.json`);
      await waitFor(
        () => {
          try {
            return readFileSync(join(dir, 'package-lock.json'), 'utf8') === '{"lockfileVersion": 3}\n';
          } catch {
            return false;
          }
        },
        15_000,
        'the lock file written in the pod',
      );

      const resync = await client.request<{ filesTransferred: number; filesDeleted: number }>('sync/resync', {
        sessionId,
        workDoneToken: 'resync-1',
      });
      expect(resync).toEqual({ filesTransferred: 0, filesDeleted: 0 });
      const progress = client.notifications
        .filter((n) => n.method === '$/progress' && n.params.token === 'resync-1')
        .map((n) => (n.params.value as { kind: string }).kind);
      expect(progress[0]).toBe('begin');
      expect(progress.at(-1)).toBe('end');

      await sandbox.kubectl(['delete', 'pod', started.pod, '--wait=false']);
      await waitFor(() => statesOf(sessionId).includes('disconnected'), 30_000, 'sync/didChangeState disconnected');
      await waitUntil(
        async () => (await client.request<{ state: string }>('sync/status', { sessionId })).state === 'idle',
        90_000,
        'the sync to reconnect to the new dev pod',
      );
      write(dir, 'after-restart.txt', 'new pod');
      await client.request('sync/flush', { sessionId, timeoutMs: 20_000 });
      const [pod] = (await devPods(sessionId)).filter((name) => name !== started.pod);
      expect(pod).toBeDefined();
      expect(await podFile(pod!, 'after-restart.txt')).toBe('new pod');
      expect(await podFile(pod!, 'app.js')).toBe('console.log("edited while paused");\n');
    } finally {
      await client.request('devMode/stop', { sessionId });
    }
  }, 180_000);
});

describe('sync/* over stdio', () => {
  let client: DevmodeClient;
  beforeAll(async () => {
    client = await startClient(sandbox.env);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
  });

  it('names the session that does not exist, and the field that is missing', async () => {
    for (const method of ['sync/status', 'sync/flush', 'sync/pause', 'sync/resume', 'sync/resync']) {
      const unknown = await client.requestError(method, { sessionId: 's-none' });
      expect(unknown).toMatchObject({ code: UnknownId, data: { field: 'sessionId' } });
      const missing = await client.requestError(method, {});
      expect(missing).toMatchObject({ code: InvalidParams, data: { field: 'sessionId' } });
    }
  });
});

// File sync figures, each next to a baseline measured in the same run: save-to-visible latency of one small file
// (p50/p99 over 100 saves, each confirmed by reading the file in the container), the initial sync of real trees
// (this repository's committed files, its node_modules) and of 10,000 files (100 MB of source-like text) against
// `kubectl cp` of the same folder, and the resync of 10 changed files in that tree. Against the sandbox when it can
// be started; otherwise against a local directory standing in for the container, with `tar | sh` as the baseline
// (BENCH_SYNC_LOCAL=1 asks for that directly). The output says which. Over an emulated network (BENCH_NET) only the
// sandbox counts. The figures are measured through the engine's session, the code behind sync/flush, with the agent
// in the pod over exec. BENCH_SYNC_TREES picks figures (saves,repo,node_modules,synthetic).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goal, median, networkName, percentile, report } from './lib.mjs';
import { startSandbox } from './streamsLib.mjs';

const SAVES = Number(process.env.BENCH_SYNC_SAVES ?? 100);
const FILES = Number(process.env.BENCH_SYNC_FILES ?? 10_000);
const TREE_BYTES = Number(process.env.BENCH_SYNC_BYTES ?? 100 * 1024 * 1024);
const RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 3);
// `both` measures two-way mode, where each save is put in place only over the version it was planned against.
const MODE = process.env.BENCH_SYNC_MODE ?? 'send';
const WORKDIR = '/home/devmode/bench';
/** Which figures: `saves`, the real trees `repo` and `node_modules`, and the `synthetic` tree with its resync. */
const TREES = (process.env.BENCH_SYNC_TREES ?? 'saves,repo,node_modules,synthetic').split(',');
const elapsed = (started) => Number(process.hrtime.bigint() - started) / 1e6;

function collect(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** The sandbox pod as the container: the agent runs over exec, the baseline is `kubectl cp`. */
async function sandboxTarget() {
  const sandbox = await startSandbox();
  try {
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: sync-bench}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: devmode/dev, command: [sleep, infinity]}
`;
    await sandbox.kubectl(['apply', '-f', '-'], { input: pod });
    await sandbox.kubectl(['wait', '--for=condition=Ready', 'pod/sync-bench', '--timeout=120s']);
    const { openCluster } = await import('../server/dist/kube/client.js');
    const { loadKubeconfig } = await import('../server/dist/kube/kubeconfig.js');
    const { execInPod } = await import('../server/dist/kube/exec.js');
    const cluster = await openCluster(loadKubeconfig([sandbox.kubeconfig]));
    const target = { namespace: 'default', pod: 'sync-bench' };
    const exec = async (command) => {
      const process = await execInPod(cluster, target, command);
      const [stdout] = await Promise.all([collect(process.stdout), collect(process.stderr), process.exit]);
      return stdout;
    };
    return {
      name: `sandbox pod over exec, network ${networkName()}`,
      rttMs: sandbox.netem?.profile.rttMs,
      baselineName: 'kubectl cp',
      base: WORKDIR,
      openRemote: (command) => execInPod(cluster, target, command, { stdin: true }),
      read: (path) => exec(['cat', path]),
      async copyFile(localFile, remotePath) {
        await sandbox.kubectl(['cp', localFile, `sync-bench:${remotePath}`]);
      },
      async copyTree(localDir, dir) {
        await exec(['mkdir', '-p', dir]);
        await sandbox.kubectl(['cp', `${localDir}/.`, `sync-bench:${dir}`], { timeoutMs: 600_000 });
      },
      stop: () => sandbox.stop(),
    };
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
}

function pipeTar(localPath, remoteDir, names) {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-c', '-C', localPath, ...names], { stdio: ['ignore', 'pipe', 'inherit'] });
    const sh = spawn('sh', ['-c', 'mkdir -p "$1" && exec tar -x -C "$1"', 'sh', remoteDir], {
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    tar.stdout.pipe(sh.stdin);
    sh.once('error', reject);
    sh.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar | sh exited ${code}`))));
  });
}

/** A local directory as the container: the agent runs under the local sh, the baseline is `tar | sh`. */
async function localTarget() {
  const { spawnLocalProcess } = await import('../server/dist/engine/sync/index.js');
  const root = mkdtempSync(join(tmpdir(), 'devmode-bench-container-'));
  return {
    name: 'local directory standing in for the container',
    baselineName: 'tar | sh',
    base: root,
    openRemote: (command) => spawnLocalProcess(command),
    read: (path) => Promise.resolve(readFileSync(path)),
    copyFile: (localFile, remotePath) =>
      pipeTar(join(localFile, '..'), join(remotePath, '..'), [localFile.slice(localFile.lastIndexOf('/') + 1)]),
    copyTree: (localDir, dir) => pipeTar(localDir, dir, ['.']),
    stop: () => Promise.resolve(rmSync(root, { recursive: true, force: true })),
  };
}

function newSession(SyncSession, target, localDir, workDir, useGitignore = true, compress = 'auto') {
  return new SyncSession({
    localDir,
    workDir,
    config: { mode: MODE, ignore: [], include: [], useGitignore },
    openRemote: target.openRemote,
    compress,
  });
}

/**
 * On a fast link compression could cost more than it saves (there `auto`, the default, does not compress): there
 * the initial syncs are also timed with compression forced on and with it off.
 */
const measureCompressionCost = () => ['loopback', 'lan'].includes(networkName());

/** What crossed the network for a transfer, e.g. "4.1 MB with zstd". */
function wire(counts) {
  return `${(counts.wireBytes / 1e6).toFixed(counts.wireBytes < 1e6 ? 3 : 1)} MB ${counts.codec === undefined ? 'uncompressed' : `with ${counts.codec}`}`;
}

/** Times an initial sync of `local` into `dir` with compression `compress` (true or false). */
async function timedSync(SyncSession, target, local, dir, useGitignore, compress) {
  settleDisk();
  const session = newSession(SyncSession, target, local, dir, useGitignore, compress);
  const started = process.hrtime.bigint();
  await session.start();
  const ms = elapsed(started);
  await session.stop();
  return ms;
}

/** Prints the median initial syncs with compression forced on and ours (`auto`) next to compression off. */
function reportCompressionCost(label, ours, forced, off) {
  report(`  ${label}, compression forced on`, median(forced), 'ms', 'compression off', median(off));
  report(`  ${label}, compression auto (ours)`, median(ours), 'ms', 'compression off', median(off));
  const cost = median(forced) / median(off);
  const auto = median(ours) / median(off);
  console.log(
    `compression ${networkName()} ${label}: forced on ${cost.toFixed(2)}x, auto ${auto.toFixed(2)}x the time without it`,
  );
}

async function latency(SyncSession, target) {
  const local = mkdtempSync(join(tmpdir(), 'devmode-bench-latency-'));
  writeFileSync(join(local, 'README.md'), '# bench\n');
  writeFileSync(join(local, 'app.js'), 'start\n');
  const dir = `${target.base}/latency`;
  const session = newSession(SyncSession, target, local, dir);
  await session.start();
  const times = [];
  for (let i = 0; i < SAVES; i++) {
    const content = `console.log(${i}); // ${'x'.repeat(i % 7)}\n`;
    const started = process.hrtime.bigint();
    writeFileSync(join(local, 'app.js'), content);
    await session.flush(10_000);
    times.push(elapsed(started));
    const seen = (await target.read(`${dir}/app.js`)).toString();
    if (seen !== content) throw new Error(`save ${i} was not visible in the container: ${JSON.stringify(seen)}`);
  }
  await session.stop();
  const baseline = [];
  for (let i = 0; i < Math.min(20, SAVES); i++) {
    writeFileSync(join(local, 'app.js'), `baseline ${i}\n`);
    const started = process.hrtime.bigint();
    await target.copyFile(join(local, 'app.js'), `${dir}/app.js`);
    baseline.push(elapsed(started));
  }
  rmSync(local, { recursive: true, force: true });
  report(
    `save-to-visible p50 (${SAVES} saves, flush)`,
    percentile(times, 50),
    'ms',
    `${target.baselineName} of the file`,
    median(baseline),
  );
  report(
    `save-to-visible p99 (${SAVES} saves, flush)`,
    percentile(times, 99),
    'ms',
    `${target.baselineName} p99`,
    percentile(baseline, 99),
  );
  // Over a network the floor of a save is one round trip to the container.
  const rtt = target.rttMs;
  if (rtt !== undefined) {
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    goal('save-to-visible p50', p50, rtt, 'ms', p50 <= rtt + 10);
    goal('save-to-visible p99', p99, rtt, 'ms', p99 <= 2 * rtt + 30);
  }
}

/** Initial sync of a real folder next to `kubectl cp` of it, alternated `RUNS` times. */
async function initialSyncOf(SyncSession, target, local, label) {
  const ours = [];
  const theirs = [];
  const uncompressed = [];
  const forced = [];
  let files = 0;
  let sent = '';
  for (let run = 0; run < RUNS; run++) {
    const slug = label.replace(/[^a-z0-9]+/gi, '-');
    settleDisk();
    let started = process.hrtime.bigint();
    await target.copyTree(local, `${target.base}/${slug}-copied-${run}`);
    theirs.push(elapsed(started));
    settleDisk();
    // The same files as kubectl cp copies: no .gitignore rules.
    const session = newSession(SyncSession, target, local, `${target.base}/${slug}-synced-${run}`, false);
    started = process.hrtime.bigint();
    const counts = await session.start();
    ours.push(elapsed(started));
    await session.stop();
    files = counts.filesTransferred;
    sent = wire(counts);
    if (files === 0) throw new Error(`the initial sync of ${label} sent no file`);
    if (measureCompressionCost()) {
      forced.push(await timedSync(SyncSession, target, local, `${target.base}/${slug}-forced-${run}`, false, true));
      uncompressed.push(
        await timedSync(SyncSession, target, local, `${target.base}/${slug}-plain-${run}`, false, false),
      );
    }
  }
  report(
    `initial sync, ${label}, ${files} files (median of ${RUNS})`,
    median(ours),
    'ms',
    `${target.baselineName} of the folder`,
    median(theirs),
  );
  console.log(`  sent ${sent}`);
  if (measureCompressionCost()) reportCompressionCost(`initial sync ${label}`, ours, forced, uncompressed);
  goalInitialSync(`initial sync ${label}`, median(ours), median(theirs));
}

/** Over a network initial sync must take at most 0.3 x kubectl cp; on loopback 0.5 x. */
function goalInitialSync(figure, ours, baseline) {
  const bound = networkName() === 'loopback' ? 0.5 : 0.3;
  goal(figure, ours, baseline, 'ms', ours <= bound * baseline);
}

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** This repository's committed files (no node_modules, no build output), extracted into a temporary folder. */
function repositoryTree() {
  const local = mkdtempSync(join(tmpdir(), 'devmode-bench-repo-'));
  const archive = spawnSync('sh', ['-c', 'git -C "$1" archive HEAD | tar -x -C "$2"', 'sh', repositoryRoot, local]);
  if (archive.status !== 0) throw new Error(`git archive of ${repositoryRoot} failed: ${archive.stderr}`);
  return local;
}

async function realTrees(SyncSession, target) {
  if (TREES.includes('repo')) {
    const local = repositoryTree();
    try {
      await initialSyncOf(SyncSession, target, local, 'this repository');
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }
  if (TREES.includes('node_modules')) {
    await initialSyncOf(SyncSession, target, join(repositoryRoot, 'node_modules'), 'node_modules');
  }
}

const words = ['const', 'return', 'value', 'items', 'await', 'config', 'request', 'error', 'result', 'session'];
const moreWords = ['length', 'workDir', 'export', 'function', 'options', 'target', 'stream', 'buffer', 'index'];

/** `size` bytes of source-like text: lines of identifiers and calls, as compressible as real code (about 4:1). */
function sourceText(size) {
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  const lines = [`// ${randomBytes(12).toString('hex')}`];
  let length = lines[0].length + 1;
  while (length < size) {
    const n = Math.floor(Math.random() * 1000);
    const line = `  ${pick(words)} ${pick(moreWords)}${n} = ${pick(words)}.${pick(moreWords)}(${pick(moreWords)}, ${n});`;
    lines.push(line);
    length += line.length + 1;
  }
  return (lines.join('\n') + '\n').slice(0, size);
}

function makeTree() {
  const local = mkdtempSync(join(tmpdir(), 'devmode-bench-tree-'));
  const perFile = Math.floor(TREE_BYTES / FILES);
  const perDir = 100;
  for (let i = 0; i < FILES; i++) {
    const dir = join(local, `pkg${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(dir);
    writeFileSync(join(dir, `file${i % perDir}.js`), sourceText(perFile));
  }
  return local;
}

/**
 * Flushes dirty pages to disk before a timed step: writing back the 100 MB just created or deleted would otherwise
 * land on whichever step runs next.
 */
function settleDisk() {
  spawnSync('sync');
}

/** Initial sync and resync, each alternated with its baseline `RUNS` times: disk speed varies a lot between runs. */
async function bulk(SyncSession, target) {
  const local = makeTree();
  const mb = Math.round(TREE_BYTES / 1024 / 1024);
  const dirs = Math.ceil(FILES / 100);
  const initial = [];
  const baselineInitial = [];
  const resync = [];
  const baselineResync = [];
  const uncompressed = [];
  const forced = [];
  let sent = '';
  let resent = '';
  try {
    for (let run = 0; run < RUNS; run++) {
      // Every run copies into new directories: deleting 100 MB between runs would time the disk's discards instead.
      const copied = `${target.base}/copied-${run}`;
      const synced = `${target.base}/synced-${run}`;
      settleDisk();
      let started = process.hrtime.bigint();
      await target.copyTree(local, copied);
      baselineInitial.push(elapsed(started));

      settleDisk();
      const session = newSession(SyncSession, target, local, synced);
      started = process.hrtime.bigint();
      const counts = await session.start();
      initial.push(elapsed(started));
      await session.stop();
      if (counts.filesTransferred < FILES) throw new Error(`the initial sync sent ${counts.filesTransferred} files`);
      // The last file written: every size of the tree has it.
      const last = `pkg${Math.floor((FILES - 1) / 100)}/file${(FILES - 1) % 100}.js`;
      const sample = await target.read(`${synced}/${last}`);
      if (!sample.equals(readFileSync(join(local, last)))) throw new Error('the initial sync missed a file');
      sent = wire(counts);
      if (measureCompressionCost()) {
        forced.push(await timedSync(SyncSession, target, local, `${target.base}/forced-${run}`, true, true));
        uncompressed.push(await timedSync(SyncSession, target, local, `${target.base}/plain-${run}`, true, false));
      }

      for (let i = 0; i < 10; i++) writeFileSync(join(local, `pkg${(i * 9) % dirs}/file${i}.js`), sourceText(1024));
      const again = newSession(SyncSession, target, local, synced);
      settleDisk();
      started = process.hrtime.bigint();
      const changed = await again.start();
      resync.push(elapsed(started));
      await again.stop();
      if (changed.filesTransferred !== 10) throw new Error(`the resync sent ${changed.filesTransferred} files, not 10`);
      resent = `${changed.filesTransferred} files, ${changed.bytesSent} bytes of content, ${wire(changed)}`;

      settleDisk();
      started = process.hrtime.bigint();
      await target.copyTree(local, copied);
      baselineResync.push(elapsed(started));
    }
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
  const label = `median of ${RUNS}`;
  report(
    `initial sync, ${FILES} files / ${mb} MB (${label})`,
    median(initial),
    'ms',
    `${target.baselineName} of the folder`,
    median(baselineInitial),
  );
  console.log(`  sent ${sent}`);
  if (measureCompressionCost())
    reportCompressionCost(`initial sync ${FILES} files / ${mb} MB`, initial, forced, uncompressed);
  report(
    `resync after reconnect, 10 changed (${label})`,
    median(resync),
    'ms',
    `${target.baselineName} of the folder`,
    median(baselineResync),
  );
  console.log(`  sent ${resent}`);
  goalInitialSync(`initial sync ${FILES} files / ${mb} MB`, median(initial), median(baselineInitial));
  if (networkName() !== 'loopback') {
    const ratio = median(resync) / median(baselineResync);
    goal(`resync 10 changed in ${FILES}`, median(resync), median(baselineResync), 'ms', ratio <= 0.05);
  }
}

export async function run() {
  const { SyncSession } = await import('../server/dist/engine/sync/index.js');
  let target;
  if (process.env.BENCH_SYNC_LOCAL === '1') {
    target = await localTarget();
  } else {
    try {
      target = await sandboxTarget();
    } catch (error) {
      if (process.env.BENCH_NET !== undefined) throw error;
      console.log(`(the sandbox could not be started: ${error.message.split('\n')[0]})`);
      target = await localTarget();
    }
  }
  console.log(`\n== file sync (${MODE} mode), against a ${target.name} ==`);
  try {
    if (TREES.includes('saves')) await latency(SyncSession, target);
    await realTrees(SyncSession, target);
    if (TREES.includes('synthetic')) await bulk(SyncSession, target);
  } finally {
    await target.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

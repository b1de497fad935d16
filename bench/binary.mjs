// The single executable (dist/devmode): its size, cold start to the first initialize response and idle RSS of
// `serve --stdio`, next to the same bundle run by plain node (`node dist/devmode.cjs`) measured in the same run.
// Builds the executable first when it is missing or older than its sources.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { coldStart as spawnAndInitialize, goal as printGoal, median, report, rssMiB } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 20);
const binary = fileURLToPath(new URL('../dist/devmode', import.meta.url));
const bundle = fileURLToPath(new URL('../dist/devmode.cjs', import.meta.url));
const buildScript = fileURLToPath(new URL('../build/buildBinary.mjs', import.meta.url));
const goal = { coldStartMs: 120, rssMiB: 90 };

const variants = {
  binary: { command: binary, args: ['serve', '--stdio'] },
  bundle: { command: process.execPath, args: [bundle, 'serve', '--stdio'] },
};

/** A variant's cold start: spawn, initialize, first response. */
function coldStart({ command, args }) {
  return spawnAndInitialize(command, args);
}

async function stop(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}

async function idleRss(variant) {
  const { child } = await coldStart(variant);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const rss = rssMiB(child.pid);
  await stop(child);
  return rss;
}

const mb = (file) => statSync(file).size / 1024 / 1024;
const verdict = (value, limit) => (value < limit ? `met (< ${limit})` : `NOT met (>= ${limit})`);

export async function run() {
  const build = spawnSync(process.execPath, [buildScript, '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error(`building dist/devmode failed (exit ${build.status})`);

  console.log(`\n== single executable (median of ${runs} runs; baseline: the same bundle under node) ==`);
  report('executable size', mb(binary), 'MB', 'bundle devmode.cjs', mb(bundle));

  const times = { binary: [], bundle: [] };
  // One unmeasured start each, so both begin with the files in the page cache.
  for (const variant of Object.values(variants)) await stop((await coldStart(variant)).child);
  for (let i = 0; i < runs; i++) {
    for (const [name, variant] of Object.entries(variants)) {
      const { ms, child } = await coldStart(variant);
      times[name].push(ms);
      await stop(child);
    }
  }
  const start = { binary: median(times.binary), bundle: median(times.bundle) };
  report('cold start to first initialize response', start.binary, 'ms', 'node devmode.cjs', start.bundle);

  const rss = { binary: await idleRss(variants.binary), bundle: await idleRss(variants.bundle) };
  report('idle RSS after initialize', rss.binary, 'MiB', 'node devmode.cjs', rss.bundle);

  console.log(
    `goal: cold start ${verdict(start.binary, goal.coldStartMs)} ms, idle RSS ${verdict(rss.binary, goal.rssMiB)} MiB`,
  );
  // The idle memory goal, in the form every goal of the benchmarks is printed in.
  printGoal('idle RSS of the binary', rss.binary, 70, 'MiB', rss.binary <= 70);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

// Cold start of `devmode serve --stdio` to its first initialize response, and its idle RSS,
// next to `node -e 0` (the floor any Node program pays) measured in the same run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { coldStart as spawnAndInitialize, median, report, rssMiB, timeCommand } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 20);
const bin = fileURLToPath(new URL('../server/bin/devmode.mjs', import.meta.url));

function coldStart() {
  return spawnAndInitialize(process.execPath, [bin, 'serve', '--stdio']);
}

export async function run() {
  console.log(`\n== server start (median of ${runs} runs) ==`);
  const serverTimes = [];
  const floorTimes = [];
  for (let i = 0; i < runs; i++) {
    floorTimes.push(await timeCommand(process.execPath, ['-e', '0']));
    const { ms, child } = await coldStart();
    serverTimes.push(ms);
    child.kill();
  }
  report('cold start to first initialize response', median(serverTimes), 'ms', 'node -e 0', median(floorTimes));

  const { child } = await coldStart();
  const idleNode = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  report('idle RSS after initialize', rssMiB(child.pid), 'MiB', 'idle node', rssMiB(idleNode.pid));
  child.kill();
  idleNode.kill();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

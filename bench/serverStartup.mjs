// Cold start of `devmode serve --stdio` to its first initialize response, and its idle RSS,
// next to `node -e 0` (the floor any Node program pays) measured in the same run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { frame, median, report, rssMiB, timeCommand } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 20);
const bin = fileURLToPath(new URL('../server/bin/devmode.mjs', import.meta.url));
const initialize = frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { clientInfo: { name: 'bench' } } });

/** Spawns the server, sends initialize, resolves with the time to the response and the live child. */
function coldStart() {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, 'serve', '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let seen = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('"serverInfo"')) resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, child });
    });
    child.once('error', reject);
    child.stdin.write(initialize);
  });
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

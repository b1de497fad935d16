// Helpers shared by the benchmarks: timing, medians and a uniform report line.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Resident set size of a live process in MiB, from /proc. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Prints one figure next to its baseline, both measured in this run. */
export function report(name, value, unit, baselineName, baseline) {
  const fmt = (n) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : String(n));
  const base = baselineName === undefined ? '' : `   baseline ${baselineName}: ${fmt(baseline)} ${unit}`;
  console.log(`${name.padEnd(44)} ${fmt(value).padStart(8)} ${unit}${base}`);
}

/** Runs a command to completion and resolves with its wall time in ms. */
export function timeCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: 'ignore', ...options });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
        : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

export function frame(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
}

const initializeFrame = frame({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { clientInfo: { name: 'bench' } },
});

/**
 * Spawns `command args` (a devmode server on stdio), sends initialize, and resolves with the time to the response
 * and the live child.
 */
export function coldStart(command, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let seen = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('"serverInfo"')) resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, child });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before answering initialize`)));
    child.stdin.write(initializeFrame);
  });
}

/** The network the benchmarks run over: a profile of bench/netem.mjs (BENCH_NET, set by `--net`) or loopback. */
export const networkName = () => process.env.BENCH_NET ?? 'loopback';

/**
 * Prints one goal of the benchmark: `goal <network> <figure>: <ours> vs <baseline> (<ratio>) met|missed`, where the
 * ratio is ours / baseline and `met` says whether the goal holds.
 */
export function goal(figure, ours, baseline, unit, met) {
  const fmt = (n) =>
    Number.isFinite(n) ? `${n.toFixed(n >= 100 ? 0 : 1)}${unit === '' ? '' : ` ${unit}`}` : String(n);
  const ratio = ours / baseline;
  const ratioText = Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a';
  console.log(
    `goal ${networkName()} ${figure}: ${fmt(ours)} vs ${fmt(baseline)} (${ratioText}) ${met ? 'met' : 'missed'}`,
  );
}

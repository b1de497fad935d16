// `npm run bench`: every benchmark prints its figures next to a baseline measured in the same run.
// `npm run bench -- --net <lan|cloud|far>` runs the figures that cross the network (file sync, port-forward,
// DevMode) through bench/netem.mjs, after checking the emulator itself. `--only sync,portForward` picks benchmarks.
import { parseArgs } from 'node:util';
import { run as binary } from './binary.mjs';
import { run as serverStartup } from './serverStartup.mjs';
import { run as sandbox } from './sandbox.mjs';
import { run as devMode } from './devMode.mjs';
import { networkName } from './lib.mjs';
import { measureNetem, profileNamed } from './netem.mjs';
import { run as portForward } from './portForward.mjs';
import { run as terminal } from './terminal.mjs';
import { run as sync } from './sync.mjs';
import { run as soak } from './soak.mjs';
import { run as onSync } from './onSync.mjs';

const { values } = parseArgs({ options: { net: { type: 'string' }, only: { type: 'string' } } });
const loopback = { serverStartup, binary, portForward, terminal, sync, sandbox, devMode, onSync, soak };
// Over an emulated network only what talks to the cluster through the API server is measured again.
const overNetwork = { netem: checkEmulator, sync, portForward, devMode };
if (values.net !== undefined) {
  profileNamed(values.net);
  process.env.BENCH_NET = values.net;
}
const all = values.net === undefined ? loopback : overNetwork;
const chosen = values.only === undefined ? Object.keys(all) : values.only.split(',');
for (const name of chosen) {
  if (all[name] === undefined)
    throw new Error(`--only ${name}: no such benchmark here; use ${Object.keys(all).join(', ')}`);
}

/** The emulator's own figures: a bulk transfer each way and a ping-pong, next to what the profile sets. */
async function checkEmulator() {
  const bytes = Number(process.env.BENCH_NETEM_BYTES ?? 16 * 1024 * 1024);
  const measured = await measureNetem(values.net, { bytes });
  const { profile } = measured;
  console.log(
    `\n== network emulator (${networkName()}: ${profile.rttMs} ms RTT, ${profile.upMbps} Mbit/s up, ${profile.downMbps} down) ==`,
  );
  const line = (what, value, set, unit) => {
    const off = (value - set) / set;
    const verdict = Math.abs(off) <= 0.1 ? 'within 10 %' : 'OFF BY MORE THAN 10 %';
    console.log(
      `emulator ${what.padEnd(30)} ${value.toFixed(1).padStart(8)} ${unit}   set ${set} ${unit} (${(off * 100).toFixed(1)} %, ${verdict})`,
    );
  };
  line(`upload (${Math.round(bytes / 1024 / 1024)} MB bulk)`, measured.upMbps, profile.upMbps, 'Mbit/s');
  line(`download (${Math.round(bytes / 1024 / 1024)} MB bulk)`, measured.downMbps, profile.downMbps, 'Mbit/s');
  line('ping-pong round trip (median)', measured.rttMs, profile.rttMs, 'ms');
}

console.log(`devmode benchmarks on ${process.version}, ${new Date().toISOString()}, network: ${networkName()}`);
for (const name of chosen) await all[name]();

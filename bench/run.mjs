// `npm run bench`: every benchmark prints its figures next to a baseline measured in the same run.
import { run as binary } from './binary.mjs';
import { run as serverStartup } from './serverStartup.mjs';
import { run as sandbox } from './sandbox.mjs';
import { run as devMode } from './devMode.mjs';
import { run as portForward } from './portForward.mjs';
import { run as terminal } from './terminal.mjs';
import { run as sync } from './sync.mjs';
import { run as soak } from './soak.mjs';

console.log(`devmode benchmarks on ${process.version}, ${new Date().toISOString()}`);
await serverStartup();
await binary();
await portForward();
await terminal();
await sync();
await sandbox();
await devMode();
await soak();

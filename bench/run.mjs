// `npm run bench`: every benchmark prints its figures next to a baseline measured in the same run.
import { run as serverStartup } from './serverStartup.mjs';

console.log(`devmode benchmarks on ${process.version}, ${new Date().toISOString()}`);
await serverStartup();

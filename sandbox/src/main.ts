/** Stand-alone entry for the sandbox CLI: `node sandbox/dist/main.js sandbox start|serve|stop|status …`. */
import { fileURLToPath } from 'node:url';
import { sandboxCommand } from './cli.js';

process.exitCode = await sandboxCommand(process.argv.slice(2), {
  command: process.execPath,
  args: [fileURLToPath(import.meta.url)],
});

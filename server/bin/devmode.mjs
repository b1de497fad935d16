#!/usr/bin/env node
// The npm bin of the server package: runs the compiled CLI (npm ci builds it through the prepare script).
// It checks the Node version first: on an older Node the CLI would fail deep inside its HTTP client instead.
import { nodeVersionProblem } from './nodeVersion.mjs';

const problem = nodeVersionProblem();
if (problem !== undefined) {
  process.stderr.write(problem);
  process.exit(1);
}
await import('../dist/main.js');

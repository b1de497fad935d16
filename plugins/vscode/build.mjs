/**
 * Builds the extension: bundles src/extension.ts with esbuild into dist/extension.js (the protocol package and
 * vscode-jsonrpc included, `vscode` left to the editor). With --package, also copies the single-binary server
 * (../../dist/devmode) into dist/devmode and writes ../../dist/devmode-vscode.vsix for linux-x64 with @vscode/vsce.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

await build({
  entryPoints: [join(here, 'src', 'extension.ts')],
  outfile: join(here, 'dist', 'extension.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'warning',
});

if (process.argv.includes('--package')) {
  const server = join(root, 'dist', 'devmode');
  if (!existsSync(server)) throw new Error(`${server} is missing: run \`npm run build:binary\` first`);
  mkdirSync(join(here, 'dist'), { recursive: true });
  copyFileSync(server, join(here, 'dist', 'devmode'));
  chmodSync(join(here, 'dist', 'devmode'), 0o755);
  const vsix = join(root, 'dist', 'devmode-vscode.vsix');
  execFileSync(
    join(root, 'node_modules', '.bin', 'vsce'),
    [
      'package',
      '--target',
      'linux-x64',
      '--no-dependencies',
      '--skip-license',
      '--allow-missing-repository',
      '--out',
      vsix,
    ],
    { cwd: here, stdio: 'inherit' },
  );
  console.log(`wrote ${vsix} (${(statSync(vsix).size / 1e6).toFixed(1)} MB)`);
}

// `npm run build` (after tsc) and `npm run build:binary`: builds dist/devmode, a single executable (Node SEA) that runs without Node installed.
//
//   1. esbuild bundles server/src/main.ts with the sandbox and protocol sources into dist/devmode.cjs (CommonJS,
//      because Node 24 only runs a CommonJS entry in a SEA).
//   2. The files the code reads at run time become assets: the pty package's pty.node and sandbox/images/ as one archive,
//      in dist/assets/ (where the bundle run by plain node finds them) and embedded in the executable.
//   3. node --experimental-sea-config writes the blob (with V8 code cache); the running node binary, stripped of
//      its symbols, gets the blob injected by postject.
//
// The blob and the executable must come from the same Node, so this script must run under the Node 24 of
// node_modules (npm scripts put it first on PATH). `--if-stale` skips the build when dist/devmode is newer than
// every input.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const assets = join(dist, 'assets');
const bundleFile = join(dist, 'devmode.cjs');
const blobFile = join(dist, 'devmode.blob');
const binaryFile = join(dist, 'devmode');
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const serverRequire = createRequire(join(root, 'server', 'package.json'));
const postjectCli = join(dirname(createRequire(import.meta.url).resolve('postject/package.json')), 'dist', 'cli.js');
// The pty package's prebuilt addon for this machine, from its per-platform package (installed as an optional
// dependency of @lydell/node-pty).
const ptyAddon = createRequire(serverRequire.resolve('@lydell/node-pty/package.json')).resolve(
  `@lydell/node-pty-${process.platform}-${process.arch}/pty.node`,
);
const inputs = [
  'server/src',
  'sandbox/src',
  'protocol/src',
  'sandbox/images',
  'build/buildBinary.mjs',
  'package-lock.json',
];

/** Runs a build tool; its output is shown only when it fails. */
function quietly(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined) throw new Error(`${command} could not be run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
}

/** Every file under `dir` (or `dir` itself), as paths relative to `dir`. */
function filesUnder(dir) {
  if (!statSync(dir).isDirectory()) return [''];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

function newestInput() {
  let newest = 0;
  for (const input of inputs) {
    for (const file of filesUnder(join(root, input))) {
      newest = Math.max(newest, statSync(join(root, input, file)).mtimeMs);
    }
  }
  return newest;
}

export function binaryIsFresh() {
  try {
    return statSync(binaryFile).mtimeMs > newestInput();
  } catch {
    return false;
  }
}

/** The workspace packages are bundled from their TypeScript sources, so no tsc build is needed first. */
const workspaceSources = {
  name: 'workspace-sources',
  setup(context) {
    context.onResolve({ filter: /^@devmode\/(sandbox|protocol)$/ }, (args) => ({
      path: join(root, args.path.slice('@devmode/'.length), 'src', 'index.ts'),
    }));
  },
};

/** The pty package loads its addon through its requireBinary module, replaced by one that uses our asset. */
const nodePtyAddon = {
  name: 'node-pty-addon',
  setup(context) {
    context.onResolve({ filter: /^\.\/requireBinary$/ }, (args) =>
      /[\\/]@lydell[\\/]node-pty$/.test(args.resolveDir)
        ? { path: join(root, 'sandbox', 'src', 'nodePtyUtils.ts') }
        : undefined,
    );
  },
};

async function bundle() {
  const result = await build({
    entryPoints: [join(root, 'server', 'src', 'main.ts')],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    // Minified code is smaller to embed, cache and page in (about 5 MB less resident); keepNames keeps class and
    // function names, which error output and `.name` checks rely on.
    minify: true,
    keepNames: true,
    legalComments: 'none',
    define: { DEVMODE_BUNDLE: 'true' },
    // The source-tree branch of sandbox/src/locations.ts reads import.meta.url; the bundle never takes it.
    logOverride: { 'empty-import-meta': 'silent' },
    plugins: [workspaceSources, nodePtyAddon],
    logLevel: 'warning',
  });
  if (result.errors.length > 0) throw new Error('esbuild failed');
}

/** sandbox/images/ as one JSON archive (see TreeArchive in sandbox/src/locations.ts). */
function imagesArchive() {
  const dir = join(root, 'sandbox', 'images');
  const files = filesUnder(dir)
    .sort()
    .map((path) => ({
      path,
      mode: statSync(join(dir, path)).mode & 0o777,
      data: readFileSync(join(dir, path)).toString('base64'),
    }));
  return JSON.stringify({ files });
}

function writeAssets() {
  rmSync(assets, { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });
  copyFileSync(ptyAddon, join(assets, 'pty.node'));
  writeFileSync(join(assets, 'images.json'), imagesArchive());
  return { 'pty.node': join(assets, 'pty.node'), 'images.json': join(assets, 'images.json') };
}

function singleExecutable(assetFiles) {
  const config = join(dist, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: bundleFile,
      output: blobFile,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      useSnapshot: false,
      assets: assetFiles,
    }),
  );
  quietly(process.execPath, ['--experimental-sea-config', config]);
  const staging = `${binaryFile}.tmp`;
  // Stripping before injection saves about 17 MB; after injection it would cut the blob's note out again.
  quietly('strip', ['-o', staging, process.execPath]);
  // postject prints harmless LIEF warnings (`Can't find string offset for section name '.note.100'`).
  quietly(process.execPath, [postjectCli, staging, 'NODE_SEA_BLOB', blobFile, '--sentinel-fuse', seaFuse]);
  chmodSync(staging, 0o755);
  // A rename replaces the file even while an older build of it runs (a sandbox daemon, say).
  renameSync(staging, binaryFile);
  rmSync(blobFile, { force: true });
}

export async function buildBinary() {
  if (!process.version.startsWith('v24.')) {
    throw new Error(`the single executable is built from Node 24, but this is ${process.version}; run it via npm`);
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the single executable is built for linux-x64 only, not ${process.platform}-${process.arch}`);
  }
  const started = Date.now();
  mkdirSync(dist, { recursive: true });
  await bundle();
  singleExecutable(writeAssets());
  const size = statSync(binaryFile).size / 1024 / 1024;
  console.error(`built ${relative(process.cwd(), binaryFile)} (${size.toFixed(1)} MB) in ${Date.now() - started} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-stale') && binaryIsFresh()) {
    console.error(`${relative(process.cwd(), binaryFile)} is up to date`);
  } else {
    await buildBinary();
  }
}

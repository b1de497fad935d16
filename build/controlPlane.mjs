// `npm run build:control-plane`: builds a real Kubernetes control plane for the tests that compare devmode and the
// sandbox with it: etcd (go.etcd.io/etcd/server/v3 v3.5.16), kube-apiserver, kube-controller-manager and
// kube-scheduler (k8s.io/kubernetes v1.32.4), from the Go module proxy, into
//
//   ${DEVMODE_TOOLS_DIR:-~/.cache/devmode-tools}/control-plane-v1.32.4/
//     bin/                the four executables
//     stamp.json          the versions they were built at; present only when all four were built
//     go/                 GOPATH and module cache (about 1 GB)
//     go-build/           the Go build cache (about 3 GB), kept so a changed recipe rebuilds in minutes
//     modules/            the go.mod files this script generates (nothing fetched is ever committed)
//
// k8s.io/kubernetes is not meant to be required as a module: its go.mod points each staging module (k8s.io/api,
// k8s.io/apimachinery, ...) at ./staging/src/... in its own repository. A small go.mod of our own requires it and
// replaces each of those with its published v0.32.4 (the list is read from kubernetes' own go.mod, so it stays right
// for the pinned version). `-X` ldflags set the version packages so /version answers v1.32.4.
//
// When stamp.json matches the pinned versions and the binaries are there, the script only says so (a second run costs
// well under a second). Cold, it takes about 5 minutes on 2 cores. A lock file in the cache folder makes a second
// build wait for the first rather than run alongside it. `--print-dir` prints the bin folder and exits 0 when the
// build is complete (1 otherwise), without building.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const kubernetesVersion = 'v1.32.4';
export const stagingVersion = 'v0.32.4';
export const etcdVersion = 'v3.5.16';
/** Staging modules kubernetes' go.mod lists that the module proxy does not serve; nothing we build imports them. */
const unpublishedStaging = new Set(['k8s.io/sample-cli-plugin', 'k8s.io/sample-controller']);
/** Bumped when the recipe changes in a way that needs a rebuild (flags, layout). */
const recipe = 1;

export const controlPlaneDir = join(
  process.env.DEVMODE_TOOLS_DIR ?? join(homedir(), '.cache', 'devmode-tools'),
  `control-plane-${kubernetesVersion}`,
);
export const controlPlaneBinDir = join(controlPlaneDir, 'bin');
const stampFile = join(controlPlaneDir, 'stamp.json');
const lockFile = join(controlPlaneDir, 'build.lock');
const binaries = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

function expectedStamp() {
  return { recipe, kubernetes: kubernetesVersion, staging: stagingVersion, etcd: etcdVersion, binaries };
}

/** Whether the four binaries are built at the pinned versions. */
export function controlPlaneIsBuilt() {
  if (!existsSync(stampFile)) return false;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return false;
  }
  const expected = expectedStamp();
  return (
    Object.entries(expected).every(([key, value]) => JSON.stringify(stamp[key]) === JSON.stringify(value)) &&
    binaries.every((name) => existsSync(join(controlPlaneBinDir, name)))
  );
}

function log(message) {
  console.log(`control-plane: ${message}`);
}

function findGo() {
  const candidates = ['go', '/usr/local/go/bin/go', join(homedir(), 'go', 'bin', 'go')];
  for (const candidate of candidates) {
    const result = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (result.status === 0) return { go: candidate, version: result.stdout.trim() };
  }
  throw new Error(
    'the Go toolchain (go 1.23 or newer) is not on PATH: the real control plane is built from source with it. ' +
      'Install it from https://go.dev/dl (e.g. tar -C /usr/local -xzf go1.23.*.linux-amd64.tar.gz and add ' +
      '/usr/local/go/bin to PATH), or `apt-get install golang-1.23-go` and put /usr/lib/go-1.23/bin on PATH.',
  );
}

function goEnvironment() {
  return {
    ...process.env,
    GOPATH: join(controlPlaneDir, 'go'),
    GOMODCACHE: join(controlPlaneDir, 'go', 'pkg', 'mod'),
    GOCACHE: join(controlPlaneDir, 'go-build'),
    GOFLAGS: '-mod=mod -buildvcs=false',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOPROXY: process.env.GOPROXY ?? 'https://proxy.golang.org,direct',
  };
}

/** Runs go with `args` in `cwd`; its output is kept and shown only when it fails. */
function goQuietly(go, args, cwd) {
  const result = spawnSync(go, args, { cwd, env: goEnvironment(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`go ${args.join(' ')} failed (exit ${result.status}) in ${cwd}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Runs `go build -v` and reports progress every 30 s: the packages compiled so far (go -v names each one as it
 * builds it) and the time spent.
 */
function goBuild(go, args, cwd, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(go, ['build', '-v', ...args], { cwd, env: goEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let packages = 0;
    let output = '';
    const collect = (chunk) => {
      const text = chunk.toString();
      packages += text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('go: ')).length;
      output = (output + text).slice(-20000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const ticker = setInterval(() => {
      log(`  ${what}: ${packages} packages compiled, ${Math.round((Date.now() - started) / 1000)} s`);
    }, 30_000);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code !== 0) reject(new Error(`building ${what} failed (exit ${code}):\n${output}`));
      else {
        log(`  ${what} built in ${Math.round((Date.now() - started) / 1000)} s`);
        resolve();
      }
    });
  });
}

function writeModule(dir, goMod) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), goMod);
  // A go.sum left by an earlier run is kept: its entries are checked against the proxy's checksum database.
}

async function buildEtcd(go) {
  const dir = join(controlPlaneDir, 'modules', 'etcd');
  writeModule(
    dir,
    `module devmode.local/controlplane/etcd\n\ngo 1.23\n\nrequire go.etcd.io/etcd/server/v3 ${etcdVersion}\n`,
  );
  log(`etcd ${etcdVersion}: fetching modules`);
  goQuietly(go, ['mod', 'download', `go.etcd.io/etcd/server/v3@${etcdVersion}`], dir);
  await goBuild(
    go,
    ['-trimpath', '-ldflags', '-s -w', '-o', join(controlPlaneBinDir, 'etcd'), 'go.etcd.io/etcd/server/v3'],
    dir,
    'etcd',
  );
}

/** The staging modules kubernetes' own go.mod replaces with ./staging/src/..., which the proxy publishes as v0.x. */
function stagingModules(go, dir) {
  const info = JSON.parse(goQuietly(go, ['mod', 'download', '-json', `k8s.io/kubernetes@${kubernetesVersion}`], dir));
  const kubernetesGoMod = readFileSync(info.GoMod, 'utf8');
  const modules = [...kubernetesGoMod.matchAll(/^\s*(\S+)\s+=>\s+\.\/staging\/src\/\S+\s*$/gm)].map(
    (match) => match[1],
  );
  if (modules.length === 0) throw new Error(`no staging replace directives found in ${info.GoMod}`);
  return modules.filter((module) => !unpublishedStaging.has(module));
}

function versionLdflags() {
  const [major, minor] = kubernetesVersion.slice(1).split('.');
  const settings = {
    gitVersion: kubernetesVersion,
    gitMajor: major,
    gitMinor: minor,
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
  };
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    for (const [name, value] of Object.entries(settings)) flags.push(`-X ${pkg}.${name}=${value}`);
  }
  return flags.join(' ');
}

async function buildKubernetes(go) {
  const dir = join(controlPlaneDir, 'modules', 'kubernetes');
  mkdirSync(dir, { recursive: true });
  log(`kubernetes ${kubernetesVersion}: fetching k8s.io/kubernetes (its go.mod lists the staging modules)`);
  // `go mod download` of an explicit version needs a module to run in; a bare one is enough for that.
  writeModule(dir, 'module devmode.local/controlplane/kubernetes\n\ngo 1.23\n');
  const staging = stagingModules(go, dir);
  const replaces = staging.map((module) => `\t${module} => ${module} ${stagingVersion}`).join('\n');
  writeModule(
    dir,
    `module devmode.local/controlplane/kubernetes\n\ngo 1.23\n\nrequire k8s.io/kubernetes ${kubernetesVersion}\n\n` +
      `// Each staging module of k8s.io/kubernetes at its published version (${staging.length} of them).\n` +
      `replace (\n${replaces}\n)\n`,
  );
  log(
    `kubernetes ${kubernetesVersion}: fetching modules (${staging.length} staging modules replaced by ${stagingVersion})`,
  );
  goQuietly(go, ['mod', 'download'], dir);
  const ldflags = versionLdflags();
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
    await goBuild(
      go,
      ['-trimpath', '-ldflags', ldflags, '-o', join(controlPlaneBinDir, name), `k8s.io/kubernetes/cmd/${name}`],
      dir,
      name,
    );
  }
}

function processIsAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Takes the build lock, waiting while another live build holds it; a lock left by a dead process is taken over. */
async function takeLock() {
  let waitingSaid = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(lockFile, 'utf8').trim());
    if (!Number.isInteger(holder) || holder <= 0 || !processIsAlive(holder)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (!waitingSaid) {
      log(`another build (pid ${holder}) is running; waiting for it to finish`);
      waitingSaid = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

export async function buildControlPlane() {
  if (controlPlaneIsBuilt()) {
    log(`built (${kubernetesVersion}, etcd ${etcdVersion}) in ${controlPlaneBinDir}`);
    return;
  }
  const { go, version } = findGo();
  mkdirSync(controlPlaneBinDir, { recursive: true });
  await takeLock();
  const releaseLock = () => rmSync(lockFile, { force: true });
  process.on('exit', releaseLock);
  try {
    // The build we waited for may have finished it.
    if (controlPlaneIsBuilt()) {
      log(`built (${kubernetesVersion}, etcd ${etcdVersion}) in ${controlPlaneBinDir}`);
      return;
    }
    const started = Date.now();
    log(`building with ${version} into ${controlPlaneDir} (about 5 minutes cold on 2 cores)`);
    rmSync(stampFile, { force: true });
    await buildEtcd(go);
    await buildKubernetes(go);
    const stamp = { ...expectedStamp(), go: version, builtAt: new Date().toISOString() };
    writeFileSync(`${stampFile}.partial`, `${JSON.stringify(stamp, null, 2)}\n`);
    renameSync(`${stampFile}.partial`, stampFile);
    log(`built in ${Math.round((Date.now() - started) / 1000)} s: ${binaries.join(', ')} in ${controlPlaneBinDir}`);
  } finally {
    releaseLock();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--print-dir')) {
    console.log(controlPlaneBinDir);
    process.exit(controlPlaneIsBuilt() ? 0 : 1);
  }
  buildControlPlane().catch((error) => {
    console.error(`control-plane: ${error.message}`);
    process.exit(1);
  });
}

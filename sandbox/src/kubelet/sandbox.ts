/**
 * The process isolation pods run in, built from util-linux alone (`unshare`, `nsenter`, `setpriv`, `mount`,
 * `pivot_root`). A pod's infra process owns its network namespace (and, without root, the user namespace every
 * namespace of the pod belongs to); each container is entered into that network namespace and gets its own mount,
 * PID, UTS and IPC namespaces, a writable root directory made its root with pivot_root, the host's system
 * directories read-only, its own /proc and a minimal /dev.
 *
 * Every process of a pod is tied to the kubelet: `setpriv --pdeathsig KILL` kills the outer process when the
 * kubelet dies, `unshare --kill-child` then kills the namespace's PID 1, and the kernel kills every other process of
 * a PID namespace whose PID 1 ends.
 *
 * Names and paths never reach a shell as code: the setup scripts below are constants, and everything variable is
 * passed to them as positional arguments.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { descendantsOf } from '../processes.js';

/** Host directories every container sees read-only. */
const SYSTEM_DIRS = ['/usr', '/etc', '/bin', '/lib', '/lib32', '/lib64', '/libx32', '/sbin'];

/** The search path the setup scripts run their tools with (the container's own PATH is for its command). */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class SandboxUnavailableError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

export interface Tools {
  unshare: string;
  nsenter: string;
  setpriv: string;
  /** Not root: each pod gets a user namespace (the caller's user is root inside it) that owns its namespaces. */
  rootless: boolean;
}

const DEFAULT_SEARCH_PATH = `${process.env.PATH ?? ''}:${SYSTEM_PATH}`;

/** The first executable file named `name` on the search path. */
function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':')) {
    const path = join(dir, name);
    try {
      if (dir && statSync(path).isFile()) {
        accessSync(path, constants.X_OK);
        return path;
      }
    } catch {
      // Not here, or not executable.
    }
  }
  return undefined;
}

/**
 * Brings up the loopback device of a new network namespace (it starts down: 127.0.0.1 would be unreachable).
 * util-linux has no tool for it; iproute2's `ip` does it, and where it is missing Perl (part of every Debian and
 * Ubuntu base system) makes the same SIOCSIFFLAGS ioctl (IFF_UP | IFF_LOOPBACK | IFF_RUNNING).
 */
const LOOPBACK_UP =
  'if command -v ip >/dev/null 2>&1; then ip link set lo up; ' +
  'elif command -v perl >/dev/null 2>&1; then perl -e \'socket(my $s, 2, 2, 0) or die "socket: $!\\n"; ' +
  'my $r = pack("Z16 s x22", "lo", 0x49); ioctl($s, 0x8914, $r) or die "SIOCSIFFLAGS: $!\\n"\'; ' +
  'else echo "neither ip (iproute2) nor perl is installed: cannot bring up a pod\'s loopback device" >&2; exit 1; fi';

/**
 * The pod's infra process: `$1` is `net` when the pod has its own network namespace (its loopback device is
 * brought up), `$2` the pod's directory, named only so that processes a killed sandbox left behind can be told
 * apart by their command line. Then it sleeps, holding the namespaces.
 */
const INFRA_SCRIPT = `PATH=${SYSTEM_PATH}; if [ "$1" = net ]; then ${LOOPBACK_UP} || exit 1; fi; exec sleep infinity`;

/** The name the container's PID 1 takes once its setup is done (see RUN_SCRIPT); the kubelet waits for it. */
export const INIT_NAME = 'devmode-init';

/**
 * What a container's PID 1 runs once its root is ready: it checks that the command can be run (the runtime's
 * StartError otherwise) and runs it as its child, reaping orphans meanwhile, so that the command is never PID 1
 * (which ignores the kubelet's SIGTERM), and exits with the command's status.
 */
const RUN_SCRIPT = `fail() {
  echo "devmode-runtime: exec $1: $2" >&2
  exit "$3"
}
case $1 in
*/*)
  [ -e "$1" ] || fail "$1" 'No such file or directory' 127
  { [ -x "$1" ] && [ ! -d "$1" ]; } || fail "$1" 'Permission denied' 126
  ;;
*) command -v "$1" >/dev/null 2>&1 || fail "$1" 'No such file or directory' 127 ;;
esac
"$@"
exit $?`;

/**
 * A container's setup, run as PID 1 of its new namespaces: `$1` root directory, `$2` hostname, `$3` working
 * directory, `$4` RUN_SCRIPT, then binds as (ro|rw, source, target) triples up to `--`, then the command. It makes the root
 * directory a mount point, binds into it (recursively, so what is mounted below a system directory stays as the host
 * has it), mounts /proc and a minimal /dev, pivots into it and becomes RUN_SCRIPT.
 */
const CONTAINER_SCRIPT = `set -eu
sys=${SYSTEM_PATH}
root=$1 host=$2 workdir=$3 run=$4
shift 4
PATH=$sys mount --bind "$root" "$root"
while [ "$1" != -- ]; do
  PATH=$sys mount --rbind "$2" "$root$3"
  if [ "$1" = ro ]; then PATH=$sys mount -o remount,bind,ro "$root$3"; fi
  shift 3
done
shift
PATH=$sys mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
PATH=$sys mount -t tmpfs -o nosuid,mode=755 devmode-dev "$root/dev"
for node in null zero full random urandom tty; do
  : >"$root/dev/$node"
  PATH=$sys mount --bind "/dev/$node" "$root/dev/$node"
done
PATH=$sys mkdir "$root/dev/pts" "$root/dev/shm" "$root/dev/mqueue"
PATH=$sys mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
PATH=$sys mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
PATH=$sys ln -s pts/ptmx "$root/dev/ptmx"
PATH=$sys ln -s /proc/self/fd "$root/dev/fd"
PATH=$sys ln -s /proc/self/fd/0 "$root/dev/stdin"
PATH=$sys ln -s /proc/self/fd/1 "$root/dev/stdout"
PATH=$sys ln -s /proc/self/fd/2 "$root/dev/stderr"
# Only root (not a user namespace's root) may name a UTS namespace through /proc; without it the host's name stays.
{ printf %s "$host" >/proc/sys/kernel/hostname; } 2>/dev/null || true
PATH=$sys mkdir -p "$root/.devmode-oldroot"
# Into the working directory before the root changes: exec takes both from this process.
cd "$root$workdir"
PATH=$sys pivot_root "$root" "$root/.devmode-oldroot"
PATH=$sys umount -l /.devmode-oldroot
PATH=$sys rmdir /.devmode-oldroot
exec /bin/sh -c "$run" ${INIT_NAME} "$@"
`;

/** The first line the container setup writes when the command cannot be run (see CONTAINER_SCRIPT). */
export const START_FAILURE_PREFIX = 'devmode-runtime: exec ';

/** What keeps unprivileged user namespaces off on this machine, read from the kernel settings that control them. */
export function userNamespaceBlockers(read: (path: string) => string | undefined = readSetting): string[] {
  const blockers: string[] = [];
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0')
    blockers.push('kernel.unprivileged_userns_clone is 0 (set it to 1)');
  if (read('/proc/sys/user/max_user_namespaces') === '0')
    blockers.push('user.max_user_namespaces is 0 (set it to, e.g., 15000)');
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1')
    blockers.push('kernel.apparmor_restrict_unprivileged_userns is 1 (set it to 0)');
  return blockers;
}

function readSetting(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Finds the util-linux tools pods are made with and checks that a pod's namespaces can be created here (as root,
 * or else in a user namespace), so a machine that cannot run pods fails with one clear message, naming the kernel
 * setting that is missing, instead of every pod failing obscurely.
 */
export function findTools(searchPath = DEFAULT_SEARCH_PATH, uid = process.getuid?.() ?? 0): Tools {
  const found: Record<string, string> = {};
  for (const name of ['unshare', 'nsenter', 'setpriv', 'mount', 'umount', 'pivot_root']) {
    const path = findOnPath(name, searchPath);
    if (path === undefined) {
      throw new SandboxUnavailableError(
        `${name} (util-linux) is not installed; the sandbox makes pods with it. Install util-linux.`,
      );
    }
    found[name] = path;
  }
  const tools: Tools = {
    unshare: found.unshare ?? '',
    nsenter: found.nsenter ?? '',
    setpriv: found.setpriv ?? '',
    rootless: uid !== 0,
  };
  const probe = spawnSync(
    tools.unshare,
    [...userNamespace(tools), '--net', '--mount', '--pid', '--uts', '--ipc', '--fork', '--kill-child', '--'].concat([
      '/bin/sh',
      '-c',
      `PATH=${SYSTEM_PATH}; ${LOOPBACK_UP}`,
    ]),
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (probe.status !== 0) {
    const detail = (probe.stderr || probe.error?.message || `exit code ${String(probe.status)}`).trim();
    if (detail.includes('loopback')) throw new SandboxUnavailableError(detail);
    if (!tools.rootless) {
      throw new SandboxUnavailableError(`cannot create the namespaces a pod needs (${detail}).`);
    }
    const blockers = userNamespaceBlockers();
    throw new SandboxUnavailableError(
      `cannot create the namespaces a pod needs (${detail}). Run the sandbox as root, or allow unprivileged user ` +
        'namespaces: ' +
        (blockers.length > 0
          ? `${blockers.join('; ')}, e.g. with sysctl -w.`
          : 'sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0 and ' +
            'kernel.apparmor_restrict_unprivileged_userns=0 (whichever this kernel has).'),
    );
  }
  return tools;
}

/** The `unshare` flags that give a pod its own user namespace when the sandbox does not run as root. */
function userNamespace(tools: Tools): string[] {
  return tools.rootless ? ['--user', '--map-root-user'] : [];
}

/** The `nsenter` flags that join the pod's user namespace first, when it has one. */
function joinUserNamespace(tools: Tools): string[] {
  return tools.rootless ? ['--user', '--preserve-credentials'] : [];
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * Prepares a container's writable root directory: mount points for the system directories and the same
 * top-level symlinks as the host (`/bin -> usr/bin` on merged-/usr systems).
 */
export function prepareRoot(rootDir: string): void {
  for (const dir of ['proc', 'dev', 'tmp', 'root', 'home']) mkdirSync(join(rootDir, dir), { recursive: true });
  for (const dir of SYSTEM_DIRS) {
    if (!existsSync(dir)) continue;
    const target = join(rootDir, dir);
    const hostStat = lstatSync(dir);
    if (hostStat.isSymbolicLink()) {
      if (!existsSync(target) && !isSymlink(target)) symlinkSync(readlinkSync(dir), target);
    } else {
      mkdirSync(target, { recursive: true });
    }
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface ContainerSandbox {
  rootDir: string;
  mounts: Mount[];
  hostname: string;
  workingDir: string;
  infraPid: number;
  hostNetwork: boolean;
}

/** A container path the setup script may append to the root directory: absolute, and never climbing out of it. */
function checkedTarget(target: string): string {
  if (!target.startsWith('/') || target.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`mount path "${target}" must be an absolute path without "." or ".." segments`);
  }
  return target;
}

/**
 * The binds of a container, in mount order, with their mount points made in its root directory: the system
 * directories read-only, then its volumes (deeper ones after their parents, so a volume inside another stays
 * visible).
 */
export function containerBinds(rootDir: string, mounts: Mount[]): Mount[] {
  const targets = mounts.map((m) => checkedTarget(m.target));
  const binds: Mount[] = [];
  for (const dir of SYSTEM_DIRS) {
    if (existsSync(dir) && !lstatSync(dir).isSymbolicLink()) binds.push(...systemBinds(rootDir, dir, targets));
  }
  const volumes = [...mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  for (const mount of volumes) {
    mountPoint(join(rootDir, mount.target), statSync(mount.source).isDirectory());
    binds.push(mount);
  }
  return binds;
}

function mountPoint(path: string, directory: boolean): void {
  if (directory) mkdirSync(path, { recursive: true });
  else if (!existsSync(path)) writeFileSync(path, '');
}

/**
 * Read-only binds of a host system directory. A volume mounted at a path that does not exist on the host inside a
 * read-only directory (`/etc/app`) needs a mount point that can be made, so such a directory is bound entry by
 * entry over the container's own writable copy of it instead of as a whole.
 */
function systemBinds(rootDir: string, hostDir: string, targets: string[]): Mount[] {
  const inside = targets.filter((t) => t.startsWith(`${hostDir}/`) && !existsSync(t));
  if (inside.length === 0) {
    mountPoint(join(rootDir, hostDir), true);
    return [{ source: hostDir, target: hostDir, readOnly: true }];
  }
  mkdirSync(join(rootDir, hostDir), { recursive: true });
  const binds: Mount[] = [];
  for (const entry of readdirSync(hostDir)) {
    const path = `${hostDir}/${entry}`;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      if (!isSymlink(join(rootDir, path)) && !existsSync(join(rootDir, path)))
        symlinkSync(readlinkSync(path), join(rootDir, path));
    } else if (stat.isDirectory() && inside.some((t) => t === path || t.startsWith(`${path}/`))) {
      binds.push(...systemBinds(rootDir, path, inside));
    } else if (stat.isDirectory() || stat.isFile()) {
      mountPoint(join(rootDir, path), stat.isDirectory());
      binds.push({ source: path, target: path, readOnly: true });
    }
  }
  return binds;
}

/**
 * The command line that starts a container: its own mount, PID, UTS and IPC namespaces inside the pod's network
 * (and user) namespace, set up by CONTAINER_SCRIPT, which runs `argv`.
 */
export function containerCommand(tools: Tools, sandbox: ContainerSandbox, argv: string[]): [string, string[]] {
  const binds = containerBinds(sandbox.rootDir, sandbox.mounts);
  const enter = [...joinUserNamespace(tools), ...(sandbox.hostNetwork ? [] : ['--net'])];
  const args = ['--pdeathsig', 'KILL', '--', tools.nsenter, '--target', String(sandbox.infraPid), ...enter, '--'];
  args.push(tools.unshare, '--mount', '--pid', '--uts', '--ipc', '--fork', '--kill-child', '--');
  args.push('/bin/sh', '-c', CONTAINER_SCRIPT, 'devmode-container', sandbox.rootDir, sandbox.hostname);
  args.push(sandbox.workingDir, RUN_SCRIPT);
  for (const bind of binds) args.push(bind.readOnly ? 'ro' : 'rw', bind.source, bind.target);
  args.push('--', ...argv);
  return [tools.setpriv, args];
}

/** The command line of a pod's infra process, which holds the pod's namespaces (see INFRA_SCRIPT). */
export function infraCommand(tools: Tools, hostNetwork: boolean, podDir: string): [string, string[]] {
  const namespaces = [...userNamespace(tools), ...(hostNetwork ? [] : ['--net']), '--pid'];
  const args = ['--pdeathsig', 'KILL', '--', tools.unshare, ...namespaces, '--fork', '--kill-child', '--'];
  args.push('/bin/sh', '-c', INFRA_SCRIPT, 'devmode-pod', hostNetwork ? 'host' : 'net', podDir);
  return [tools.setpriv, args];
}

/** The `nsenter` arguments that enter a running container (its PID 1) as `kubectl exec` does. */
export function execArgs(tools: Tools, initPid: number, hostNetwork: boolean): string[] {
  const net = hostNetwork ? [] : ['-n'];
  return ['-t', String(initPid), ...joinUserNamespace(tools), '-m', '-u', '-i', ...net, '-p', '-r', '-w', '--'];
}

/** The prefix that runs a command inside the pod's network namespace (nothing for a pod on the host's network). */
export function networkPrefix(tools: Tools, infraPid: number, hostNetwork: boolean): string[] {
  if (hostNetwork) return [];
  return [tools.nsenter, '-t', String(infraPid), ...joinUserNamespace(tools), '-n', '--'];
}

/** The PIDs of a process's direct children. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function poll<T>(check: () => T | undefined, alive: () => boolean, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; Date.now() < deadline; delay = Math.min(delay * 2, 25)) {
    const value = check();
    if (value !== undefined) return value;
    if (!alive()) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return undefined;
}

/** Waits for a process's first child to appear (`unshare --fork` forks the namespace's PID 1 right away). */
export function waitForChild(pid: number, timeoutMs = 5000): Promise<number | undefined> {
  return poll(
    () => childrenOf(pid)[0],
    () => existsSync(`/proc/${pid}`),
    timeoutMs,
  );
}

/**
 * Waits until `pid` runs `program`: the infra process once its namespaces are ready (`sleep`), a container's PID 1
 * once its setup is done (INIT_NAME, the name of its run script, the fourth word of its command line).
 */
export async function waitForProgram(pid: number, program: string, timeoutMs = 10_000): Promise<boolean> {
  const found = await poll(
    () => {
      const argv = readCmdline(pid);
      return argv[0] === program || (argv[1] === '-c' && argv[3] === program) ? true : undefined;
    },
    () => existsSync(`/proc/${pid}`),
    timeoutMs,
  );
  return found === true;
}

function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Where containers of images that ask for it (`projectNode`, see images.ts) find the sandbox's own Node. */
export const PROJECT_NODE_DIR = '/.devmode';

/**
 * The binds that give a container the Node runtime the sandbox itself runs on, as `/.devmode/bin/node`: the
 * runtime's executable is bound read-only at `/.devmode/exe`, and `bin/node` runs it (the single executable runs
 * a script file through its hidden helper subcommand). The directory is made under `dir` (the pod's).
 */
export function projectNodeMounts(dir: string, singleExecutable: boolean): Mount[] {
  const runtimeDir = join(dir, 'project-node');
  mkdirSync(join(runtimeDir, 'bin'), { recursive: true });
  const run = singleExecutable
    ? `exec ${PROJECT_NODE_DIR}/exe sandbox __helper script "$@"`
    : `exec ${PROJECT_NODE_DIR}/exe "$@"`;
  writeFileSync(join(runtimeDir, 'bin', 'node'), `#!/bin/sh\n${run}\n`, { mode: 0o755 });
  mountPoint(join(runtimeDir, 'exe'), false);
  return [
    { source: runtimeDir, target: PROJECT_NODE_DIR, readOnly: true },
    { source: process.execPath, target: `${PROJECT_NODE_DIR}/exe`, readOnly: true },
  ];
}

/** Sends SIGKILL to `pid` and to every process below it, read from /proc first so that none is reparented away. */
export function killTree(pid: number): void {
  for (const member of descendantsOf([pid])) signal(member.pid, 'SIGKILL');
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(pid, sig);
  } catch {
    // Already exited.
  }
}

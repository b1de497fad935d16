/**
 * The process isolation pods run in: bubblewrap sandboxes. A pod's infra process owns its network namespace;
 * each container is a bubblewrap sandbox entered into that namespace with its own mount, PID and UTS
 * namespaces, a writable root directory and the host's system directories read-only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { descendantsOf } from '../processes.js';

/** Host directories every container sees read-only. */
const SYSTEM_DIRS = ['/usr', '/etc', '/bin', '/lib', '/lib32', '/lib64', '/libx32', '/sbin'];

export class SandboxUnavailableError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

export interface Tools {
  bwrap: string;
  nsenter: string;
}

const DEFAULT_SEARCH_PATH = `${process.env.PATH ?? ''}:/usr/bin:/usr/sbin:/bin`;

function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Finds bubblewrap and nsenter and checks that a sandbox can be created, so a machine that cannot run pods
 * fails with one clear message instead of every pod failing obscurely.
 */
export function findTools(searchPath = DEFAULT_SEARCH_PATH): Tools {
  if (process.getuid?.() !== 0) {
    throw new SandboxUnavailableError(
      'the sandbox must run as root: it enters pod network and PID namespaces with nsenter, which needs CAP_SYS_ADMIN.',
    );
  }
  const bwrap = findOnPath('bwrap', searchPath);
  if (bwrap === undefined) {
    throw new SandboxUnavailableError(
      'bubblewrap (bwrap) is not installed; the sandbox runs pods with it. Install it (e.g. `apt-get install bubblewrap`).',
    );
  }
  const nsenter = findOnPath('nsenter', searchPath);
  if (nsenter === undefined) {
    throw new SandboxUnavailableError('nsenter (util-linux) is not installed; the sandbox needs it to enter pods.');
  }
  const probe = spawnSync(bwrap, ['--ro-bind', '/', '/', '--unshare-net', '--unshare-pid', '--', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.status !== 0) {
    const detail = (probe.stderr || probe.error?.message || '').trim();
    throw new SandboxUnavailableError(
      `bubblewrap cannot create namespaces here (${detail}). Run the sandbox as root, or enable unprivileged ` +
        'user namespaces (sysctl kernel.unprivileged_userns_clone=1 / kernel.apparmor_restrict_unprivileged_userns=0).',
    );
  }
  return { bwrap, nsenter };
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * Prepares a container's writable root directory: mount points for the system directories and the same
 * top-level symlinks as the host (`/bin -> usr/bin` on merged-/usr systems). bubblewrap cannot replace an
 * existing symlink, so they are made here once instead of with `--symlink` on every start.
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
}

/** The bubblewrap arguments for a container (without the command). */
export function containerArgs(sandbox: ContainerSandbox): string[] {
  const args = ['--bind', sandbox.rootDir, '/'];
  const targets = sandbox.mounts.map((m) => m.target);
  for (const dir of SYSTEM_DIRS) {
    if (existsSync(dir) && !lstatSync(dir).isSymbolicLink()) args.push(...systemBinds(dir, targets));
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  // Deeper mount points after their parents, so a volume inside another volume stays visible.
  const mounts = [...sandbox.mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  for (const mount of mounts) args.push(mount.readOnly ? '--ro-bind' : '--bind', mount.source, mount.target);
  args.push('--unshare-pid', '--unshare-uts', '--unshare-ipc', '--hostname', sandbox.hostname);
  args.push('--die-with-parent', '--chdir', sandbox.workingDir);
  return args;
}

/**
 * Read-only binds of a host system directory. A volume mounted at a path that does not exist on the host
 * inside a read-only directory (`/etc/app`) needs a mount point bubblewrap can create, so such a directory is
 * bound entry by entry over the container's own writable copy of it instead of as a whole.
 */
function systemBinds(hostDir: string, targets: string[]): string[] {
  const inside = targets.filter((t) => t.startsWith(`${hostDir}/`) && !existsSync(t));
  if (inside.length === 0) return ['--ro-bind', hostDir, hostDir];
  const args: string[] = [];
  for (const entry of readdirSync(hostDir)) {
    const path = `${hostDir}/${entry}`;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (stat.isDirectory() && inside.some((t) => t === path || t.startsWith(`${path}/`)))
      args.push(...systemBinds(path, inside));
    else if (stat.isDirectory() || stat.isFile()) args.push('--ro-bind', path, path);
  }
  return args;
}

/**
 * The bubblewrap arguments for a pod's infra process: it only holds the pod's network namespace. Its command line
 * names the pod's directory (as an environment variable it never reads), so that processes left by a sandbox that
 * was killed can be told apart by their command line, as container processes are by their root directory.
 */
export function infraArgs(hostNetwork: boolean, podDir: string): string[] {
  const args: string[] = ['--setenv', 'DEVMODE_POD_DIR', podDir];
  for (const dir of SYSTEM_DIRS) {
    if (existsSync(dir)) args.push(lstatSync(dir).isSymbolicLink() ? '--symlink' : '--ro-bind', ...symlinkOrBind(dir));
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--die-with-parent');
  if (!hostNetwork) args.push('--unshare-net');
  return args;
}

function symlinkOrBind(dir: string): [string, string] {
  return lstatSync(dir).isSymbolicLink() ? [readlinkSync(dir), dir] : [dir, dir];
}

/** The PIDs of a process's direct children. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Waits for a process's first child to appear (bubblewrap forks the sandbox right after starting). */
export async function waitForChild(pid: number, timeoutMs = 5000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; Date.now() < deadline; delay = Math.min(delay * 2, 25)) {
    const child = childrenOf(pid)[0];
    if (child !== undefined) return child;
    if (!existsSync(`/proc/${pid}`)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return undefined;
}

/** Sends a signal, ignoring a process that is already gone. */
/** Sends SIGKILL to `pid` and to every process below it, read from /proc first so that none is reparented away. */
export function killTree(pid: number): void {
  for (const member of descendantsOf([pid])) signal(member.pid, 'SIGKILL');
}

export function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(pid, sig);
  } catch {
    // Already exited.
  }
}

/**
 * The single executable, and a view of this machine in which Node is not installed: a private mount namespace
 * (util-linux `unshare`) shows the whole filesystem except every `node` executable (covered by /dev/null) and the
 * repository's node_modules, and the files the executable must carry inside itself (the bundle's assets, the
 * sandbox images) are hidden too (covered by empty tmpfs mounts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BINARY = join(ROOT, 'dist', 'devmode');
export const BUNDLE = join(ROOT, 'dist', 'devmode.cjs');
/** A PATH with the usual system directories, where a Node install would be found. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Builds dist/devmode unless it is newer than its sources (the build script decides). */
export function ensureBinary(): void {
  const build = spawnSync(process.execPath, [join(ROOT, 'build', 'buildBinary.mjs'), '--if-stale'], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (build.status !== 0) {
    throw new Error(`building the single executable failed (exit ${build.status}):\n${build.stdout}${build.stderr}`);
  }
  if (!existsSync(BINARY)) throw new Error(`the build did not produce ${BINARY}`);
}

/** Mounts what hides Node ((tmpfs|hide) path pairs up to `--`), then runs the command. */
const NODELESS_SCRIPT = `while [ "$1" != -- ]; do
  case $1 in
  tmpfs) mount -t tmpfs devmode-hidden "$2" ;;
  hide) mount --bind /dev/null "$2" ;;
  esac
  shift 2
done
shift
exec "$@"`;

/** The command that runs what follows it in the view without Node (as root, which the sandbox tests run as). */
export function nodelessView(): string[] {
  const nodeModules = join(ROOT, 'node_modules');
  const nodes = new Set<string>([realpathSync(process.execPath)]);
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...SYSTEM_PATH.split(':')]) {
    const candidate = join(dir, 'node');
    if (dir !== '' && existsSync(candidate)) nodes.add(realpathSync(candidate));
  }
  const view = ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', NODELESS_SCRIPT, 'nodeless'];
  for (const dir of [nodeModules, join(ROOT, 'dist', 'assets'), join(ROOT, 'sandbox', 'images')]) {
    view.push('tmpfs', dir);
  }
  for (const node of nodes) {
    if (!node.startsWith(nodeModules + '/')) view.push('hide', node);
  }
  return [...view, '--'];
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args` inside the node-less view with exactly `env`. */
export function runNodeless(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 90_000,
): Promise<Result> {
  return new Promise((resolveRun, reject) => {
    const [file, ...view] = nodelessView();
    const child = spawn(file ?? 'unshare', [...view, command, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

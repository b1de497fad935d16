/**
 * Starts a sandbox cluster for a test, as a user would: through the sandbox CLI in a child process, in a
 * temporary state directory, with a throw-away HOME for kubectl (whose caches would otherwise go stale).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withHidden } from './hidden.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = join(ROOT, 'sandbox', 'dist', 'main.js');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin. */
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Programs the command must not find, as if they were not installed (see hidden.ts). */
  hide?: string[];
  /** Runs the command as this user id (and group id) instead of the test's own. */
  user?: number;
}

export interface TestSandbox {
  kubeconfig: string;
  stateDir: string;
  /** Environment for clients: HOME is a throw-away directory, KUBECONFIG points at the sandbox. */
  env: NodeJS.ProcessEnv;
  kubectl(args: string[], options?: KubectlOptions): Promise<CommandResult>;
  /** Stops the sandbox and fails if its daemon or any pod process is left. */
  stop(): Promise<void>;
}

export function run(command: string, args: string[], options: KubectlOptions = {}): Promise<CommandResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Whether a process runs; a zombie (exited, not yet reaped by its parent) does not. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the sandbox package when its compiled entry is missing or older than its sources. */
function ensureBuilt(): void {
  const sources = join(ROOT, 'sandbox', 'src');
  // An incremental build leaves unchanged outputs alone, so the build info file tells when it last ran.
  const buildInfo = join(ROOT, 'sandbox', 'tsconfig.tsbuildinfo');
  const built = Math.max(
    existsSync(ENTRY) ? statSync(ENTRY).mtimeMs : 0,
    existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : 0,
  );
  if (existsSync(ENTRY) && built >= newestSource(sources)) return;
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  // Test workers may build at the same time; the lock keeps them from writing the same files together.
  spawnSync(
    'flock',
    [join(tmpdir(), 'devmode-sandbox-build.lock'), tsc, '-p', join(ROOT, 'sandbox', 'tsconfig.json')],
    {
      stdio: 'ignore',
    },
  );
  if (!existsSync(ENTRY)) throw new Error(`the sandbox is not built (${ENTRY} is missing): run \`npx tsc -b\``);
}

/** Runs `sandbox <args> --state-dir <stateDir>` through the CLI entry, building it first if needed. */
export function sandboxCli(args: string[], stateDir: string, options: KubectlOptions = {}): Promise<CommandResult> {
  ensureBuilt();
  const as = options.user !== undefined ? ['setpriv', `--reuid=${options.user}`, `--regid=${options.user}`] : [];
  if (as.length > 0) as.push('--clear-groups', '--');
  const command = [...as, process.execPath, ENTRY, 'sandbox', ...args, '--state-dir', stateDir];
  const [file, argv] = options.hide ? withHidden(options.hide, command) : [command[0] ?? '', command.slice(1)];
  return run(file, argv, { timeoutMs: 90_000, ...options });
}

/** Starts a sandbox in a fresh temporary state directory. */
export async function startTestSandbox(): Promise<TestSandbox> {
  const stateDir = mkdtempSync(join(tmpdir(), 'devmode-sandbox-'));
  const home = mkdtempSync(join(tmpdir(), 'devmode-home-'));
  const started = await sandboxCli(['start'], stateDir);
  if (started.code !== 0) {
    throw new Error(`sandbox start failed (exit ${started.code}):\n${started.stdout}${started.stderr}`);
  }
  const kubeconfig = join(stateDir, 'kubeconfig');
  const pid = Number(readFileSync(join(stateDir, 'sandbox.pid'), 'utf8').trim());
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, KUBECONFIG: kubeconfig };
  return {
    kubeconfig,
    stateDir,
    env,
    kubectl: (args, options = {}) =>
      run('kubectl', ['--kubeconfig', kubeconfig, ...args], { ...options, env: { ...env, ...options.env } }),
    async stop() {
      const stopped = await sandboxCli(['stop'], stateDir);
      if (stopped.code !== 0)
        throw new Error(`sandbox stop failed (exit ${stopped.code}):\n${stopped.stdout}${stopped.stderr}`);
      if (isRunning(pid)) throw new Error(`the sandbox daemon (pid ${pid}) still runs after sandbox stop`);
      rmSync(home, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

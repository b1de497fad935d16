import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OnSyncRule } from './devConfig.js';
import {
  devCommand,
  inWorkDir,
  jdwpOption,
  restartScript,
  supervisorControlDir,
  supervisorScript,
} from './devCommand.js';
import { EngineError } from './engineError.js';

const restart: OnSyncRule = { match: [], restart: true };
const build: OnSyncRule = { match: [], exec: ['make'] };

describe('devCommand', () => {
  it('keeps the command as configured without debug or a restart rule', () => {
    expect(devCommand({ command: ['node', 'app.js'], env: {}, onSync: [build] })).toEqual({
      command: ['node', 'app.js'],
      env: {},
    });
  });

  it('wraps the command in the supervisor, as arguments, when a rule restarts it', () => {
    const { command } = devCommand({ command: ['node', 'app with space.js', '$HOME'], env: {}, onSync: [restart] });
    // Kubernetes expands $(NAME) and $$ in a container's command: the script's every $ is doubled to survive it.
    expect(command[2]).toBe(supervisorScript.replaceAll('$', () => '$$'));
    expect(command[2]?.replaceAll('$$', () => '$')).toBe(supervisorScript);
    expect(command).toEqual(['/bin/sh', '-c', command[2], 'devmode-supervisor', 'node', 'app with space.js', '$HOME']);
  });

  it('starts each kind of debugger where it has a standard way', () => {
    const debug = (kind: 'node' | 'python' | 'java' | 'go' | 'custom', command: string[], env = {}) =>
      devCommand({ command, env, onSync: [], debug: { port: 5005, kind } });
    expect(debug('node', ['node', 'app.js'])).toEqual({
      command: ['node', '--inspect=0.0.0.0:5005', 'app.js'],
      env: {},
    });
    expect(debug('node', ['npm', 'start'], { NODE_OPTIONS: '--max-old-space-size=512' })).toEqual({
      command: ['npm', 'start'],
      env: { NODE_OPTIONS: '--max-old-space-size=512 --inspect=0.0.0.0:5005' },
    });
    expect(debug('python', ['python3', 'app.py', '-v']).command).toEqual([
      'python3',
      '-m',
      'debugpy',
      '--listen',
      '0.0.0.0:5005',
      'app.py',
      '-v',
    ]);
    expect(debug('java', ['java', '-jar', 'app.jar']).env).toEqual({ JAVA_TOOL_OPTIONS: jdwpOption(5005) });
    expect(debug('go', ['./server', '-port', '80']).command).toEqual([
      'dlv',
      'exec',
      './server',
      '--headless',
      '--listen=:5005',
      '--api-version=2',
      '--accept-multiclient',
      '--continue',
      '--',
      '-port',
      '80',
    ]);
    expect(debug('go', ['go', 'run', './cmd/api']).command.slice(0, 3)).toEqual(['dlv', 'debug', './cmd/api']);
    expect(debug('custom', ['./debug.sh'])).toEqual({ command: ['./debug.sh'], env: {} });
  });

  it('refuses python debugging of a command that is not python, naming the field', () => {
    try {
      devCommand({ command: ['./run.sh'], env: {}, onSync: [], debug: { port: 5678, kind: 'python' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EngineError);
      expect(error).toMatchObject({ code: 'DevConfigInvalid', data: { field: 'debug.kind' } });
    }
  });

  it('runs a command in workDir without putting either into shell text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-work dir-'));
    try {
      const [program = '', ...args] = inWorkDir(dir, ['sh', '-c', 'pwd; printf "%s\\n" "$1"', 'x', '$(id) `id`']);
      const result = spawnSync(program, args, { encoding: 'utf8' });
      expect(result.stdout).toBe(`${dir}\n$(id) \`id\`\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the supervisor', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  /** The scripts with their control folder moved into a temporary one, run by the machine's sh. */
  function scripts(): { dir: string; supervisor: string; restart: string } {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-supervisor-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const control = join(dir, 'control');
    return {
      dir,
      supervisor: supervisorScript.replace(supervisorControlDir, control),
      restart: restartScript.replace(supervisorControlDir, control),
    };
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('restarts the command with everything it started, and stops them all on SIGTERM', async () => {
    const { dir, supervisor, restart: restartText } = scripts();
    const starts = join(dir, 'starts');
    // The command starts a grandchild (as `npm run dev` does) that must not outlive a restart.
    const command = `echo start >> '${starts}'; sleep 300 & echo $! > '${dir}/grandchild'; wait`;
    const child = spawn('sh', ['-c', supervisor, 'devmode-supervisor', 'sh', '-c', command], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    const grandchild = (): number => Number(readFileSync(join(dir, 'grandchild'), 'utf8'));
    await until(() => existsSync(join(dir, 'grandchild')) && existsSync(join(dir, 'control', 'generation')), 'start');
    const first = grandchild();

    const restarted = spawnSync('sh', ['-c', restartText, 'devmode-restart'], { encoding: 'utf8', timeout: 70_000 });
    expect(restarted.status).toBe(0);
    await until(() => readFileSync(starts, 'utf8') === 'start\nstart\n', 'the second start');
    await until(() => grandchild() !== first, 'the new grandchild');
    await until(() => !alive(first), 'the first grandchild to end');

    const second = grandchild();
    child.kill('SIGTERM');
    await until(() => child.exitCode !== null, 'the supervisor to exit');
    expect(child.exitCode).toBe(0);
    await until(() => !alive(second), 'the second grandchild to end');
  }, 60_000);

  it('stays up when the command exits, and starts it again on the next restart', async () => {
    const { dir, supervisor, restart: restartText } = scripts();
    const starts = join(dir, 'starts');
    writeFileSync(starts, '');
    const child = spawn('sh', ['-c', supervisor, 'devmode-supervisor', 'sh', '-c', `echo run >> '${starts}'; exit 3`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    await until(() => errors.includes('exited with code 3'), 'the command to exit');
    expect(child.exitCode).toBeNull();
    expect(spawnSync('sh', ['-c', restartText, 'devmode-restart']).status).toBe(0);
    await until(() => readFileSync(starts, 'utf8') === 'run\nrun\n', 'the second run');
  }, 60_000);

  it('says that no supervisor runs when there is none', () => {
    const { restart: restartText } = scripts();
    const result = spawnSync('sh', ['-c', restartText, 'devmode-restart'], { encoding: 'utf8' });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('no supervisor runs in this container');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

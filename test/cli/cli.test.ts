import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { devmodeCommand } from '../helpers/rawServer.js';
import { run, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, rolledOut, snapshot } from '../e2e/devModeHelpers.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  await apply(sandbox, 'deployment.yaml');
  await apply(sandbox, 'two-containers.yaml');
  await rolledOut(sandbox, 'deployment/ratings');
  await rolledOut(sandbox, 'deployment/shop');
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

/** The CLI under test: the npm bin, or the single executable when DEVMODE_TEST_BIN names it. */
const cli = devmodeCommand();

function devmode(args: string[], env: NodeJS.ProcessEnv = sandbox.env) {
  return run(cli.command, [...cli.args, ...args], { env, timeoutMs: 60_000 });
}

function project(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'devmode-cli-'));
  writeFileSync(join(dir, 'devmode.yaml'), yaml);
  return dir;
}

describe('CLI without a cluster', () => {
  test('with no kubeconfig at all, the hint also offers a local sandbox cluster', async () => {
    const home = mkdtempSync(join(tmpdir(), 'devmode-cli-home-'));
    const result = await devmode(['list'], { ...process.env, HOME: home, KUBECONFIG: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Kubeconfig ${join(home, '.kube', 'config')}: no such file`);
    expect(result.stderr).toContain(
      'hint: Point KUBECONFIG (or the kubeconfig option of initialize) at a valid kubeconfig file, or try devmode ' +
        'on a local sandbox cluster: run `devmode sandbox start`, then set KUBECONFIG to the kubeconfig it prints.',
    );
  });

  test('the npm bin checks the Node version first and says which Node it needs and how to get it', async () => {
    const { nodeVersionProblem } = await import('../../server/bin/nodeVersion.mjs');
    expect(nodeVersionProblem('24.0.0', '/x/node')).toBeUndefined();
    expect(nodeVersionProblem('25.1.0', '/x/node')).toBeUndefined();
    const problem = nodeVersionProblem('20.20.2', '/usr/bin/node');
    expect(problem).toContain('devmode needs Node 24 or later; this is Node 20.20.2 (/usr/bin/node).');
    expect(problem).toContain('`npx devmode ...`');
    expect(problem).toContain('the single executable');
  });
  test('--version and --help', async () => {
    expect((await devmode(['--version'])).stdout).toMatch(/^devmode \d+\.\d+\.\d+\n$/);
    const help = await devmode(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve --stdio', 'sandbox start', 'start <kind>/<name>', 'config validate', 'Exit codes']) {
      expect(help.stdout).toContain(command);
    }
  });

  test('an unknown command or a bad target is a usage error (exit 2)', async () => {
    const unknown = await devmode(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badTarget = await devmode(['stop', 'ratings']);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('expected <kind>/<name>');
    const badFlag = await devmode(['list', '--colour']);
    expect(badFlag.code).toBe(2);
  });

  test('exec, logs and a port-forward to a pod honour --context like every other command', async () => {
    for (const args of [
      ['exec', 'some-pod', '--context', 'no-such-context', '--', 'true'],
      ['logs', 'some-pod', '--context', 'no-such-context'],
      ['port-forward', 'some-pod', '0:80', '--context', 'no-such-context'],
    ]) {
      const result = await devmode(args);
      expect(result.code, `devmode ${args.join(' ')}`).not.toBe(0);
      expect(result.stderr, `devmode ${args.join(' ')}`).toContain('context "no-such-context" not found');
    }
  });

  test('config validate names the file, line and field; config schema is JSON Schema', async () => {
    const valid = await devmode([
      'config',
      'validate',
      '--dir',
      project('image: devmode/dev\nportForward: ["8080:9080"]\n'),
    ]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('is valid');
    const dir = project('image: devmode/dev\nportForward: ["99999"]\n');
    const invalid = await devmode(['config', 'validate', '--dir', dir, '--output', 'json']);
    expect(invalid.code).toBe(1);
    const event = JSON.parse(invalid.stdout) as { event: string; file: string; line: number; field: string };
    expect(event).toMatchObject({ event: 'error', file: join(dir, 'devmode.yaml'), line: 2, field: 'portForward[0]' });
    const schema = JSON.parse((await devmode(['config', 'schema'])).stdout) as {
      $schema: string;
      properties: Record<string, unknown>;
    };
    expect(schema.$schema).toContain('2020-12');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['image', 'workDir', 'sync', 'portForward']));
  });
});

describe('CLI against the sandbox', () => {
  test('list, stop and reset say clearly when nothing is in DevMode', async () => {
    const list = await devmode(['list']);
    expect(list).toMatchObject({ code: 0, stdout: 'No workload is in DevMode.\n' });
    const stop = await devmode(['stop', 'deploy/ratings']);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain('is not in DevMode');
  });

  test('start stays attached, Ctrl-C (SIGINT without a terminal) ends DevMode and restores the workload', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const child = spawn(
      cli.command,
      [...cli.args, 'start', 'deploy/ratings', '--dir', project('image: devmode/dev\n'), '--output', 'json'],
      {
        env: sandbox.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const started = new Promise<{ pod: string }>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const result = stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { event: string; result?: { pod: string } })
          .find((event) => event.event === 'result');
        if (result?.result !== undefined) resolve(result.result);
      });
    });
    const { pod } = await started;
    const events = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event: string; phase?: string });
    expect(events.filter((e) => e.event === 'phase').map((e) => e.phase)).toEqual(
      expect.arrayContaining(['1. Replace image', '2. Replace container and restart the pod']),
    );
    // The attached `devmode start` owns the session; this `devmode list` is another server, so not `mine`.
    const listed = await devmode(['list', '--output', 'json']);
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({
      event: 'result',
      result: { sessions: [expect.objectContaining({ mine: false, state: 'running' })] },
    });
    const refused = await devmode(['stop', 'deploy/ratings']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('another devmode server of yours');

    const exec = await devmode(['exec', pod, '--', 'sh', '-c', 'echo from $(pwd); exit 3']);
    expect(exec.code).toBe(3);
    expect(exec.stdout.replace(/\r/g, '')).toContain('from /home/devmode');

    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });

  test('start shows each container in DevMode; exec and logs -c reach each one; Ctrl-C restores all', async () => {
    const before = await snapshot(sandbox, 'deployment', 'shop');
    const dir = project(
      'image: devmode/dev\nworkDir: /srv/web\ncontainers:\n  worker:\n    dev: true\n    image: devmode/dev\n' +
        '    workDir: /srv/worker\n    command: [sh, -c, "echo worker dev log; exec sleep 3600"]\n',
    );
    const child = spawn(cli.command, [...cli.args, 'start', 'deploy/shop', '--dir', dir], {
      env: sandbox.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('press Ctrl-C')) resolve();
      }),
    );
    const pod = /DevMode is running: pod (\S+), containers web, worker\n/.exec(stdout)?.[1];
    expect(pod, stdout).toBeDefined();
    expect(stdout).toContain(`  web: ${dir} -> /srv/web (send)\n`);
    expect(stdout).toContain('  worker: /srv/worker, no file sync\n');
    expect(stdout).toContain(`devmode exec ${pod ?? ''} -n default -c worker -- sh`);

    const inWorker = await devmode(['exec', pod ?? '', '-c', 'worker', '--', 'sh', '-c', 'echo in $(pwd)']);
    expect(inWorker.stdout.replace(/\r/g, '')).toContain('in /srv/worker');
    const logs = await devmode(['logs', pod ?? '', '-c', 'worker']);
    expect(logs.stdout).toContain('worker dev log');

    child.kill('SIGINT');
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(0);
    expect(await snapshot(sandbox, 'deployment', 'shop')).toBe(before);
  });

  test('start prints how to attach the debugger, and each onSync run with its output', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const dir = project(
      'image: devmode/dev\ndebug: {port: 9229, kind: node}\n' +
        'onSync: {match: "*.txt", exec: [sh, -c, "echo built from $(cat notes.txt)"]}\n',
    );
    const child = spawn(cli.command, [...cli.args, 'start', 'deploy/ratings', '--dir', dir], {
      env: sandbox.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const printed = (text: string): Promise<void> =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!stdout.includes(text)) return;
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    await printed('press Ctrl-C');
    expect(stdout).toMatch(
      new RegExp(
        `attach a node debugger to 127\\.0\\.0\\.1:\\d+ \\(container ratings\\), remote root /home/devmode, local root ${dir}`,
      ),
    );
    writeFileSync(join(dir, 'notes.txt'), 'the notes\n');
    await printed('onSync: rule 0 command, run 1, succeeded');
    // The run's output follows on the onSync stream.
    await printed('  | built from the notes\n');
    child.kill('SIGINT');
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(0);
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });

  test('reset restores a workload left in DevMode by a killed CLI', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const child = spawn(
      cli.command,
      [...cli.args, 'start', 'deploy/ratings', '--dir', project('image: devmode/dev\n')],
      {
        env: sandbox.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('DevMode is running') && resolve()),
    );
    child.kill('SIGKILL');
    const reset = await devmode(['reset', 'deploy/ratings']);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('Deployment ratings reset');
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });
});

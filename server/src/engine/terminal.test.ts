/**
 * The shell choice of remote terminals. An image without bash (or without any shell) cannot be built in the
 * sandbox, whose pods see the host's programs, so the exec seam is driven directly here.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ExecTarget, RemoteProcess } from '../kube/exec.js';
import type { KubeObject, ObjectClient } from '../kube/objects.js';
import { MissingShellError, Terminals, type TerminalCluster } from './terminal.js';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { containers: [{ name: 'app' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
};

const objects = { get: () => Promise.resolve(pod) } as unknown as ObjectClient;

function finished(exitCode: number): RemoteProcess {
  const stdout = new PassThrough();
  stdout.end();
  const stderr = new PassThrough();
  stderr.end();
  return {
    stdin: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    stdout,
    stderr,
    exit: Promise.resolve({ exitCode }),
    resize: () => undefined,
    close: () => undefined,
  };
}

/** A container that has only the programs in `installed`; a missing one exits 127, as a shell reports it. */
function clusterWith(installed: string[]): { cluster: TerminalCluster; runs: { command: string[]; tty: boolean }[] } {
  const runs: { command: string[]; tty: boolean }[] = [];
  const cluster: TerminalCluster = {
    objects,
    exec: (_target: ExecTarget, command, options) => {
      runs.push({ command, tty: options.tty === true });
      return Promise.resolve(finished(installed.includes(command[0]!) ? 0 : 127));
    },
  };
  return { cluster, runs };
}

const events = { output: () => undefined, exit: () => undefined };
const target = { namespace: 'shop', pod: 'web' };

describe('remote terminal shell', () => {
  it('runs bash when the image has it', async () => {
    const { cluster, runs } = clusterWith(['bash', 'sh']);
    await new Terminals(() => Promise.resolve(cluster), events).open({ target, cols: 80, rows: 24 });
    expect(runs.filter((run) => run.tty).map((run) => run.command)).toEqual([['bash']]);
  });

  it('falls back to sh when bash is missing', async () => {
    const { cluster, runs } = clusterWith(['sh']);
    await new Terminals(() => Promise.resolve(cluster), events).open({ target, cols: 80, rows: 24 });
    expect(runs.filter((run) => run.tty).map((run) => run.command)).toEqual([['sh']]);
  });

  it('fails with MissingShellError, naming the shells tried, when the image has none', async () => {
    const { cluster, runs } = clusterWith([]);
    const opening = new Terminals(() => Promise.resolve(cluster), events).open({ target, cols: 80, rows: 24 });
    await expect(opening).rejects.toBeInstanceOf(MissingShellError);
    await expect(opening).rejects.toThrow(/bash, sh/);
    expect(runs.some((run) => run.tty)).toBe(false);
  });

  it('runs a given command as is, without looking for a shell', async () => {
    const { cluster, runs } = clusterWith([]);
    await new Terminals(() => Promise.resolve(cluster), events).open({ target, cols: 80, rows: 24, command: ['top'] });
    expect(runs).toEqual([{ command: ['top'], tty: true }]);
  });
});

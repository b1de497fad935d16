/**
 * `npm run demo` on a machine that has none of the programs the sandbox and the demo once needed: bubblewrap,
 * python3, openssl and socat cannot be found (hidden in a private mount namespace, for the demo and for its pods),
 * and HOME is a fresh, empty directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { withHidden } from '../helpers/hidden.js';
import { devmodeCommand } from '../helpers/rawServer.js';
import { run } from '../helpers/sandbox.js';

const MISSING = ['bwrap', 'python3', 'python', 'openssl', 'socat'];

describe('the demo on a fresh machine', () => {
  test('the hidden programs cannot be run in that environment', async () => {
    const [file, args] = withHidden(MISSING, [
      '/bin/sh',
      '-c',
      'for p in bwrap python3 openssl socat; do if "$p" --version >/dev/null 2>&1; then echo "$p runs"; fi; done',
    ]);
    const result = await run(file, args);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  test('runs end to end without bubblewrap, python3, openssl or socat, with a fresh HOME', async () => {
    const home = mkdtempSync(join(tmpdir(), 'devmode-demo-home-'));
    try {
      const cli = devmodeCommand();
      const [file, args] = withHidden(MISSING, [cli.command, ...cli.args, 'demo']);
      const result = await run(file, args, {
        env: { ...process.env, HOME: home, KUBECONFIG: '', XDG_CACHE_HOME: '' },
        timeoutMs: 240_000,
      });
      const output = `${result.stdout}${result.stderr}`;
      expect(output).toContain('sandbox started');
      expect(output).toContain('ratings is running with 2 ready replicas');
      expect(output).toContain('after:  <h1>ratings, version 2 (edited locally)</h1>');
      expect(output).toContain('✓ Deployment ratings is exactly as it was before DevMode');
      expect(output).toContain('Done. Everything the demo started is stopped.');
      expect(output).not.toContain('✗');
      expect(result.code).toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 300_000);
});

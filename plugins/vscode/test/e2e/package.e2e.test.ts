/**
 * The packaged extension: `npm run package:vscode` writes a .vsix that carries the single-binary server, and
 * code-server installs it with the server runnable from the installed folder (where the extension looks for it
 * when `devmode.serverPath` is empty).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..', '..', '..');
const toolsDir = process.env.DEVMODE_TOOLS_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'devmode-tools');
const codeServer = join(toolsDir, 'code-server-4.100.3', 'node_modules', '.bin', 'code-server');
const scratch = mkdtempSync(join(tmpdir(), 'devmode-vscode-package-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the .vsix', () => {
  it('installs into code-server with the devmode server inside', () => {
    if (!existsSync(codeServer))
      throw new Error(`code-server is not installed at ${codeServer}: run plugins/vscode/test/install-prereqs.sh`);
    const packaged = spawnSync('npm', ['run', 'package:vscode'], { cwd: root, encoding: 'utf8' });
    expect(packaged.status, packaged.stdout + packaged.stderr).toBe(0);
    const vsix = join(root, 'dist', 'devmode-vscode.vsix');
    console.log(`  dist/devmode-vscode.vsix: ${(statSync(vsix).size / 1e6).toFixed(1)} MB`);

    const env = {
      ...process.env,
      HOME: scratch,
      XDG_CONFIG_HOME: join(scratch, 'config'),
      PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`,
    };
    const extensions = join(scratch, 'extensions');
    const codeServerArgs = ['--user-data-dir', join(scratch, 'user-data'), '--extensions-dir', extensions];
    const installed = spawnSync(codeServer, [...codeServerArgs, '--install-extension', vsix], {
      env,
      encoding: 'utf8',
    });
    expect(installed.status, installed.stdout + installed.stderr).toBe(0);
    const listed = spawnSync(codeServer, [...codeServerArgs, '--list-extensions', '--show-versions'], {
      env,
      encoding: 'utf8',
    });
    expect(listed.stdout).toContain('devmode.devmode-vscode@0.1.0');

    const folder = readdirSync(extensions).find((name) => name.startsWith('devmode.devmode-vscode-'));
    expect(folder).toBeDefined();
    const server = spawnSync(join(extensions, folder ?? '', 'dist', 'devmode'), ['--version'], { encoding: 'utf8' });
    expect(server.stdout).toMatch(/^devmode \d+\.\d+\.\d+/);
  });
});

/**
 * What the code-server suites share: where code-server, chromium and the built server are, building the extension,
 * starting code-server with the extension loaded from this folder, and the workbench gestures a person makes (a
 * tree row, its context menu).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { waitUntil } from '../../../../test/e2e/devModeHelpers.js';
import { freePort } from '../../../../test/helpers/freePort.js';

export { freePort };

export const pluginDir = resolve(import.meta.dirname, '..', '..');
export const root = resolve(pluginDir, '..', '..');
export const results = join(pluginDir, 'test-results');
const toolsDir = process.env.DEVMODE_TOOLS_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'devmode-tools');
const codeServer = join(toolsDir, 'code-server-4.100.3', 'node_modules', '.bin', 'code-server');
const chromiumPath = '/usr/bin/chromium';
export const serverBinary = join(root, 'dist', 'devmode');

/** Fails with what to run when code-server or chromium is missing, then builds the single binary and the extension. */
export function prepare(): void {
  if (!existsSync(codeServer))
    throw new Error(`code-server is not installed at ${codeServer}: run plugins/vscode/test/install-prereqs.sh`);
  if (!existsSync(chromiumPath))
    throw new Error(
      `${chromiumPath} is missing: run plugins/vscode/test/install-prereqs.sh (apt-get install chromium)`,
    );
  mkdirSync(results, { recursive: true });
  for (const [what, args] of [
    ['the single binary', [join(root, 'build', 'buildBinary.mjs'), '--if-stale']],
    ['the extension', [join(pluginDir, 'build.mjs')]],
  ] as const) {
    const built = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building ${what} failed:\n${built.stdout}${built.stderr}`);
  }
}

/** The text of an xterm or Monaco element; Monaco renders spaces as U+00A0. */
export async function textOf(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\u00a0/g, ' ');
}

/** The processes of the devmode server this run started, found by the binary they run. */
export function serverPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline[0] === serverBinary && cmdline[1] === 'serve') pids.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

export interface Workbench {
  page: Page;
  browser: BrowserContext;
  codeServer: ChildProcess;
}

/**
 * Starts code-server on a free port with `settings` (the devmode server is `serverBinary`), opens `workspace` in
 * chromium with the extension loaded from this folder, and waits for the workbench. code-server's output goes to
 * test-results/`logName` when it exits.
 */
export async function openWorkbench(options: {
  scratch: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  logName: string;
  settings?: Record<string, unknown>;
}): Promise<Workbench> {
  const { scratch, workspace } = options;
  const userData = join(scratch, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'devmode.serverPath': serverBinary,
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'terminal.integrated.gpuAcceleration': 'off',
      'workbench.tips.enabled': false,
      'chat.commandCenter.enabled': false,
      ...options.settings,
    }),
  );
  const port = await freePort();
  // code-server 4.100.3 runs on the machine's Node 20, not the project's Node 24 that npm puts first on PATH.
  const env = { ...options.env, PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}` };
  const child = spawn(
    codeServer,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir',
      userData,
      '--extensions-dir',
      join(scratch, 'extensions'),
      workspace,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.on('exit', () => writeFileSync(join(results, options.logName), output));
  await waitUntil(async () => Promise.resolve(output.includes('HTTP server listening')), 60_000, 'code-server');

  const browser = await chromium.launchPersistentContext(join(scratch, 'browser'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const payload = JSON.stringify([['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${pluginDir}`]]);
  await page.goto(
    `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`,
  );
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  return { page, browser, codeServer: child };
}

/** Closes the browser and code-server, and waits for the devmode server the extension host ran to exit. */
export async function closeWorkbench(workbench: Partial<Workbench>): Promise<void> {
  await workbench.browser?.close();
  if (workbench.codeServer?.pid !== undefined) {
    try {
      process.kill(-workbench.codeServer.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  // The extension host ends its server on shutdown; a server left behind would hold the sandbox's pods.
  await waitUntil(async () => Promise.resolve(serverPids().length === 0), 15_000, 'the devmode server to exit').catch(
    () => {
      for (const pid of serverPids()) process.kill(pid, 'SIGKILL');
    },
  );
}

/** A row of any tree view, by its label. */
export function treeRowOf(page: Page, label: string | RegExp): Locator {
  return page
    .locator('.monaco-list-row[role="treeitem"]')
    .filter({ has: page.locator('.label-name', { hasText: label }) });
}

/**
 * Runs a context-menu entry of a row and waits for `effect`, the first thing a person would see happen. A tree
 * that re-renders (the server reported a change) closes an open menu, as it would for a person, who would open it
 * again: so does this, up to three times.
 */
export async function contextMenuOf(page: Page, row: Locator, item: string, effect: Locator): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await row.click({ button: 'right' });
    const menu = page.locator('.monaco-menu').first();
    const entry = menu.locator('.action-item .action-label', { hasText: new RegExp(`^${item}$`) }).first();
    await entry.hover();
    // A menu ignores the mouse for a moment after it opens; Enter on the hovered entry runs it then.
    await entry.click();
    try {
      await menu.waitFor({ state: 'hidden', timeout: 3_000 });
    } catch {
      await page.keyboard.press('Enter');
      await menu.waitFor({ state: 'hidden', timeout: 10_000 });
    }
    try {
      await effect.first().waitFor({ timeout: 20_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/**
 * Runs Stop DevMode from `row`'s context menu and waits until the Sessions view counts no session; the caller then
 * checks the workload with kubectl. `session` is the session's row, which shows `stopping` first.
 */
export async function stopDevModeFrom(page: Page, row: Locator, session = /^deployment\/ratings$/): Promise<void> {
  const sessionsGroup = treeRowOf(page, /^DevMode sessions$/);
  const noSession = sessionsGroup.filter({ hasText: /sessions\s*0$/ });
  await contextMenuOf(
    page,
    row,
    'Stop DevMode',
    treeRowOf(page, session).filter({ hasText: 'stopping' }).or(noSession),
  );
  await waitUntil(
    async () => /sessions\s*0$/.test((await sessionsGroup.innerText()).trim()),
    240_000,
    'the session to end',
  );
}

/** A row of the Clusters view only: the Sessions view has rows of the same name (a session's containers). */
export function clusterRowOf(page: Page, label: string | RegExp): Locator {
  return page
    .locator('.pane')
    .filter({ has: page.locator('.pane-header', { hasText: /^Clusters/i }) })
    .locator('.monaco-list-row[role="treeitem"]')
    .filter({ has: page.locator('.label-name', { hasText: label }) });
}

/**
 * Expands the Clusters view's first context, then each of `path` but the last, until the last row shows (e.g. the
 * `default` namespace, its Deployments, down to `ratings`).
 */
export async function expandClusters(page: Page, path: readonly RegExp[]): Promise<void> {
  const levels = [undefined, ...path];
  for (const [i, level] of levels.slice(0, -1).entries()) {
    const row =
      level === undefined
        ? page.locator('.monaco-list-row[role="treeitem"][aria-level="1"]').first()
        : clusterRowOf(page, level);
    const next = levels[i + 1];
    if (next === undefined) continue;
    const child = clusterRowOf(page, next);
    await row.waitFor({ timeout: 60_000 });
    // A click on a row the tree is re-rendering (its first children arriving) is lost: the row stays collapsed.
    // Click again until it is expanded; an expanded row whose children are still loading is left alone.
    const deadline = Date.now() + 60_000;
    while (!(await child.isVisible())) {
      if (Date.now() > deadline) throw new Error(`the tree row ${String(level)} never showed ${String(next)}`);
      if ((await row.getAttribute('aria-expanded').catch(() => null)) !== 'true')
        await row.click({ timeout: 5_000 }).catch(() => undefined);
      await child.waitFor({ timeout: 5_000 }).catch(() => undefined);
    }
  }
}

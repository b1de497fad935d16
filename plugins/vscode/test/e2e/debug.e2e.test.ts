/**
 * Attach Debugger end to end in a real VS Code: code-server runs the extension from this folder, DevMode starts a
 * node dev command under the inspector (`debug: {port: 9229, kind: node}` in devmode.yaml), the Sessions view shows
 * the container with its debugger, and "Attach Debugger" on that row attaches VS Code's built-in js-debug through
 * the forwarded debug port: a request to the app stops at a breakpoint set in the local handler.js (bound to the
 * synced copy in the container through localRoot/remoteRoot), then at its `debugger` statement, and answers once
 * continued. Screenshots go to plugins/vscode/test-results/debug-*.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../../../../test/helpers/sandbox.js';
import { apply, rolledOut, snapshot, waitUntil } from '../../../../test/e2e/devModeHelpers.js';
import {
  closeWorkbench,
  clusterRowOf,
  contextMenuOf,
  expandClusters,
  freePort,
  openWorkbench,
  prepare,
  results,
  stopDevModeFrom,
  textOf,
  treeRowOf,
  type Workbench,
} from './workbench.js';

let sandbox: TestSandbox | undefined;
let workbench: Partial<Workbench> = {};
let page: Page;
let scratch: string;
let workspace: string;
let appPort: number;
let debugPort: number;
let before: string;

/** A GET whose answer may take long: the program is paused at a breakpoint until the debugger resumes it. */
function slowGet(port: number, path: string): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const sent = request({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolveBody(body));
    });
    sent.on('error', reject);
    sent.end();
  });
}

function treeRow(label: string | RegExp): Locator {
  return treeRowOf(page, label);
}

async function contextMenu(row: Locator, item: string, effect: Locator): Promise<void> {
  await contextMenuOf(page, row, item, effect);
}

const handler = [
  'module.exports = function handle(name) {',
  "  const greeting = 'hello ' + name;",
  '  debugger;',
  '  return greeting;',
  '};',
  '',
].join('\n');

describe('Attach Debugger in code-server', () => {
  beforeAll(async () => {
    prepare();
    sandbox = await startTestSandbox();
    await apply(sandbox, 'deployment.yaml');
    await rolledOut(sandbox, 'deployment/ratings');
    before = await snapshot(sandbox, 'deployment', 'ratings');

    scratch = mkdtempSync(join(tmpdir(), 'devmode-vscode-debug-'));
    workspace = join(scratch, 'ratings');
    mkdirSync(workspace);
    appPort = await freePort();
    debugPort = await freePort();
    writeFileSync(
      join(workspace, 'devmode.yaml'),
      [
        'image: devmode/dev',
        'command: ["node", "server.js"]',
        // The debug port gets a free local port too (unforwarded, it would be forwarded on 9229).
        `portForward: ["${appPort}:8080", "${debugPort}:9229"]`,
        'debug: {port: 9229, kind: node}',
        // The dev command starts before the first sync brings its files: the sync restarts it.
        'onSync: {match: "*.js", restart: true}',
        '',
      ].join('\n'),
    );
    writeFileSync(join(workspace, 'handler.js'), handler);
    writeFileSync(
      join(workspace, 'server.js'),
      "const handle = require('./handler.js');\n" +
        "require('node:http').createServer((req, res) => res.end(handle(req.url.slice(1)))).listen(8080, '0.0.0.0');\n",
    );
    const opened = await openWorkbench({
      scratch,
      workspace,
      env: sandbox.env,
      logName: 'debug-code-server.log',
      settings: { 'debug.openDebug': 'openOnDebugBreak' },
    });
    workbench = opened;
    page = opened.page;
  });

  afterAll(async () => {
    await closeWorkbench(workbench);
    await sandbox?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('shows the container with its debugger, and stops at a breakpoint and a debugger statement in synced code', async () => {
    try {
      await attachAndStop();
    } catch (error) {
      await page.screenshot({ path: join(results, 'debug-failed.png') }).catch(() => undefined);
      throw error;
    }
  });
});

async function attachAndStop(): Promise<void> {
  await page.locator('.activitybar .action-item a[aria-label^="DevMode"]').click();
  await expandClusters(page, [/^default$/, /^Deployments$/, /^ratings$/]);
  await contextMenu(
    clusterRowOf(page, /^ratings$/),
    'Start DevMode',
    page.locator('.notification-toast').filter({ hasText: /DevMode/ }),
  );
  await page.locator('.notification-toast').filter({ hasText: 'DevMode is running' }).waitFor({ timeout: 240_000 });

  // The session's row holds one row per container: its sync state and its debugger on the forwarded port.
  const container = page
    .locator('.monaco-list-row[role="treeitem"][aria-level="3"]')
    .filter({ has: page.locator('.label-name', { hasText: /^ratings$/ }) })
    .filter({ hasText: /node debugger :\d+/ });
  await container.waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(results, 'debug-container-row.png') });
  const description = await textOf(container);
  expect(description).toContain(`node debugger :${debugPort}`);
  expect(description).toMatch(new RegExp(`127\\.0\\.0\\.1:${appPort}→8080`));

  // The app answers once the sync brought its files and restarted it under the inspector.
  await waitUntil(
    async () => {
      try {
        return (await (await fetch(`http://127.0.0.1:${appPort}/ready`)).text()) === 'hello ready';
      } catch {
        return false;
      }
    },
    120_000,
    'the app to answer through its forward',
  );
  // A breakpoint set in the local handler.js, on the line before the debugger statement.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill('handler.js');
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'handler.js' }).first().click();
  await page.locator('.editor-instance .view-lines').first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').fill(':2');
  await page.keyboard.press('Enter');
  await page.keyboard.press('F9');
  await page.locator('.editor-instance .codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });

  const debugToolbar = page.locator('.debug-toolbar');
  await contextMenu(container, 'Attach Debugger', debugToolbar);
  // The Breakpoints view shows the breakpoint bound where the container's V8 placed it (line:column) once js-debug
  // has mapped the local file to the synced one; a request before that would run past it.
  await page.keyboard.press('Control+Shift+D');
  await page
    .locator('.debug-breakpoints .monaco-list-row')
    .filter({ hasText: 'handler.js' })
    .filter({ hasText: /handler\.js\s*2:\d+/ })
    .waitFor({ timeout: 30_000 });
  const answer = slowGet(appPort, '/world');
  // Awaited below; a failure before then must not also surface as an unhandled rejection.
  answer.catch(() => undefined);

  // The breakpoint set in the local file binds to the synced one in the container: the request pauses there.
  const callStack = page.locator('.debug-call-stack');
  const pausedOn = async (reason: RegExp, what: string): Promise<void> => {
    let seen = '';
    await waitUntil(
      async () => {
        seen = await textOf(callStack).catch(() => '');
        return reason.test(seen);
      },
      60_000,
      what,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; the call stack shows: ${seen}`);
    });
  };
  await pausedOn(/paused on breakpoint/i, 'the pause at the breakpoint in the local handler.js');
  await page.screenshot({ path: join(results, 'debug-paused.png') });
  expect(await textOf(callStack)).toMatch(/handle/);
  const continueButton = page.locator('.debug-toolbar .action-label.codicon-debug-continue');
  await continueButton.click();
  await pausedOn(/paused on debugger statement/i, 'the pause at the debugger statement');

  // Continue: the request paused in the debugger gets its answer.
  await continueButton.click();
  expect(await answer).toBe('hello world');
  await page.locator('.debug-toolbar .action-label.codicon-debug-disconnect').click();
  await debugToolbar.waitFor({ state: 'hidden', timeout: 30_000 });

  // Stopping restores the workload exactly.
  await page.locator('.activitybar .action-item a[aria-label^="DevMode"]').click();
  await stopDevModeFrom(page, treeRow(/^deployment\/ratings$/));
  if (sandbox === undefined) throw new Error('no sandbox');
  await rolledOut(sandbox, 'deployment/ratings');
  expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
}

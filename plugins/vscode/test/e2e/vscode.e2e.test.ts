/**
 * The extension end to end in a real VS Code: code-server runs the extension from this folder in its real
 * extension host, Debian's chromium (through playwright-core) clicks through the workbench as a person would, and
 * the sandbox cluster and the built single binary do the rest. Every step writes a screenshot to
 * plugins/vscode/test-results/ and its time to test-results/steps.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../../../../test/helpers/sandbox.js';
import { apply, kubectlJson, rolledOut, snapshot, waitUntil } from '../../../../test/e2e/devModeHelpers.js';
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
  serverPids,
  textOf,
  treeRowOf,
  type Workbench,
} from './workbench.js';

const steps: { step: string; seconds: number }[] = [];
let sandbox: TestSandbox | undefined;
let workbench: Partial<Workbench> = {};
let page: Page;
let workspace: string;
let scratch: string;
let forwardPort: number;
let before: string;
/** The `stuck` Deployment as deployed: its pods wait in an init container forever. */
let stuckBefore: string;

/** A Deployment whose pod never gets past its init container, so a DevMode start on it waits until cancelled. */
const stuckDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: stuck }
spec:
  replicas: 1
  selector: { matchLabels: { app: stuck } }
  template:
    metadata: { labels: { app: stuck } }
    spec:
      initContainers:
        - { name: wait, image: busybox, command: ['sleep', '3600'] }
      containers:
        - { name: main, image: busybox, command: ['sleep', '3600'] }
`;

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } catch (error) {
    // What the screen showed when the step failed, to tell a UI problem from a server one.
    if (page !== undefined)
      await page.screenshot({ path: join(results, `failed-${name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
    throw error;
  } finally {
    steps.push({ step: name, seconds: (Date.now() - started) / 1000 });
  }
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(results, `${name}.png`) });
}

/** A row of either view by its label, e.g. `deployment/ratings` in the Sessions view. */
function treeRow(label: string | RegExp): Locator {
  return treeRowOf(page, label);
}

/** A row of the Clusters view only: the Sessions view has rows of the same name (a session's containers). */
function clusterRow(label: string | RegExp): Locator {
  return clusterRowOf(page, label);
}

/** Runs a context-menu entry of a row and waits for `effect` (see contextMenuOf). */
async function contextMenu(row: Locator, item: string, effect: Locator): Promise<void> {
  await contextMenuOf(page, row, item, effect);
}

/** Opens the DevMode container in the side bar; clicking its icon while it shows would close it. */
async function showDevModeView(): Promise<void> {
  if (await page.locator('.pane-header', { hasText: /^Clusters/i }).isVisible()) return;
  await page.locator('.activitybar .action-item a[aria-label^="DevMode"]').click();
}

/** Expands the current context, the default namespace and its Deployments, down to the ratings row. */
async function expandToRatings(): Promise<void> {
  await expandClusters(page, [/^default$/, /^Deployments$/, /^ratings$/]);
}

async function runCommand(title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first().click();
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Picks an entry of the sync status bar item's quick pick, e.g. `Pause` or `Flush`. */
async function syncAction(action: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.locator('.statusbar-item').filter({ hasText: 'DevMode sync' }).click();
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: action }).first().click();
}

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string };
    spec: { containers: { image: string }[] };
    status: { phase?: string };
  }[];
}

/** The running pods of ratings, the dev pod included, as kubectl lists them. */
async function ratingsPods(): Promise<PodList['items']> {
  if (sandbox === undefined) throw new Error('no sandbox');
  const pods = await kubectlJson<PodList>(sandbox, ['get', 'pods', '-l', 'app=ratings']);
  return pods.items.filter((pod) => pod.status.phase === 'Running' && pod.metadata.deletionTimestamp === undefined);
}

describe('the DevMode extension in code-server', () => {
  beforeAll(async () => {
    rmSync(results, { recursive: true, force: true });
    prepare();

    sandbox = await step('start the sandbox and deploy ratings', async () => {
      const started = await startTestSandbox();
      await apply(started, 'deployment.yaml');
      const stuck = await started.kubectl(['apply', '-f', '-'], { input: stuckDeployment });
      if (stuck.code !== 0) throw new Error(`kubectl apply stuck failed: ${stuck.stderr}`);
      await rolledOut(started, 'deployment/ratings');
      return started;
    });
    before = await snapshot(sandbox, 'deployment', 'ratings');
    stuckBefore = await snapshot(sandbox, 'deployment', 'stuck');

    scratch = mkdtempSync(join(tmpdir(), 'devmode-vscode-e2e-'));
    workspace = join(scratch, 'ratings');
    mkdirSync(workspace);
    forwardPort = await freePort();
    writeFileSync(
      join(workspace, 'devmode.yaml'),
      ['image: devmode/dev', 'command: ["serve", "9080"]', `portForward: ["${forwardPort}:9080"]`, ''].join('\n'),
    );
    writeFileSync(join(workspace, 'index.html'), '<h1>ratings, version 1</h1>\n');
    await step('start code-server and open the workbench', async () => {
      if (sandbox === undefined) throw new Error('no sandbox');
      const opened = await openWorkbench({ scratch, workspace, env: sandbox.env, logName: 'code-server.log' });
      workbench = opened;
      page = opened.page;
    });
  });

  afterAll(async () => {
    writeFileSync(join(results, 'steps.json'), `${JSON.stringify(steps, null, 2)}\n`);
    for (const { step: name, seconds } of steps) console.log(`  ${seconds.toFixed(1).padStart(6)} s  ${name}`);
    await closeWorkbench(workbench);
    await sandbox?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('shows the sample Deployment in the Clusters tree', async () => {
    await step('tree shows deployment ratings', async () => {
      await showDevModeView();
      await expandToRatings();
    });
    await screenshot('tree');
    expect(await clusterRow(/^ratings$/).count()).toBe(1);
  });

  it('logs how long after activation the tree was shown', async () => {
    await runCommand('DevMode: Show server log');
    const output = page.locator('.panel .view-lines');
    await waitUntil(
      async () => /Clusters tree shown \d+ ms after activation/.test(await textOf(output)),
      30_000,
      'the server log',
    );
    const shown = /Clusters tree shown (\d+) ms after activation/.exec(await textOf(output));
    steps.push({ step: 'activation → tree visible (from the extension log)', seconds: Number(shown?.[1]) / 1000 });
    expect(Number(shown?.[1])).toBeGreaterThan(0);
  });

  it('starts DevMode from the context menu, with a progress notification, and the session shows running', async () => {
    await step('Start DevMode from the context menu → progress notification', async () => {
      const toast = page
        .locator('.notification-toast')
        .filter({ hasText: /DevMode/ })
        .first();
      await contextMenu(clusterRow(/^ratings$/), 'Start DevMode', toast);
      await screenshot('progress');
      expect(await toast.innerText()).toMatch(/ratings/);
    });
    await step('session shows running', async () => {
      await page.locator('.notification-toast').filter({ hasText: 'DevMode is running' }).waitFor({ timeout: 240_000 });
      const session = treeRow(/^deployment\/ratings$/);
      await session.waitFor({ timeout: 30_000 });
      await waitUntil(async () => (await session.innerText()).includes('running'), 30_000, 'the session to run');
    });
    await screenshot('session');
  });

  it('serves a local edit through the forward', async () => {
    await step('local edit served through the forward', async () => {
      const url = `http://127.0.0.1:${forwardPort}/index.html`;
      writeFileSync(join(workspace, 'index.html'), '<h1>ratings, edited in VS Code</h1>\n');
      await waitUntil(
        async () => {
          try {
            return (await (await fetch(url)).text()).includes('edited in VS Code');
          } catch {
            return false;
          }
        },
        60_000,
        'the edit to be served',
      );
    });
  });

  it('shows the sync state in the status bar', async () => {
    const item = page.locator('.statusbar-item').filter({ hasText: 'DevMode sync' });
    await item.waitFor({ timeout: 30_000 });
    await waitUntil(async () => (await item.innerText()).includes('idle'), 60_000, 'the sync to be idle');
    await screenshot('statusbar');
  });

  it('runs a command in a terminal and shows its output', async () => {
    await step('terminal runs a command', async () => {
      const rows = page.locator('.xterm-rows').last();
      await contextMenu(clusterRow(/^ratings$/), 'Open terminal', rows);
      await waitUntil(async () => (await textOf(rows)).trim().length > 0, 60_000, 'the shell prompt');
      await page.locator('.xterm').last().click();
      await page.keyboard.type('echo "devmode-$((6 * 7))-$(cat index.html | wc -l)"\n');
      await waitUntil(async () => (await textOf(rows)).includes('devmode-42-1'), 60_000, 'the command output');
      // The terminal's title names the dev pod and its container.
      const title = page.locator('.panel .composite.title');
      await waitUntil(
        async () => /ratings-[a-z0-9]+-[a-z0-9]+\/ratings/.test(await title.innerText()),
        10_000,
        'the title',
      );
    });
    await screenshot('terminal');
  });

  it('streams the logs into an output channel with the request line', async () => {
    await step('logs channel shows a request line', async () => {
      await contextMenu(
        clusterRow(/^ratings$/),
        'Show logs',
        page.locator('.panel .view-lines').filter({ hasText: /HTTP\/1\.1/ }),
      );
      await fetch(`http://127.0.0.1:${forwardPort}/index.html?from=logs-step`);
      const output = page.locator('.panel .view-lines');
      await waitUntil(
        async () => /GET \/index\.html\?from=logs-step/.test(await textOf(output)),
        60_000,
        'the request line',
      );
    });
    await screenshot('logs');
  });

  it('flushes the sync from the status bar item', async () => {
    await step('status bar → Flush', async () => {
      writeFileSync(join(workspace, 'flushed.txt'), 'flushed through the status bar\n');
      await page.locator('.statusbar-item').filter({ hasText: 'DevMode sync' }).click();
      const picks = page.locator('.quick-input-list .monaco-list-row');
      for (const action of ['Flush', 'Resync', 'Pause', 'Show errors and conflicts'])
        await picks.filter({ hasText: action }).first().waitFor({ timeout: 10_000 });
      await screenshot('sync-actions');
      await picks.filter({ hasText: 'Flush' }).first().click();
      const url = `http://127.0.0.1:${forwardPort}/flushed.txt`;
      await waitUntil(async () => (await fetch(url)).ok, 30_000, 'the flushed file to be served');
    });
  });

  it('starts a port-forward from the context menu and stops it from the Sessions view', async () => {
    await step('Port-forward… and Stop port-forward', async () => {
      const forwards = page.locator('.monaco-list-row[role="treeitem"]').filter({ hasText: /→ 9080/ });
      const before = await forwards.count();
      const input = page.locator('.quick-input-widget input');
      await contextMenu(clusterRow(/^ratings$/), 'Port-forward…', input);
      await input.fill('9080');
      await page.keyboard.press('Enter');
      await waitUntil(async () => (await forwards.count()) === before + 1, 30_000, 'the new forward in the view');
      const labels = await forwards.locator('.label-name').allInnerTexts();
      const port = labels.map((label) => Number(/:(\d+) →/.exec(label)?.[1])).find((p) => p !== forwardPort);
      expect(port).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/index.html`)).ok).toBe(true);
      await screenshot('port-forwards');
      await contextMenu(
        forwards.filter({ hasText: `:${port} →` }),
        'Stop port-forward',
        page
          .locator('.monaco-list-row[role="treeitem"]')
          .filter({ hasText: /^Port forwards/ })
          .filter({ hasText: String(before) }),
      );
      await waitUntil(async () => (await forwards.count()) === before, 30_000, 'the forward to leave the view');
    });
  });

  it('reports the server memory while a session runs', () => {
    const pids = serverPids();
    expect(pids).toHaveLength(1);
    const rss = rssMb(pids[0] ?? 0);
    steps.push({ step: `devmode server RSS with one session: ${rss} MB`, seconds: 0 });
    expect(rss).toBeGreaterThan(0);
  });

  it('stops DevMode and the workload is restored exactly', async () => {
    await step('Stop restores the workload (kubectl)', async () => {
      await showDevModeView();
      // The session leaves the Sessions view and the tree shows the workload as it was.
      const sessionsGroup = treeRow(/^DevMode sessions$/);
      const stopping = treeRow(/^deployment\/ratings$/)
        .filter({ hasText: 'stopping' })
        .or(sessionsGroup.filter({ hasText: /sessions\s*0$/ }));
      await contextMenu(clusterRow(/^ratings$/), 'Stop DevMode', stopping);
      await waitUntil(
        async () => /sessions\s*0$/.test((await sessionsGroup.innerText()).trim()),
        240_000,
        'the session to end',
      );
      await waitUntil(async () => (await clusterRow(/^ratings$/).innerText()).includes('ready'), 120_000, 'the tree');
      if (sandbox === undefined) throw new Error('no sandbox');
      await rolledOut(sandbox, 'deployment/ratings');
      expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
    });
    await screenshot('stopped');
  });

  it('opens a local terminal from the palette', async () => {
    await step('New local terminal runs a command', async () => {
      await runCommand('DevMode: New local terminal');
      const rows = page.locator('.xterm-rows').last();
      await waitUntil(async () => (await textOf(rows)).trim().length > 0, 60_000, 'the local shell prompt');
      await page.locator('.xterm').last().click();
      await page.keyboard.type('echo "local-$((2 + 3))"\n');
      await waitUntil(async () => (await textOf(rows)).includes('local-5'), 60_000, 'the local command output');
    });
  });

  it('survives the server dying: says so, restarts it and reads the tree again', async () => {
    await step('server killed → restarted, tree re-read', async () => {
      const [killed] = serverPids();
      if (killed === undefined) throw new Error('no devmode server runs');
      process.kill(killed, 'SIGKILL');
      await page
        .locator('.notification-toast')
        .filter({ hasText: 'The DevMode server stopped' })
        .waitFor({ timeout: 30_000 });
      await waitUntil(
        async () => Promise.resolve(serverPids().some((pid) => pid !== killed)),
        60_000,
        'a new devmode server',
      );
      await showDevModeView();
      await expandToRatings();
      await waitUntil(
        async () => (await clusterRow(/^ratings$/).innerText()).includes('2/2 ready'),
        60_000,
        'the tree',
      );
    });
    await screenshot('restarted');
  });

  it('cancels a start from the progress notification and the workload is restored', async () => {
    await step('Cancel on the progress notification restores the workload (kubectl)', async () => {
      // The dev pod of `stuck` never gets past its init container, and nothing about that will fail the start by
      // itself (a dev command that exits at once would: a crash loop ends the start before a person can cancel).
      writeFileSync(join(workspace, 'devmode.yaml'), 'image: devmode/dev\n');
      await showDevModeView();
      const toast = page
        .locator('.notification-toast')
        .filter({ hasText: /stuck/ })
        .filter({ has: page.getByRole('button', { name: 'Cancel' }) });
      await contextMenu(clusterRow(/^stuck$/), 'Start DevMode', toast);
      await screenshot('cancel');
      await toast.getByRole('button', { name: 'Cancel' }).click();
      // The request answers RequestCancelled, which the server log records.
      await runCommand('DevMode: Show server log');
      const output = page.locator('.panel .view-lines');
      await waitUntil(
        async () => /devmode\.startDevMode failed: .*\(code -32800\)/.test(await textOf(output)),
        120_000,
        'the start to answer RequestCancelled',
      );
      const cluster = sandbox;
      if (cluster === undefined) throw new Error('no sandbox');
      // Its pods never become ready, so there is no rollout to wait for: the spec must come back as it was.
      await waitUntil(
        async () => (await snapshot(cluster, 'deployment', 'stuck')) === stuckBefore,
        60_000,
        'the stuck Deployment to be restored',
      );
      expect(await snapshot(cluster, 'deployment', 'ratings')).toBe(before);
    });
  });

  it('shows devmode.yaml errors in the Problems panel on open, and clears them on save', async () => {
    await step('devmode.yaml error in Problems, cleared on save', async () => {
      writeFileSync(join(workspace, 'devmode.yaml'), 'image: devmode/dev\nportForward: "not-a-list"\n');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill('devmode.yaml');
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'devmode.yaml' }).first().click();
      await page.locator('.editor-instance .view-lines').first().waitFor({ timeout: 30_000 });
      await page.keyboard.press('Control+Shift+M');
      const problems = page.locator('.markers-panel');
      await waitUntil(async () => /portForward/.test(await textOf(problems)), 60_000, 'the dev config error');
      expect(await textOf(problems)).toMatch(/\[Ln 2/);
      await screenshot('problems');

      // Fixing the file in the editor and saving clears the error.
      await page.locator('.editor-instance .view-lines').first().click();
      await page.keyboard.press('Control+A');
      await page.keyboard.type('image: devmode/dev\n');
      await page.keyboard.press('Control+S');
      await waitUntil(async () => !/portForward/.test(await textOf(problems)), 60_000, 'the error to clear');
    });
  });
  it('names a terminal opened on a pod after the container the server picked', async () => {
    await step('terminal on a pod titled pod/container', async () => {
      await showDevModeView();
      const [pod] = (await ratingsPods()).map((running) => running.metadata.name);
      if (pod === undefined) throw new Error('no pod of ratings runs');
      const ratings = clusterRow(/^ratings$/);
      if ((await ratings.getAttribute('aria-expanded')) !== 'true') await ratings.click();
      // The pod's row names no container: the tab says the pod, then the container terminal/open answers.
      const titles = page
        .locator('.panel .composite.title, .panel .terminal-tabs-entry')
        .filter({ hasText: `${pod}/ratings` });
      await contextMenu(treeRow(pod), 'Open terminal', titles);
      expect(await titles.count()).toBeGreaterThan(0);
    });
    await screenshot('terminal-pod');
  });

  it('opens a two-way sync conflict as a diff of the container and local versions', async () => {
    const shared = join(workspace, 'shared.txt');
    await step('Start DevMode with two-way sync', async () => {
      writeFileSync(
        join(workspace, 'devmode.yaml'),
        [
          'image: devmode/dev',
          'command: ["serve", "9080"]',
          'workDir: /home/devmode/app',
          'sync:',
          '  mode: both',
          '',
        ].join('\n'),
      );
      writeFileSync(shared, 'the first version\n');
      await showDevModeView();
      const session = treeRow(/^deployment\/ratings$/);
      await contextMenu(clusterRow(/^ratings$/), 'Start DevMode', session);
      await waitUntil(async () => (await session.innerText()).includes('running'), 240_000, 'the session to run');
    });
    await step('conflict: pause, edit in the pod and here, resume, flush', async () => {
      const item = page.locator('.statusbar-item').filter({ hasText: 'DevMode sync' });
      await waitUntil(async () => (await item.innerText()).includes('idle'), 60_000, 'the sync to be idle');
      await syncAction('Pause');
      await waitUntil(async () => (await item.innerText()).includes('paused'), 30_000, 'the sync to pause');
      const devPod = (await ratingsPods()).find((pod) => pod.spec.containers[0]?.image === 'devmode/dev');
      if (sandbox === undefined || devPod === undefined) throw new Error('no dev pod of ratings runs');
      const written = await sandbox.kubectl([
        'exec',
        devPod.metadata.name,
        '--',
        'sh',
        '-c',
        'printf "written in the container\\n" > "$1"',
        'write',
        '/home/devmode/app/shared.txt',
      ]);
      expect(written.code, written.stderr).toBe(0);
      writeFileSync(shared, 'written in VS Code\n');
      await syncAction('Resume');
      await waitUntil(
        async () => {
          if (/1 problem/.test(await item.innerText())) return true;
          await syncAction('Flush');
          return /1 problem/.test(await item.innerText());
        },
        90_000,
        'the conflict in the status bar',
      );
    });
    await step('Show errors and conflicts → diff of both versions', async () => {
      await syncAction('Show errors and conflicts');
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'shared.txt' }).first().click();
      const diff = page.locator('.monaco-diff-editor').first();
      await diff.waitFor({ timeout: 30_000 });
      await waitUntil(
        async () => {
          const text = await textOf(diff);
          return text.includes('written in the container') && text.includes('written in VS Code');
        },
        30_000,
        'both versions in the diff editor',
      );
      await screenshot('conflict-diff');
      expect(await textOf(page.locator('.tabs-container .tab.active'))).toMatch(/shared\.txt \(container\)/);
      // The conflict overwrote neither side.
      expect(readFileSync(shared, 'utf8')).toBe('written in VS Code\n');
    });
    await step('Stop the two-way session restores the workload (kubectl)', async () => {
      await stopDevModeFrom(page, clusterRow(/^ratings$/));
      if (sandbox === undefined) throw new Error('no sandbox');
      await rolledOut(sandbox, 'deployment/ratings');
      expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
      expect(readFileSync(shared, 'utf8')).toBe('written in VS Code\n');
    });
  });
});

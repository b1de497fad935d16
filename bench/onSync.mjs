// Run on sync on the sandbox, driven over JSON-RPC as an editor does: the time from saving a file to the restarted
// dev command answering with the new code (HTTP through the session's port-forward), with `onSync: restart`. The
// baseline, measured in the same run on the same Deployment, is what it takes without it: a full devMode/stop +
// devMode/start, until the new dev pod's command answers with the new code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './devMode.mjs';
import { median, report } from './lib.mjs';
import { startSandbox } from './streamsLib.mjs';

const runs = Number(process.env.BENCH_ONSYNC_RUNS ?? 7);
const fullRuns = Number(process.env.BENCH_ONSYNC_FULL_RUNS ?? 3);
const elapsedMs = (started) => Number(process.hrtime.bigint() - started) / 1e6;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: devmode/ratings
          ports: [{containerPort: 9080}]
`;

/** A server that answers with a version it reads once, at start: only a restart changes its answer. */
const serverCode = (version) =>
  `const version = ${JSON.stringify(version)};\n` +
  `require('node:http').createServer((_q, r) => r.end(version)).listen(8080, '0.0.0.0');\n`;

function get(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.once('end', () => resolve(body));
      res.once('error', () => resolve(undefined));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

/** Polls the forwarded server until it answers `version`. */
async function answers(port, version, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await get(port)) !== version) {
    if (Date.now() > deadline) throw new Error(`the dev command never answered ${version}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function run() {
  console.log(
    `\n== Run on sync on the sandbox (medians of ${runs} saves and ${fullRuns} full restarts; baseline: devMode/stop + devMode/start) ==`,
  );
  const sandbox = await startSandbox();
  const localDir = mkdtempSync(join(tmpdir(), 'devmode-bench-onsync-'));
  writeFileSync(
    join(localDir, 'devmode.yaml'),
    'image: devmode/dev\ncommand: [node, server.js]\nportForward: ["28090:8080"]\n' +
      'onSync: {match: "*.js", restart: true}\nstartTimeoutSeconds: 60\n',
  );
  writeFileSync(join(localDir, 'server.js'), serverCode('v0'));
  let devmode;
  try {
    await sandbox.kubectl(['apply', '-f', '-'], { input: deployment });
    await sandbox.kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s'], { timeoutMs: 130_000 });
    devmode = await startServer(sandbox.env);
    const target = { namespace: 'default', kind: 'Deployment', name: 'web' };
    let session = await devmode.request('devMode/start', { target, localDir });
    let port = session.portForwards[0].localPort;
    await answers(port, 'v0');

    const saves = [];
    for (let i = 0; i <= runs; i++) {
      const version = `save-${i}`;
      const started = process.hrtime.bigint();
      writeFileSync(join(localDir, 'server.js'), serverCode(version));
      await answers(port, version);
      // The first save is not counted: it warms the exec path of the restart.
      if (i > 0) saves.push(elapsedMs(started));
    }

    const full = [];
    for (let i = 0; i < fullRuns; i++) {
      const version = `full-${i}`;
      const started = process.hrtime.bigint();
      await devmode.request('devMode/stop', { sessionId: session.sessionId });
      // Saved once the session is gone, so that only the new pod can answer with the new code.
      writeFileSync(join(localDir, 'server.js'), serverCode(version));
      session = await devmode.request('devMode/start', { target, localDir });
      port = session.portForwards[0].localPort;
      await answers(port, version);
      full.push(elapsedMs(started));
    }
    await devmode.request('devMode/stop', { sessionId: session.sessionId });
    report('save to the restarted command answering', median(saves), 'ms', 'devMode/stop+start', median(full));
    console.log(
      `  each save: ${saves.map((ms) => ms.toFixed(0)).join(', ')} ms; each stop+start: ${full.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    );
  } catch (error) {
    const state = await sandbox.kubectl(['get', 'deployments,pods', '-o', 'wide'], { check: false });
    console.error(`cluster state when the onSync benchmark failed:\n${state.stdout}${state.stderr}`);
    throw error;
  } finally {
    await devmode?.stop();
    rmSync(localDir, { recursive: true, force: true });
    await sandbox.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

/**
 * `devmode demo` (and `npm run demo`): DevMode end to end on a throw-away sandbox, driven over JSON-RPC exactly as
 * an editor plugin drives the server, printing each of the five DevMode steps as it happens. It leaves nothing
 * running: the sandbox and the server are stopped whatever happens.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxCommand } from '@devmode/sandbox';
import { Clusters } from './engine/clusters.js';
import type { KubeObject } from './kube/objects.js';
import { spawnServer, type ServerProcess } from './rpc/client.js';

const sample: KubeObject[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'ratings', namespace: 'default', labels: { app: 'ratings' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'ratings' } },
      template: {
        metadata: { labels: { app: 'ratings' } },
        spec: {
          containers: [
            {
              name: 'ratings',
              image: 'devmode/ratings',
              ports: [{ containerPort: 9080 }],
              readinessProbe: { httpGet: { path: '/health', port: 9080 }, periodSeconds: 2 },
            },
          ],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'ratings', namespace: 'default' },
    spec: { selector: { app: 'ratings' }, ports: [{ port: 9080, targetPort: 9080 }] },
  },
];

const demoPort = 18080;

const devConfig = `# The dev config of the sample project: the dev image, a dev command serving the synced folder on 9080,
# a port-forward to it, and an environment variable.
image: devmode/dev
command: ["serve", "9080"]
portForward: ["${demoPort}:9080"]
env:
  GREETING: hello from DevMode
`;

interface Notification {
  method: string;
  params: Record<string, unknown>;
}

export async function runDemo(self: { command: string; args: string[] }): Promise<number> {
  const say = (line = ''): void => void process.stdout.write(`${line}\n`);
  const stateDir = mkdtempSync(join(tmpdir(), 'devmode-demo-sandbox-'));
  const projectDir = mkdtempSync(join(tmpdir(), 'devmode-demo-project-'));
  let server: ServerProcess | undefined;
  let sandboxStarted = false;
  try {
    say('devmode demo: DevMode on the sample "ratings" service, in a local sandbox cluster\n');
    say('== Starting the sandbox cluster');
    if ((await sandboxCommand(['start', '--state-dir', stateDir], self)) !== 0) return 1;
    sandboxStarted = true;
    const kubeconfig = join(stateDir, 'kubeconfig');

    say('\n== Deploying the sample app (Deployment + Service "ratings", 2 replicas)');
    const clusters = new Clusters(() => kubeconfig);
    const cluster = await clusters.client();
    for (const object of sample) await cluster.objects.create(object);
    await waitFor(async () => {
      const deployment = await cluster.objects.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'default',
        name: 'ratings',
      });
      return ((deployment?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) >= 2;
    }, 60_000);
    const before = JSON.stringify(restorable(await getDeployment(clusters)));
    say('   ratings is running with 2 ready replicas');

    writeFileSync(join(projectDir, 'devmode.yaml'), devConfig);
    writeFileSync(join(projectDir, 'index.html'), '<h1>ratings, version 1</h1>\n');
    say(`\n== Local project folder ${projectDir}\n   devmode.yaml:`);
    for (const line of devConfig.trim().split('\n')) say(`     ${line}`);

    server = spawnServer(self, { env: { ...process.env, KUBECONFIG: kubeconfig } });
    const notifications: Notification[] = [];
    server.connection.onNotification((method: string, params: unknown) => {
      notifications.push({ method, params: params as Record<string, unknown> });
    });
    let lastPhase = '';
    server.connection.onUnhandledProgress((progress) => {
      const value = progress.value as { kind: string; message?: string };
      if (value.message === undefined) return;
      const [phase, ...rest] = value.message.split(': ');
      const step = steps[phase ?? ''];
      if (step !== undefined && phase !== lastPhase) {
        lastPhase = phase ?? '';
        say(`\n== ${step}`);
      }
      say(`   ${step !== undefined ? rest.join(': ') : value.message}`);
    });
    const rpc = server.connection;
    const init = await rpc.sendRequest<{ serverInfo: { name: string; version: string } }>('initialize', {
      clientInfo: { name: 'devmode-demo' },
      rootPath: projectDir,
    });
    await rpc.sendNotification('initialized', {});
    say(`\n== Talking JSON-RPC to ${init.serverInfo.name} ${init.serverInfo.version} over stdio, as an editor does`);

    const target = { namespace: 'default', kind: 'Deployment', name: 'ratings' };
    const started = await rpc.sendRequest<{
      sessionId: string;
      pod: string;
      container: string;
      portForwards: { localPort: number }[];
    }>('devMode/start', {
      target,
      localDir: projectDir,
      workDoneToken: 'demo-start',
    });
    say(`\n ✓ DevMode is running: pod ${started.pod}, container ${started.container}`);

    // The configured port may have been taken; DevMode then forwarded the next free one.
    const localPort = started.portForwards[0]?.localPort ?? demoPort;
    say(`\n== Editing index.html locally; the dev server in the container serves it through 127.0.0.1:${localPort}`);
    say(`   before: ${(await fetchText(`http://127.0.0.1:${localPort}/index.html`)).trim()}`);
    writeFileSync(join(projectDir, 'index.html'), '<h1>ratings, version 2 (edited locally)</h1>\n');
    const flushed = Date.now();
    await rpc.sendRequest('sync/flush', { sessionId: started.sessionId });
    say(
      `   after:  ${(await fetchText(`http://127.0.0.1:${localPort}/index.html`)).trim()}   (synced in ${Date.now() - flushed} ms)`,
    );

    say('\n== 5. Terminal and logs: a command in the dev container');
    const terminal = await rpc.sendRequest<{ terminalId: string }>('terminal/open', {
      target: { namespace: 'default', pod: started.pod, container: started.container },
      command: ['sh', '-c', 'echo "$GREETING"; echo "working directory: $(pwd)"; ls'],
      cols: 100,
      rows: 30,
    });
    const exit = await waitForNotification(
      notifications,
      (n) => n.method === 'terminal/didExit' && n.params.terminalId === terminal.terminalId,
    );
    const output = notifications
      .filter((n) => n.method === 'terminal/didOutput' && n.params.terminalId === terminal.terminalId)
      .map((n) => String(n.params.data))
      .join('');
    for (const line of output.replace(/\r/g, '').trimEnd().split('\n')) say(`   $ ${line}`);
    say(`   (exit code ${String(exit.params.exitCode)})`);

    say("\n   The dev pod's logs:");
    const logs = await rpc.sendRequest<{ streamId: string }>('logs/open', {
      target: { namespace: 'default', pod: started.pod },
      tailLines: 5,
    });
    await waitForNotification(notifications, (n) => n.method === 'logs/didEnd' && n.params.streamId === logs.streamId);
    const lines = notifications
      .filter((n) => n.method === 'logs/didAppend' && n.params.streamId === logs.streamId)
      .flatMap((n) => (n.params.lines as { text: string }[]).map((line) => line.text));
    say(lines.map((line) => `   ${line}`).join('\n'));

    say('\n== Stopping DevMode');
    await rpc.sendRequest('devMode/stop', { sessionId: started.sessionId, workDoneToken: 'demo-stop' });
    await waitFor(
      async () =>
        ((await getDeployment(clusters)).status as { readyReplicas?: number } | undefined)?.readyReplicas === 2,
      60_000,
    );
    const after = JSON.stringify(restorable(await getDeployment(clusters)));
    if (after !== before) {
      say(' ✗ the restored Deployment differs from the original');
      return 1;
    }
    say(
      ' ✓ Deployment ratings is exactly as it was before DevMode (spec, replicas, labels, annotations), 2 replicas ready',
    );

    await rpc.sendRequest('shutdown');
    await rpc.sendNotification('exit');
    await server.exited;
    say('\nDone. Everything the demo started is stopped.');
    return 0;
  } catch (error) {
    const failure = error as { message: string; data?: { hint?: string } };
    say(`\n ✗ ${failure.message}`);
    if (failure.data?.hint !== undefined) say(`   hint: ${failure.data.hint}`);
    return 1;
  } finally {
    server?.connection.dispose();
    server?.child.kill();
    if (sandboxStarted) {
      say('\n== Stopping the sandbox');
      await sandboxCommand(['stop', '--state-dir', stateDir], self);
    }
    rmSync(projectDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const steps: Record<string, string> = {
  loadConfig: 'Reading the workload and the dev config',
  replaceImage: '1. Replace image',
  restartPod: '2. Replace container and restart the pod',
  waitPod: '2. Replace container and restart the pod: waiting for the new pod',
  portForward: '3. Port-forwarding',
  sync: '4. File synchronization',
  restoreWorkload: 'Restoring the workload',
};

async function getDeployment(clusters: Clusters): Promise<KubeObject> {
  const cluster = await clusters.client();
  const deployment = await cluster.objects.get({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'default',
    name: 'ratings',
  });
  if (deployment === undefined) throw new Error('the ratings Deployment disappeared');
  return deployment;
}

/** What DevMode promises to restore: everything but the fields the API server and controllers own. */
function restorable(object: KubeObject): unknown {
  const annotations: Record<string, string> = { ...object.metadata.annotations };
  delete annotations['deployment.kubernetes.io/revision'];
  return { spec: object.spec, labels: object.metadata.labels, annotations };
}

async function fetchText(url: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const response = await fetch(url);
      return await response.text();
    } catch (error) {
      // The dev server may still be starting in the new pod.
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the sample app');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitForNotification(
  notifications: Notification[],
  match: (n: Notification) => boolean,
  timeoutMs = 30_000,
): Promise<Notification> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = notifications.find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting for the server');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

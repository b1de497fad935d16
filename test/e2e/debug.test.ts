/**
 * Remote debugging through the real server over stdio, against the sandbox: the dev command starts under the Node
 * inspector, the debug port is forwarded, the session carries the attach info, and a real inspector client
 * attached through that forward stops at a breakpoint in a synced file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { Inspector } from '../helpers/inspector.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { projectDir } from './devModeHelpers.js';
import { applyManifest, httpGet, ratingsDeployment, waitForReadyPod, waitUntil } from './streamFixtures.js';

let sandbox: TestSandbox;
let client: DevmodeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
}, 180_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

interface DebugAttachInfo {
  kind: string;
  address: string;
  localPort: number;
  remotePort: number;
  remoteRoot: string;
  localRoot: string;
}

/** The line (0-based, as the inspector counts) of `handle`'s body in handler.js. */
const breakpointLine = 1;
const handler = `module.exports = function handle(name) {\n  const greeting = 'hello ' + name;\n  return greeting;\n};\n`;
const server =
  `const handle = require('./handler.js');\n` +
  `require('node:http').createServer((request, response) => response.end(handle(request.url.slice(1))))` +
  `.listen(8080, '0.0.0.0');\n`;

describe('debug', () => {
  it('starts the dev command under the inspector and stops at a breakpoint in synced code', async () => {
    await applyManifest(sandbox, ratingsDeployment('debuggee'));
    await waitForReadyPod(sandbox, 'app=debuggee');
    const dir = projectDir();
    writeFileSync(join(dir, 'handler.js'), handler);
    writeFileSync(join(dir, 'server.js'), server);
    const started = await client.request<{
      sessionId: string;
      portForwards: { localPort: number; remotePort: number }[];
      debug?: DebugAttachInfo;
    }>('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'debuggee' },
      localDir: dir,
      config: {
        image: 'devmode/dev',
        command: ['node', 'server.js'],
        portForward: ['28481:8080'],
        debug: { port: 9229, kind: 'node' },
        // The dev command started before the first sync brought its files: the sync restarts it.
        onSync: { match: '*.js', restart: true },
      },
    });
    const debug = started.debug as DebugAttachInfo;
    expect(debug).toMatchObject({
      kind: 'node',
      address: '127.0.0.1',
      remotePort: 9229,
      remoteRoot: '/home/devmode',
      localRoot: dir,
    });
    // The debug port is forwarded like any other, and listed with the session's forwards.
    expect(started.portForwards.map((forward) => forward.remotePort).sort()).toEqual([8080, 9229]);
    const listed = await client.request<{ sessions: { sessionId?: string; debug?: DebugAttachInfo }[] }>(
      'devMode/list',
      { namespace: 'default' },
    );
    expect(listed.sessions.find((session) => session.sessionId === started.sessionId)?.debug).toEqual(debug);

    // The inspector's target list, read through the forward; its WebSocket address names the pod's side.
    const target = await waitUntil(
      async () => {
        try {
          const response = await fetch(`http://127.0.0.1:${debug.localPort}/json/list`);
          const targets = (await response.json()) as { webSocketDebuggerUrl: string; url: string }[];
          return targets.find((candidate) => candidate.url.endsWith('/home/devmode/server.js'));
        } catch {
          return undefined;
        }
      },
      90_000,
      'the inspector of server.js behind the forwarded debug port',
    );
    const url = new URL(target.webSocketDebuggerUrl);
    url.host = `127.0.0.1:${debug.localPort}`;
    const inspector = await Inspector.connect(url.toString());
    try {
      await inspector.call('Debugger.enable');
      const breakpoint = await inspector.call<{ breakpointId: string; locations: unknown[] }>(
        'Debugger.setBreakpointByUrl',
        { lineNumber: breakpointLine, url: `file://${debug.remoteRoot}/handler.js` },
      );
      expect(breakpoint.locations).toHaveLength(1);

      // The request stays unanswered while the program is paused at the breakpoint.
      const appPort = started.portForwards.find((forward) => forward.remotePort === 8080)?.localPort as number;
      const answer = httpGet(appPort, '/world', 90_000);
      const paused = await inspector.event('Debugger.paused');
      const frames = paused.callFrames as {
        location: { scriptId: string; lineNumber: number };
        functionName: string;
      }[];
      const frame = frames[0];
      expect(frame).toMatchObject({ functionName: 'handle', location: { lineNumber: breakpointLine } });
      // The paused script is the synced file, as the container sees it.
      const script = await inspector.event(
        'Debugger.scriptParsed',
        (params) => params.scriptId === frame?.location.scriptId,
      );
      expect(script.url).toBe('file:///home/devmode/handler.js');
      expect(paused.hitBreakpoints).toEqual([breakpoint.breakpointId]);
      await inspector.call('Debugger.resume');
      expect((await answer).body.toString()).toBe('hello world');
    } finally {
      inspector.close();
    }
    await client.request('devMode/stop', { sessionId: started.sessionId });
  }, 300_000);

  it('refuses python debugging of a command that is not python, naming the field, and leaves the workload', async () => {
    await applyManifest(sandbox, ratingsDeployment('debug-refused'));
    await waitForReadyPod(sandbox, 'app=debug-refused');
    const before = await sandbox.kubectl(['get', 'deployment', 'debug-refused', '-o', 'jsonpath={.spec.template}']);
    const refused = await client.requestError('devMode/start', {
      target: { namespace: 'default', kind: 'Deployment', name: 'debug-refused' },
      localDir: projectDir(),
      config: { image: 'devmode/dev', command: ['./run.sh'], debug: { port: 5678, kind: 'python' } },
    });
    expect(refused).toMatchObject({ code: -31010, data: { field: 'debug.kind' } });
    expect(refused.data?.hint).toContain('python');
    const after = await sandbox.kubectl(['get', 'deployment', 'debug-refused', '-o', 'jsonpath={.spec.template}']);
    expect(after.stdout).toBe(before.stdout);
  }, 120_000);
});

/**
 * Two tables that keep the protocol honest: every method of the meta-model, and every code of DevModeErrorCodes,
 * names the test that exercises it through the real server. A method or code declared without one fails here,
 * and so does a table entry whose test was renamed or removed.
 */
import { DevModeErrorCodes } from '@devmode/protocol';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

/**
 * A test: its file (from the repository root), its title exactly as written and, when the test does not spell the
 * method out, what in its body sends it.
 */
type TestRef = [file: string, title: string, sentBy?: string];

const lifecycle = 'test/protocol/lifecycle.test.ts';
const errorPaths = 'test/protocol/errorPaths.test.ts';
const cluster = 'test/protocol/cluster.test.ts';
const devMode = 'test/e2e/devMode.test.ts';
const devModeCrash = 'test/e2e/devModeCrash.test.ts';
const contract = 'test/e2e/protocolContract.test.ts';
const portForward = 'test/e2e/portForward.test.ts';
const sync = 'test/e2e/sync.test.ts';
const terminal = 'test/e2e/terminal.test.ts';
const logs = 'test/e2e/logs.test.ts';
const rbac = 'test/e2e/rbac.test.ts';

const syncTour = 'pause, flush, resume, resync, two-way changes and a deleted pod, seen as a client sees them';
const outsideRequests =
  'UnsafePath, window/showMessage for a lost sync, server-created progress for the resync and its cancellation';

/** Every method of PROTOCOL.md → the test through the real server that exercises it. */
const methodTests: Record<string, TestRef> = {
  initialize: [lifecycle, 'initialize answers with server info, protocol version and the implemented methods'],
  initialized: [lifecycle, 'initialized is a notification: it gets no answer and the server keeps serving'],
  shutdown: [lifecycle, 'exit after shutdown ends the process with code 0'],
  exit: [lifecycle, 'exit without shutdown ends the process with code 1'],
  // vscode-jsonrpc sends $/cancelRequest when the request's cancellation token fires.
  '$/cancelRequest': [devModeCrash, 'rolls the workload back and answers RequestCancelled', 'cancel.cancel()'],
  '$/progress': [devMode, 'start rewrites the workload, reports the phases, and stop restores it exactly'],
  '$/setTrace': [errorPaths, '$/setTrace turns $/logTrace on and off; initialize can start it'],
  '$/logTrace': [errorPaths, '$/setTrace turns $/logTrace on and off; initialize can start it'],
  'window/logMessage': [errorPaths, 'diagnostics reach window/logMessage down to the logLevel initialize asked for'],
  'window/showMessage': [contract, outsideRequests],
  'window/workDoneProgress/create': [contract, outsideRequests],
  'window/workDoneProgress/cancel': [contract, outsideRequests],
  'cluster/list': [cluster, 'merges every file of KUBECONFIG the way kubectl does'],
  'tree/children': [devMode, 'walks contexts, namespaces, kinds, workloads, pods and containers, and pushes changes'],
  'tree/didChange': [devMode, 'walks contexts, namespaces, kinds, workloads, pods and containers, and pushes changes'],
  'devMode/start': [devMode, 'start rewrites the workload, reports the phases, and stop restores it exactly'],
  'devMode/stop': [devMode, 'start rewrites the workload, reports the phases, and stop restores it exactly'],
  'devMode/reset': [devMode, 'stop reports the change instead of overwriting it; reset restores anyway'],
  'devMode/list': [devMode, 'start rewrites the workload, reports the phases, and stop restores it exactly'],
  'devMode/didChangeState': [devMode, 'start rewrites the workload, reports the phases, and stop restores it exactly'],
  'devConfig/get': [
    contract,
    'devConfig/get merges devmode.yaml over the defaults and says where each value came from',
  ],
  'devConfig/schema': [contract, 'devConfig/schema is the JSON Schema that validates devmode.yaml'],
  'portForward/start': [portForward, 'serves HTTP, then serves again on the same local port after its pod is deleted'],
  'portForward/stop': [portForward, 'stops a forward: it leaves the list and its port closes'],
  'portForward/list': [portForward, 'serves HTTP, then serves again on the same local port after its pod is deleted'],
  'portForward/didChangeState': [
    portForward,
    'serves HTTP, then serves again on the same local port after its pod is deleted',
  ],
  'sync/status': [sync, syncTour],
  'sync/flush': [sync, syncTour],
  'sync/pause': [sync, syncTour],
  'sync/resume': [sync, syncTour],
  'sync/resync': [sync, syncTour],
  'sync/didChangeState': [sync, syncTour],
  'sync/conflictContent': [
    'test/e2e/syncReliability.test.ts',
    'sync/conflictContent gives the container version of a file in conflict, and nothing else',
  ],
  'terminal/open': [terminal, 'runs a shell that computes, knows its size, follows resizes and reports its exit code'],
  'terminal/input': [terminal, 'runs a shell that computes, knows its size, follows resizes and reports its exit code'],
  'terminal/resize': [
    terminal,
    'runs a shell that computes, knows its size, follows resizes and reports its exit code',
  ],
  'terminal/close': [terminal, 'ends the remote process when the terminal is closed, and still reports the exit'],
  'terminal/didOutput': [
    terminal,
    'runs a shell that computes, knows its size, follows resizes and reports its exit code',
  ],
  'terminal/didExit': [
    terminal,
    'runs a shell that computes, knows its size, follows resizes and reports its exit code',
  ],
  'logs/open': [logs, 'sends the last lines asked for, with timestamps, then ends'],
  'logs/didAppend': [logs, 'follows new lines until closed, then says it was closed'],
  'logs/didEnd': [logs, 'sends the last lines asked for, with timestamps, then ends'],
  'logs/close': [logs, 'follows new lines until closed, then says it was closed'],
};

/** Every code of DevModeErrorCodes → the test through the real server that produces it. */
const errorCodeTests: Record<string, TestRef> = {
  InvalidRequest: [
    errorPaths,
    'a JSON-RPC batch is answered with one InvalidRequest error, and the server keeps serving',
  ],
  MethodNotFound: [lifecycle, 'an unknown method answers -32601 and the next request still works'],
  InvalidParams: [lifecycle, 'invalid params name the field at fault'],
  InternalError: [errorPaths, 'an API server that answers 500 is an InternalError that says what the API server said'],
  ServerNotInitialized: [lifecycle, 'a request before initialize is refused with ServerNotInitialized'],
  RequestCancelled: [devModeCrash, 'rolls the workload back and answers RequestCancelled'],
  KubeconfigInvalid: [cluster, 'a kubeconfig that is not YAML is a named error with the file and the line'],
  ContextNotFound: [errorPaths, 'a context the kubeconfig does not have is ContextNotFound'],
  ClusterUnreachable: [errorPaths, 'an API server nothing listens for is ClusterUnreachable, retryable'],
  Forbidden: [
    rbac,
    'DevMode without the right to patch is a Forbidden error naming the verb and resource; nothing changes',
  ],
  NotFound: [devMode, 'an unknown workload'],
  UnsupportedKind: [contract, 'UnsupportedKind: DevMode on a pod that another object owns without controlling it'],
  DevConfigInvalid: [devMode, 'an invalid dev config names the file, the line and the field'],
  AlreadyInDevMode: [devMode, 'a second start by someone else is refused with the owner named'],
  NotInDevMode: [contract, 'NotInDevMode: stopping a workload that is not in DevMode'],
  PodNotStarted: [contract, 'PodNotStarted: a dev command that exits at once, and the workload is restored'],
  ImagePullFailed: [
    devMode,
    'an image that cannot be pulled fails with the reason from the events and restores the workload',
  ],
  MissingTool: [contract, 'MissingTool: a dev image without tar fails devMode/start and leaves the workload as it was'],
  WorkloadConflict: [devMode, 'stop reports the change instead of overwriting it; reset restores anyway'],
  Timeout: [contract, 'Timeout: a dev pod that never gets past its init container, with the reason'],
  LocalDirInvalid: [devMode, 'params that are not what the method takes'],
  OwnedByController: [contract, 'OwnedByController: DevMode on a pod that a ReplicaSet owns'],
  PortInUse: [portForward, 'names a taken local port, or takes the next free one when allowed'],
  UnknownId: [devMode, 'an unknown node id is a named error'],
  WatchLimitReached: [contract, 'WatchLimitReached: the sync still works by scanning, and says why with the code'],
  UnsafePath: [contract, outsideRequests],
  SyncDisconnected: [sync, syncTour],
  ContainerNotRunning: [
    contract,
    'ContainerNotRunning after podRunningTimeoutSeconds, with the reason and progress while waiting',
  ],
};

const root = new URL('../../', import.meta.url);
const sources = new Map<string, string>();
function source(file: string): string {
  let text = sources.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(file, root), 'utf8');
    sources.set(file, text);
  }
  return text;
}

/** The test's body: from its title to the next test of the file. */
function testBody([file, title]: TestRef): string {
  const text = source(file);
  const start = [`test('${title}'`, `it('${title}'`, `test("${title}"`, `it("${title}"`]
    .map((opening) => text.indexOf(opening))
    .find((index) => index !== -1);
  if (start === undefined) throw new Error(`${file} has no test titled "${title}"`);
  const next = text.slice(start + 1).search(/\n\s*(test|it)\(/);
  return next === -1 ? text.slice(start) : text.slice(start, start + 1 + next);
}

interface MetaModel {
  requests: { method: string }[];
  notifications: { method: string }[];
}

describe('every method of the protocol has a test through the real server', () => {
  const model = JSON.parse(source('protocol/metaModel.json')) as MetaModel;
  const declared = [...model.requests, ...model.notifications].map((entry) => entry.method).sort();

  test('the table lists exactly the methods of metaModel.json', () => {
    expect(Object.keys(methodTests).sort()).toEqual(declared);
  });

  test.each(Object.entries(methodTests))('%s', (method, ref) => {
    const body = testBody(ref);
    // The test names the method, drives it through a helper of its file that does, or sends it as `sentBy` says.
    const sentBy = ref[2];
    const sent =
      body.includes(method) ||
      source(ref[0]).includes(`'${method}'`) ||
      (sentBy !== undefined && body.includes(sentBy));
    expect(sent, `${ref[1]} never sends ${method}`).toBe(true);
  });
});

describe('every error code is produced by a test through the real server', () => {
  const codes = Object.entries(DevModeErrorCodes).filter(([, value]) => typeof value === 'number') as [
    string,
    number,
  ][];

  test('the table lists exactly the codes of DevModeErrorCodes', () => {
    expect(Object.keys(errorCodeTests).sort()).toEqual(codes.map(([name]) => name).sort());
  });

  test.each(codes)('%s (%i)', (name, code) => {
    const ref = errorCodeTests[name];
    if (ref === undefined) throw new Error(`no test is listed for ${name}`);
    const body = testBody(ref);
    // The test checks the code by number, or by the name its file gives that number.
    const named = new RegExp(`const ${name}\\s*=\\s*${code}\\b`).test(source(ref[0]));
    expect(body.includes(String(code)) || (named && body.includes(name)), `${ref[1]} never checks ${code}`).toBe(true);
  });
});

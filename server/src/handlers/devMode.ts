import {
  DidChangeDevModeStateNotification,
  type DevModeSession,
  type ListDevModeSessionsResult,
  type ResetDevModeResult,
  type StartDevModeResult,
  type StopDevModeResult,
} from '@devmode/protocol';
import { isAbsolute } from 'node:path';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import type { DevModeEngine, DevModeReporter, DevModeStateChange } from '../engine/devMode.js';
import type { SessionRegistry } from '../engine/sessionRegistry.js';
import { errorCodeOf } from '../rpc/responseError.js';
import { invalidParams } from './errors.js';
import { abortSignalOf, progressToken, WorkDone } from './progress.js';
import { workloadTarget } from './target.js';
import {
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  paramsObject,
  requiredString,
} from './validate.js';

function reporterFor(work: WorkDone): DevModeReporter {
  return { progress: (phase, message, percentage) => work.report(message, percentage, phase) };
}

export async function startDevMode(
  params: unknown,
  token: CancellationToken,
  sessions: SessionRegistry,
  connection: MessageConnection,
): Promise<StartDevModeResult> {
  const p = paramsObject(params, false);
  const target = workloadTarget(p);
  const localDir = requiredString(p, 'localDir');
  if (!isAbsolute(localDir)) throw invalidParams('localDir', 'must be an absolute path');
  const mode = optionalString(p, 'mode') ?? 'replace';
  if (mode !== 'replace' && mode !== 'duplicate')
    throw invalidParams('mode', `must be "replace" or "duplicate", not "${mode}"`);
  const config = optionalObject(p, 'config');
  const timeoutSeconds = optionalInteger(p, 'timeoutSeconds', { min: 1, max: 3600 });
  const work = new WorkDone(connection, progressToken(p), `DevMode: ${target.kind} ${target.name}`, true);
  try {
    const started = await sessions.start(
      {
        target,
        localDir,
        mode,
        ...(config !== undefined ? { config } : {}),
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
      },
      reporterFor(work),
      abortSignalOf(token),
    );
    work.done(`DevMode is running in pod ${started.session.started.pod}`);
    return {
      sessionId: started.session.sessionId,
      pod: started.session.started.pod,
      container: started.session.started.container,
      portForwards: started.portForwards,
      ...(started.sync !== undefined ? { sync: started.sync } : {}),
      ...(started.debug !== undefined ? { debug: started.debug } : {}),
      containers: started.containers,
      ...(started.warnings.length > 0 ? { warnings: started.warnings } : {}),
    };
  } catch (error) {
    work.done('DevMode did not start');
    throw error;
  }
}

function restoredMessage(podsNotReady: string | undefined): string {
  return podsNotReady === undefined ? 'Workload restored' : `Workload restored, pods not ready: ${podsNotReady}`;
}

export async function stopDevMode(
  params: unknown,
  sessions: SessionRegistry,
  connection: MessageConnection,
): Promise<StopDevModeResult> {
  const p = paramsObject(params, false);
  const sessionId = optionalString(p, 'sessionId');
  if (sessionId === undefined && p.target === undefined) throw invalidParams('sessionId', 'or target is required');
  const takeOver = optionalBoolean(p, 'takeOver');
  const selector =
    sessionId !== undefined
      ? { sessionId }
      : { target: workloadTarget(p), ...(takeOver !== undefined ? { takeOver } : {}) };
  const work = new WorkDone(connection, progressToken(p), 'Stopping DevMode', false);
  try {
    const stopped = await sessions.stop(selector, reporterFor(work));
    work.done(restoredMessage(stopped.podsNotReady));
    return stopped;
  } catch (error) {
    work.done('DevMode did not stop');
    throw error;
  }
}

export async function resetDevMode(
  params: unknown,
  sessions: SessionRegistry,
  connection: MessageConnection,
): Promise<ResetDevModeResult> {
  const p = paramsObject(params, false);
  const target = workloadTarget(p);
  const work = new WorkDone(connection, progressToken(p), `Resetting ${target.kind} ${target.name}`, false);
  try {
    const result = await sessions.reset(target, reporterFor(work));
    work.done(restoredMessage(result.podsNotReady));
    return {
      target,
      endedSessions: result.endedSessions,
      ...(result.podsNotReady !== undefined ? { podsNotReady: result.podsNotReady } : {}),
    };
  } catch (error) {
    work.done('Reset failed');
    throw error;
  }
}

export async function listDevModeSessions(
  params: unknown,
  sessions: SessionRegistry,
  engine: DevModeEngine,
): Promise<ListDevModeSessionsResult> {
  const p = paramsObject(params);
  const context = optionalString(p, 'context');
  const namespace = optionalString(p, 'namespace');
  const local = sessions.all();
  const listed: DevModeSession[] = local.map((session) => ({
    sessionId: session.sessionId,
    target: session.started?.target ?? session.target,
    state: session.state,
    mode: session.mode,
    mine: true,
    localDir: session.localDir,
    ...(session.started !== undefined ? { pod: session.started.pod, startedAt: session.started.startedAt } : {}),
    ...(session.debug !== undefined ? { debug: session.debug } : {}),
    ...(session.containers.length > 0 ? { containers: session.containerStates() } : {}),
  }));
  const clusterSessions = await engine.clusterSessions(context, namespace);
  for (const { record, stale } of clusterSessions) {
    if (local.some((session) => session.sessionId === record.sessionId)) continue;
    // A session in the cluster that this server process did not start is not this server's, whoever started it.
    listed.push({
      target: {
        ...(context !== undefined ? { context } : {}),
        namespace: record.namespace,
        kind: record.kind,
        name: record.name,
        container: record.container,
      },
      state: stale !== undefined ? 'stale' : 'running',
      mode: record.mode,
      mine: false,
      owner: `${record.owner.user}@${record.owner.machine}`,
      startedAt: record.startedAt,
      sessionId: record.sessionId,
      containers: [
        { container: record.container, workDir: record.devContainer.workingDir, portForwards: [] },
        ...(record.addedContainers ?? []).map((added) => ({
          container: added.container,
          workDir: added.workingDir,
          portForwards: [],
        })),
      ],
      ...(stale !== undefined ? { stale } : {}),
    });
  }
  return { sessions: listed };
}

/** Forwards the engine's state changes to the client. */
export function notifyStateChange(connection: MessageConnection, change: DevModeStateChange): void {
  void connection.sendNotification(DidChangeDevModeStateNotification.type, {
    ...(change.sessionId !== undefined ? { sessionId: change.sessionId } : {}),
    target: change.target,
    state: change.state,
    ...(change.phase !== undefined ? { phase: change.phase } : {}),
    ...(change.message !== undefined ? { message: change.message } : {}),
    ...(change.error !== undefined ? { errorCode: errorCodeOf(change.error) } : {}),
  });
}

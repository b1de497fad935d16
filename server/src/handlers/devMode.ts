import {
  DidChangeDevModeStateNotification,
  type DevModeSession,
  type ListDevModeSessionsResult,
  type PortForward,
  type ProgressToken,
  type ResetDevModeResult,
  type StartDevModeResult,
  type StopDevModeResult,
} from '@devmode/protocol';
import { isAbsolute } from 'node:path';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import type { DevModeEngine, DevModeStateChange, DevSession, WorkloadTarget } from '../engine/devMode.js';
import type { PortForwards } from '../engine/portForward.js';
import { sameOwner } from '../engine/identity.js';
import { engineErrorToResponse, explained } from './engineErrors.js';
import { invalidParams } from './errors.js';
import { abortSignalOf, WorkDone } from './progress.js';
import { workloadTarget } from './target.js';
import {
  optionalInteger,
  optionalObject,
  optionalString,
  paramsObject,
  requiredString,
  type Params,
} from './validate.js';

function progressToken(params: Params): ProgressToken | undefined {
  const token = params.workDoneToken;
  if (token === undefined || token === null) return undefined;
  if (typeof token !== 'string' && typeof token !== 'number')
    throw invalidParams('workDoneToken', 'must be a string or an integer');
  return token;
}

/** The session-scoped services DevMode starts with a session and stops with it. */
export interface SessionServices {
  forwards: PortForwards;
}

export async function startDevMode(
  params: unknown,
  token: CancellationToken,
  engine: DevModeEngine,
  connection: MessageConnection,
  services: SessionServices,
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
  const work = new WorkDone(connection, progressToken(p), `DevMode: ${target.kind} ${target.name}`);
  try {
    const session = await explained(() =>
      engine.start(
        {
          target,
          localDir,
          mode,
          ...(config !== undefined ? { config } : {}),
          ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
        },
        { progress: (phase, message, percentage) => work.report(`${phase}: ${message}`, percentage) },
        abortSignalOf(token),
      ),
    );
    const portForwards = await startSessionForwards(session, services, work);
    work.done(`DevMode is running in pod ${session.pod}`);
    return { sessionId: session.sessionId, pod: session.pod, container: session.container, portForwards };
  } catch (error) {
    work.done('DevMode did not start');
    throw error;
  }
}

/**
 * Starts the dev config's forwards to the dev pod. DevMode is already on in the cluster at this point, so a forward
 * that cannot start (its local port taken and no free one after it) does not undo it: the failure is reported in
 * the progress and the forward is left out of the result, and `portForward/start` can retry it.
 */
async function startSessionForwards(
  session: DevSession,
  services: SessionServices,
  work: WorkDone,
): Promise<PortForward[]> {
  const specs = session.config.portForward;
  if (specs.length === 0) return [];
  work.report(
    `portForward: Forwarding ${specs.map((spec) => `127.0.0.1:${spec.local} -> ${spec.remote}`).join(', ')}`,
    90,
  );
  try {
    const forwards = await services.forwards.startForSession(session.sessionId, session.devWorkload, specs);
    for (const forward of forwards) {
      work.report(
        `portForward: Port-forward ${forward.address}:${forward.localPort} -> ${forward.remotePort} is active`,
      );
    }
    return forwards;
  } catch (error) {
    work.report(`portForward: Port-forwarding failed: ${(error as Error).message}`);
    return [];
  }
}

export async function stopDevMode(
  params: unknown,
  engine: DevModeEngine,
  connection: MessageConnection,
  services: SessionServices,
): Promise<StopDevModeResult> {
  const p = paramsObject(params, false);
  const sessionId = optionalString(p, 'sessionId');
  if (sessionId === undefined && p.target === undefined) throw invalidParams('sessionId', 'or target is required');
  const target = sessionId === undefined ? workloadTarget(p) : undefined;
  const selector = target === undefined ? { sessionId: sessionId ?? '' } : { target };
  const work = new WorkDone(connection, progressToken(p), 'Stopping DevMode');
  const local =
    target === undefined
      ? engine.session(sessionId ?? '')
      : engine.localSessions().find((session) => sameWorkload(session.target, target));
  try {
    const restored = await explained(() =>
      engine.stop(selector, { progress: (phase, message) => work.report(`${phase}: ${message}`) }),
    );
    if (local !== undefined) services.forwards.stopSession(local.sessionId);
    work.done('Workload restored');
    return { target: restored };
  } catch (error) {
    work.done('DevMode did not stop');
    throw error;
  }
}

export async function resetDevMode(
  params: unknown,
  engine: DevModeEngine,
  connection: MessageConnection,
  services: SessionServices,
): Promise<ResetDevModeResult> {
  const p = paramsObject(params, false);
  const target = workloadTarget(p);
  const work = new WorkDone(connection, progressToken(p), `Resetting ${target.kind} ${target.name}`);
  try {
    const result = await explained(() =>
      engine.reset(target, { progress: (phase, message) => work.report(`${phase}: ${message}`) }),
    );
    for (const sessionId of result.endedSessions) services.forwards.stopSession(sessionId);
    work.done('Workload restored');
    return { target, endedSessions: result.endedSessions };
  } catch (error) {
    work.done('Reset failed');
    throw error;
  }
}

export async function listDevModeSessions(params: unknown, engine: DevModeEngine): Promise<ListDevModeSessionsResult> {
  const p = paramsObject(params);
  const context = optionalString(p, 'context');
  const namespace = optionalString(p, 'namespace');
  const local = engine.localSessions();
  const sessions: DevModeSession[] = local.map((session) => ({
    sessionId: session.sessionId,
    target: session.target,
    state: session.state,
    mode: session.mode,
    mine: true,
    localDir: session.localDir,
    pod: session.pod,
    startedAt: session.startedAt,
  }));
  const records = await explained(() => engine.clusterRecords(context, namespace));
  for (const record of records) {
    if (local.some((session) => session.sessionId === record.sessionId)) continue;
    sessions.push({
      target: {
        ...(context !== undefined ? { context } : {}),
        namespace: record.namespace,
        kind: record.kind,
        name: record.name,
        container: record.container,
      },
      state: 'running',
      mode: record.mode,
      mine: sameOwner(record.owner, engine.me),
      owner: `${record.owner.user}@${record.owner.machine}`,
      startedAt: record.startedAt,
      sessionId: record.sessionId,
    });
  }
  return { sessions };
}

/** Forwards the engine's state changes to the client. */
export function notifyStateChange(connection: MessageConnection, change: DevModeStateChange): void {
  void connection.sendNotification(DidChangeDevModeStateNotification.type, {
    ...(change.sessionId !== undefined ? { sessionId: change.sessionId } : {}),
    target: change.target,
    state: change.state,
    ...(change.phase !== undefined ? { phase: change.phase } : {}),
    ...(change.message !== undefined ? { message: change.message } : {}),
    ...(change.error !== undefined ? { errorCode: engineErrorToResponse(change.error).code } : {}),
  });
}

function sameWorkload(a: WorkloadTarget, b: WorkloadTarget): boolean {
  return (
    a.namespace === b.namespace && a.kind === b.kind && a.name === b.name && (a.context ?? '') === (b.context ?? '')
  );
}

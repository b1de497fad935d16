import type { OpenLogsResult } from '@devmode/protocol';
import { KubeError } from '../kube/errors.js';
import type { LogStreams } from '../engine/logs.js';
import { devModeError, invalidParams } from './errors.js';
import { parsePodsTarget } from './targets.js';
import type { MessageConnection } from 'vscode-jsonrpc';
import { podWaitOf, progressToken, WorkDone } from './progress.js';
import {
  optionalBoolean,
  optionalInteger,
  optionalString,
  paramsObject,
  requiredString,
  type Params,
} from './validate.js';

export async function openLogs(
  params: unknown,
  logs: LogStreams,
  connection: MessageConnection,
): Promise<OpenLogsResult> {
  const input = paramsObject(params, false);
  if (isOnSyncTarget(input.target)) return openOnSyncLogs(input, logs);
  const target = parsePodsTarget(input);
  const container = optionalString(input, 'container');
  const allContainers = optionalBoolean(input, 'allContainers');
  if (container !== undefined && allContainers === true) {
    throw invalidParams('allContainers', 'cannot be combined with container');
  }
  const follow = optionalBoolean(input, 'follow');
  const tailLines = optionalInteger(input, 'tailLines', { min: 0 });
  const sinceSeconds = optionalInteger(input, 'sinceSeconds', { min: 1 });
  const timestamps = optionalBoolean(input, 'timestamps');
  const previous = optionalBoolean(input, 'previous');
  const work = new WorkDone(connection, progressToken(input), 'Opening logs', false);
  const podWait = podWaitOf(input, work);
  try {
    const opened = await logs.open({
      target,
      podWait,
      ...(container !== undefined ? { container } : {}),
      ...(allContainers !== undefined ? { allContainers } : {}),
      ...(follow !== undefined ? { follow } : {}),
      ...(tailLines !== undefined ? { tailLines } : {}),
      ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
      ...(timestamps !== undefined ? { timestamps } : {}),
      ...(previous !== undefined ? { previous } : {}),
    });
    work.done(`Reading the logs of ${opened.pods.length} pod(s)`);
    return opened;
  } catch (error) {
    work.done('The logs did not open');
    // The API server answers 400 for a container that is unknown, not started, or has no previous run.
    if (error instanceof KubeError && error.status === 400) {
      throw devModeError('ContainerNotRunning', `No logs: ${error.message}`, {
        ...(container !== undefined ? { field: 'container' } : {}),
        hint:
          previous === true
            ? 'The container has not restarted, so it has no previous logs.'
            : 'Check the container name, or wait for the container to start.',
      });
    }
    throw error;
  }
}

function isOnSyncTarget(target: unknown): boolean {
  return typeof target === 'object' && target !== null && (target as { source?: unknown }).source !== undefined;
}

/** `logs/open` of a session's onSync runs: `target` is `{sessionId, source: "onSync"}`. */
function openOnSyncLogs(input: Params, logs: LogStreams): OpenLogsResult {
  const target = input.target as Params;
  if (target.source !== 'onSync') throw invalidParams('target.source', 'must be "onSync"');
  const sessionId = target.sessionId;
  if (typeof sessionId !== 'string' || sessionId === '') {
    throw invalidParams('target.sessionId', 'must name the DevMode session whose onSync runs to stream');
  }
  const container = target.container;
  if (container !== undefined && (typeof container !== 'string' || container === '')) {
    throw invalidParams('target.container', 'must be the name of a container of the session');
  }
  for (const field of ['container', 'allContainers', 'sinceSeconds', 'previous', 'podRunningTimeoutSeconds']) {
    if (input[field] !== undefined) throw invalidParams(field, 'does not apply to an onSync stream');
  }
  const follow = optionalBoolean(input, 'follow');
  const tailLines = optionalInteger(input, 'tailLines', { min: 0 });
  const timestamps = optionalBoolean(input, 'timestamps');
  return logs.openOnSync({
    sessionId,
    ...(container !== undefined ? { container } : {}),
    ...(follow !== undefined ? { follow } : {}),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(timestamps !== undefined ? { timestamps } : {}),
  });
}

export function closeLogs(params: unknown, logs: LogStreams): null {
  logs.close(requiredString(paramsObject(params, false), 'streamId'));
  return null;
}

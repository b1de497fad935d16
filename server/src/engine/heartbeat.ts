/**
 * Heartbeats: how other servers tell a live DevMode session from an abandoned one.
 *
 * While a session runs, the server that owns it renews the `devmode.dev/heartbeat` annotation on the objects that
 * hold the session's record (the workload, and the Deployment generated for it) every `DEVMODE_HEARTBEAT_SECONDS`.
 * A renewal is a JSON patch that tests that the heartbeat this server wrote last is still there, then replaces it:
 * it carries no resourceVersion, so it never conflicts with a controller's status update, and it never touches the
 * record. A workload someone restored meanwhile has lost that heartbeat with the rest of DevMode, so the test fails
 * and nothing is written. (The test compares the JSON text of the value, and a heartbeat is text that every JSON
 * encoder writes alike; the record, which holds commands and scripts, is not.) The first write, and any write after
 * a failed test, reads the object, checks that it still holds the session's record, and writes with the
 * resourceVersion read (a conflict is read again). Either way only metadata changes, never a pod template, so no
 * pod restarts.
 *
 * A session of another server whose last heartbeat (or, for a record written by a server without heartbeats, its
 * start) is older than `DEVMODE_STALE_AFTER_SECONDS` is stale. The heartbeat time is the owner's clock; the threshold
 * is several heartbeats long, which absorbs the usual clock skew between machines.
 */
import type { DevModeStaleness } from '@devmode/protocol';
import type { ObjectClient, ObjectRef } from '../kube/objects.js';
import { KubeError } from '../kube/errors.js';
import { readRecord, type DevModeRecord } from './devModeRecord.js';
import { retryOnConflict } from './phases.js';
import { heartbeatAnnotation, isJsonObject, type KubeObject, recordAnnotation } from './objects.js';

/** How often an owner renews its heartbeat, and how long a silence makes a session stale, in milliseconds. */
export interface HeartbeatSettings {
  intervalMs: number;
  staleAfterMs: number;
}

const defaultIntervalSeconds = 15;
const defaultStaleAfterSeconds = 60;

/** The settings from `DEVMODE_HEARTBEAT_SECONDS` and `DEVMODE_STALE_AFTER_SECONDS` (15 s and 60 s by default). */
export function heartbeatSettings(env: NodeJS.ProcessEnv = process.env): HeartbeatSettings {
  const seconds = (name: string, fallback: number): number => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    intervalMs: seconds('DEVMODE_HEARTBEAT_SECONDS', defaultIntervalSeconds) * 1000,
    staleAfterMs: seconds('DEVMODE_STALE_AFTER_SECONDS', defaultStaleAfterSeconds) * 1000,
  };
}

/** The heartbeat an object carries for a session, as an ISO time; undefined when it has none for that session. */
export function readHeartbeat(object: KubeObject, sessionId: string): string | undefined {
  const text = object.metadata.annotations?.[heartbeatAnnotation];
  if (text === undefined) return undefined;
  try {
    const beat: unknown = JSON.parse(text);
    if (!isJsonObject(beat) || beat.sessionId !== sessionId || typeof beat.at !== 'string') return undefined;
    return Number.isNaN(Date.parse(beat.at)) ? undefined : beat.at;
  } catch {
    return undefined;
  }
}

/** The later of two ISO times, either of which may be missing. */
export function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * Whether a session of another server is stale: its owner's last sign of life (the heartbeat, or the start when
 * there is none) is older than the threshold. Undefined while it is not.
 */
export function staleness(
  record: Pick<DevModeRecord, 'owner' | 'startedAt'>,
  lastHeartbeat: string | undefined,
  now: number,
  staleAfterMs: number,
): DevModeStaleness | undefined {
  const since = lastHeartbeat ?? record.startedAt;
  const at = Date.parse(since);
  if (Number.isNaN(at) || now - at <= staleAfterMs) return undefined;
  const silence =
    lastHeartbeat === undefined
      ? `Its server never renewed a heartbeat since DevMode started at ${since}`
      : `Its server has been silent since ${since}`;
  return {
    user: record.owner.user,
    machine: record.owner.machine,
    since,
    heartbeat: lastHeartbeat !== undefined,
    thresholdSeconds: Math.round(staleAfterMs / 1000),
    hint: `${silence}. If ${record.owner.user}@${record.owner.machine} is not using it any more, devMode/reset restores the workload.`,
  };
}

/** When a session that is not stale now will become so, unless a newer heartbeat arrives first (epoch ms). */
export function staleAt(
  record: Pick<DevModeRecord, 'startedAt'>,
  lastHeartbeat: string | undefined,
  staleAfterMs: number,
): number {
  return Date.parse(lastHeartbeat ?? record.startedAt) + staleAfterMs + 1;
}

/** The heartbeat annotation's text for a session at a time. */
export function heartbeatText(sessionId: string, at: string): string {
  return JSON.stringify({ sessionId, at });
}

const heartbeatPath = `/metadata/annotations/${heartbeatAnnotation.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/** The JSON patch that renews a heartbeat, only while the object still holds the heartbeat written last. */
export function renewalPatch(previous: string, next: string): unknown[] {
  return [
    { op: 'test', path: heartbeatPath, value: previous },
    { op: 'replace', path: heartbeatPath, value: next },
  ];
}

/**
 * Renews one session's heartbeat on each object holding its record (the workload, and the Deployment generated for
 * it), now and then every interval, until stopped. An object that does not hold the session's record (a bare Pod
 * DevMode replaced, the original of a duplicate, a workload restored meanwhile) is left alone. A failed renewal (the
 * cluster does not answer) is logged once and tried again at the next interval; ending the session when its record
 * is gone is the record watch's business.
 */
export function startHeartbeat(
  objects: ObjectClient,
  holders: ObjectRef[],
  sessionId: string,
  intervalMs: number,
  log: (line: string) => void,
): () => Promise<void> {
  let stopped = false;
  let failing = false;
  let beating: Promise<void> = Promise.resolve();
  /** The heartbeat text last written on each holder, by index. */
  const written = new Map<number, string>();
  const checkedWrite = async (holder: ObjectRef, text: string): Promise<boolean> =>
    retryOnConflict(
      () => objects.get(holder),
      async (object) => {
        if (stopped || object === undefined) return false;
        if (object.metadata.annotations?.[recordAnnotation] === undefined) return false;
        if (readRecord(object)?.sessionId !== sessionId) return false;
        const patch = {
          metadata: { resourceVersion: object.metadata.resourceVersion, annotations: { [heartbeatAnnotation]: text } },
        };
        await objects.patch(holder, patch, 'merge');
        return true;
      },
    );
  const beatOn = async (holder: ObjectRef, index: number): Promise<void> => {
    const text = heartbeatText(sessionId, new Date().toISOString());
    const previous = written.get(index);
    if (previous !== undefined) {
      try {
        await objects.patch(holder, renewalPatch(previous, text), 'json');
        written.set(index, text);
        return;
      } catch (error) {
        // 422: the heartbeat is not the one written last (the workload was restored, or renewed by someone else).
        if (!(error instanceof KubeError && (error.status === 422 || error.status === 404))) throw error;
        written.delete(index);
      }
    }
    if (await checkedWrite(holder, text)) written.set(index, text);
  };
  const beat = async (): Promise<void> => {
    try {
      for (const [index, holder] of holders.entries()) if (!stopped) await beatOn(holder, index);
      failing = false;
    } catch (error) {
      if (!failing && !stopped) log(`cannot renew the heartbeat of DevMode session ${sessionId}: ${String(error)}`);
      failing = true;
    }
  };
  const renew = (): void => {
    beating = beating.then(beat);
  };
  renew();
  const timer = setInterval(renew, intervalMs);
  timer.unref();
  // Stopping waits for a renewal in flight, so that nothing is written after the session's parts have ended.
  return async () => {
    stopped = true;
    clearInterval(timer);
    await beating;
  };
}

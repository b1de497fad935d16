/**
 * Heartbeats: how other servers tell a live DevMode session from an abandoned one.
 *
 * While a session runs, the server that owns it renews the `devmode.dev/heartbeat` annotation on the objects that
 * hold the session's record (the workload, and the Deployment generated for it) every `DEVMODE_HEARTBEAT_SECONDS`.
 * The write is a JSON patch that first tests that the record annotation is exactly the one read: it carries no
 * resourceVersion, so it never conflicts with a controller's status update, and it can neither clobber the record
 * nor put a heartbeat on a workload someone restored meanwhile (the test fails and nothing is written). It changes
 * only the object's metadata, never a pod template, so no pod restarts.
 *
 * A session of another server whose last heartbeat (or, for a record written by a server without heartbeats, its
 * start) is older than `DEVMODE_STALE_AFTER_SECONDS` is stale. The heartbeat time is the owner's clock; the threshold
 * is several heartbeats long, which absorbs the usual clock skew between machines.
 */
import type { DevModeStaleness } from '@devmode/protocol';
import type { ObjectClient, ObjectRef } from '../kube/objects.js';
import { readRecord, type DevModeRecord } from './devModeRecord.js';
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

/** The JSON patch that renews a heartbeat, only while the object still holds exactly `recordText`. */
export function heartbeatPatch(recordText: string, sessionId: string, at: string): unknown[] {
  const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');
  return [
    { op: 'test', path: `/metadata/annotations/${escape(recordAnnotation)}`, value: recordText },
    {
      op: 'add',
      path: `/metadata/annotations/${escape(heartbeatAnnotation)}`,
      value: JSON.stringify({ sessionId, at }),
    },
  ];
}

/**
 * Renews one session's heartbeat on each object holding its record (the workload, and the Deployment generated for
 * it), now and then every interval, until stopped. An object that does not hold the session's record (a bare Pod
 * DevMode replaced, the original of a duplicate) is skipped. A failed renewal (the cluster does not answer) is
 * logged once and tried again at the next interval; ending the session when its record is gone is the record
 * watch's business.
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
  const beatOn = async (holder: ObjectRef): Promise<void> => {
    const object = await objects.get(holder);
    if (stopped || object === undefined) return;
    const text = object.metadata.annotations?.[recordAnnotation];
    if (text === undefined || readRecord(object)?.sessionId !== sessionId) return;
    await objects.patch(holder, heartbeatPatch(text, sessionId, new Date().toISOString()), 'json');
  };
  const beat = async (): Promise<void> => {
    try {
      for (const holder of holders) await beatOn(holder);
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

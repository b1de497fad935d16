/**
 * `events.k8s.io/v1` Events are the core `v1` Events seen through another version, as on a real server: one
 * storage, two shapes. These convert between them (the API server's own conversion, field for field).
 */
import type { KubeObject } from './contracts.js';

/** Resource keys served as a view of another resource's objects. */
export const VIEWS: Record<
  string,
  { stored: string; toView(o: KubeObject): KubeObject; fromView(o: KubeObject): KubeObject }
> = {
  'events.events.k8s.io': { stored: 'events', toView: toEventsV1, fromView: fromEventsV1 },
};

type Fields = Record<string, unknown>;

/** Copies the members of `from` named in `pairs` (`[from, to]`) that are set, under their new names. */
function rename(from: Fields, pairs: [string, string][]): Fields {
  const result: Fields = {};
  for (const [source, target] of pairs) {
    const value = from[source];
    if (value !== undefined && value !== null && value !== '') result[target] = value;
  }
  return result;
}

const SHARED: [string, string][] = [
  ['series', 'series'],
  ['action', 'action'],
  ['reason', 'reason'],
  ['related', 'related'],
  ['type', 'type'],
];

const RENAMED: [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

function toEventsV1(event: KubeObject): KubeObject {
  const fields = event as unknown as Fields;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: event.metadata,
    eventTime: fields.eventTime ?? null,
    ...rename(fields, SHARED),
    ...rename(fields, RENAMED),
  };
}

function fromEventsV1(event: KubeObject): KubeObject {
  const fields = event as unknown as Fields;
  const back: [string, string][] = RENAMED.map(([core, v1]) => [v1, core]);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: event.metadata,
    ...(fields.eventTime !== undefined ? { eventTime: fields.eventTime } : {}),
    ...rename(fields, SHARED),
    ...rename(fields, back),
  };
}

/**
 * Records Kubernetes Events the way client-go's event recorder does: one Event object per distinct
 * (object, reason, message), whose `count` and `lastTimestamp` grow when the same thing happens again.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, type KubeObject, type Store } from '../contracts.js';
import { now } from './util.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** `deployment-controller`, `kubelet`, … */
  component: string;
  /** The node, for the kubelet. */
  host?: string;
}

export class EventRecorder {
  /** Dedup key → event name, so repeats update the same object. */
  private readonly seen = new Map<string, string>();

  public constructor(
    private readonly store: Store,
    private readonly source: EventSource,
  ) {}

  /**
   * Emits an event about `object`. `fieldPath` points into the object, e.g. `spec.containers{web}` for a
   * container. Never throws: an event that cannot be written must not stop the work it describes.
   */
  public emit(object: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const namespace = object.metadata.namespace ?? 'default';
    const key = [object.metadata.uid, fieldPath ?? '', type, reason, message].join('\u0000');
    const timestamp = now();
    try {
      const existingName = this.seen.get(key);
      const existing = existingName === undefined ? undefined : this.store.get('events', namespace, existingName);
      if (existing !== undefined) {
        existing.count = ((existing.count as number | undefined) ?? 1) + 1;
        existing.lastTimestamp = timestamp;
        delete existing.metadata.resourceVersion;
        this.store.update('events', existing);
        return;
      }
      const name = `${object.metadata.name}.${randomBytes(8).toString('hex')}`;
      const involvedObject: Record<string, unknown> = {
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        uid: object.metadata.uid,
        apiVersion: object.apiVersion,
        resourceVersion: object.metadata.resourceVersion,
      };
      if (fieldPath !== undefined) involvedObject.fieldPath = fieldPath;
      this.store.create('events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject,
        reason,
        message,
        type,
        source: this.source.host
          ? { component: this.source.component, host: this.source.host }
          : { component: this.source.component },
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
        eventTime: null,
        reportingComponent: this.source.component,
        reportingInstance: this.source.host ?? '',
      });
      this.seen.set(key, name);
    } catch (error) {
      // A namespace being deleted or a store shutting down refuses events; that is not the caller's problem.
      if (!(error instanceof ApiError)) throw error;
    }
  }
}

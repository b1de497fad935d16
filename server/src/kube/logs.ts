/** Streams a container's log through `pods/<name>/log`. */
import type { Readable } from 'node:stream';
import type { ClusterClient } from './client.js';

export interface LogStreamOptions {
  namespace: string;
  pod: string;
  container?: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** Only lines written at or after this RFC 3339 time. */
  sinceTime?: string;
  timestamps?: boolean;
  /** The log of the container's previous instance (before its last restart). */
  previous?: boolean;
}

/**
 * Opens the log as a byte stream; it ends when the log does (at once without `follow`, when the container stops
 * with it). Throws a `KubeError` when the pod or container is unknown or has no log yet.
 */
export async function streamPodLog(cluster: ClusterClient, options: LogStreamOptions): Promise<Readable> {
  const query = new URLSearchParams();
  if (options.container !== undefined) query.set('container', options.container);
  if (options.follow === true) query.set('follow', 'true');
  if (options.tailLines !== undefined) query.set('tailLines', String(options.tailLines));
  if (options.sinceSeconds !== undefined) query.set('sinceSeconds', String(options.sinceSeconds));
  if (options.sinceTime !== undefined) query.set('sinceTime', options.sinceTime);
  if (options.timestamps === true) query.set('timestamps', 'true');
  if (options.previous === true) query.set('previous', 'true');
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  return cluster.rest.stream(
    `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(options.pod)}/log${suffix}`,
  );
}

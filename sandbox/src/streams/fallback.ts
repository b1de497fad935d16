/**
 * kubectl retries a refused WebSocket exec/attach over SPDY and reports the error of that second attempt. The
 * SPDY attempt cannot run anything here, so it answers with the error that the WebSocket attempt just got (pod not
 * running, unknown container...), which is what the user needs to see.
 */
import type { ApiError } from '../contracts.js';

/** kubectl retries at once; anything older is unrelated. */
const REMEMBER_MS = 30_000;

const failures = new Map<string, { error: ApiError; at: number }>();

function key(namespace: string, pod: string, subresource: string, query: URLSearchParams): string {
  const params = [...query.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${namespace}/${pod}/${subresource}?${new URLSearchParams(params).toString()}`;
}

export function rememberFailure(
  namespace: string,
  pod: string,
  subresource: string,
  query: URLSearchParams,
  error: ApiError,
): void {
  const now = Date.now();
  for (const [entry, { at }] of failures) if (now - at > REMEMBER_MS) failures.delete(entry);
  failures.set(key(namespace, pod, subresource, query), { error, at: now });
}

/** The error of a recent WebSocket attempt at the same request, forgotten once taken. */
export function takeFailure(
  namespace: string,
  pod: string,
  subresource: string,
  query: URLSearchParams,
): ApiError | undefined {
  const entryKey = key(namespace, pod, subresource, query);
  const entry = failures.get(entryKey);
  failures.delete(entryKey);
  return entry && Date.now() - entry.at <= REMEMBER_MS ? entry.error : undefined;
}

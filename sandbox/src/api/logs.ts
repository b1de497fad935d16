/** `pods/<name>/log`: the kubelet's log stream as chunked text/plain, ending when that stream ends. */
import { ApiError, type LogOptions } from '../contracts.js';
import { requireObject, type RequestContext } from './context.js';

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new ApiError(400, 'BadRequest', `invalid ${name}: "${value}"`);
  return number;
}

export function logOptions(query: URLSearchParams): LogOptions {
  const options: LogOptions = {};
  if (flag(query, 'follow')) options.follow = true;
  if (flag(query, 'timestamps')) options.timestamps = true;
  if (flag(query, 'previous')) options.previous = true;
  const tailLines = integer(query, 'tailLines');
  const sinceSeconds = integer(query, 'sinceSeconds');
  const limitBytes = integer(query, 'limitBytes');
  const sinceTime = query.get('sinceTime');
  if (tailLines !== undefined) options.tailLines = tailLines;
  if (sinceSeconds !== undefined) options.sinceSeconds = sinceSeconds;
  if (limitBytes !== undefined) options.limitBytes = limitBytes;
  if (sinceTime !== null && sinceTime !== '') {
    if (Number.isNaN(Date.parse(sinceTime))) throw new ApiError(400, 'BadRequest', `invalid sinceTime: "${sinceTime}"`);
    options.sinceTime = sinceTime;
  }
  return options;
}

export function streamLogs(ctx: RequestContext): void {
  const pod = requireObject(ctx);
  const runtime = ctx.api.runtime;
  if (runtime === undefined) throw new ApiError(503, 'ServiceUnavailable', 'no kubelet is attached to serve pod logs');
  const container = ctx.query.get('container') || undefined;
  const stream = runtime.logs(pod.metadata.namespace ?? 'default', pod.metadata.name, container, logOptions(ctx.query));
  const { res, api } = ctx;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const close = (): void => {
    api.closers.delete(close);
    stream.destroy();
    if (!res.writableEnded) res.end();
  };
  api.closers.add(close);
  stream.on('error', close);
  stream.on('end', close);
  res.on('close', close);
  stream.pipe(res, { end: false });
}

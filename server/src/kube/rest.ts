import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import type * as k8s from '@kubernetes/client-node';
import { KubeError } from './errors.js';
import { sharedSecureContext } from './tlsContext.js';
import { traceRequest } from './trace.js';

/**
 * A small REST transport over the client library's authentication (tokens, client certificates, exec plugins).
 * It sends request bodies exactly as given: patches keep their `$patch` directives and `null`s, which the
 * library's typed serializer would strip.
 */
export class RestTransport {
  /**
   * The client library builds a new agent for every request, so each request would pay its own TCP and TLS
   * handshakes (three round trips instead of one to a distant cluster). One pooled agent per transport keeps
   * connections warm; the TLS options stay on each request, so they still decide the pool a connection joins.
   */
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  private readonly httpAgent = new HttpAgent({ keepAlive: true });

  public constructor(private readonly kubeConfig: k8s.KubeConfig) {}

  public async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const response = await this.send(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      contentType,
      requestTimeoutMs,
    );
    const text = await readAll(response);
    if ((response.statusCode ?? 0) >= 400) throw statusError(response.statusCode ?? 0, text, method, path);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Whether the API server answers at all: a GET /version that any HTTP status counts as an answer to (a 401 is
   * a server that is there but refuses these credentials), bounded by `timeoutMs`.
   */
  public async answers(timeoutMs: number): Promise<boolean> {
    try {
      const response = await this.send('GET', '/version', undefined, undefined, timeoutMs);
      response.resume();
      return true;
    } catch {
      return false;
    }
  }

  /** Opens a streaming GET (watch, logs); the caller reads the response and destroys it when done. */
  public async stream(path: string): Promise<IncomingMessage> {
    const response = await this.send('GET', path, undefined, undefined);
    if ((response.statusCode ?? 0) >= 400)
      throw statusError(response.statusCode ?? 0, await readAll(response), 'GET', path);
    return response;
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    contentType: string | undefined,
    timeoutMs?: number,
  ): Promise<IncomingMessage> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new KubeError(0, 'ContextNotFound', 'the kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    const options: RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: {
        Accept: 'application/json',
        'User-Agent': 'devmode',
        // Node sends a DELETE body neither chunked nor with a length unless told, which corrupts the stream.
        ...(contentType !== undefined && body !== undefined
          ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }
          : {}),
      },
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    // A cluster reached through a proxy keeps the library's agent, which knows the proxy.
    if (cluster.proxyUrl === undefined) options.agent = url.protocol === 'http:' ? this.httpAgent : this.httpsAgent;
    const secureContext = sharedSecureContext(options);
    // https.request hands its options to tls.connect, which takes a built context (its types omit it here).
    if (secureContext !== undefined) Object.assign(options, { secureContext });
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const attempt = (retried: boolean): Promise<IncomingMessage> => {
      const traced = traceRequest(method, path);
      return new Promise((resolve, reject) => {
        const req = send(options, (response) => {
          traced(response.statusCode ?? 0);
          resolve(response);
        });
        req.once('error', (error: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed as the request went out (its idle timeout) answered
          // nothing: a request that may be sent twice goes again, once, on another connection.
          if (!retried && req.reusedSocket && closedUnanswered(error) && IDEMPOTENT.has(method)) {
            traced('retried');
            attempt(true).then(resolve, reject);
            return;
          }
          traced(error.code ?? 'error');
          reject(new KubeError(0, error.code ?? 'Unreachable', `cannot reach ${url.origin}: ${error.message}`));
        });
        // A request to an API server that stopped answering must fail, not hang the operation waiting on it.
        if (timeoutMs !== undefined) {
          req.setTimeout(timeoutMs, () =>
            req.destroy(
              Object.assign(
                new Error(`no answer to ${method} ${path.split('?')[0] ?? path} within ${timeoutMs / 1000} s`),
                { code: 'Timeout' },
              ),
            ),
          );
        }
        req.end(body);
      });
    };
    return attempt(false);
  }
}

/** Methods whose request the API server may receive twice with the effect of once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Whether the connection was closed before any answer came (Node says "socket hang up" for a plain close). */
function closedUnanswered(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ECONNRESET' || error.code === 'EPIPE';
}

/** How long a plain (non-streaming) API request may take. */
const requestTimeoutMs = 60_000;

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', reject);
  });
}

function statusError(status: number, text: string, method: string, path: string): KubeError {
  let body: { message?: string; reason?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { message: text.trim() };
  }
  const message =
    body.message !== undefined && body.message !== ''
      ? body.message
      : `${method} ${path.split('?')[0] ?? path}: HTTP ${status}`;
  return new KubeError(status, body.reason ?? `HTTP${status}`, message, {
    verb: verbOf(method, path),
    resource: resourceOf(path),
  });
}

function verbOf(method: string, path: string): string {
  switch (method) {
    case 'GET':
      return path.includes('watch=') ? 'watch' : /\/[^/]+\/[^/?]+(\?|$)/.test(path) ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    default:
      return method.toLowerCase();
  }
}

/** The resource name in a REST path (`deployments` in `/apis/apps/v1/namespaces/x/deployments/y`). */
function resourceOf(path: string): string {
  const parts =
    path
      .split('?')[0]
      ?.split('/')
      .filter((part) => part !== '') ?? [];
  const namespaced = parts.indexOf('namespaces');
  const index = namespaced !== -1 && parts.length > namespaced + 2 ? namespaced + 2 : parts[0] === 'api' ? 2 : 3;
  const resource = parts[index] ?? path;
  // A subresource (`pods/log`, `deployments/scale`) follows the object's name; RBAC names it that way.
  const subresource = parts[index + 2];
  return subresource !== undefined ? `${resource}/${subresource}` : resource;
}

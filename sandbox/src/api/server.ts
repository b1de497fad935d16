/**
 * The sandbox's API server: HTTPS on 127.0.0.1, a bearer token on every request, and the routes kubectl 1.32
 * and @kubernetes/client-node use. Upgrade requests (exec, attach, port-forward) go to the streaming endpoints.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError, type PodRuntime } from '../contracts.js';
import { Deleter } from '../deletion.js';
import { GarbageCollector } from '../garbageCollector.js';
import type { MemoryStore } from '../store.js';
import { handleStreamUpgrade } from '../streams/index.js';
import { ACCESS_REVIEWS, reviewAccess, reviewSelf } from './access.js';
import { ADMIN_USER, authorize, DEVELOPER_USER, verbOf } from './rbac.js';
import type { ApiContext, RequestContext } from './context.js';
import type { Credentials } from './credentials.js';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  legacyCoreVersions,
  legacyGroup,
  legacyGroupList,
  resourceList,
  wantsAggregated,
} from './discovery.js';
import { sendError, sendJson, statusOf } from './http.js';
import { streamLogs } from './logs.js';
import { RequestMetrics } from './metrics.js';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  updateObject,
} from './objects.js';
import { openApiDocument, openApiIndex } from './openapi.js';
import { notFound, parseResourcePath, splitApiPath, type ResourceRoute } from './routes.js';
import { getScale, writeScale } from './scale.js';
import { BOOKMARK_INTERVAL_MS, watchObjects } from './watch.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-devmode-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-04-22T00:00:00Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

export interface ApiServerOptions {
  store: MemoryStore;
  credentials: Credentials;
  /** The kubelet. Without one, pods are deleted at once and logs, exec and port-forward answer 503. */
  runtime?: PodRuntime;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** How often watches that allow bookmarks get one (default 15 s). */
  bookmarkIntervalMs?: number;
}

export class ApiServer {
  private readonly server: Server;
  private readonly api: ApiContext;
  private readonly collector: GarbageCollector;
  private readonly token: Buffer;
  private readonly developerToken: Buffer;
  private readonly metrics: RequestMetrics;
  private address: AddressInfo | undefined;
  /** Upgraded connections (exec, attach, port-forward): the HTTP server no longer tracks them. */
  private readonly upgraded = new Set<Duplex>();

  public constructor(private readonly options: ApiServerOptions) {
    const resources = options.store.resources();
    const deleter = new Deleter(options.store, resources, options.runtime !== undefined);
    this.api = {
      store: options.store,
      resources,
      deleter,
      runtime: options.runtime,
      closers: new Set(),
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? BOOKMARK_INTERVAL_MS,
    };
    this.collector = new GarbageCollector(options.store, resources, deleter);
    this.metrics = new RequestMetrics(resources);
    this.token = Buffer.from(options.credentials.token);
    this.developerToken = Buffer.from(options.credentials.developerToken);
    this.server = createServer({ cert: options.credentials.serverCert, key: options.credentials.serverKey });
    // Watches and log streams stay open for a long time; only the request itself must arrive promptly.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.metrics.observe(req, res);
      this.handle(req, res).catch((error: unknown) => sendError(res, error));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('tlsClientError', () => {
      // A client that drops the TLS handshake (a readiness probe, a refused certificate) is not an error here.
    });
  }

  /** Starts listening on 127.0.0.1 (on `port`, else the configured one); resolves with the port. */
  public async start(port = this.options.port ?? 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
    this.collector.start();
    return this.address.port;
  }

  public get url(): string {
    if (this.address === undefined) throw new Error('the API server is not listening');
    return `https://127.0.0.1:${this.address.port}`;
  }

  /** Ends open watches and streams, then closes every connection. */
  public async stop(): Promise<void> {
    this.collector.stop();
    for (const close of [...this.api.closers]) close();
    for (const socket of this.upgraded) socket.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The user a request's bearer token belongs to; 401 Unauthorized for any other token. */
  private authenticate(req: IncomingMessage): string {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const given = Buffer.from(match?.[1] ?? '');
    const same = (token: Buffer): boolean => given.length === token.length && timingSafeEqual(given, token);
    if (same(this.token)) return ADMIN_USER;
    if (same(this.developerToken)) return DEVELOPER_USER;
    throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const user = this.authenticate(req);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && this.serveStatic(req, res, path)) return;
    const api = splitApiPath(path);
    if (api === undefined) throw notFound();
    const { group, version, segments } = api;
    const resources = this.api.resources;
    if (segments.length === 0) {
      if (method !== 'GET')
        throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      const list = resourceList(resources, group, version);
      if (list === undefined) throw notFound();
      sendJson(res, 200, list);
      return;
    }
    const route = parseResourcePath(resources, group, version, segments);
    const watching = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb = verbOf(method, route.name, watching, route.subresource);
    if (route.subresource === undefined && !route.resource.verbs.includes(verb)) throw methodNotAllowed();
    if (route.resource.group === 'authorization.k8s.io' && ACCESS_REVIEWS.has(route.resource.plural)) {
      await reviewAccess(req, res, route.resource.plural, user, this.api.store);
      return;
    }
    if (route.resource.key === 'selfsubjectreviews.authentication.k8s.io') {
      reviewSelf(res, user);
      return;
    }
    if (!route.resource.verbs.includes('get')) {
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the sandbox does not answer ${route.resource.kind} requests (see the README's Sandbox limits)`,
      );
    }
    authorize(this.api.store, user, {
      verb,
      resource: route.resource,
      ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
      ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(route.name !== undefined ? { name: route.name } : {}),
    });
    await this.dispatch({ api: this.api, req, res, query: url.searchParams, route }, method);
  }

  /** Version, health, discovery and OpenAPI; false when `path` is none of them. */
  private serveStatic(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const resources = this.api.resources;
    const trimmed = path.length > 1 ? path.replace(/\/$/, '') : path;
    if (trimmed === '/version') sendJson(res, 200, SERVER_VERSION);
    else if (trimmed === '/metrics') this.metrics.send(res);
    else if (trimmed === '/healthz' || trimmed === '/readyz' || trimmed === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
      res.end('ok');
    } else if (trimmed === '/api' || trimmed === '/apis') {
      const core = trimmed === '/api';
      if (wantsAggregated(req)) sendJson(res, 200, aggregatedDiscovery(resources, core), AGGREGATED_CONTENT_TYPE);
      else
        sendJson(
          res,
          200,
          core ? legacyCoreVersions(`127.0.0.1:${this.address?.port ?? 0}`) : legacyGroupList(resources),
        );
    } else if (/^\/apis\/[^/]+$/.test(trimmed)) {
      const group = legacyGroup(resources, trimmed.slice('/apis/'.length));
      if (group === undefined) return false;
      sendJson(res, 200, group);
    } else if (trimmed === '/openapi/v3') sendJson(res, 200, openApiIndex(resources));
    else if (trimmed.startsWith('/openapi/v3/')) {
      const document = openApiDocument(resources, trimmed.slice('/openapi/v3/'.length));
      if (document === undefined) throw notFound();
      sendJson(res, 200, document);
    } else return false;
    return true;
  }

  private async dispatch(ctx: RequestContext, method: string): Promise<void> {
    const { name, subresource } = ctx.route;
    const query = ctx.query;
    if (subresource !== undefined && STREAM_SUBRESOURCES.has(subresource)) {
      throw new ApiError(400, 'BadRequest', `${subresource} requires an upgrade to WebSocket or SPDY/3.1`);
    }
    if (subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      streamLogs(ctx);
      return;
    }
    if (subresource === 'scale') {
      if (method === 'GET') getScale(ctx);
      else if (method === 'PUT' || method === 'PATCH') await writeScale(ctx, method);
      else throw methodNotAllowed();
      return;
    }
    const watching = query.get('watch') === 'true' || query.get('watch') === '1';
    switch (method) {
      case 'GET':
        if (watching) watchObjects(ctx);
        else if (name === undefined) listObjects(ctx);
        else getObject(ctx);
        return;
      case 'POST':
        await createObject(ctx);
        return;
      case 'PUT':
        if (name === undefined) throw methodNotAllowed();
        await updateObject(ctx);
        return;
      case 'PATCH':
        if (name === undefined) throw methodNotAllowed();
        await patchObject(ctx);
        return;
      case 'DELETE':
        if (subresource !== undefined) throw methodNotAllowed();
        if (name === undefined) await deleteCollection(ctx);
        else await deleteObject(ctx);
        return;
      default:
        throw methodNotAllowed();
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {
      // The client went away; nothing to clean up before the stream handler takes over.
    });
    this.upgraded.add(socket);
    socket.on('close', () => this.upgraded.delete(socket));
    try {
      const user = this.authenticate(req);
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const api = splitApiPath(url.pathname);
      if (api === undefined) throw notFound();
      const route: ResourceRoute = parseResourcePath(this.api.resources, api.group, api.version, api.segments);
      const { resource, namespace, name, subresource } = route;
      authorize(this.api.store, user, {
        verb: 'create',
        resource,
        ...(subresource !== undefined ? { subresource } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
        ...(name !== undefined ? { name } : {}),
      });
      if (
        resource.key !== 'pods' ||
        name === undefined ||
        subresource === undefined ||
        !STREAM_SUBRESOURCES.has(subresource)
      ) {
        throw new ApiError(400, 'BadRequest', 'only pods/exec, pods/attach and pods/portforward can be upgraded');
      }
      const runtime = this.api.runtime;
      if (runtime === undefined) throw new ApiError(503, 'ServiceUnavailable', 'no kubelet is attached to run streams');
      const target = {
        namespace: namespace ?? 'default',
        pod: name,
        subresource: subresource as 'exec' | 'attach' | 'portforward',
        query: url.searchParams,
      };
      handleStreamUpgrade(req, socket, head, target, runtime);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error));
      const body = JSON.stringify(statusOf(apiError));
      socket.end(
        `HTTP/1.1 ${apiError.code} ${apiError.reason}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }
}

function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

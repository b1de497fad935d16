/**
 * `/metrics` in the Prometheus text format, as a real kube-apiserver serves it: `apiserver_request_total` counts
 * every authenticated request by verb, group, version, resource, subresource, scope and response code, and
 * `apiserver_longrunning_requests` is the gauge of watches and followed logs still open. Together they tell how many
 * requests a client made between two scrapes, including watches that have not ended yet.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceIndex } from '../resources.js';
import { parseResourcePath, splitApiPath } from './routes.js';

interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
}

/** Non-resource paths reported under their own name; anything else is "other", to keep the label set small. */
const KNOWN_PATHS = new Set(['/version', '/healthz', '/readyz', '/livez', '/metrics', '/api', '/apis', '/openapi/v3']);

export class RequestMetrics {
  private readonly totals = new Map<string, number>();
  private readonly open = new Map<string, number>();

  public constructor(private readonly resources: ResourceIndex) {}

  /** Counts `req` once its response is over, and as long-running meanwhile when it is a watch or a log follow. */
  public observe(req: IncomingMessage, res: ServerResponse): void {
    const labels = this.labelsOf(req);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const longRunning =
      labels.verb === 'WATCH' || (labels.subresource === 'log' && isTrue(url.searchParams.get('follow')));
    const { dry_run: _dryRun, ...gaugeLabels } = labels;
    const gaugeKey = render({ component: 'apiserver', ...gaugeLabels });
    if (longRunning) this.open.set(gaugeKey, (this.open.get(gaugeKey) ?? 0) + 1);
    res.once('close', () => {
      if (longRunning) this.open.set(gaugeKey, (this.open.get(gaugeKey) ?? 1) - 1);
      // A real server counts requests after authentication; the only 401 the sandbox answers is a bad token.
      if (res.statusCode === 401) return;
      const key = render({ code: String(res.statusCode), component: 'apiserver', ...labels });
      this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
    });
  }

  /** The exposition text: both metric families, samples sorted so that two scrapes compare line by line. */
  public text(): string {
    const lines = [
      '# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, dry run value, ' +
        'group, version, resource, scope, component, and HTTP response code.',
      '# TYPE apiserver_request_total counter',
      ...[...this.totals]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, n]) => `apiserver_request_total${key} ${n}`),
      '# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver requests broken out by ' +
        'verb, group, version, resource, scope and component.',
      '# TYPE apiserver_longrunning_requests gauge',
      ...[...this.open]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, n]) => `apiserver_longrunning_requests${key} ${n}`),
    ];
    return `${lines.join('\n')}\n`;
  }

  public send(res: ServerResponse): void {
    const body = this.text();
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  /** The labels a real server gives: GET splits into GET, LIST and WATCH; a server-side apply PATCH is APPLY. */
  private labelsOf(req: IncomingMessage): RequestLabels {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const labels: RequestLabels = {
      verb: method,
      dry_run: url.searchParams.getAll('dryRun').join(','),
      group: '',
      version: '',
      resource: '',
      subresource: '',
      scope: '',
    };
    const api = splitApiPathSafely(url.pathname);
    let route;
    if (api !== undefined && api.segments.length > 0) {
      try {
        route = parseResourcePath(this.resources, api.group, api.version, api.segments);
      } catch {
        // Not a resource this server has: counted as a non-resource request below.
      }
    }
    if (route === undefined) {
      const trimmed = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
      const known = KNOWN_PATHS.has(trimmed) || /^\/(api\/v1|apis\/[^/]+(\/[^/]+)?)$/.test(trimmed);
      labels.subresource = known ? trimmed : trimmed.startsWith('/openapi/v3/') ? '/openapi/v3/*' : 'other';
      if (method === 'HEAD') labels.verb = 'GET';
      return labels;
    }
    labels.group = route.resource.group;
    labels.version = route.resource.version;
    labels.resource = route.resource.plural;
    labels.subresource = route.subresource ?? '';
    labels.scope = route.namespace !== undefined ? 'namespace' : route.name !== undefined ? 'resource' : 'cluster';
    if (method === 'GET' || method === 'HEAD') {
      if (isTrue(url.searchParams.get('watch'))) labels.verb = 'WATCH';
      else labels.verb = route.name === undefined ? 'LIST' : 'GET';
    } else if (method === 'PATCH' && (req.headers['content-type'] ?? '').startsWith('application/apply-patch')) {
      labels.verb = 'APPLY';
    }
    return labels;
  }
}

function splitApiPathSafely(pathname: string): ReturnType<typeof splitApiPath> {
  try {
    return splitApiPath(pathname);
  } catch {
    // A malformed percent-encoding: the request itself fails later with a clear error.
    return undefined;
  }
}

function isTrue(value: string | null): boolean {
  return value !== null && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** `{a="1",b="2"}` with names sorted and values escaped as the text format requires. */
function render(labels: Record<string, string>): string {
  const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${name}="${escape(labels[name] ?? '')}"`);
  return `{${pairs.join(',')}}`;
}

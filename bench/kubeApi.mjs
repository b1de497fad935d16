// Direct HTTPS calls to a cluster named by a kubeconfig (its server, CA and bearer token), for benchmarks that
// must time one API request or read the API server's /metrics without a client library in between.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

/** Opens the current context's cluster; one kept-alive connection pool, so timings exclude TLS handshakes. */
export function openApi(kubeconfigPath) {
  const config = parse(readFileSync(kubeconfigPath, 'utf8'));
  const contextName = config['current-context'];
  const context = config.contexts.find((c) => c.name === contextName)?.context;
  const cluster = config.clusters.find((c) => c.name === context?.cluster)?.cluster;
  const user = config.users.find((u) => u.name === context?.user)?.user;
  if (cluster === undefined || user?.token === undefined) {
    throw new Error(`${kubeconfigPath}: the current context has no cluster or no bearer token`);
  }
  const server = new URL(cluster.server);
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  const agent = new Agent({ keepAlive: true, ca });
  const headers = { Authorization: `Bearer ${user.token}`, Accept: 'application/json' };

  /** One request; resolves with the status and the body as text. */
  function call(method, path, body) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, server),
        {
          method,
          agent,
          headers: payload === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.once('end', () => resolve({ status: res.statusCode, text }));
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(payload);
    });
  }

  /** Like `call`, but a status other than 2xx is an error that names the request. */
  async function json(method, path, body) {
    const reply = await call(method, path, body);
    if (reply.status < 200 || reply.status > 299) {
      throw new Error(`${method} ${path} answered ${reply.status}: ${reply.text.slice(0, 300)}`);
    }
    return JSON.parse(reply.text);
  }

  /**
   * Watches `path` (a collection) and resolves with the first event `accept` returns a value for; the watch is
   * open before the returned `ready` promise resolves, so the caller can act after it without missing events.
   */
  function watchUntil(path, accept, timeoutMs = 60_000) {
    let markReady;
    const ready = new Promise((resolve) => (markReady = resolve));
    const done = new Promise((resolve, reject) => {
      const separator = path.includes('?') ? '&' : '?';
      const req = request(new URL(`${path}${separator}watch=true`, server), { agent: false, ca, headers }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path} answered ${res.statusCode}`));
          res.resume();
          return;
        }
        markReady();
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffered += chunk;
          let newline;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (line.trim() === '') continue;
            const value = accept(JSON.parse(line));
            if (value !== undefined) {
              clearTimeout(timer);
              resolve(value);
              req.destroy();
              return;
            }
          }
        });
        res.once('error', () => undefined);
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`no matching event on ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end();
    });
    return { ready, done };
  }

  return { call, json, watchUntil, close: () => agent.destroy() };
}

/** Parses the Prometheus text of /metrics into `{ labels, value }` samples of one metric. */
export function parseSamples(text, metric) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels = {};
    for (const match of line.slice(metric.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[match[1]] = match[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    }
    samples.push({ labels, value: Number(line.slice(close + 1).trim()) });
  }
  return samples;
}

/**
 * What a client asked of the API server between two scrapes, counting watches still open at the second scrape
 * (completed + long-running now open - long-running open before). `byVerb` holds the resource requests;
 * `nonResource` the others by path (version and discovery: the kubectl on some machines is a dispatcher that asks
 * /version before every command, which a real kubectl does not). The scrapes themselves are left out.
 */
export function requestsBetween(before, after) {
  const byVerb = {};
  const nonResource = {};
  const add = (text, metric, sign) => {
    for (const { labels, value } of parseSamples(text, metric)) {
      if (labels.subresource === '/metrics') continue;
      const into = labels.resource === '' ? nonResource : byVerb;
      const key = labels.resource === '' ? labels.subresource : labels.verb;
      into[key] = (into[key] ?? 0) + sign * value;
    }
  };
  add(after, 'apiserver_request_total', 1);
  add(before, 'apiserver_request_total', -1);
  add(after, 'apiserver_longrunning_requests', 1);
  add(before, 'apiserver_longrunning_requests', -1);
  for (const counts of [byVerb, nonResource]) {
    for (const key of Object.keys(counts)) if (counts[key] === 0) delete counts[key];
  }
  return { byVerb, nonResource };
}

export const totalOf = (byVerb) => Object.values(byVerb).reduce((sum, n) => sum + n, 0);

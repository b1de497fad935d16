// A network emulator for the benchmarks: a TCP proxy on 127.0.0.1 in front of the sandbox's API server that adds a
// one-way delay and a bandwidth cap per direction, so that devmode, kubectl and client-node can be measured as if the
// cluster were in a cloud region. No root and no tc: every byte passes through this process, which holds it back
// until a link of the profile's bandwidth would have sent it and the profile's delay has passed. TLS passes through
// untouched (the sandbox's certificate covers 127.0.0.1, so a kubeconfig pointing at the proxy still verifies).
//
// The proxy also records every round trip it sees, per connection: a burst from the client, then silence from it
// until the first bytes of the answer (a client streaming all along does not wait for each answer). The longest chain of round trips that do not overlap in time is the number of round trips a
// client made in sequence, TCP and TLS handshakes included: what a cluster far away makes a user wait for.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

/**
 * The profiles: round-trip time and the bandwidth of each direction (up: client to cluster). The issue names the
 * upload link; the download link of a user's line is usually wider, so it is five times the upload here.
 */
export const profiles = {
  lan: { rttMs: 1, upMbps: 1000, downMbps: 1000 },
  cloud: { rttMs: 20, upMbps: 100, downMbps: 500 },
  far: { rttMs: 80, upMbps: 20, downMbps: 100 },
};

export function profileNamed(name) {
  const profile = profiles[name];
  if (profile === undefined) {
    throw new Error(`unknown network profile ${JSON.stringify(name)}: use one of ${Object.keys(profiles).join(', ')}`);
  }
  return { name, ...profile };
}

const nowNs = () => process.hrtime.bigint();
const msToNs = (ms) => BigInt(Math.round(ms * 1e6));

/**
 * One direction of the emulated network, shared by every connection as a real access link is: bytes are serialized
 * one after another at `mbps`, then arrive `delayMs` later. A sender is paused while its bytes would wait longer than
 * a router's queue holds them (the one-way delay, 2 ms at least), so that it feels the link's pace, as over TCP.
 */
class Link {
  constructor(mbps, delayMs) {
    this.nsPerByte = 8000 / mbps;
    this.delayNs = msToNs(delayMs);
    this.freeAt = 0n;
    this.queue = [];
    // The router's queue: how long bytes may wait to be serialized before the sender is paused.
    this.queueNs = msToNs(Math.max(2, delayMs));
    this.paused = new Set();
    this.timer = undefined;
    this.bytes = 0;
  }

  /** Accepts `chunk` from `source` for `deliver`; a null chunk is the end of the stream, kept in order. */
  send(source, chunk, deliver) {
    const now = nowNs();
    const start = this.freeAt > now ? this.freeAt : now;
    const size = chunk?.length ?? 0;
    this.freeAt = start + BigInt(Math.round(size * this.nsPerByte));
    this.queue.push({ due: this.freeAt + this.delayNs, chunk, deliver });
    this.bytes += size;
    if (this.freeAt - now > this.queueNs && source !== undefined && !this.paused.has(source)) {
      this.paused.add(source);
      source.pause();
    }
    if (this.queue.length === 1) this.schedule();
  }

  schedule() {
    if (this.timer !== undefined || this.queue.length === 0) return;
    const waitMs = Number(this.queue[0].due - nowNs()) / 1e6;
    // Timers have a granularity of a millisecond or more; the last stretch is waited out on the event loop so that
    // the lan profile's half-millisecond delay is not rounded up to two.
    const wake = () => {
      this.timer = undefined;
      this.pump();
    };
    this.timer = waitMs > 2 ? setTimeout(wake, Math.floor(waitMs - 1)) : setImmediate(wake);
    this.timerIsImmediate = waitMs <= 2;
  }

  pump() {
    const now = nowNs();
    while (this.queue.length > 0 && this.queue[0].due <= now) {
      const { chunk, deliver } = this.queue.shift();
      deliver(chunk);
    }
    if (this.freeAt - now <= this.queueNs / 2n && this.paused.size > 0) {
      for (const source of this.paused) if (!source.destroyed) source.resume();
      this.paused.clear();
    }
    this.schedule();
  }

  close() {
    if (this.timer !== undefined) (this.timerIsImmediate ? clearImmediate : clearTimeout)(this.timer);
    this.queue = [];
  }
}

/**
 * Starts the emulator on 127.0.0.1 (an ephemeral port unless `port` is given), forwarding to `target` ({host, port})
 * through a network of `profile` (a name from `profiles` or {rttMs, upMbps, downMbps}).
 */
export async function startNetem(target, profile, { port = 0 } = {}) {
  const settings = typeof profile === 'string' ? profileNamed(profile) : profile;
  const up = new Link(settings.upMbps, settings.rttMs / 2);
  const down = new Link(settings.downMbps, settings.rttMs / 2);
  const sockets = new Set();
  const halfRttNs = msToNs(settings.rttMs / 2);
  /** Completed round trips: {connection, start, end} in ns (proxy clock, as the client sends and receives). */
  const roundTrips = [];
  let connections = 0;

  // Half-open sockets: an end travels through the emulated network after the data before it, like any byte.
  const server = createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, (client) => {
    const id = ++connections;
    const opened = nowNs();
    const upstream = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
    sockets.add(client).add(upstream);
    upstream.pause();
    let asking;
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    // An error ends both sides at once (a reset); a close after both ends have passed just forgets the sockets.
    client.on('error', destroyBoth).on('close', () => sockets.delete(client));
    upstream.on('error', destroyBoth).on('close', () => sockets.delete(upstream));

    let lastAsked = 0n;
    let askedBytes = 0;
    let lastTrip;
    let turns = 0;
    const trip = (start, end) => {
      lastTrip = { connection: id, turn: turns++, start, end, upBytes: askedBytes, downBytes: 0 };
      roundTrips.push(lastTrip);
    };
    client.on('data', (chunk) => {
      lastAsked = nowNs();
      if (asking === undefined) {
        asking = lastAsked;
        askedBytes = 0;
      }
      askedBytes += chunk.length;
      up.send(client, chunk, (data) => !upstream.destroyed && upstream.write(data));
    });
    client.once('end', () => up.send(undefined, null, () => !upstream.destroyed && upstream.end()));
    upstream.on('data', (chunk) =>
      down.send(upstream, chunk, (data) => {
        if (client.destroyed) return;
        // An answer to a client that kept sending until it came (a stream) is not a round trip it waited for.
        const now = nowNs();
        if (asking !== undefined && now - lastAsked >= halfRttNs) trip(asking, now);
        else if (asking !== undefined) lastTrip = undefined;
        asking = undefined;
        if (lastTrip !== undefined) lastTrip.downBytes += data.length;
        client.write(data);
      }),
    );
    upstream.once('end', () => down.send(undefined, null, () => !client.destroyed && client.end()));

    // A TCP connection costs one round trip before the client's first byte can leave: the client (already
    // accepted on loopback) is read only once the handshake would have completed. Counted as a round trip.
    let waiting = 2;
    const handshakeDone = () => {
      if (--waiting > 0) return;
      trip(opened, nowNs());
      lastTrip = undefined;
      client.resume();
      upstream.resume();
    };
    upstream.once('connect', handshakeDone);
    const handshake = setTimeout(handshakeDone, settings.rttMs);
    client.once('close', () => clearTimeout(handshake));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');

  return {
    profile: settings,
    port: server.address().port,
    /** A mark to measure from: the counters at this moment. */
    mark: () => ({ at: nowNs(), connections, roundTrips: roundTrips.length, up: up.bytes, down: down.bytes }),
    /**
     * What clients did since `mark`: connections, bytes each way, round trips, and those in sequence (`chain`:
     * each with its connection, its turn on it (0 is the TCP handshake), start and end in ns, bytes up and down).
     */
    since(mark) {
      const trips = roundTrips.slice(mark.roundTrips);
      const chain = longestChain(trips);
      return {
        chain: chain.map((t) => ({
          ...t,
          startMs: Number(t.start - mark.at) / 1e6,
          ms: Number(t.end - t.start) / 1e6,
        })),
        connections: connections - mark.connections,
        upBytes: up.bytes - mark.up,
        downBytes: down.bytes - mark.down,
        roundTrips: trips.length,
        sequentialRoundTrips: chain.length,
      };
    },
    async close() {
      server.close();
      for (const socket of sockets) socket.destroy();
      up.close();
      down.close();
    },
  };
}

/** The most round trips that follow one another without overlapping: those a client waited for one by one. */
export function longestChain(trips) {
  const chain = [];
  let lastEnd = -1n;
  for (const trip of [...trips].sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : 0))) {
    if (trip.start >= lastEnd) {
      chain.push(trip);
      lastEnd = trip.end;
    }
  }
  return chain;
}

/** Writes a copy of the kubeconfig at `source` whose clusters at `target` point at the emulator's port instead. */
export function writeProxiedKubeconfig(source, destination, target, proxyPort) {
  const config = parse(readFileSync(source, 'utf8'));
  let rewritten = 0;
  for (const { cluster } of config.clusters ?? []) {
    const url = new URL(cluster.server);
    if (url.hostname === target.host && Number(url.port) === target.port) {
      url.port = String(proxyPort);
      cluster.server = url.origin;
      rewritten++;
    }
  }
  if (rewritten === 0) throw new Error(`${source} has no cluster at ${target.host}:${target.port}`);
  writeFileSync(destination, stringify(config), { mode: 0o600 });
}

/** The {host, port} of the current context's cluster in a kubeconfig. */
export function kubeconfigTarget(path) {
  const config = parse(readFileSync(path, 'utf8'));
  const context = config.contexts.find((c) => c.name === config['current-context'])?.context;
  const cluster = config.clusters.find((c) => c.name === context?.cluster)?.cluster;
  if (cluster === undefined) throw new Error(`${path}: the current context has no cluster`);
  const url = new URL(cluster.server);
  return { host: url.hostname, port: Number(url.port || 443) };
}

/**
 * Checks the emulator itself against `profile`: a bulk transfer each way (the rate from the first to the last byte
 * at the receiver) and a one-byte ping-pong (the median round trip on a connection already open). Resolves with
 * the set and measured figures.
 */
export async function measureNetem(profile, { bytes = 16 * 1024 * 1024, pings = 30 } = {}) {
  const settings = typeof profile === 'string' ? profileNamed(profile) : profile;
  const server = createServer({ noDelay: true }, (socket) => {
    socket.once('data', (first) => {
      const mode = first.toString('latin1', 0, 1);
      if (mode === 'p') {
        // Ping-pong: echo every byte.
        socket.write(first.subarray(1));
        socket.on('data', (chunk) => socket.write(chunk));
      } else if (mode === 'd') {
        // Download: send `bytes` and close.
        const block = Buffer.alloc(64 * 1024, 120);
        let left = bytes;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, block.length);
            left -= n;
            if (!socket.write(n === block.length ? block : block.subarray(0, n)))
              return void socket.once('drain', pump);
          }
          socket.end();
        };
        pump();
      } else {
        // Upload: time the bytes after the mode byte, from the first to the last, and answer with the rate.
        const firstAt = nowNs();
        const firstSize = first.length - 1;
        let received = firstSize;
        socket.on('data', (chunk) => {
          received += chunk.length;
          if (received >= bytes)
            socket.end(String(((received - firstSize) * 8) / (Number(nowNs() - firstAt) / 1e9) / 1e6));
        });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // In its own process, as the benchmarks run it.
  const netem = await startNetemProcess({ host: '127.0.0.1', port: server.address().port }, settings);
  try {
    const upMbps = await uploadMbps(netem.port, bytes);
    const downMbps = await downloadMbps(netem.port, bytes);
    const rttMs = await pingPongMs(netem.port, pings);
    return { profile: settings, upMbps, downMbps, rttMs };
  } finally {
    await netem.close();
    server.close();
  }
}

function uploadMbps(port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const block = Buffer.alloc(64 * 1024, 120);
    let sent = 0;
    let answer = '';
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(bytes - sent, block.length);
        sent += n;
        if (!socket.write(n === block.length ? block : block.subarray(0, n))) return void socket.once('drain', pump);
      }
    };
    socket.once('connect', () => {
      socket.write('u');
      pump();
    });
    socket.setEncoding('utf8').on('data', (chunk) => (answer += chunk));
    socket.once('end', () => resolve(Number(answer)));
    socket.once('error', reject);
  });
}

function downloadMbps(port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let received = 0;
    let firstAt;
    let firstSize = 0;
    socket.once('connect', () => socket.write('d'));
    socket.on('data', (chunk) => {
      if (firstAt === undefined) {
        firstAt = nowNs();
        firstSize = chunk.length;
      }
      received += chunk.length;
    });
    socket.once('end', () => {
      if (received !== bytes) return reject(new Error(`downloaded ${received} bytes, expected ${bytes}`));
      resolve(((received - firstSize) * 8) / (Number(nowNs() - firstAt) / 1e9) / 1e6);
    });
    socket.once('error', reject);
  });
}

async function pingPongMs(port, pings) {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  const times = [];
  try {
    // The first exchange also pays the connection's handshake; it is not counted.
    for (let i = 0; i <= pings; i++) {
      const started = nowNs();
      const answered = once(socket, 'data');
      socket.write(i === 0 ? 'p.' : '.');
      await answered;
      if (i > 0) times.push(Number(nowNs() - started) / 1e6);
    }
  } finally {
    socket.destroy();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * The emulator in a process of its own, so that a benchmark's own work (the sync engine runs in the benchmark's
 * process) does not hold back the bytes of the clients it is compared with. Same interface as `startNetem`, with
 * `mark` and `since` answered over IPC (async).
 */
export async function startNetemProcess(target, profile) {
  const settings = typeof profile === 'string' ? profileNamed(profile) : profile;
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify({ target, profile: settings })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let next = 0;
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the network emulator exited ${code} before it listened`)));
    child.on('message', (message) => {
      if (message.port !== undefined) resolve(message.port);
      pending.get(message.id)?.(message.value);
      pending.delete(message.id);
    });
  });
  const ask = (method, arg) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      child.send({ id, method, arg });
    });
  const port = await ready;
  child.removeAllListeners('exit');
  return {
    profile: settings,
    port,
    mark: () => ask('mark'),
    since: (mark) => ask('since', mark),
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    },
  };
}

// Run as a child by startNetemProcess: serve, and answer mark/since. BigInts do not cross IPC, so marks travel as
// strings.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.send !== undefined) {
  const { target, profile } = JSON.parse(process.argv[2]);
  const netem = await startNetem(target, profile);
  const toWire = (value) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
  process.on('message', ({ id, method, arg }) => {
    const value = method === 'mark' ? netem.mark() : netem.since({ ...arg, at: BigInt(arg.at) });
    process.send({ id, value: toWire(value) });
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ port: netem.port });
}

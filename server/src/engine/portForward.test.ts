/**
 * The port-forward engine's reconnect logic, driven through its seams (the object client and the PortForwarder):
 * dial failures the sandbox cannot produce on demand. The real forwarder is exercised in test/e2e.
 */
import type { DidChangePortForwardStateParams } from '@devmode/protocol';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject, ObjectClient, WatchEventType } from '../kube/objects.js';
import type { PortForwarder } from '../kube/portForward.js';
import { PortForwards } from './portForward.js';

function readyPod(name: string, created: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', creationTimestamp: created, labels: { app: 'web' } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A cluster with one Deployment whose pods the test changes through `emit`. */
function fakeObjects(pods: KubeObject[]): {
  objects: ObjectClient;
  emit: (type: WatchEventType, pod: KubeObject) => void;
} {
  let listener: ((type: WatchEventType, object: KubeObject) => void) | undefined;
  const objects = {
    get: () =>
      Promise.resolve({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { selector: { matchLabels: { app: 'web' } } },
      }),
    watch: (_v: string, _k: string, _ns: string, _o: unknown, onEvent: typeof listener) => {
      listener = onEvent;
      for (const pod of pods) onEvent!('ADDED', pod);
      return () => undefined;
    },
  } as unknown as ObjectClient;
  return { objects, emit: (type, pod) => listener?.(type, pod) };
}

/** Sends `text` through the forward and resolves with what comes back (the fake pod echoes). */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.length >= text.length) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(text);
  });
}

let forwards: PortForwards | undefined;
afterEach(() => forwards?.dispose());

describe('PortForwards', () => {
  it('retries a failing dial with back-off and serves the waiting connection once the pod answers', async () => {
    const { objects } = fakeObjects([readyPod('web-1', '2026-01-01T00:00:00Z')]);
    let failures = 3;
    const dialed: string[] = [];
    const forwarder: PortForwarder = {
      connect: (target) => {
        dialed.push(target.pod);
        if (failures-- > 0) return Promise.reject(new Error('connection reset'));
        return Promise.resolve(new PassThrough());
      },
    };
    const changes: DidChangePortForwardStateParams[] = [];
    forwards = new PortForwards(
      () => Promise.resolve({ objects, forwarder }),
      (change) => changes.push(change),
      { connectionWaitMs: 5000, nextFreePortAttempts: 0 },
    );
    const forward = await forwards.start({
      target: { namespace: 'shop', kind: 'Deployment', name: 'web' },
      remotePort: 80,
      localPort: 0,
    });
    expect(await roundTrip(forward.localPort, 'hello')).toBe('hello');
    expect(dialed).toEqual(['web-1', 'web-1', 'web-1', 'web-1']);
    expect(changes.map((c) => c.state)).toEqual([
      'active',
      'reconnecting',
      'active',
      'reconnecting',
      'active',
      'reconnecting',
      'active',
    ]);
    expect(changes[1]!.error).toContain('connection reset');
  });

  it('moves to the newest ready pod when its pod is deleted, and closes waiting connections after the bound', async () => {
    const first = readyPod('web-1', '2026-01-01T00:00:00Z');
    const { objects, emit } = fakeObjects([first]);
    const dialed: string[] = [];
    const forwarder: PortForwarder = {
      connect: (target) => {
        dialed.push(target.pod);
        return Promise.resolve(new PassThrough());
      },
    };
    const changes: DidChangePortForwardStateParams[] = [];
    forwards = new PortForwards(
      () => Promise.resolve({ objects, forwarder }),
      (change) => changes.push(change),
      { connectionWaitMs: 300, nextFreePortAttempts: 0 },
    );
    const forward = await forwards.start({
      target: { namespace: 'shop', kind: 'Deployment', name: 'web' },
      remotePort: 80,
      localPort: 0,
    });
    emit('DELETED', first);
    expect(changes.at(-1)).toMatchObject({ state: 'reconnecting', error: 'pod web-1 was deleted' });
    // No pod: a connection waits for the bound, then is closed without data.
    const started = Date.now();
    expect(await roundTrip(forward.localPort, 'x')).toBe('');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // A connection made while the forward reconnects is served as soon as the next pod is ready.
    const waiting = roundTrip(forward.localPort, 'again');
    await new Promise((resolve) => setTimeout(resolve, 50));
    emit('ADDED', readyPod('web-2', '2026-01-01T00:01:00Z'));
    expect(await waiting).toBe('again');
    expect(changes.at(-1)).toMatchObject({ state: 'active', pod: 'web-2' });
    expect(dialed).toEqual(['web-2']);
  });

  it("starts a session's forwards together, lists them by session, and stops them with it", async () => {
    const { objects } = fakeObjects([readyPod('web-1', '2026-01-01T00:00:00Z')]);
    const forwarder: PortForwarder = { connect: () => Promise.resolve(new PassThrough()) };
    forwards = new PortForwards(
      () => Promise.resolve({ objects, forwarder }),
      () => undefined,
    );
    const target = { namespace: 'shop', kind: 'Deployment' as const, name: 'web' };
    const other = await forwards.start({ target, remotePort: 9, localPort: 0 });
    const started = await forwards.startForSession('s-1', target, [
      { local: 0, remote: 80 },
      { local: 0, remote: 443 },
    ]);
    expect(started.map((f) => [f.remotePort, f.sessionId, f.state])).toEqual([
      [80, 's-1', 'active'],
      [443, 's-1', 'active'],
    ]);
    expect(forwards.list('s-1').map((f) => f.id)).toEqual(started.map((f) => f.id));
    forwards.stopSession('s-1');
    expect(forwards.list().map((f) => f.id)).toEqual([other.id]);
  });
});

/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * Helpers for tests that run the kubelet and controllers against an in-memory store: a store with the default
 * namespace, polling for a condition, and a list of the processes a kubelet left behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { KubeObject, Store } from '../contracts.js';
import { RESOURCES } from '../resources.js';
import { MemoryStore } from '../store.js';

export function storeWithNamespace(namespace = 'default'): MemoryStore {
  const store = new MemoryStore(RESOURCES);
  store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  return store;
}

/** Polls `check` until it returns a value other than undefined/false, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function podObject(name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec };
}

export function getPod(store: Store, name: string, namespace = 'default'): KubeObject | undefined {
  return store.get('pods', namespace, name);
}

/** The state of a pod's container: `running`, `waiting:<reason>` or `terminated:<code>`. */
export function containerState(store: Store, pod: string, index = 0, namespace = 'default'): string | undefined {
  const status = getPod(store, pod, namespace)?.status?.containerStatuses?.[index] as
    { state?: Record<string, any> } | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const state = status?.state;
  if (state === undefined) return undefined;
  if (state.running) return 'running';
  if (state.waiting) return `waiting:${String(state.waiting.reason)}`;
  if (state.terminated) return `terminated:${String(state.terminated.exitCode)}`;
  return undefined;
}

/** Host processes whose command line mentions `needle` (for example a pod's state directory). */
export function processesMentioning(needle: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

export function eventsFor(store: Store, name: string, namespace = 'default'): KubeObject[] {
  return store.list('events', namespace).items.filter((e) => (e.involvedObject as { name?: string }).name === name);
}

/**
 * Stands in for the kubelet in controller tests: binds every pod, reports it Running and Ready (or not, per
 * `ready`), and removes pods marked for deletion. `ready` can change while it runs.
 */
export function fakeKubelet(store: Store, nodeName = 'node-1'): { ready: (pod: KubeObject) => boolean; stop(): void } {
  const control = { ready: (_pod: KubeObject): boolean => true, stop: () => undefined as void };
  const settle = (pod: KubeObject): void => {
    const current = store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (current === undefined) return;
    if (current.metadata.deletionTimestamp !== undefined) {
      store.delete('pods', current.metadata.namespace, current.metadata.name);
      return;
    }
    if (current.status?.phase === 'Succeeded' || current.status?.phase === 'Failed') return;
    if (!current.spec.nodeName) {
      current.spec.nodeName = nodeName;
      delete current.metadata.resourceVersion;
      store.update('pods', current);
    }
    const ready = control.ready(current) ? 'True' : 'False';
    const time = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    current.status = {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready, lastTransitionTime: time }],
      containerStatuses: [],
    };
    delete current.metadata.resourceVersion;
    store.update('pods', current, { subresource: 'status' });
  };
  const pending = new Set<NodeJS.Timeout>();
  const unwatch = store.watch('pods', undefined, store.currentResourceVersion(), (event) => {
    if (event.type === 'DELETED') return;
    const timer = setTimeout(() => {
      pending.delete(timer);
      settle(event.object);
    }, 5);
    pending.add(timer);
  });
  control.stop = () => {
    unwatch();
    pending.forEach((t) => clearTimeout(t));
  };
  return control;
}

/** Sets a pod's phase (and exit codes) as a kubelet would when its containers end. */
export function finishPod(store: Store, name: string, phase: 'Succeeded' | 'Failed', namespace = 'default'): void {
  const pod = store.get('pods', namespace, name);
  if (pod === undefined) throw new Error(`pod ${name} not found`);
  pod.status = { ...(pod.status ?? {}), phase, conditions: [{ type: 'Ready', status: 'False' }] };
  delete pod.metadata.resourceVersion;
  store.update('pods', pod, { subresource: 'status' });
}

/** Every live descendant of a process (children, grandchildren, …), from /proc. */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    let children: number[] = [];
    try {
      const tasks = readdirSync(`/proc/${next}/task`);
      for (const task of tasks) {
        const text = readFileSync(`/proc/${next}/task/${task}/children`, 'utf8').trim();
        if (text) children = children.concat(text.split(/\s+/).map(Number));
      }
    } catch {
      continue;
    }
    found.push(...children);
    queue.push(...children);
  }
  return found;
}

/** Which of these processes still run (zombies, already dead but not reaped, do not count). */
export function stillRunning(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return false;
    }
  });
}

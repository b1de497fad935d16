/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- specs and statuses are loosely typed JSON (see contracts.ts), read defensively with defaults. */
/**
 * The one Node of the sandbox, named after the machine, and a tiny volume binder: every PersistentVolumeClaim
 * is bound at once to a directory under the state dir (the kubelet creates it when a pod mounts the claim).
 */
import { cpus, totalmem } from 'node:os';
import type { KubeObject } from '../contracts.js';
import { enqueueAll, watchAll, WorkQueue, type ControllerContext, type StopFn } from './queue.js';
import { now, writeStatus } from './util.js';

export const NODE_ROLE_LABELS = {
  'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
  'kubernetes.io/os': 'linux',
};

function nodeStatus(started: string): Record<string, unknown> {
  const heartbeat = now();
  const memoryKi = `${Math.floor(totalmem() / 1024)}Ki`;
  const capacity = { cpu: String(cpus().length), memory: memoryKi, pods: '110', 'ephemeral-storage': '10Gi' };
  const condition = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: started,
  });
  return {
    capacity,
    allocatable: capacity,
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'localhost' },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      architecture: NODE_ROLE_LABELS['kubernetes.io/arch'],
      operatingSystem: 'linux',
      kernelVersion: process.platform,
      osImage: 'devmode sandbox',
      containerRuntimeVersion: 'devmode://0.1',
      kubeletVersion: 'v1.32.4',
      kubeProxyVersion: 'v1.32.4',
      machineID: '',
      systemUUID: '',
      bootID: '',
    },
  };
}

/** Registers the node and refreshes its heartbeat every 30 s. */
export function startNodeController(ctx: ControllerContext): StopFn {
  const { store, nodeName } = ctx;
  const started = now();
  const labels = {
    ...NODE_ROLE_LABELS,
    'kubernetes.io/hostname': nodeName,
    'node-role.kubernetes.io/control-plane': '',
  };
  let node: KubeObject | undefined = store.get('nodes', undefined, nodeName);
  if (node === undefined) {
    node = store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels }, spec: {} });
    ctx.recorder('kubelet').emit(node, 'Normal', 'Starting', 'Starting kubelet.');
  }
  writeStatus(store, 'nodes', node, nodeStatus(started));
  const timer = setInterval(() => {
    const current = store.get('nodes', undefined, nodeName);
    if (current !== undefined) writeStatus(store, 'nodes', current, nodeStatus(started));
  }, 30_000);
  return () => clearInterval(timer);
}

/** Binds every claim: `status.phase: Bound` with the requested capacity. */
export function startVolumeBinder(ctx: ControllerContext): StopFn {
  const { store } = ctx;
  const queue = new WorkQueue('persistentvolume-binder', (namespace, name) => {
    const pvc = store.get('persistentvolumeclaims', namespace, name);
    if (pvc === undefined || pvc.status?.phase === 'Bound') return;
    if (!pvc.spec?.volumeName) {
      pvc.spec = { ...(pvc.spec ?? {}), volumeName: `pvc-${pvc.metadata.uid ?? name}` };
      pvc.metadata.annotations = { ...(pvc.metadata.annotations ?? {}), 'pv.kubernetes.io/bind-completed': 'yes' };
      delete pvc.metadata.resourceVersion;
      store.update('persistentvolumeclaims', pvc);
    }
    writeStatus(store, 'persistentvolumeclaims', pvc, {
      phase: 'Bound',
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
    });
  });
  const unwatch = watchAll(store, 'persistentvolumeclaims', (e) => {
    if (e.type !== 'DELETED') queue.add(e.object.metadata.namespace, e.object.metadata.name);
  });
  enqueueAll(store, 'persistentvolumeclaims', queue);
  return () => {
    queue.stop();
    unwatch();
  };
}

/**
 * The sandbox's controller manager: every controller runs in process, driven by store watches. Deleting the
 * dependents of a deleted owner is the API server's garbage collector's job, not done here.
 */
import type { Store } from '../contracts.js';
import { startCronJobController, type CronJobOptions } from './cronjob.js';
import { startDaemonSetController } from './daemonset.js';
import { startDeploymentController } from './deployment.js';
import { EventRecorder } from './events.js';
import { startJobController } from './job.js';
import { startNamespaceController } from './namespace.js';
import { startNodeController, startVolumeBinder } from './node.js';
import type { ControllerContext } from './queue.js';
import { startReplicaSetController } from './replicaset.js';
import { startStatefulSetController } from './statefulset.js';

export { EventRecorder } from './events.js';

export interface ControllerOptions {
  nodeName: string;
  cronJob?: CronJobOptions;
  /** The cluster's CA certificate (PEM), published in every namespace as the `kube-root-ca.crt` ConfigMap. */
  caCert?: string;
}

export function startControllers(store: Store, options: ControllerOptions): { stop(): void } {
  const recorders = new Map<string, EventRecorder>();
  const ctx: ControllerContext = {
    store,
    nodeName: options.nodeName,
    recorder: (component) => {
      let recorder = recorders.get(component);
      if (recorder === undefined) {
        recorder = new EventRecorder(store, {
          component,
          ...(component === 'kubelet' ? { host: options.nodeName } : {}),
        });
        recorders.set(component, recorder);
      }
      return recorder;
    },
  };
  const stops = [
    startNodeController(ctx),
    startVolumeBinder(ctx),
    startReplicaSetController(ctx),
    startDeploymentController(ctx),
    startStatefulSetController(ctx),
    startDaemonSetController(ctx),
    startJobController(ctx),
    startCronJobController(ctx, options.cronJob),
    ...(options.caCert !== undefined ? [startNamespaceController(ctx, options.caCert)] : []),
  ];
  return {
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

import type { WorkloadKind } from '@devmode/protocol';
import { UsageError } from './args.js';

const kindAliases: Record<string, WorkloadKind> = {
  deploy: 'Deployment',
  deployment: 'Deployment',
  deployments: 'Deployment',
  sts: 'StatefulSet',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  ds: 'DaemonSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  job: 'Job',
  jobs: 'Job',
  cj: 'CronJob',
  cronjob: 'CronJob',
  cronjobs: 'CronJob',
  po: 'Pod',
  pod: 'Pod',
  pods: 'Pod',
};

/** `deploy/ratings` (kubectl's spelling) as a workload target. */
export function parseWorkload(text: string | undefined, namespace: string, context: string | undefined) {
  const [kindText, name, extra] = (text ?? '').split('/');
  const kind = kindAliases[(kindText ?? '').toLowerCase()];
  if (kind === undefined || name === undefined || name === '' || extra !== undefined) {
    throw new UsageError(
      `expected <kind>/<name> such as deploy/ratings, got "${text ?? ''}" (kinds: ${[...new Set(Object.values(kindAliases))].join(', ')})`,
    );
  }
  return { namespace, kind, name, ...(context !== undefined ? { context } : {}) };
}

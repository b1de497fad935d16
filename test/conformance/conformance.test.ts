/**
 * Differential conformance: every scenario runs against the sandbox and against a real kube-apiserver (with
 * etcd, the controller manager and the scheduler, no node), with kubectl and @kubernetes/client-node; the
 * answers, normalised for what legitimately differs, must be identical. Prints `N of M scenarios identical`.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { startRealCluster, type RealCluster } from './realCluster.js';
import { lineDiff } from './diff.js';
import { KNOWN_DIFFERENCES } from './knownDifferences.js';
import { clientsFor, runScenario, type Clients, type ConformanceCluster } from './runner.js';
import { SCENARIOS } from './scenarios.js';

let sandbox: TestSandbox | undefined;
let real: RealCluster | undefined;
const targets: { cluster: ConformanceCluster; clients: Clients }[] = [];
const outcomes: { name: string; identical: boolean; known?: string }[] = [];

beforeAll(async () => {
  const [startedSandbox, startedReal] = await Promise.all([startTestSandbox(), startRealCluster()]);
  [sandbox, real] = [startedSandbox, startedReal];
  for (const cluster of [
    { name: 'real', kubeconfig: startedReal.kubeconfig, env: startedReal.env },
    { name: 'sandbox', kubeconfig: startedSandbox.kubeconfig, env: startedSandbox.env },
  ]) {
    targets.push({ cluster, clients: clientsFor(cluster.kubeconfig) });
  }
}, 300_000);

afterAll(async () => {
  const identical = outcomes.filter((outcome) => outcome.identical).length;
  const lines = [`${identical} of ${outcomes.length} scenarios identical`];
  for (const outcome of outcomes.filter((o) => !o.identical))
    lines.push(`  differs: ${outcome.name}${outcome.known !== undefined ? ` (known: ${outcome.known})` : ''}`);
  console.log(lines.join('\n'));
  await Promise.all([sandbox?.stop(), real?.stop()]);
}, 120_000);

/** A fresh namespace on a cluster, with the `default` ServiceAccount its pods need. */
async function freshNamespace(target: (typeof targets)[number], namespace: string): Promise<void> {
  await target.clients.core.createNamespace({ body: { metadata: { name: namespace } } });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await target.clients.core.readNamespacedServiceAccount({ name: 'default', namespace });
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${target.cluster.name}: no default ServiceAccount in ${namespace}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('the sandbox answers as a real API server', () => {
  SCENARIOS.forEach((scenario, index) => {
    it(
      scenario.name,
      async () => {
        const namespace = `conformance-${index + 1}`;
        const [realAnswers, sandboxAnswers] = await Promise.all(
          targets.map(async (target) => {
            await freshNamespace(target, namespace);
            return runScenario(target.cluster, target.clients, namespace, scenario);
          }),
        );
        const identical = isDeepStrictEqual(realAnswers, sandboxAnswers);
        const known = KNOWN_DIFFERENCES[scenario.name];
        outcomes.push({ name: scenario.name, identical, ...(known !== undefined ? { known } : {}) });
        if (!identical) console.log(`${scenario.name}:\n${lineDiff(realAnswers, sandboxAnswers)}`);
        if (known !== undefined) {
          expect(identical, `"${scenario.name}" is listed as a known difference but now answers identically`).toBe(
            false,
          );
        } else {
          expect(identical, `the sandbox answers "${scenario.name}" differently (diff above)`).toBe(true);
        }
      },
      180_000,
    );
  });
});

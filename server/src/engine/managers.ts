/**
 * Who else manages a workload, read from the workload alone before DevMode changes it (PURE).
 *
 * A workload deployed by Helm, Argo CD or Flux, or scaled by a HorizontalPodAutoscaler, has a manager that may
 * write it back while it is in DevMode (a sync, an upgrade, a reconcile) and so undo DevMode. The signs are the
 * managers in `metadata.managedFields`, the labels and annotations those tools set, owner references, and the HPAs
 * that target the workload. Each manager gives one warning naming it, with every sign found; the hint offers
 * duplicate mode, which leaves the original untouched.
 *
 * An owner reference with `controller: true` is different: that controller rewrites the workload (a ReplicaSet
 * its Pods, an operator its Deployment), so DevMode refuses it (see `controllerOf` and planDevMode).
 */
import type { DevModeWarning } from '@devmode/protocol';
import type { KubeObject } from './objects.js';

/** The controller named by a workload's owner reference with `controller: true`. */
export interface ControllerRef {
  apiVersion: string;
  kind: string;
  name: string;
}

/** The workload's controller (its owner reference with `controller: true`), or undefined when it has none. */
export function controllerOf(workload: KubeObject): ControllerRef | undefined {
  const owner = (workload.metadata.ownerReferences ?? []).find((reference) => reference.controller === true);
  return owner === undefined ? undefined : { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name };
}

/** The managedFields managers of well-known deployment tools, and the manager each stands for. */
const knownFieldManagers: { manager: RegExp; name: string }[] = [
  { manager: /^helm$/, name: 'Helm' },
  { manager: /^argocd(-application)?-controller$/, name: 'Argo CD' },
  { manager: /^argocd-server$/, name: 'Argo CD' },
  { manager: /^kustomize-controller$/, name: 'Flux kustomize-controller' },
  { manager: /^helm-controller$/, name: 'Flux helm-controller' },
];

const helmRelease = 'meta.helm.sh/release-name';
const managedBy = 'app.kubernetes.io/managed-by';
const argoInstance = 'argocd.argoproj.io/instance';
const argoTracking = 'argocd.argoproj.io/tracking-id';
const fluxKustomization = 'kustomize.toolkit.fluxcd.io/name';
const fluxHelmRelease = 'helm.toolkit.fluxcd.io/name';

interface Finding {
  manager: string;
  evidence: string[];
  /** True for a manager that writes the workload back (a deployment tool); false for one that only scales it. */
  rewrites: boolean;
}

/**
 * The warnings for the managers of a workload: deployment tools found in its managedFields, labels and annotations,
 * owners that are not its controller, and the HorizontalPodAutoscalers given (those that target it).
 */
export function workloadManagers(workload: KubeObject, hpas: readonly KubeObject[] = []): DevModeWarning[] {
  const findings = new Map<string, Finding>();
  const add = (manager: string, evidence: string, rewrites = true): void => {
    const finding = findings.get(manager) ?? { manager, evidence: [], rewrites };
    if (!finding.evidence.includes(evidence)) finding.evidence.push(evidence);
    findings.set(manager, finding);
  };
  const labels = workload.metadata.labels ?? {};
  const annotations = workload.metadata.annotations ?? {};
  const either = (key: string): { where: string; value: string } | undefined => {
    if (labels[key] !== undefined) return { where: 'label', value: labels[key] };
    if (annotations[key] !== undefined) return { where: 'annotation', value: annotations[key] };
    return undefined;
  };

  const release = either(helmRelease);
  const helm = release === undefined ? 'Helm' : `Helm release ${release.value}`;
  if (release !== undefined) add(helm, `${release.where} ${helmRelease}=${release.value}`);
  const managedByValue = either(managedBy);
  if (managedByValue !== undefined) {
    const value = managedByValue.value;
    const manager = value.toLowerCase() === 'helm' ? helm : value;
    add(manager, `${managedByValue.where} ${managedBy}=${value}`);
  }

  const instance = either(argoInstance);
  const tracking = either(argoTracking);
  // A tracking id reads `<application>:<group>/<kind>:<namespace>/<name>`.
  const application = instance?.value ?? tracking?.value.split(':')[0];
  const argo = application === undefined || application === '' ? 'Argo CD' : `Argo CD application ${application}`;
  if (instance !== undefined) add(argo, `${instance.where} ${argoInstance}=${instance.value}`);
  if (tracking !== undefined) add(argo, `${tracking.where} ${argoTracking}=${tracking.value}`);

  const kustomization = either(fluxKustomization);
  if (kustomization !== undefined)
    add(
      `Flux Kustomization ${kustomization.value}`,
      `${kustomization.where} ${fluxKustomization}=${kustomization.value}`,
    );
  const fluxRelease = either(fluxHelmRelease);
  if (fluxRelease !== undefined)
    add(`Flux HelmRelease ${fluxRelease.value}`, `${fluxRelease.where} ${fluxHelmRelease}=${fluxRelease.value}`);

  const managers = new Set(
    ((workload.metadata.managedFields ?? []) as { manager?: unknown }[])
      .map((entry) => entry.manager)
      .filter((manager): manager is string => typeof manager === 'string'),
  );
  for (const manager of managers) {
    const known = knownFieldManagers.find((candidate) => candidate.manager.test(manager));
    if (known === undefined) continue;
    // The manager found by a label or annotation already names the tool more precisely (its release or app).
    const named = [...findings.keys()].find((key) => key === known.name || key.startsWith(`${known.name} `));
    add(named ?? known.name, `managedFields manager ${manager}`);
  }

  for (const owner of workload.metadata.ownerReferences ?? []) {
    if (owner.controller === true) continue;
    add(`${owner.kind} ${owner.name}`, `owner reference ${owner.apiVersion} ${owner.kind} ${owner.name}`);
  }

  for (const hpa of hpas) add(`HorizontalPodAutoscaler ${hpa.metadata.name}`, 'scaleTargetRef', false);

  const what = `${workload.kind} ${workload.metadata.name}`;
  return [...findings.values()].map(({ manager, evidence, rewrites }) =>
    rewrites
      ? {
          manager,
          evidence,
          message: `${what} is managed by ${manager}, which may undo DevMode when it syncs or upgrades it`,
          hint: `Use mode "duplicate" to develop in a copy and leave the original untouched, or pause ${manager} while in DevMode.`,
        }
      : {
          manager,
          evidence,
          message: `${what} is scaled by ${manager}; DevMode pins it to one replica and gives its bounds back on stop`,
          hint: 'Use mode "duplicate" to leave the original and its autoscaling untouched.',
        },
  );
}

import { describe, expect, it } from 'vitest';
import type { KubeObject } from './objects.js';
import { controllerOf, workloadManagers } from './managers.js';

function deployment(metadata: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'shop', namespace: 'default', ...metadata },
    spec: { template: { spec: { containers: [{ name: 'shop', image: 'shop:1' }] } } },
  };
}

describe('workloadManagers', () => {
  it('finds nobody on a workload applied by hand', () => {
    const workload = deployment({
      labels: { app: 'shop' },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update' }],
    });
    expect(workloadManagers(workload)).toEqual([]);
  });

  it('names a Helm release once, with every sign of it, and offers duplicate mode', () => {
    const workload = deployment({
      labels: { 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': 'shop', 'meta.helm.sh/release-namespace': 'default' },
      managedFields: [{ manager: 'helm', operation: 'Update' }],
    });
    expect(workloadManagers(workload)).toEqual([
      {
        manager: 'Helm release shop',
        evidence: [
          'annotation meta.helm.sh/release-name=shop',
          'label app.kubernetes.io/managed-by=Helm',
          'managedFields manager helm',
        ],
        message: 'Deployment shop is managed by Helm release shop, which may undo DevMode when it syncs or upgrades it',
        hint: 'Use mode "duplicate" to develop in a copy and leave the original untouched, or pause Helm release shop while in DevMode.',
      },
    ]);
  });

  it('names the Argo CD application from its instance label or its tracking id', () => {
    const byLabel = deployment({ labels: { 'argocd.argoproj.io/instance': 'storefront' } });
    expect(workloadManagers(byLabel).map((warning) => warning.manager)).toEqual(['Argo CD application storefront']);
    const byTracking = deployment({
      annotations: { 'argocd.argoproj.io/tracking-id': 'storefront:apps/Deployment:default/shop' },
      managedFields: [{ manager: 'argocd-controller' }],
    });
    expect(workloadManagers(byTracking)).toEqual([
      expect.objectContaining({
        manager: 'Argo CD application storefront',
        evidence: [
          'annotation argocd.argoproj.io/tracking-id=storefront:apps/Deployment:default/shop',
          'managedFields manager argocd-controller',
        ],
      }),
    ]);
  });

  it('names Flux Kustomizations and HelmReleases, and Flux controllers seen only in managedFields', () => {
    const flux = deployment({
      labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'helm.toolkit.fluxcd.io/name': 'shop' },
    });
    expect(workloadManagers(flux).map((warning) => warning.manager)).toEqual([
      'Flux Kustomization apps',
      'Flux HelmRelease shop',
    ]);
    const fieldsOnly = deployment({
      managedFields: [{ manager: 'kustomize-controller' }, { manager: 'helm-controller' }],
    });
    expect(workloadManagers(fieldsOnly).map((warning) => warning.manager)).toEqual([
      'Flux kustomize-controller',
      'Flux helm-controller',
    ]);
  });

  it('warns about an owner that is not its controller and about HPAs, which only scale it', () => {
    const owned = deployment({
      ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Shop', name: 'main', uid: 'u-1' }],
    });
    const hpa: KubeObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'shop' },
    };
    expect(workloadManagers(owned, [hpa])).toEqual([
      expect.objectContaining({ manager: 'Shop main', evidence: ['owner reference example.com/v1 Shop main'] }),
      {
        manager: 'HorizontalPodAutoscaler shop',
        evidence: ['scaleTargetRef'],
        message:
          'Deployment shop is scaled by HorizontalPodAutoscaler shop; DevMode pins it to one replica and gives its bounds back on stop',
        hint: 'Use mode "duplicate" to leave the original and its autoscaling untouched.',
      },
    ]);
  });
});

describe('controllerOf', () => {
  it('is the owner reference marked controller, and only that one', () => {
    expect(
      controllerOf(
        deployment({
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u-0' },
            { apiVersion: 'example.com/v1', kind: 'Shop', name: 'main', uid: 'u-1', controller: true },
          ],
        }),
      ),
    ).toEqual({ apiVersion: 'example.com/v1', kind: 'Shop', name: 'main' });
    expect(
      controllerOf(deployment({ ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }] })),
    ).toBeUndefined();
  });
});

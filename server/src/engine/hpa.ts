import { retryOnConflict } from './phases.js';
import type { KubeObject, ObjectClient } from '../kube/objects.js';

/** Where a clamped HPA keeps its own bounds until DevMode ends. */
export const hpaRecordAnnotation = 'devmode.dev/original-hpa';

interface HpaSpec {
  minReplicas?: number;
  maxReplicas?: number;
  scaleTargetRef?: { kind?: string; name?: string };
}

/** The HorizontalPodAutoscalers of a namespace, for `clampHpas` and `restoreHpas` (read ahead of them when it saves a round trip). */
export function listHpas(objects: ObjectClient, namespace: string): Promise<KubeObject[]> {
  return objects.list('autoscaling/v2', 'HorizontalPodAutoscaler', namespace);
}

/** Those of the HPAs given that scale the workload. */
export function hpasTargeting(hpas: readonly KubeObject[], kind: string, name: string): KubeObject[] {
  return hpas.filter((hpa) => {
    const spec = (hpa.spec ?? {}) as HpaSpec;
    return spec.scaleTargetRef?.kind === kind && spec.scaleTargetRef.name === name;
  });
}

/**
 * Pins every HorizontalPodAutoscaler that targets the workload to one replica, recording its bounds on the HPA
 * itself, so an autoscaler cannot scale the dev workload back up. Already-clamped HPAs are left alone, which makes
 * a retried start harmless. `listed` is the namespace's HPAs when already asked for.
 */
export async function clampHpas(
  objects: ObjectClient,
  namespace: string,
  kind: string,
  name: string,
  listed: Promise<KubeObject[]> = listHpas(objects, namespace),
): Promise<string[]> {
  const targeting = hpasTargeting(await listed, kind, name);
  await Promise.all(
    targeting
      .filter((hpa) => hpa.metadata.annotations?.[hpaRecordAnnotation] === undefined)
      .map((hpa) => pinHpa(objects, hpa)),
  );
  return targeting.map((hpa) => hpa.metadata.name);
}

/**
 * Records the HPA's bounds on it and pins it to one replica, with the resourceVersion read as a precondition; the
 * autoscaler updates its status all the time, so a conflict is read again and retried.
 */
async function pinHpa(objects: ObjectClient, first: KubeObject): Promise<void> {
  const ref = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    namespace: first.metadata.namespace,
    name: first.metadata.name,
  };
  let read = false;
  await retryOnConflict(
    async () => {
      const hpa = read ? await objects.get(ref) : first;
      read = true;
      return hpa;
    },
    async (hpa) => {
      if (hpa === undefined || hpa.metadata.annotations?.[hpaRecordAnnotation] !== undefined) return;
      const spec = (hpa.spec ?? {}) as HpaSpec;
      const record = JSON.stringify({ minReplicas: spec.minReplicas ?? null, maxReplicas: spec.maxReplicas ?? null });
      await objects.patch(
        ref,
        {
          metadata: { resourceVersion: hpa.metadata.resourceVersion, annotations: { [hpaRecordAnnotation]: record } },
          spec: { minReplicas: 1, maxReplicas: 1 },
        },
        'merge',
      );
    },
  );
}

/** Gives every HPA clamped for the workload its recorded bounds back and removes the record. */
export async function restoreHpas(
  objects: ObjectClient,
  namespace: string,
  kind: string,
  name: string,
  listed: Promise<KubeObject[]> = listHpas(objects, namespace),
): Promise<string[]> {
  const clamped = hpasTargeting(await listed, kind, name).filter(
    (hpa) => hpa.metadata.annotations?.[hpaRecordAnnotation] !== undefined,
  );
  await Promise.all(
    clamped.map((hpa) => {
      const text = hpa.metadata.annotations?.[hpaRecordAnnotation] ?? '{}';
      const bounds = JSON.parse(text) as { minReplicas: number | null; maxReplicas: number | null };
      return objects.patch(
        { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace, name: hpa.metadata.name },
        { metadata: { annotations: { [hpaRecordAnnotation]: null } }, spec: bounds },
        'merge',
      );
    }),
  );
  return clamped.map((hpa) => hpa.metadata.name);
}

import { KubeError } from '../kube/errors.js';
import { retryOnConflict } from './phases.js';
import type { KubeObject, ObjectClient } from '../kube/objects.js';

/** Where a clamped HPA keeps its own bounds until DevMode ends. */
export const hpaRecordAnnotation = 'devmode.dev/original-hpa';

interface HpaSpec {
  minReplicas?: number;
  maxReplicas?: number;
  scaleTargetRef?: { kind?: string; name?: string };
}

/** The HorizontalPodAutoscalers that target the workload; none when the user may not list them. */
export async function hpasTargeting(
  objects: ObjectClient,
  namespace: string,
  kind: string,
  name: string,
): Promise<KubeObject[]> {
  let hpas: KubeObject[];
  try {
    hpas = await objects.list('autoscaling/v2', 'HorizontalPodAutoscaler', namespace);
  } catch (error) {
    if (error instanceof KubeError && error.status === 403) return [];
    throw error;
  }
  return hpas.filter((hpa) => {
    const target = ((hpa.spec ?? {}) as HpaSpec).scaleTargetRef;
    return target?.kind === kind && target.name === name;
  });
}

/**
 * Pins every HorizontalPodAutoscaler that targets the workload to one replica, recording its bounds on the HPA
 * itself, so an autoscaler cannot scale the dev workload back up. Already-clamped HPAs are left alone, which makes
 * a retried start harmless.
 */
export async function clampHpas(
  objects: ObjectClient,
  namespace: string,
  kind: string,
  name: string,
): Promise<string[]> {
  const clamped: string[] = [];
  for (const hpa of await objects.list('autoscaling/v2', 'HorizontalPodAutoscaler', namespace)) {
    const spec = (hpa.spec ?? {}) as HpaSpec;
    if (spec.scaleTargetRef?.kind !== kind || spec.scaleTargetRef.name !== name) continue;
    clamped.push(hpa.metadata.name);
    if (hpa.metadata.annotations?.[hpaRecordAnnotation] !== undefined) continue;
    await pinHpa(objects, hpa);
  }
  return clamped;
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
): Promise<string[]> {
  const restored: string[] = [];
  for (const hpa of await objects.list('autoscaling/v2', 'HorizontalPodAutoscaler', namespace)) {
    const spec = (hpa.spec ?? {}) as HpaSpec;
    const text = hpa.metadata.annotations?.[hpaRecordAnnotation];
    if (text === undefined || spec.scaleTargetRef?.kind !== kind || spec.scaleTargetRef.name !== name) continue;
    const bounds = JSON.parse(text) as { minReplicas: number | null; maxReplicas: number | null };
    await objects.patch(
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace, name: hpa.metadata.name },
      { metadata: { annotations: { [hpaRecordAnnotation]: null } }, spec: bounds },
      'merge',
    );
    restored.push(hpa.metadata.name);
  }
  return restored;
}

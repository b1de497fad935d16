import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { annotationDevConfig, effectiveDevConfig, type RawDevConfig, validateDevConfig } from './devConfig.js';
import { devContainerSet } from './devContainers.js';
import {
  detectForeignChange,
  type DevModeMode,
  type DevModePlan,
  DevModePlanError,
  foreignChanges,
  planDevMode,
  planRestore,
  podContainerNames,
  readRecord,
  targetContainer,
} from './devModePatch.js';
import {
  canonicalJson,
  cloneJson,
  type JsonObject,
  type KubeObject,
  recordAnnotation,
  sessionLabel,
} from './objects.js';
import { applyMergePatch, applyStrategicMergePatch } from './patches.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const goldenHeader =
  '# The DevMode plan expected for the matching .input.yaml. The record JSON, which appears in several places,\n' +
  '# is shown once as `record`; elsewhere it reads <recordText>.\n' +
  '# Regenerate after an intended change with: UPDATE_GOLDEN=1 npx vitest run server/src/engine\n';

/** The plan with every copy of the record text replaced by a marker, so the golden files stay readable. */
function withRecordTextElided(plan: DevModePlan): unknown {
  const elide = (value: unknown): unknown => {
    if (value === plan.recordText) return '<recordText>';
    if (Array.isArray(value)) return value.map(elide);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, elide(child)]));
  };
  return elide(plan);
}

interface Fixture {
  mode: DevModeMode;
  container?: string;
  owner: { machine: string; user: string };
  sessionId: string;
  now: string;
  config: RawDevConfig;
  workload: KubeObject;
}

const cases = readdirSync(testdata)
  .filter((name) => name.endsWith('.input.yaml'))
  .map((name) => name.slice(0, -'.input.yaml'.length))
  .sort();

function loadFixture(name: string): Fixture {
  return parse(readFileSync(join(testdata, `${name}.input.yaml`), 'utf8')) as Fixture;
}

/**
 * Plans a fixture the way the engine will: annotation and file config merged for the target container and for
 * each container `containers.<name>.dev` adds.
 */
function planFixture(fixture: Fixture): DevModePlan {
  const container = targetContainer(fixture.workload, fixture.container);
  const annotation = annotationDevConfig(fixture.workload);
  const set = devContainerSet({
    sources: {
      ...(annotation !== undefined ? { annotation } : {}),
      file: { file: 'devmode.yaml', config: validateDevConfig(fixture.config, { file: 'devmode.yaml', kind: 'file' }) },
    },
    target: container,
    podContainers: podContainerNames(fixture.workload),
    workload: `${fixture.workload.kind} ${fixture.workload.metadata.name}`,
    localDir: testdata,
  });
  return planDevMode({
    ...fixture,
    config: set.target.config,
    added: set.added.map((entry) => entry.config),
    container: fixture.container,
  });
}

/** What DevMode may never lose: spec, labels and annotations. */
function essence(object: { spec?: unknown; metadata: { labels?: unknown; annotations?: unknown } }): string {
  return canonicalJson({
    spec: object.spec,
    labels: object.metadata.labels ?? {},
    annotations: object.metadata.annotations ?? {},
  });
}

/** The original workload as the cluster holds it after the plan's writes to it. */
function originalAfterStart(plan: DevModePlan, workload: KubeObject): KubeObject | undefined {
  if (plan.devObjectAction === 'update')
    return { ...plan.devObject, metadata: { ...plan.devObject.metadata, resourceVersion: '90001' } };
  if (plan.deleteOriginalPod) return undefined;
  let object = cloneJson(workload);
  if (plan.recordPatch) object = applyMergePatch(object, plan.recordPatch.patch) as KubeObject;
  if (plan.parkPatch) {
    const { type, patch } = plan.parkPatch;
    object = (
      type === 'strategic' ? applyStrategicMergePatch(object, patch) : applyMergePatch(object, patch)
    ) as KubeObject;
  }
  return object;
}

describe('planDevMode golden files', () => {
  it('has a fixture for each of the six kinds in both modes', () => {
    const expected = ['cronjob', 'daemonset', 'deployment', 'job', 'pod', 'statefulset'].flatMap((kind) => [
      `${kind}-duplicate`,
      `${kind}-replace`,
    ]);
    expect(cases).toEqual(expect.arrayContaining(expected));
  });

  it.each(cases)('%s matches its golden plan', (name) => {
    const fixture = loadFixture(name);
    const before = cloneJson(fixture.workload);
    const plan = planFixture(fixture);
    expect(fixture.workload).toEqual(before);
    expect(plan.recordText).toBe(JSON.stringify(plan.record));
    const text = goldenHeader + stringify(withRecordTextElided(plan), { lineWidth: 0, singleQuote: true });
    const golden = join(testdata, `${name}.golden.yaml`);
    if (process.env.UPDATE_GOLDEN === '1') {
      writeFileSync(golden, text);
      return;
    }
    if (!existsSync(golden))
      throw new Error(`${golden} is missing: run UPDATE_GOLDEN=1 npx vitest run server/src/engine`);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('planRestore of planDevMode', () => {
  /** Configs that change the pod template in every way DevMode can; restore must not depend on any of them. */
  const variants = (fixture: Fixture): RawDevConfig[] => [
    fixture.config,
    {},
    {
      image: 'other/dev:2',
      workDir: '/work',
      env: { EXTRA: 'yes' },
      resources: { requests: { cpu: '100m' } },
      persistentDirs: [{ path: '/work' }, { path: '/cache', capacity: '3Gi' }],
      patches: [
        { type: 'merge', patch: { metadata: { labels: { extra: 'label' } } } },
        { type: 'strategic', patch: { spec: { volumes: [{ name: 'scratch', emptyDir: {} }] } } },
        { type: 'json', patch: [{ op: 'add', path: '/spec/hostname', value: 'dev' }] },
      ],
    },
  ];

  it.each(cases)('%s restores the original spec, labels and annotations exactly', (name) => {
    const fixture = loadFixture(name);
    for (const config of variants(fixture)) {
      const plan = planFixture({ ...fixture, config });
      const record = readRecord(plan.devObject);
      expect(record).toEqual(plan.record);
      if (record === undefined) throw new Error('the dev object carries no record');
      const current = originalAfterStart(plan, fixture.workload);
      const restore = planRestore({ current, record });
      expect(restore.notes).toEqual([]);

      if (fixture.mode === 'duplicate') {
        expect(plan.recordPatch).toBeUndefined();
        expect(plan.parkPatch).toBeUndefined();
        expect(plan.deleteOriginalPod).toBe(false);
        expect(essence(current ?? fixture.workload)).toBe(essence(fixture.workload));
        expect(restore).toMatchObject({ deleteDeployment: plan.devObject.metadata.name });
        expect(restore.update).toBeUndefined();
        expect(restore.create).toBeUndefined();
        continue;
      }
      const generated = plan.devObjectAction === 'create' ? plan.devObject.metadata.name : undefined;
      expect(restore.deleteDeployment).toBe(generated);
      const restored = fixture.workload.kind === 'Pod' ? restore.create : restore.update;
      if (restored === undefined) throw new Error('the restore plan writes nothing back');
      expect(essence(restored)).toBe(essence(fixture.workload));
      if (restore.update) expect(restore.update.metadata.resourceVersion).toBe(current?.metadata.resourceVersion);
    }
  });
});

/** A small Deployment for the focused cases below. */
function deployment(overrides: Partial<JsonObject> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'dev', resourceVersion: '5', labels: { app: 'api' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: {
          containers: [
            {
              name: 'api',
              image: 'api:1',
              env: [
                { name: 'A', value: 'old' },
                { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
                { name: 'Z', value: 'z' },
              ],
              readinessProbe: { tcpSocket: { port: 80 } },
            },
            { name: 'sidecar', image: 'side:1', livenessProbe: { tcpSocket: { port: 81 } } },
          ],
          initContainers: [{ name: 'native-sidecar', image: 'x', restartPolicy: 'Always', startupProbe: { exec: {} } }],
        },
      },
      ...overrides,
    },
  };
}

const sessionId = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const owner = { machine: 'm1', user: 'bo' };

function plan(workload: KubeObject, config: RawDevConfig = {}, extra: { container?: string; mode?: DevModeMode } = {}) {
  const container = targetContainer(workload, extra.container);
  const effective = effectiveDevConfig({ container, requestConfig: validateDevConfig(config, { kind: 'request' }) });
  return planDevMode({
    workload,
    container: extra.container,
    config: effective.config,
    mode: extra.mode ?? 'replace',
    owner,
    sessionId,
    now: '2026-01-01T00:00:00Z',
  });
}

function planError(run: () => unknown): DevModePlanError {
  try {
    run();
  } catch (error) {
    if (error instanceof DevModePlanError) return error;
    throw error;
  }
  throw new Error('no error was thrown');
}

function podSpec(object: KubeObject): {
  containers: JsonObject[];
  initContainers?: JsonObject[];
  volumes?: JsonObject[];
} {
  return (object.spec?.template as { spec: never }).spec;
}

describe('planDevMode', () => {
  it('names the available containers when the requested one does not exist', () => {
    const error = planError(() => plan(deployment(), {}, { container: 'web' }));
    expect(error.code).toBe('ContainerNotFound');
    expect(error.message).toBe('Deployment api has no container "web"; its containers: api, sidecar');
    expect(error.details.available).toEqual(['api', 'sidecar']);
  });

  it('removes every probe, including those of other and init containers', () => {
    const spec = podSpec(plan(deployment()).devObject);
    const probes = [...spec.containers, ...(spec.initContainers ?? [])].flatMap((container) =>
      Object.keys(container).filter((key) => key.endsWith('Probe')),
    );
    expect(probes).toEqual([]);
  });

  it('merges env with the config winning, keeping the order of existing variables', () => {
    const devContainer = podSpec(plan(deployment(), { env: { S: 'plain', A: 'new', N: 1 } }).devObject).containers[0];
    expect(devContainer?.env).toEqual([
      { name: 'A', value: 'new' },
      { name: 'S', value: 'plain' },
      { name: 'Z', value: 'z' },
      { name: 'N', value: '1' },
    ]);
  });

  it('refuses a workload already in DevMode and names who holds it', () => {
    const first = plan(deployment());
    const error = planError(() => plan(first.devObject));
    expect(error.code).toBe('AlreadyInDevMode');
    expect(error.details.owner).toEqual(owner);
  });

  it('duplicates the recorded original of a workload someone has in replace mode', () => {
    const inReplaceMode = plan(deployment(), { image: 'dev:1' }).devObject;
    const duplicate = plan(inReplaceMode, {}, { mode: 'duplicate' });
    expect(podSpec(duplicate.devObject).containers[0]?.image).toBe('api:1');
    expect(duplicate.record.original).toEqual(readRecord(inReplaceMode)?.original);
  });

  it('drops host ports in a duplicate only, since the original keeps its own', () => {
    const daemonSet: KubeObject = { ...deployment(), kind: 'DaemonSet' };
    const container = podSpec(daemonSet).containers[0] as JsonObject;
    container.ports = [{ containerPort: 80, hostPort: 80 }];
    expect(podSpec(plan(daemonSet).devObject).containers[0]?.ports).toEqual([{ containerPort: 80, hostPort: 80 }]);
    const duplicate = plan(daemonSet, {}, { mode: 'duplicate' }).devObject;
    expect(podSpec(duplicate).containers[0]?.ports).toEqual([{ containerPort: 80 }]);
  });

  it('refuses a pod with an owner and unsupported kinds', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'api-7d9-xk2',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7d9', uid: 'u-1' }],
      },
      spec: { containers: [{ name: 'api', image: 'api:1' }] },
    };
    expect(planError(() => plan(pod)).message).toBe(
      'pod api-7d9-xk2 is managed by ReplicaSet api-7d9; start DevMode on that workload instead',
    );
    expect(planError(() => plan({ ...deployment(), kind: 'ReplicaSet' })).code).toBe('UnsupportedKind');
  });

  it('refuses a workload its controller would rewrite, naming the controller; a duplicate copies it', () => {
    const controller = { apiVersion: 'example.com/v1', kind: 'Shop', name: 'main', uid: 'u-2', controller: true };
    const owned = deployment();
    owned.metadata.ownerReferences = [controller];
    const error = planError(() => plan(owned));
    expect(error.code).toBe('OwnedByController');
    expect(error.message).toBe(
      'Deployment api is controlled by Shop main (example.com/v1), which would undo DevMode; nothing was changed',
    );
    expect(error.details).toMatchObject({
      controller: { apiVersion: 'example.com/v1', kind: 'Shop', name: 'main' },
      hint: 'Use mode "duplicate" to develop in a copy that Shop main does not control, or change Shop main itself.',
    });
    expect(plan(owned, {}, { mode: 'duplicate' }).devObject.metadata.ownerReferences).toBeUndefined();
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-7d9-xk2', ownerReferences: [{ ...controller, kind: 'ReplicaSet', name: 'api-7d9' }] },
      spec: { containers: [{ name: 'api', image: 'api:1' }] },
    };
    expect(planError(() => plan(pod, {}, { mode: 'duplicate' })).code).toBe('OwnedByController');
  });

  it('refuses a session id that cannot be a label value', () => {
    const config = effectiveDevConfig({ container: 'api' }).config;
    const error = planError(() =>
      planDevMode({ workload: deployment(), config, mode: 'replace', owner, sessionId: 'Not Valid', now: '' }),
    );
    expect(error.code).toBe('InvalidSessionId');
  });

  it('unpauses a Deployment and resets a StatefulSet partition so the dev pod rolls out', () => {
    expect(plan(deployment({ paused: true })).devObject.spec).not.toHaveProperty('paused');
    const statefulSet: KubeObject = {
      ...deployment({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }),
      kind: 'StatefulSet',
    };
    const result = plan(statefulSet);
    expect(result.devObject.spec?.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(result.devObject.spec?.replicas).toBe(1);
    expect(result.needsPodDeletion).toBe(false);
  });

  it('keeps generated names within 63 characters and distinct', () => {
    const longName = (suffix: string) => `payments-reconciliation-worker-for-the-eu-west-region-${suffix}`;
    const daemonSet = (name: string): KubeObject => ({ ...deployment(), kind: 'DaemonSet', metadata: { name } });
    const a = plan(daemonSet(longName('primary'))).devObject.metadata;
    const b = plan(daemonSet(longName('secondary'))).devObject.metadata;
    expect(a.name.length).toBeLessThanOrEqual(63);
    expect(a.name).toMatch(/^payments-reconciliation-worker-for-the-eu-west-r-[0-9a-f]{6}-devmode$/);
    expect(a.name).not.toBe(b.name);
    expect(Object.values(a.labels ?? {}).every((value) => value.length <= 63)).toBe(true);
  });

  it('refuses a record the API server would reject for size', () => {
    const workload = deployment();
    workload.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(200_000) };
    const error = planError(() => plan(workload));
    expect(error.code).toBe('RecordTooLarge');
    expect(error.message).toMatch(
      /^recording Deployment api would bring its annotations to 4\d{5} bytes, over the 262144/,
    );
  });

  it('reports a failing patch by its index', () => {
    const error = planError(() =>
      plan(deployment(), { patches: [{ type: 'json', patch: [{ op: 'remove', path: '/spec/hostNetwork' }] }] }),
    );
    expect(error.code).toBe('PatchFailed');
    expect(error.message).toBe(
      'patches[0] (json) failed at operation 0 (remove /spec/hostNetwork): no value at /spec/hostNetwork',
    );
    const removesDev = {
      type: 'strategic' as const,
      patch: { spec: { containers: [{ name: 'api', $patch: 'delete' }] } },
    };
    expect(planError(() => plan(deployment(), { patches: [removesDev] })).message).toBe(
      `the dev config's patches removed the dev container "api"`,
    );
  });
});

describe('planRestore', () => {
  it('keeps the live revision annotation, which the API server owns', () => {
    const workload = deployment();
    workload.metadata.annotations = { 'deployment.kubernetes.io/revision': '4', note: 'x' };
    const started = plan(workload);
    expect(started.record.original.annotations).toEqual({ note: 'x' });
    const current = cloneJson(started.devObject);
    current.metadata.annotations = { ...current.metadata.annotations, 'deployment.kubernetes.io/revision': '5' };
    const restore = planRestore({ current, record: started.record });
    expect(restore.update?.metadata.annotations).toEqual({ note: 'x', 'deployment.kubernetes.io/revision': '5' });
  });

  it('updates a bare pod that was not deleted yet and leaves alone one re-created by someone else', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'dev', labels: { app: 'p' } },
      spec: { containers: [{ name: 'c', image: 'c:1' }] },
    };
    const started = plan(pod);
    const recorded = applyMergePatch(pod, started.recordPatch?.patch) as KubeObject;
    expect(planRestore({ current: recorded, record: started.record })).toMatchObject({
      deleteDeployment: 'p-devmode',
      update: { metadata: { name: 'p', labels: { app: 'p' } } },
    });
    expect(planRestore({ current: recorded, record: started.record }).update?.metadata).not.toHaveProperty(
      'annotations',
    );
    const recreated = planRestore({ current: pod, record: started.record });
    expect(recreated.update).toBeUndefined();
    expect(recreated.create).toBeUndefined();
    expect(recreated.deleteDeployment).toBe('p-devmode');
    expect(recreated.notes).toEqual(['pod p was re-created without the DevMode record; it is left as it is']);
  });
});

describe('readRecord', () => {
  it('refuses an annotation that is not a usable record', () => {
    const withRecord = (text: string): KubeObject => ({
      ...deployment(),
      metadata: { name: 'api', annotations: { [recordAnnotation]: text } },
    });
    const good = plan(deployment()).record;
    expect(readRecord(withRecord(JSON.stringify(good)))).toEqual(good);
    expect(() => readRecord(withRecord('{oops'))).toThrow(`the ${recordAnnotation} annotation of api is not JSON`);
    expect(() => readRecord(withRecord(JSON.stringify({ ...good, version: 2 })))).toThrow(
      'is not a usable record: version 2 is not 1',
    );
    const badLabels = { ...good, original: { ...good.original, labels: { app: 1 } } };
    expect(() => readRecord(withRecord(JSON.stringify(badLabels)))).toThrow(
      'is not a usable record: original.labels is not a map of strings',
    );
  });
});

describe('planRestore safety', () => {
  it('restores nothing while another session holds the workload', () => {
    const mine = plan(deployment());
    const current = cloneJson(mine.devObject);
    const theirs = { ...mine.record, sessionId: 'other-session', owner: { machine: 'm2', user: 'cy' } };
    current.metadata.annotations = { ...current.metadata.annotations, [recordAnnotation]: JSON.stringify(theirs) };
    const daemonSetRecord = { ...mine.record, kind: 'DaemonSet' as const };
    for (const record of [mine.record, daemonSetRecord]) {
      expect(planRestore({ current, record })).toEqual({
        kind: record.kind,
        name: 'api',
        namespace: 'dev',
        mode: 'replace',
        notes: [`${record.kind} api is in DevMode by session other-session of cy on m2; nothing is restored`],
      });
    }
  });

  it('restores the original of a workload that lost its record, and says so', () => {
    const started = plan(deployment());
    const current = cloneJson(started.devObject);
    delete current.metadata.annotations?.[recordAnnotation];
    const restore = planRestore({ current, record: started.record });
    expect(restore.notes).toEqual(['Deployment api had lost its DevMode record; its recorded original is restored']);
    expect(essence(restore.update as KubeObject)).toBe(essence(deployment()));
  });

  it('only deletes the generated Deployment when the parked original is gone', () => {
    const daemonSet: KubeObject = { ...deployment(), kind: 'DaemonSet' };
    const started = plan(daemonSet);
    expect(planRestore({ current: undefined, record: started.record })).toMatchObject({
      deleteDeployment: 'api-devmode',
      notes: ['DaemonSet api no longer exists; there is nothing to restore'],
    });
  });
});

describe('detectForeignChange', () => {
  const started = plan(deployment(), { image: 'dev:1' });
  const check = (current: KubeObject) => ({
    changed: detectForeignChange({ current, record: started.record, sessionId }),
    reasons: foreignChanges({ current, record: started.record, sessionId }),
  });

  it('sees no change in the object DevMode wrote', () => {
    expect(check(started.devObject)).toEqual({ changed: false, reasons: [] });
  });

  it('reports a changed dev container', () => {
    const current = cloneJson(started.devObject);
    const dev = podSpec(current).containers[0];
    if (dev) dev.image = 'api:2';
    expect(check(current)).toEqual({ changed: true, reasons: ["the dev container's image is now api:2"] });
  });

  it('reports a pod template rolled back by someone else', () => {
    const current = cloneJson(started.devObject);
    current.spec = cloneJson(deployment().spec);
    expect(check(current).reasons).toEqual([
      `the pod template no longer carries the ${sessionLabel} annotation of this session`,
      "the dev container's image is now api:1",
      "the dev container's command changed",
      "the dev container's workingDir changed",
    ]);
  });

  it('reports a removed record', () => {
    const current = cloneJson(started.devObject);
    delete current.metadata.annotations?.[recordAnnotation];
    expect(check(current)).toEqual({ changed: true, reasons: [`the ${recordAnnotation} annotation was removed`] });
  });
  it('reports a change to any container in DevMode, by name, when several are', () => {
    const fixture = loadFixture('deployment-containers');
    const several = planFixture(fixture);
    const current = cloneJson(several.devObject);
    const worker = podSpec(current).containers.find((container) => container.name === 'worker');
    if (worker) worker.command = ['sh', '-c', 'changed'];
    const record = several.record;
    expect(foreignChanges({ current: several.devObject, record, sessionId: fixture.sessionId })).toEqual([]);
    expect(foreignChanges({ current, record, sessionId: fixture.sessionId })).toEqual([
      "the dev container worker's command changed",
    ]);
  });
});

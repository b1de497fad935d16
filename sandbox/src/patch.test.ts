import { describe, expect, it } from 'vitest';
import { ApiError } from './contracts.js';
import { applyJsonPatch, applyMergePatch, applyPatch, applyStrategicMergePatch } from './patch.js';

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'api',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      labels: { app: 'api' },
    },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            {
              name: 'main',
              image: 'busybox',
              command: ['sh', '-c', 'sleep 1000'],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [
                { mountPath: '/src', name: 'src' },
                { mountPath: '/data', name: 'data' },
              ],
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
            },
            { name: 'sidecar', image: 'alpine' },
          ],
          volumes: [{ name: 'src', emptyDir: {} }],
        },
      },
    },
  };
}

describe('strategic merge patch', () => {
  it('applies the patch kubectl apply sends after changing an env value and a mountPath', () => {
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'main' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }],
                '$setElementOrder/volumeMounts': [{ mountPath: '/app' }],
                env: [{ name: 'A', value: '3' }],
                name: 'main',
                volumeMounts: [
                  { mountPath: '/app', name: 'src' },
                  { $patch: 'delete', mountPath: '/src' },
                ],
              },
            ],
          },
        },
      },
    };
    const result = applyStrategicMergePatch(deployment(), patch) as ReturnType<typeof deployment>;
    const spec = (result.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
    expect((result.metadata as { annotations: Record<string, string> }).annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}',
    });
    expect(spec.containers.map((c) => c.name)).toEqual(['main', 'sidecar']);
    const main = spec.containers[0]!;
    expect(main.env).toEqual([
      { name: 'A', value: '3' },
      { name: 'B', value: '2' },
    ]);
    expect(main.volumeMounts).toEqual([
      { mountPath: '/app', name: 'src' },
      { mountPath: '/data', name: 'data' },
    ]);
    expect(main.command).toEqual(['sh', '-c', 'sleep 1000']);
    expect(main.image).toBe('busybox');
    expect(JSON.stringify(result)).not.toContain('$');
  });

  it('merges container and service ports by their own keys and replaces other lists', () => {
    const result = applyStrategicMergePatch(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'main', command: ['run'], ports: [{ containerPort: 9090 }] },
              { name: 'extra', image: 'x' },
            ],
          },
        },
      },
    }) as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    const containers = result.spec.template.spec.containers;
    // As a real server orders them: the patch's items first where the original list gives no order between them.
    expect(containers.map((c) => c.name)).toEqual(['main', 'extra', 'sidecar']);
    expect(containers[0]!.command).toEqual(['run']);
    expect(containers[0]!.ports).toEqual([{ containerPort: 9090 }, { containerPort: 8080, protocol: 'TCP' }]);

    const service = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    const patched = applyStrategicMergePatch(service, { spec: { ports: [{ port: 80, targetPort: 9090 }] } });
    expect(patched).toEqual({ spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } });
  });

  it('orders merged lists as a real server does and refuses an item without its merge key', () => {
    const env = (names: string[]): { name: string }[] => names.map((name) => ({ name }));
    const merged = (original: string[], patch: string[]): string[] =>
      (
        applyStrategicMergePatch({ spec: { env: env(original) } }, { spec: { env: env(patch) } }) as {
          spec: { env: { name: string }[] };
        }
      ).spec.env.map((e) => e.name);
    expect(merged(['A', 'B'], ['C', 'A'])).toEqual(['C', 'A', 'B']);
    expect(merged(['A', 'B', 'C'], ['C', 'A'])).toEqual(['B', 'C', 'A']);
    expect(merged(['A', 'B', 'C'], ['B'])).toEqual(['A', 'B', 'C']);
    let refused: unknown;
    try {
      applyStrategicMergePatch({ spec: { containers: [] } }, { spec: { containers: [{ image: 'x:1' }] } });
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({
      code: 500,
      message: 'map: map[image:x:1] does not contain declared merge key: name',
    });
  });

  it('honours null, $patch replace and delete on maps and lists, and tolerates the other directives', () => {
    const original = {
      metadata: { labels: { a: '1', b: '2' }, finalizers: ['x', 'y'] },
      spec: { selector: { m: { k: 'v' } } },
    };
    expect(applyStrategicMergePatch(original, { metadata: { labels: { a: null, c: '3' } } })).toMatchObject({
      metadata: { labels: { b: '2', c: '3' } },
    });
    expect(applyStrategicMergePatch(original, { spec: { selector: { $patch: 'replace', n: 1 } } })).toMatchObject({
      spec: { selector: { n: 1 } },
    });
    expect(applyStrategicMergePatch(original, { spec: { selector: { $patch: 'delete' } } })).toEqual({
      metadata: original.metadata,
      spec: {},
    });
    const withFinalizers = applyStrategicMergePatch(original, {
      metadata: { finalizers: ['z'], '$deleteFromPrimitiveList/finalizers': ['x'] },
    }) as typeof original;
    expect(withFinalizers.metadata.finalizers).toEqual(['y', 'z']);
    const replacedList = applyStrategicMergePatch(deployment(), {
      spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'i' }] } } },
    }) as { spec: { template: { spec: { containers: unknown[] } } } };
    expect(replacedList.spec.template.spec.containers).toEqual([{ name: 'only', image: 'i' }]);
    expect(applyStrategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $retainKeys: ['a', 'c'], c: 3 } })).toEqual({
      spec: { a: 1, c: 3 },
    });
  });

  it('orders a merged list by $setElementOrder', () => {
    const result = applyStrategicMergePatch(deployment(), {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'main' }] } } },
    }) as { spec: { template: { spec: { containers: { name: string }[] } } } };
    expect(result.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'main']);
  });
});

describe('JSON merge patch', () => {
  it('merges objects, deletes nulls and replaces lists (RFC 7386)', () => {
    expect(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' }, l: [1, 2] }, { a: 'z', c: { f: null }, l: [3] })).toEqual({
      a: 'z',
      c: { d: 'e' },
      l: [3],
    });
    expect(applyMergePatch({ a: 1 }, 'x')).toBe('x');
  });
});

describe('JSON patch', () => {
  const doc = { metadata: { labels: { 'a/b': 'x' } }, list: [1, 2, 3] };

  it('adds, removes, replaces, moves, copies and tests (RFC 6902)', () => {
    const result = applyJsonPatch(doc, [
      { op: 'add', path: '/list/-', value: 4 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'remove', path: '/list/1' },
      { op: 'replace', path: '/metadata/labels/a~1b', value: 'y' },
      { op: 'test', path: '/metadata/labels/a~1b', value: 'y' },
      { op: 'copy', from: '/list', path: '/copied' },
      { op: 'move', from: '/metadata/labels', path: '/moved' },
    ]);
    expect(result).toEqual({ metadata: {}, list: [0, 2, 3, 4], copied: [0, 2, 3, 4], moved: { 'a/b': 'y' } });
    expect(doc.list).toEqual([1, 2, 3]);
  });

  it('fails with 422 on a failed test or a missing path, and 400 on a malformed patch', () => {
    const fail = (patch: unknown): ApiError => {
      try {
        applyJsonPatch(doc, patch);
      } catch (error) {
        if (error instanceof ApiError) return error;
      }
      throw new Error('expected an ApiError');
    };
    expect(fail([{ op: 'test', path: '/list/0', value: 9 }]).code).toBe(422);
    expect(fail([{ op: 'remove', path: '/nope/x' }]).code).toBe(422);
    expect(fail([{ op: 'replace', path: '/missing', value: 1 }]).code).toBe(422);
    expect(fail({ op: 'add' }).code).toBe(400);
  });
});

describe('applyPatch', () => {
  it('dispatches on the Content-Type and refuses apply patches with 415', () => {
    expect(applyPatch('application/merge-patch+json; charset=utf-8', { a: [1] }, { a: [2] })).toEqual({ a: [2] });
    expect(applyPatch('application/json-patch+json', { a: 1 }, [{ op: 'replace', path: '/a', value: 2 }])).toEqual({
      a: 2,
    });
    expect(() => applyPatch('application/apply-patch+yaml', {}, {})).toThrow(
      expect.objectContaining({ code: 415, reason: 'UnsupportedMediaType' }) as Error,
    );
  });
});

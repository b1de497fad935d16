import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  type JsonPatchOperation,
  PatchError,
} from './patches.js';

const template = () => ({
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'web:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80 }, { containerPort: 443 }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        args: ['--verbose'],
      },
      { name: 'proxy', image: 'proxy:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'a', operator: 'Exists' }],
  },
});

describe('applyStrategicMergePatch', () => {
  it('merges containers, env, ports and volumeMounts by their keys and appends new entries', () => {
    const result = applyStrategicMergePatch(template(), {
      spec: {
        containers: [
          {
            name: 'web',
            env: [
              { name: 'B', value: 'two' },
              { name: 'C', value: '3' },
            ],
            ports: [{ containerPort: 443, name: 'https' }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
          { name: 'debugger', image: 'dlv' },
        ],
      },
    });
    expect(result.spec).toMatchObject({
      containers: [
        {
          name: 'web',
          image: 'web:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: 'two' },
            { name: 'C', value: '3' },
          ],
          ports: [{ containerPort: 80 }, { containerPort: 443, name: 'https' }],
          volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
        },
        { name: 'proxy', image: 'proxy:1' },
        { name: 'debugger', image: 'dlv' },
      ],
    });
  });

  it('replaces lists without a merge key and deletes fields set to null', () => {
    const result = applyStrategicMergePatch(template(), {
      metadata: { labels: { app: null, tier: 'dev' } },
      spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'web', args: null }] },
    });
    expect(result.metadata).toEqual({ labels: { tier: 'dev' } });
    expect((result.spec as { tolerations: unknown }).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
    expect((result.spec as { containers: object[] }).containers[0]).not.toHaveProperty('args');
  });

  it('removes list entries and objects marked $patch: delete', () => {
    const result = applyStrategicMergePatch(template(), {
      spec: {
        containers: [
          { name: 'proxy', $patch: 'delete' },
          { name: 'web', env: [{ name: 'A', $patch: 'delete' }] },
        ],
        volumes: [
          { name: 'data', $patch: 'delete' },
          { name: 'absent', $patch: 'delete' },
        ],
      },
      metadata: { $patch: 'delete' },
    });
    expect(result).not.toHaveProperty('metadata');
    const spec = result.spec as { containers: { name: string; env: unknown }[]; volumes: unknown[] };
    expect(spec.containers.map((container) => container.name)).toEqual(['web']);
    expect(spec.containers[0]?.env).toEqual([{ name: 'B', value: '2' }]);
    expect(spec.volumes).toEqual([]);
  });

  it('replaces an object or a whole keyed list with $patch: replace', () => {
    const result = applyStrategicMergePatch(template(), {
      metadata: { labels: { $patch: 'replace', only: 'this' } },
      spec: { volumes: [{ $patch: 'replace' }, { name: 'fresh', emptyDir: {} }] },
    });
    expect(result.metadata).toEqual({ labels: { only: 'this' } });
    expect((result.spec as { volumes: unknown }).volumes).toEqual([{ name: 'fresh', emptyDir: {} }]);
  });

  it('refuses directives it does not implement and keyed entries without their key', () => {
    expect(() => applyStrategicMergePatch(template(), { spec: { $retainKeys: ['a'] } })).toThrow(
      new PatchError('unsupported directive $retainKeys', '/spec/$retainKeys'),
    );
    expect(() => applyStrategicMergePatch(template(), { spec: { containers: [{ image: 'x' }] } })).toThrow(
      '/spec/containers/0: each entry of containers must be an object with "name"',
    );
  });

  it('leaves its input unchanged', () => {
    const input = template();
    applyStrategicMergePatch(input, { spec: { containers: [{ name: 'web', image: 'changed' }] } });
    expect(input).toEqual(template());
  });
});

describe('applyMergePatch (RFC 7386)', () => {
  it('follows the examples of RFC 7386 appendix A', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [
        ['a', 'b'],
        ['c', 'd'],
        ['c', 'd'],
      ],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, expected] of cases) expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});

describe('applyJsonPatch (RFC 6902)', () => {
  const apply = (document: unknown, operations: JsonPatchOperation[]) => applyJsonPatch(document, operations);

  it('adds, removes and replaces object members and array elements', () => {
    expect(apply({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({ foo: 'bar', baz: 'qux' });
    expect(apply({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({
      foo: ['bar', 'qux', 'baz'],
    });
    expect(apply({ foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }])).toEqual({ foo: [1, 2] });
    expect(apply({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(apply({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({ foo: ['bar', 'baz'] });
    expect(apply({ baz: 'qux' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({ baz: 'boo' });
    expect(apply({ a: 1 }, [{ op: 'replace', path: '', value: [1] }])).toEqual([1]);
  });

  it('moves and copies values', () => {
    expect(
      apply({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [
        { op: 'move', from: '/foo/waldo', path: '/qux/thud' },
      ]),
    ).toEqual({ foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } });
    expect(apply({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }])).toEqual({
      foo: ['all', 'cows', 'eat', 'grass'],
    });
    expect(apply({ a: { b: [1] } }, [{ op: 'copy', from: '/a/b', path: '/c' }])).toEqual({ a: { b: [1] }, c: [1] });
  });

  it('decodes ~0 and ~1 in pointers', () => {
    expect(
      apply({ 'a/b': 1, 'm~n': 2 }, [
        { op: 'replace', path: '/a~1b', value: 3 },
        { op: 'remove', path: '/m~0n' },
      ]),
    ).toEqual({ 'a/b': 3 });
  });

  it('passes and fails tests by value, whatever the key order', () => {
    expect(apply({ a: { x: 1, y: 2 } }, [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }])).toEqual({
      a: { x: 1, y: 2 },
    });
    expect(() => apply({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow('test failed');
  });

  it('names the failing operation and leaves the document untouched', () => {
    const document = { spec: { containers: [{ name: 'a' }] } };
    expect(() =>
      apply(document, [
        { op: 'add', path: '/spec/hostNetwork', value: true },
        { op: 'remove', path: '/spec/containers/1' },
      ]),
    ).toThrow('operation 1 (remove /spec/containers/1): "1" is not a valid index here');
    expect(document).toEqual({ spec: { containers: [{ name: 'a' }] } });
    expect(() => apply(document, [{ op: 'replace', path: '/spec/missing', value: 1 }])).toThrow(
      'no value at /spec/missing',
    );
    expect(() => apply(document, [{ op: 'add', path: '/spec/containers/01', value: {} }])).toThrow('not a valid index');
    expect(() => apply(document, [{ op: 'add', path: '/a/b', value: 1 }])).toThrow('no value at /a');
    expect(() => apply(document, [{ op: 'move', from: '/spec', path: '/spec/inner' }])).toThrow(
      'cannot move a value into itself',
    );
    expect(() => apply(document, [{ op: 'add', path: 'spec', value: 1 }])).toThrow('"spec" is not a JSON pointer');
  });
});

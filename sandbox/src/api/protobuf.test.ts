import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './protobuf.js';

/** Minimal protobuf writer for building test bodies. */
function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, BigInt(value));
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Buffer.from(bytes);
}
const bytesField = (field: number, value: Buffer | string): Buffer => {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((field << 3) | 2), varint(data.length), data]);
};
const intField = (field: number, value: number): Buffer => Buffer.concat([varint(field << 3), varint(value)]);
const mapEntry = (field: number, key: string, value: string): Buffer =>
  bytesField(field, Buffer.concat([bytesField(1, key), bytesField(2, value)]));

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytesField(1, typeMeta), bytesField(2, raw)]);
}

describe('protobuf request bodies', () => {
  it('decodes objects, keeping set pointer fields and dropping Go zero values', () => {
    const metadata = Buffer.concat([
      bytesField(1, 'web'),
      bytesField(3, ''),
      bytesField(8, Buffer.alloc(0)),
      mapEntry(11, 'app', ''),
    ]);
    const container = Buffer.concat([
      bytesField(1, 'main'),
      bytesField(2, 'busybox'),
      bytesField(3, 'sleep'),
      bytesField(3, '10'),
      bytesField(8, Buffer.alloc(0)),
    ]);
    const podSpec = bytesField(2, container);
    const template = Buffer.concat([
      bytesField(1, bytesField(11, Buffer.concat([bytesField(1, 'app'), bytesField(2, 'web')]))),
      bytesField(2, podSpec),
    ]);
    const maxSurge = Buffer.concat([intField(1, 1), bytesField(3, '25%')]);
    const strategy = Buffer.concat([bytesField(1, 'RollingUpdate'), bytesField(2, bytesField(2, maxSurge))]);
    const spec = Buffer.concat([intField(1, 0), bytesField(3, template), bytesField(4, strategy), intField(5, 0)]);
    const body = envelope(
      'apps/v1',
      'Deployment',
      Buffer.concat([bytesField(1, metadata), bytesField(2, spec), bytesField(3, Buffer.alloc(0))]),
    );
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: '' } },
      spec: {
        replicas: 0,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '10'] }] },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      },
    });
  });

  it('encodes bytes maps as base64 and negative integers correctly', () => {
    const secret = Buffer.concat([
      bytesField(1, bytesField(1, 's')),
      mapEntry(2, 'pw', 'secret'),
      bytesField(3, 'Opaque'),
    ]);
    expect(decodeProtobufObject(envelope('v1', 'Secret', secret))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { pw: Buffer.from('secret').toString('base64') },
      type: 'Opaque',
    });
    const pod = Buffer.concat([bytesField(1, bytesField(1, 'p')), bytesField(2, intField(4, -1))]);
    expect(decodeProtobufObject(envelope('v1', 'Pod', pod))).toMatchObject({
      spec: { terminationGracePeriodSeconds: -1 },
    });
  });

  it('refuses unknown kinds and fields with 415 rather than dropping them', () => {
    const unknownField = Buffer.concat([bytesField(1, bytesField(1, 'c')), bytesField(9, 'x')]);
    expect(() => decodeProtobufObject(envelope('v1', 'ConfigMap', unknownField))).toThrow(
      expect.objectContaining({
        code: 415,
        message: expect.stringContaining('field 9 of ConfigMap') as unknown,
      }) as Error,
    );
    expect(() => decodeProtobufObject(envelope('networking.k8s.io/v1', 'Ingress', Buffer.alloc(0)))).toThrow(
      expect.objectContaining({ code: 415, message: expect.stringContaining('kind Ingress') as unknown }) as Error,
    );
    expect(() => decodeProtobufObject(Buffer.from('{}'))).toThrow(expect.objectContaining({ code: 415 }) as Error);
  });
});

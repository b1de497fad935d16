/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs are loosely typed JSON (see contracts.ts). */
import { describe, expect, it } from 'vitest';
import { ApiError, type KubeObject } from '../contracts.js';
import { resourceByKey } from '../resources.js';
import { decodeObject, decodePatched } from './decode.js';
import { applyDefaults } from './defaults.js';

const deployments = resourceByKey('deployments.apps')!;

function deployment(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec, ...extra };
}

describe('typed decoding', () => {
  it("names a wrong JSON type as Go's decoder does, with the struct and the path", () => {
    expect(decodeObject(deployments, deployment({ replicas: 'two' })).mismatch).toBe(
      'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    const labelled = deployment({ template: { metadata: { labels: { tier: 1 } } } });
    expect(decodeObject(deployments, labelled).mismatch).toBe(
      'json: cannot unmarshal number into Go struct field ObjectMeta.spec.template.metadata.labels of type string',
    );
  });

  it('drops unknown fields and reports their paths with list indexes', () => {
    const object = deployment(
      { template: { spec: { containers: [{ name: 'main', image: 'x', imagePullPolicyy: 'Always' }] } } },
      { extra: 1 },
    );
    expect(decodeObject(deployments, object).unknown).toEqual([
      'spec.template.spec.containers[0].imagePullPolicyy',
      'extra',
    ]);
    expect(object.extra).toBeUndefined();
    expect(object.spec.template.spec.containers[0]).toEqual({ name: 'main', image: 'x' });
  });

  it('checks Secret data as base64, and stringData ends up encoded in data', () => {
    const secrets = resourceByKey('secrets')!;
    const secret = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data,
    });
    expect(decodeObject(secrets, secret({ token: 'not base64!' })).mismatch).toBe(
      'illegal base64 data at input byte 3',
    );
    expect(decodeObject(secrets, secret({ token: 'YWJj' })).mismatch).toBeUndefined();
    const written: KubeObject = { ...secret({ a: 'YQ==' }), stringData: { token: 'abc' } };
    applyDefaults('secrets', written);
    expect(written.data).toEqual({ a: 'YQ==', token: 'YWJj' });
    expect(written.stringData).toBeUndefined();
  });

  it('answers a patch that leaves a wrong type with 422 on the field "patch"', () => {
    let error: unknown;
    try {
      decodePatched(deployments, deployment({ replicas: 'x' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 422, reason: 'Invalid', details: { causes: [{ field: 'patch' }] } });
    expect((error as ApiError).message).toMatch(
      /^ "" is invalid: patch: Invalid value: "\{.*\}": json: cannot unmarshal string/,
    );
  });
});

/* eslint-disable @typescript-eslint/no-unsafe-member-access -- specs are loosely typed JSON (see contracts.ts). */
import { describe, expect, it } from 'vitest';
import { ApiError, type KubeObject } from './contracts.js';
import { resourceByKey } from './resources.js';
import { validateName, validateObject } from './validation.js';

function rejection(fn: () => void): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a 422');
}

const deployments = resourceByKey('deployments.apps')!;
const pods = resourceByKey('pods')!;

function deployment(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'x:1' }] } },
      ...spec,
    },
  };
}

describe('validation', () => {
  it('answers 422 with the name, kind and one cause per field, as kubectl reads them', () => {
    const error = rejection(() => validateObject(deployments, deployment({ replicas: -1 })));
    expect(error.code).toBe(422);
    expect(error.message).toBe(
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(error.details).toEqual({
      name: 'web',
      group: 'apps',
      kind: 'Deployment',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: -1: must be greater than or equal to 0',
          field: 'spec.replicas',
        },
      ],
    });
  });

  it('checks the selector against the template labels, images and container names', () => {
    const mismatch = deployment({});
    mismatch.spec.template.metadata.labels = { app: 'other' };
    expect(rejection(() => validateObject(deployments, mismatch)).message).toBe(
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    );
    const twice = deployment({});
    twice.spec.template.spec.containers = [{ name: 'main' }, { name: 'main', image: 'x:1' }];
    expect(rejection(() => validateObject(deployments, twice)).message).toBe(
      'Deployment.apps "web" is invalid: [spec.template.spec.containers[0].image: Required value, spec.template.spec.containers[1].name: Duplicate value: "main"]',
    );
    expect(() => validateObject(deployments, deployment({ replicas: 3 }))).not.toThrow();
  });

  it('refuses a change to a Pod spec beyond images, tolerations and deadlines', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'main', image: 'x:1', command: ['a'] }] },
    };
    const newImage = structuredClone(pod);
    newImage.spec.containers[0].image = 'x:2';
    expect(() => validateObject(pods, newImage, pod)).not.toThrow();
    const newCommand = structuredClone(pod);
    newCommand.spec.containers[0].command = ['b'];
    const error = rejection(() => validateObject(pods, newCommand, pod));
    expect(error.message).toMatch(/^Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than/);
    expect(error.details).toMatchObject({
      name: 'p',
      kind: 'Pod',
      causes: [{ reason: 'FieldValueForbidden', field: 'spec' }],
    });
  });

  it('words bad names as a real server does, per kind', () => {
    expect(rejection(() => validateName(resourceByKey('configmaps')!, 'Bad_Name')).message).toContain(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com'",
    );
    expect(rejection(() => validateName(resourceByKey('namespaces')!, 'a.b')).message).toContain('RFC 1123 label');
    expect(rejection(() => validateName(resourceByKey('services')!, '1abc')).message).toContain('DNS-1035 label');
  });
});

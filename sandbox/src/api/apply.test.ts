import { describe, expect, it } from 'vitest';
import { ApiError } from '../contracts.js';
import { applyConfiguration } from './apply.js';

const config = (value: string): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'ssa', namespace: 'default' },
  data: { a: value },
});

describe('server-side apply', () => {
  it('records the applied fields under the manager, as an Apply entry', () => {
    const created = applyConfiguration(undefined, config('1'), 'kubectl', false);
    expect(created.data).toEqual({ a: '1' });
    expect(created.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {} } } }),
    ]);
  });

  it('reports a field another manager owns with another value as a conflict, and forcing takes it over', () => {
    const live = applyConfiguration(undefined, config('1'), 'kubectl', false);
    let conflict: unknown;
    try {
      applyConfiguration(live, config('2'), 'other', false);
    } catch (error) {
      conflict = error;
    }
    expect(conflict).toBeInstanceOf(ApiError);
    expect((conflict as ApiError).code).toBe(409);
    expect((conflict as ApiError).message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .data.a');
    const forced = applyConfiguration(live, config('2'), 'other', true);
    expect(forced.data).toEqual({ a: '2' });
    // The former owner's entry had nothing left and is gone.
    expect((forced.metadata.managedFields as { manager: string }[]).map((entry) => entry.manager)).toEqual(['other']);
  });

  it('lets two managers share a field they apply with the same value', () => {
    const live = applyConfiguration(undefined, config('1'), 'kubectl', false);
    const shared = applyConfiguration(live, config('1'), 'other', false);
    expect((shared.metadata.managedFields as { manager: string }[]).map((entry) => entry.manager)).toEqual([
      'kubectl',
      'other',
    ]);
  });
});

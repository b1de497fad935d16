import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const options = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, options))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('spreads each delay by the jitter fraction around its base', () => {
    const jittered = { ...options, jitter: 0.5 };
    expect(backoffDelay(1, jittered, () => 0)).toBe(100);
    expect(backoffDelay(1, jittered, () => 0.999999)).toBe(300);
    expect(backoffDelay(1, jittered, () => 0.5)).toBe(200);
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError, type KubeObject } from './contracts.js';
import { parseLabelSelector, parseSelectors } from './selectors.js';

function labelled(labels: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels } };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return `${error.code} ${error.message}`;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('selectors', () => {
  it('match label requirements of every form', () => {
    const matches = parseLabelSelector('tier in (web,db),track!=canary,!legacy,size>2');
    expect(matches(labelled({ tier: 'web', size: '3' }))).toBe(true);
    expect(matches(labelled({ tier: 'web', size: '3', track: 'canary' }))).toBe(false);
    expect(matches(labelled({ tier: 'web', size: '1' }))).toBe(false);
    expect(matches(labelled({ tier: 'cache', size: '3' }))).toBe(false);
  });

  it("word a malformed label selector as the API server's parser does", () => {
    expect(refusal(() => parseLabelSelector('tier in web'))).toBe(
      "400 unable to parse requirement: found 'web' expected: '('",
    );
    expect(refusal(() => parseLabelSelector('a=b c'))).toBe("400 found 'c', expected: ',' or 'end of string'");
    expect(refusal(() => parseLabelSelector('a,'))).toBe("400 found '', expected: identifier after ','");
  });

  it('refuse fields a kind cannot be selected by, per kind', () => {
    expect(refusal(() => parseSelectors({ fieldSelector: 'spec.nope=x' }, 'configmaps'))).toBe(
      '400 "spec.nope" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(refusal(() => parseSelectors({ fieldSelector: 'spec.nope=x' }, 'pods'))).toBe(
      '400 field label not supported: spec.nope',
    );
    expect(() => parseSelectors({ fieldSelector: 'spec.nodeName=n,status.phase!=Running' }, 'pods')).not.toThrow();
  });
});

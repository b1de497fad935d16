import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sharedSecureContext } from './tlsContext.js';

describe('sharedSecureContext', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });

  it('gives connections with the same credentials one context, and other credentials their own', () => {
    const first = sharedSecureContext({ key: String(key) });
    expect(first).toBeDefined();
    expect(sharedSecureContext({ key: Buffer.from(String(key)) })).toBe(first);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(sharedSecureContext({ key: String(other) })).not.toBe(first);
  });

  it('leaves connections without credentials to the defaults', () => {
    expect(sharedSecureContext({})).toBeUndefined();
  });
});

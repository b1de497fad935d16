import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ensureCredentials } from './credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'devmode-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sandbox credentials', () => {
  test('a CA and a server certificate for 127.0.0.1 and localhost are made in process, and kept', async () => {
    const first = await ensureCredentials(dir);
    const ca = new X509Certificate(first.caCert);
    const server = new X509Certificate(first.serverCert);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=devmode-sandbox-ca');
    expect(server.ca).toBe(false);
    expect(server.subject).toBe('CN=devmode-sandbox-apiserver');
    expect(server.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkPrivateKey(createPrivateKey(first.serverKey))).toBe(true);
    expect(Date.parse(server.validTo) - Date.now()).toBeGreaterThan(9 * 365 * 24 * 3600 * 1000);
    expect(statSync(join(dir, 'pki', 'server.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'pki', 'ca.key')).mode & 0o777).toBe(0o600);
    const again = await ensureCredentials(dir);
    expect(again).toEqual(first);
  });
});

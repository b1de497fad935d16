/**
 * One TLS context per set of cluster credentials.
 *
 * Given `ca`, `cert` and `key`, Node builds a new OpenSSL context for every connection, parsing the CA bundle and the
 * client key again. A server holding hundreds of exec, log and port-forward streams would then hold hundreds of
 * identical contexts in native memory, which the allocator keeps after they are freed. Connections with the same
 * credentials share one context instead; a few recent sets are kept, so rotated credentials never pile up.
 */
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';

const credentialFields = ['ca', 'cert', 'key', 'pfx', 'passphrase'] as const;
const maxContexts = 8;
const contexts = new Map<string, SecureContext>();

/** The shared context for the credentials in `options`; undefined when they name none (Node's defaults apply). */
export function sharedSecureContext(options: SecureContextOptions): SecureContext | undefined {
  const hash = createHash('sha256');
  let any = false;
  for (const field of credentialFields) {
    const value: unknown = options[field];
    if (value === undefined) continue;
    any = true;
    hash.update(`${field}\0`);
    for (const part of Array.isArray(value) ? value : [value]) {
      hash.update(typeof part === 'string' || Buffer.isBuffer(part) ? part : JSON.stringify(part));
      hash.update('\0');
    }
  }
  if (!any) return undefined;
  const key = hash.digest('hex');
  let context = contexts.get(key);
  if (context === undefined) {
    context = createSecureContext(options);
    if (contexts.size >= maxContexts) contexts.delete(contexts.keys().next().value ?? '');
  } else {
    contexts.delete(key);
  }
  // Re-inserted last: the map's order is the order of last use.
  contexts.set(key, context);
  return context;
}

/**
 * The API server's credentials: a self-signed CA, a server certificate for 127.0.0.1/localhost signed by it, and
 * the bearer token clients must present. They are made once and kept in the state directory, so a kubeconfig
 * written earlier stays valid across restarts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Credentials {
  caCert: string;
  serverCert: string;
  serverKey: string;
  token: string;
  /** The bearer token of the RBAC-governed `developer` user. */
  developerToken: string;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || String(error)}`);
  }
}

/** Creates the CA and the server certificate with openssl (P-256 keys, ten years). */
async function generateCertificates(dir: string): Promise<void> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  const serverKey = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const extensions = join(dir, 'server.ext');
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req', '-x509', ...ecKey, '-keyout', caKey, '-out', caCert, '-days', '3650', '-subj', '/CN=devmode-sandbox-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  await openssl(['req', '-new', ...ecKey, '-keyout', serverKey, '-out', csr, '-subj', '/CN=devmode-sandbox-apiserver']);
  await writeFile(
    extensions,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  await openssl([
    'x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '3650',
    '-out', join(dir, 'server.crt'), '-extfile', extensions,
  ]); // prettier-ignore
  await rm(csr, { force: true });
  await rm(extensions, { force: true });
  await rm(join(dir, 'ca.srl'), { force: true });
  await chmod(caKey, 0o600);
  await chmod(serverKey, 0o600);
}

/** Loads the credentials from `stateDir/pki` and `stateDir/token`, creating what is missing. */
export async function ensureCredentials(stateDir: string): Promise<Credentials> {
  const pki = join(stateDir, 'pki');
  await mkdir(pki, { recursive: true, mode: 0o700 });
  let caCert = await readIfPresent(join(pki, 'ca.crt'));
  let serverCert = await readIfPresent(join(pki, 'server.crt'));
  let serverKey = await readIfPresent(join(pki, 'server.key'));
  if (caCert === undefined || serverCert === undefined || serverKey === undefined) {
    await generateCertificates(pki);
    caCert = await readFile(join(pki, 'ca.crt'), 'utf8');
    serverCert = await readFile(join(pki, 'server.crt'), 'utf8');
    serverKey = await readFile(join(pki, 'server.key'), 'utf8');
  }
  const token = await ensureToken(join(stateDir, 'token'));
  const developerToken = await ensureToken(join(stateDir, 'token-developer'));
  return { caCert, serverCert, serverKey, token, developerToken };
}

async function ensureToken(path: string): Promise<string> {
  let token = (await readIfPresent(path))?.trim();
  if (!token) {
    token = randomBytes(32).toString('hex');
    await writeFile(path, `${token}\n`, { mode: 0o600 });
  }
  return token;
}

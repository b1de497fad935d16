/**
 * The API server's credentials: a self-signed CA, a server certificate for 127.0.0.1/localhost signed by it, and
 * the bearer token clients must present. They are made once and kept in the state directory, so a kubeconfig
 * written earlier stays valid across restarts.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

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

const TEN_YEARS_MS = 3650 * 24 * 3600 * 1000;

/** An RSA key pair made by Node's own crypto (fast, native), as PEM and as node-forge objects. */
function newKeyPair(): { pem: string; privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { pem, privateKey: forgeKey, publicKey: forge.pki.rsa.setPublicKey(forgeKey.n, forgeKey.e) };
}

function newCertificate(
  subject: string,
  publicKey: forge.pki.rsa.PublicKey,
  extensions: object[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  // A positive serial: the top bit clear, so the DER integer needs no sign byte.
  cert.serialNumber = `7${randomBytes(15).toString('hex')}`;
  cert.publicKey = publicKey;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + TEN_YEARS_MS);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setExtensions(extensions);
  return cert;
}

/** Creates the CA and the server certificate in process (RSA 2048 keys, SHA-256 signatures, ten years). */
async function generateCertificates(dir: string): Promise<void> {
  const ca = newKeyPair();
  const caCert = newCertificate('devmode-sandbox-ca', ca.publicKey, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.setIssuer(caCert.subject.attributes);
  caCert.sign(ca.privateKey, forge.md.sha256.create());
  const server = newKeyPair();
  const serverCert = newCertificate('devmode-sandbox-apiserver', server.publicKey, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  serverCert.setIssuer(caCert.subject.attributes);
  serverCert.sign(ca.privateKey, forge.md.sha256.create());
  await writeFile(join(dir, 'ca.key'), ca.pem, { mode: 0o600 });
  await writeFile(join(dir, 'server.key'), server.pem, { mode: 0o600 });
  await chmod(join(dir, 'ca.key'), 0o600);
  await chmod(join(dir, 'server.key'), 0o600);
  await writeFile(join(dir, 'ca.crt'), forge.pki.certificateToPem(caCert));
  await writeFile(join(dir, 'server.crt'), forge.pki.certificateToPem(serverCert));
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

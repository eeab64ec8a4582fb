/** Keys and certificates for auth and TLS tests, made with the real openssl. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface TestPki {
  dir: string;
  caCert: string;
  caKey: string;
  /** A server certificate for 127.0.0.1 and localhost, issued by the CA. */
  serverCert: string;
  serverKey: string;
}

/** A CA and a server certificate for 127.0.0.1 (EC P-256, valid two days). */
export function makePki(dir: string): TestPki {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=berth test CA'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], dir);
  return { dir, caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
}

/** A token-signing key with a self-signed certificate: `<name>.key`, `<name>.crt`. */
export function makeSigningKey(dir: string, name: string, kind: 'rsa' | 'ec'): { key: string; cert: string } {
  const keyArgs = kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  openssl(['req', '-x509', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
  return { key: join(dir, `${name}.key`), cert: join(dir, `${name}.crt`) };
}

/** A signing key whose certificate is issued by the test CA (for x5c chains). */
export function makeIssuedSigningKey(pki: TestPki, name: string): { key: string; cert: string } {
  const dir = pki.dir;
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2'], dir);
  return { key: join(dir, `${name}.key`), cert: join(dir, `${name}.crt`) };
}

/** An htpasswd file of bcrypt entries made by the real htpasswd tool. */
export function makeHtpasswd(file: string, users: Record<string, string>): void {
  const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-nbB', '-C', '5', u, p], { encoding: 'utf8' }).trim());
  writeFileSync(file, lines.join('\n') + '\n');
}

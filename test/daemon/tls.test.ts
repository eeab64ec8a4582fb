import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth test CA');
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ]) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    execFileSync('sh', ['-c', `printf '${ext}\\n' > ${name}.ext`], { cwd: dir });
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  // The layout the docker CLI expects in DOCKER_CERT_PATH.
  execFileSync('sh', ['-c', 'mkdir -p cli && cp ca.pem cli/ca.pem && cp client.pem cli/cert.pem && cp client-key.pem cli/key.pem'], { cwd: dir });
}

describe('berthd over TCP with mutual TLS', () => {
  it('serves clients with a certificate from the CA and refuses others', async (t) => {
    const certs = await tempDir(t, 'bt-tls-');
    makeCerts(certs);
    const port = await freePort();
    const d = await startDaemon(t, {
      args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'server.pem'), '--tlskey', join(certs, 'server-key.pem')],
    });
    const url = `https://127.0.0.1:${port}/_ping`;
    const good = await run('curl', ['-sS', '--cacert', join(certs, 'ca.pem'), '--cert', join(certs, 'client.pem'), '--key', join(certs, 'client-key.pem'), url]);
    assert.equal(good.stdout, 'OK');
    const noCert = await run('curl', ['-sS', '--cacert', join(certs, 'ca.pem'), url]);
    assert.notEqual(noCert.code, 0);
    const plain = await run('curl', ['-sS', `http://127.0.0.1:${port}/_ping`]);
    assert.notEqual(plain.stdout, 'OK');
    const dockerTls = await run('docker', ['version', '--format', '{{.Server.APIVersion}}'], {
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certs, 'cli') },
    });
    assert.equal(dockerTls.stdout.trim(), '1.41', dockerTls.stderr);
    // The unix socket keeps working beside the TCP listener.
    assert.equal((await run('curl', ['-s', '--unix-socket', d.socket, 'http://x/_ping'])).stdout, 'OK');
  });
});

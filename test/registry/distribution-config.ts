/**
 * The configuration of distribution 2.8.2 as the reference registry, shared by the tests and the
 * benchmark: filesystem storage, inmemory blob descriptor cache, log level warn, access log off,
 * deletes on, storage health check off (the setup of the reference measurements).
 */

export interface DistributionConfigOptions {
  htpasswd?: { path: string; realm: string };
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  tls?: { cert: string; key: string };
  /** Access log on (off by default). */
  accessLog?: boolean;
}

const q = (s: string) => JSON.stringify(s);

export function distributionConfig(dataDir: string, port: number, opts: DistributionConfigOptions = {}): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    `    disabled: ${opts.accessLog ? 'false' : 'true'}`,
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(dataDir)}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'health:',
    '  storagedriver:',
    '    enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.tls) lines.push('  tls:', `    certificate: ${q(opts.tls.cert)}`, `    key: ${q(opts.tls.key)}`);
  if (opts.htpasswd) lines.push('auth:', '  htpasswd:', `    realm: ${q(opts.htpasswd.realm)}`, `    path: ${q(opts.htpasswd.path)}`);
  if (opts.token) {
    const tk = opts.token;
    lines.push('auth:', '  token:', `    realm: ${q(tk.realm)}`, `    service: ${q(tk.service)}`, `    issuer: ${q(tk.issuer)}`, `    rootcertbundle: ${q(tk.rootCertBundle)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * `berth registry serve | gc | token-server`. The implementation is imported only when a command
 * runs, so `berth --help` does not pay for the server.
 */
import { Command, Option } from 'commander';
import { logger } from '../core/log.js';
import type { ServeFlags } from './config.js';

const log = logger('registry');

/** Resolve on SIGTERM or SIGINT: how a server process is asked to stop. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => resolve(sig);
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}

/** The options `serve` and `gc` share: where the storage is and how long GC keeps things. */
function storageOptions(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'storage root (default /var/lib/berth-registry)')
    .option('--config <file>', 'JSON configuration file (flags override it)')
    .option('--gc-grace <duration>', 'keep unreferenced blobs younger than this (default 1h)')
    .option('--upload-grace <duration>', 'remove upload sessions idle for longer than this (default 24h)');
}

function serveCommand(): Command {
  return storageOptions(new Command('serve'))
    .description('Run an OCI Distribution registry server')
    .option('--addr <host:port>', 'address to listen on (port 0: any free port)', '127.0.0.1:5000')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--auth <spec>', 'none | htpasswd:FILE | token:FILE', undefined)
    .option('--read-only', 'refuse pushes and deletes')
    .option('--gc-interval <duration>', 'run garbage collection this often while serving (e.g. 6h); off by default')
    .option('--access-log <dest>', 'access log: - (stdout), off, or a file', undefined)
    .option('--shutdown-timeout <duration>', 'how long shutdown waits for running transfers (default 30s)')
    .action(async (flags: ServeFlags) => {
      const [{ resolveConfig }, { startRegistry }] = await Promise.all([import('./config.js'), import('./server.js')]);
      const config = await resolveConfig(flags);
      const server = await startRegistry(config);
      log.info('listening', { url: server.url, root: config.root, auth: config.auth.kind, readOnly: config.readOnly });
      const signal = await stopSignal();
      log.info('shutting down', { signal });
      await server.close();
      log.info('stopped');
    });
}

interface GcFlags extends ServeFlags {
  dryRun?: boolean;
  json?: boolean;
}

function gcCommand(): Command {
  return storageOptions(new Command('gc'))
    .description('Remove blobs no manifest references (safe while registries serve the same root)')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .option('--json', 'print the report as JSON')
    .action(async (flags: GcFlags) => {
      const [{ resolveConfig }, { openCore }, { collectGarbage }] = await Promise.all([import('./config.js'), import('./server.js'), import('./gc.js')]);
      const config = await resolveConfig({ root: flags.root, config: flags.config, gcGrace: flags.gcGrace, uploadGrace: flags.uploadGrace });
      const core = await openCore(config);
      const report = await collectGarbage(core.storage, core.uploads, { graceMs: config.gc.graceMs, uploadGraceMs: config.gc.uploadGraceMs, dryRun: flags.dryRun === true });
      if (flags.json) {
        process.stdout.write(JSON.stringify(report) + '\n');
        return;
      }
      if (!report.ran) {
        process.stdout.write('another garbage collection is running on this root; nothing done\n');
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
      for (const d of report.removedBlobs) process.stdout.write(`${verb} blob ${d}\n`);
      process.stdout.write(
        `${report.repositories} repositories, ${report.manifests} manifests, ${report.markedBlobs} blobs in use; ` +
          `${verb} ${report.removedBlobs.length} blobs (${report.freedBytes} bytes), ${report.removedLinks} repository links, ${report.removedUploads} upload sessions\n`,
      );
    });
}

interface TokenServerFlags {
  addr: string;
  key: string;
  cert?: string;
  issuer: string;
  service: string;
  users: string;
  anonymousPull?: boolean;
  expiresIn: string;
  tlsCert?: string;
  tlsKey?: string;
  accessLog?: string;
}

function tokenServerCommand(): Command {
  return new Command('token-server')
    .description("Issue Docker registry tokens (JWT) from a users file with per-repository access rules")
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:5001')
    .requiredOption('--key <file>', 'PEM private key that signs the tokens (RSA or EC P-256)')
    .option('--cert <file>', "PEM certificate of --key, sent in the tokens' x5c header")
    .requiredOption('--issuer <name>', 'the tokens\' "iss" (the registry must expect the same)')
    .requiredOption('--service <name>', 'the registry\'s service name (the tokens\' "aud")')
    .requiredOption('--users <file>', 'JSON users file (bcrypt passwords and access rules)')
    .option('--anonymous-pull', 'let anyone pull every repository without credentials')
    .addOption(new Option('--expires-in <seconds>', 'token lifetime in seconds (at least 60)').default('300'))
    .option('--tls-cert <file>', 'serve HTTPS with this certificate')
    .option('--tls-key <file>', 'private key of --tls-cert')
    .option('--access-log <dest>', 'access log: - (stdout), off, or a file', '-')
    .action(async (flags: TokenServerFlags) => {
      const [{ startTokenServer }, { openAccessLog }] = await Promise.all([import('./auth/token-server.js'), import('./accesslog.js')]);
      const access = openAccessLog(flags.accessLog ?? '-');
      const server = await startTokenServer({
        addr: flags.addr,
        keyFile: flags.key,
        certFile: flags.cert,
        issuer: flags.issuer,
        service: flags.service,
        usersFile: flags.users,
        anonymousPull: flags.anonymousPull === true,
        expiresInSeconds: Number(flags.expiresIn),
        tls: flags.tlsCert && flags.tlsKey ? { cert: flags.tlsCert, key: flags.tlsKey } : undefined,
        onRequest: (e) => access.write(e),
      });
      log.info('token server listening', { url: `${server.url}/token`, service: flags.service, issuer: flags.issuer });
      await stopSignal();
      await server.close();
      await access.close();
    });
}

export function registryCommand(): Command {
  return new Command('registry')
    .description('Run an OCI Distribution registry (server, garbage collection, token server)')
    .addCommand(serveCommand())
    .addCommand(gcCommand())
    .addCommand(tokenServerCommand());
}

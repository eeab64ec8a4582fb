/**
 * `berthd`: parse flags, merge with /etc/berth/daemon.json, start the daemon, and stop it
 * gracefully on SIGTERM/SIGINT.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { toBerthError } from '../core/errors.js';
import { setLogLevel } from '../core/log.js';
import { BERTH_VERSION } from '../core/version.js';
import { DEFAULT_CONFIG_FILE, mergeConfig, readConfigFile, type FlagConfig } from './config.js';
import { Daemon } from './daemon.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--layer-sync=false` and the like (Go's flag package accepts these spellings). */
function parseBoolFlag(value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('berthd')
    .description('berth daemon: serves the Docker Engine API v1.41')
    .version(BERTH_VERSION, '-v, --version')
    .option('--config-file <file>', 'daemon configuration file', DEFAULT_CONFIG_FILE)
    .option('--data-root <dir>', 'root of persistent state (default /var/lib/berth)')
    .option('--exec-root <dir>', 'root of runtime state (default /run/berth)')
    .option('-H, --host <socket>', 'listen on unix:///path or tcp://host:port (repeatable)', collect)
    .option('-p, --pidfile <file>', 'write the daemon pid to this file')
    .addOption(new Option('-l, --log-level <level>', 'debug, info, warn or error'))
    .option('-D, --debug', 'debug logging')
    .option('-G, --group <name>', 'group owning the API socket (default berth)')
    .option('--insecure-registry <host>', 'registry reached over plain HTTP (repeatable)', collect)
    .option('--default-runtime <name>', 'OCI runtime: runc or crun (default runc)')
    .addOption(new Option('--layer-sync [bool]', 'flush each extracted layer to disk before committing it (default true)').argParser(parseBoolFlag).preset('true'))
    .option('--tlsverify', 'require mutual TLS on TCP listeners')
    .option('--tlscacert <file>', 'CA certificate clients must be signed by')
    .option('--tlscert <file>', 'server certificate')
    .option('--tlskey <file>', 'server key')
    .allowExcessArguments(false);
  program.parse(argv);
  const opts = program.opts<FlagConfig & { configFile: string }>();

  let daemon: Daemon;
  try {
    const file = await readConfigFile(opts.configFile, opts.configFile !== DEFAULT_CONFIG_FILE);
    const config = mergeConfig(file, opts);
    setLogLevel(config.logLevel);
    daemon = await Daemon.start(config);
  } catch (e) {
    const err = toBerthError(e);
    process.stderr.write(`berthd: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`berthd: ${signal} received, shutting down\n`);
    daemon.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`berthd: shutdown failed: ${toBerthError(e).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * `berth`: the client CLI. It talks to berthd only through the Engine API, and prints what the
 * docker CLI prints for the same command.
 */
import { Command } from 'commander';
import { BERTH_VERSION } from '../core/version.js';
import { registerImages } from './commands/images.js';
import { registerSystem } from './commands/system.js';
import { reportError, setHost } from './context.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('berth')
    .description('A container engine: berth talks to berthd through the Docker Engine API')
    .version(BERTH_VERSION, '-v, --version', 'print version information and quit')
    .option('-H, --host <socket>', 'daemon socket to connect to (default unix:///run/berth/berth.sock, or $BERTH_HOST)')
    .showHelpAfterError()
    .enablePositionalOptions()
    .hook('preAction', (cmd) => setHost(cmd.opts<{ host?: string }>().host));
  registerSystem(program);
  registerImages(program);
  (await import('./commands/containers.js')).registerContainers(program);
  // Commands that need a registry process of their own load lazily.
  program
    .command('registry')
    .description('Run an OCI Distribution registry server (serve, gc, token-server)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action(async () => {
      const { registryCommand } = await import('../registry/cli.js');
      const i = argv.indexOf('registry');
      await registryCommand().name('berth registry').parseAsync(argv.slice(i + 1), { from: 'user' });
    });

  try {
    await program.parseAsync(argv);
    return process.exitCode !== undefined ? Number(process.exitCode) : 0;
  } catch (e) {
    return reportError(e);
  }
}

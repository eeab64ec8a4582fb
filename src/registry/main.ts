#!/usr/bin/env node
/** `node dist/src/registry/main.js serve ...`: the registry commands as a program of their own. */
import { isBerthError } from '../core/errors.js';
import { registryCommand } from './cli.js';

registryCommand()
  .name('berth-registry')
  .parseAsync(process.argv)
  .then(
    () => process.exit(process.exitCode ?? 0),
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`berth registry: ${message}\n`);
      if (isBerthError(e) && e.hint) process.stderr.write(`${e.hint}\n`);
      process.exit(1);
    },
  );

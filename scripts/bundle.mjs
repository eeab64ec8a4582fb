// Bundles the berth CLI into one ESM file (dist/bundle/berth.mjs) so that its start-up reads one
// module instead of dozens. Code the CLI loads lazily (the registry server) stays in split chunks.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: start from an empty directory so stale ones do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { berth: 'dist/src/cli/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  // Native and FFI modules must be loaded from node_modules as they are.
  external: ['koffi'],
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  logLevel: 'warning',
});

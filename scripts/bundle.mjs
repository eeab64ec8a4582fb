// Bundles the berth CLI into one ESM file (dist/bundle/berth.mjs): start-up then reads and
// compiles one module instead of dozens (the CLI's lazy imports become lazy closures inside it).
// The registry server, which the CLI loads only for `berth registry`, stays outside the bundle
// and is imported from the compiled tree at run time.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

/** Leave src/registry out of the bundle, imported relative to dist/bundle/ at run time. */
const registryOutside = {
  name: 'registry-outside',
  setup(b) {
    b.onResolve({ filter: /\/registry\/cli\.js$/ }, () => ({ path: '../src/registry/cli.js', external: true }));
  },
};

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/bundle/berth.mjs',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Native and FFI modules must be loaded from node_modules as they are.
  external: ['koffi'],
  plugins: [registryOutside],
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  logLevel: 'warning',
});

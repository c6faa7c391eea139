// Builds src/ into one ES module (dist/cli.js) so `npm start` runs plain node: loading the
// TypeScript sources through tsx at every start costs ~0.8 s on this machine (see
// docs/decisions/0004). Dependencies stay external and load from node_modules.
import { build } from 'esbuild';

const started = performance.now();
await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
console.error(`built dist/cli.js in ${Math.round(performance.now() - started)} ms`);

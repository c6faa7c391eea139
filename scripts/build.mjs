// Builds src/ into ES modules under dist/ so `npm start` and the installed package run plain
// node: loading the TypeScript sources through tsx at every start costs ~0.8 s on this machine
// (see docs/decisions/0004). Dependencies stay external and load from node_modules. The package
// entries (docs/decisions/0020) share code through chunks; `--types` also writes the type
// declarations (tsc, ~20 s), which only `npm pack` needs.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const started = performance.now();
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    cli: 'src/cli.ts',
    index: 'src/entry/index.ts',
    testing: 'src/entry/testing.ts',
    scenario: 'src/entry/scenario.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  // chunks beside the entries: the code finds specs/ and package.json one level up
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
console.error(`built dist/ in ${Math.round(performance.now() - started)} ms`);

if (process.argv.includes('--types')) {
  const t0 = performance.now();
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  // The sources import with `.ts` (run by tsx and vitest as written); a consumer's compiler
  // resolves the declarations by `.js`.
  for (const entry of readdirSync('dist/types', { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(/((?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2');
    if (fixed !== text) writeFileSync(file, fixed);
  }
  console.error(`wrote dist/types in ${Math.round(performance.now() - t0)} ms`);
}

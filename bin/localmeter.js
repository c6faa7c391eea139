#!/usr/bin/env node
// Runs the built bundle when there is one (an installed package, or after `npm start`/`npm run
// build`), in this process so signals reach it; in a checkout without a build, the TypeScript
// sources through tsx (a dev dependency).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist/cli.js');
if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href);
} else {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

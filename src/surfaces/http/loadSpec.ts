import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// From the build (dist/*.js) or the sources (src/surfaces/http/), whichever runs. The build's
// path first: from an installed package, the sources' path points into the user's project.
const specsDir = ['../specs/compiled/', '../../../specs/compiled/']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((dir) => existsSync(dir))!;

/** The specs are compiled to JSON at build time (`npm run specs:build`): parsing 1 MB of YAML at
 * every start would cost seconds. */
const loaded = new Map<string, Record<string, unknown>>();
export function loadSpec(name: string): Record<string, unknown> {
  let spec = loaded.get(name);
  if (!spec) loaded.set(name, (spec = JSON.parse(readFileSync(`${specsDir}${name}.json`, 'utf8')) as Record<string, unknown>));
  return spec;
}

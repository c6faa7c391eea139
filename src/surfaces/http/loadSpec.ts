import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const specsDir = fileURLToPath(new URL('../../../specs/compiled/', import.meta.url));

/** The specs are compiled to JSON at build time (`npm run specs:build`): parsing 1 MB of YAML at
 * every start would cost seconds. */
const loaded = new Map<string, Record<string, unknown>>();
export function loadSpec(name: string): Record<string, unknown> {
  let spec = loaded.get(name);
  if (!spec) loaded.set(name, (spec = JSON.parse(readFileSync(`${specsDir}${name}.json`, 'utf8')) as Record<string, unknown>));
  return spec;
}

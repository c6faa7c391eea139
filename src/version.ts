import { createRequire } from 'node:module';

/**
 * The package's version, from package.json: one level up from the sources (src/version.ts) and
 * from the build (dist/*.js) alike.
 */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it: `npm pack`, installed into an empty project, its bin run by
 * npx, and the examples of docs/test-kit.md run there against the installed copy — the vitest
 * one under vitest and type-checked by tsc, the jest one under node's test runner with jest's
 * globals mapped onto node:test (installing jest here would cost more than the test).
 *
 * Slow (~55 s alone on the 2-core machine, the declarations build ~25 s of it), so not part of
 * `npm test`: `npm run test:package` runs it (LOCALMETER_PACKAGE_TEST=1). Dependencies come from
 * the npm cache (`--prefer-offline`); vitest, typescript and @types/node are linked from this checkout.
 */
const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'lm-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], opts: SpawnSyncOptions = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts, env: { ...process.env, CI: '', NODE_OPTIONS: '', ...(opts.env ?? {}) } });
  const out = `${String(r.stdout)}${String(r.stderr)}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${out}`);
  return out;
};

function example(name: string): string {
  const doc = readFileSync(join(root, 'docs/test-kit.md'), 'utf8');
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!m) throw new Error(`docs/test-kit.md has no example "${name}"`);
  return m[1]!;
}

describe.runIf(process.env.LOCALMETER_PACKAGE_TEST === '1')('the npm package (slow)', () => {
  it('packs, installs into an empty project, runs its bin, and the test-kit examples pass there', () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root });
    const tarball = join(work, `localmeter-${version}.tgz`);
    expect(existsSync(tarball)).toBe(true);

    const proj = join(work, 'proj');
    mkdirSync(join(proj, 'test'), { recursive: true });
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: proj });

    expect(run('npx', ['--no-install', 'localmeter', '--version'], { cwd: proj }).trim()).toBe(version);
    expect(run('npx', ['--no-install', 'localmeter', 'start', '--help'], { cwd: proj })).toContain('--data-dir DIR');
    // the runtime entry, under plain node
    expect(run(process.execPath, ['-e', "import('localmeter').then((m) => console.log(typeof m.startEmulator, m.VERSION))"], { cwd: proj }).trim()).toBe(`function ${version}`);

    const modules = realpathSync(join(root, 'node_modules'));
    mkdirSync(join(proj, 'node_modules/@types'), { recursive: true });
    for (const dep of ['vitest', 'typescript', '@types/node']) {
      // a dependency of the package may have brought its own copy
      rmSync(join(proj, 'node_modules', dep), { recursive: true, force: true });
      symlinkSync(join(modules, dep), join(proj, 'node_modules', dep));
    }

    writeFileSync(join(proj, 'test/usage.test.ts'), example('vitest test'));
    writeFileSync(join(proj, 'test/localmeter-report.ts'), example('vitest globalSetup'));
    writeFileSync(join(proj, 'vitest.config.ts'), "import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { globalSetup: ['test/localmeter-report.ts'] } });\n");
    const vitestOut = run(process.execPath, [join(proj, 'node_modules/vitest/vitest.mjs'), 'run'], { cwd: proj });
    expect(vitestOut).toContain('1 passed');
    expect(vitestOut).toContain('localmeter: openmeter-v1: 3 of 153 documented operations exercised');
    expect(readFileSync(join(proj, 'localmeter-report/operations.md'), 'utf8')).toContain('| ingestEvents | POST | `/api/v1/events` | 2 | 204×2 |');

    // the declarations: the example type-checks against the installed package
    writeFileSync(
      join(proj, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, include: ['test'] }),
    );
    run(process.execPath, [join(proj, 'node_modules/typescript/bin/tsc'), '-p', proj], { cwd: proj });

    const jestGlobals = [
      "import { before as beforeAll, after as afterAll, beforeEach, test } from 'node:test';",
      "import assert from 'node:assert/strict';",
      'const expect = (actual) => ({ toBe: (v) => assert.equal(actual, v), toEqual: (v) => assert.deepEqual(actual, v) });',
      '',
    ].join('\n');
    writeFileSync(join(proj, 'usage.test.mjs'), jestGlobals + example('jest test'));
    expect(run(process.execPath, ['--test', 'usage.test.mjs'], { cwd: proj })).toMatch(/# pass 1\n# fail 0/);
  }, 240_000);
});

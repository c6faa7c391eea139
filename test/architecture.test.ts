import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The seams the house depends on, checked on the source itself:
 * - a collection is opened by one domain only (its owner); others go through the owner's
 *   services or a port, and no surface, runtime or harness code opens collections at all;
 * - the import graph has no cycle, the domain imports no outer layer, handlers no runtime.
 * ESLint (eslint.config.js) enforces the import rules while editing; this test proves them
 * on the whole graph, cycles included, which a per-file lint rule cannot.
 */

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

const isTestSupport = (f: string): boolean => /\.test\.ts$|[\\/]testFixtures\.ts$|[\\/]testSupport\.ts$/.test(f);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.gen.ts') && !isTestSupport(p)) out.push(p);
  }
  return out;
}

const rel = (f: string): string => relative(SRC, f).split(sep).join('/');
/** `domain/metering/x.ts` → `domain/metering`; `surfaces/zuplo/handlers/x.ts` → `surfaces` */
const domainOf = (f: string): string => {
  const parts = rel(f).split('/');
  return parts[0] === 'domain' ? `domain/${parts[1]}` : parts[0]!;
};

let program: ts.Program;
let files: string[];

beforeAll(() => {
  files = sourceFiles(SRC);
  program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
  });
});

interface CollectionUse {
  file: string;
  line: number;
  name: string | null;
}

function collectionUses(): CollectionUse[] {
  const checker = program.getTypeChecker();
  const uses: CollectionUse[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file)!;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === 'collection' &&
        node.arguments.length === 1
      ) {
        const t = checker.getTypeAtLocation(node.arguments[0]!);
        const name = t.isStringLiteral() ? t.value : null;
        uses.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, name });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return uses.filter((u) => !rel(u.file).startsWith('store/') && rel(u.file) !== 'domain/shared/unitOfWork.ts');
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const sf = program.getSourceFile(file)!;
    const deps: string[] = [];
    for (const st of sf.statements) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const spec = st.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      deps.push(resolve(dirname(file), spec));
    }
    graph.set(file, deps);
  }
  return graph;
}

describe('one owner per collection', () => {
  it('every collection is named by a constant, and opened by exactly one domain', () => {
    const uses = collectionUses();
    expect(uses.length).toBeGreaterThan(50);
    const dynamic = uses.filter((u) => u.name === null).map((u) => `${rel(u.file)}:${u.line}`);
    expect(dynamic, 'collection names must be string constants so ownership can be checked').toEqual([]);
    const owners = new Map<string, Set<string>>();
    for (const u of uses) {
      const s = owners.get(u.name!) ?? new Set<string>();
      s.add(domainOf(u.file));
      owners.set(u.name!, s);
    }
    const shared = [...owners].filter(([, s]) => s.size > 1).map(([n, s]) => `${n}: ${[...s].join(', ')}`);
    expect(shared, 'a collection read by a domain that does not own it').toEqual([]);
  });

  it('no surface, runtime or harness code opens a collection', () => {
    const outside = collectionUses()
      .filter((u) => !rel(u.file).startsWith('domain/'))
      .map((u) => `${rel(u.file)}:${u.line} opens ${u.name}`);
    expect(outside).toEqual([]);
  });

  it('catches a cross-domain read (the check itself can fail)', () => {
    // metering owns `meters`; the catalog looks meters up through MeterDirectory, never by name
    const uses = collectionUses();
    const meters = uses.filter((u) => u.name === 'meters').map((u) => domainOf(u.file));
    expect(new Set(meters)).toEqual(new Set(['domain/metering']));
    const customers = uses.filter((u) => u.name === 'customers').map((u) => domainOf(u.file));
    expect(new Set(customers)).toEqual(new Set(['domain/customers']));
  });
});

describe('the import graph', () => {
  it('has no cycle', () => {
    const graph = importGraph();
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const walk = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map(rel).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) walk(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) walk(f, []);
    expect(cycles).toEqual([]);
  });

  it('points inward: domain imports no store, runtime or surface; surfaces and handlers import no runtime or store', () => {
    const bad: string[] = [];
    for (const [f, deps] of importGraph()) {
      const from = rel(f);
      for (const d of deps.map(rel)) {
        if (from.startsWith('domain/') && /^(store|runtime|surfaces|harness)\//.test(d)) bad.push(`${from} → ${d}`);
        if (from.startsWith('surfaces/') && /^(store|runtime)\//.test(d)) bad.push(`${from} → ${d}`);
        if (from.startsWith('store/') && /^(runtime|surfaces|harness)\//.test(d)) bad.push(`${from} → ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('a surface imports another surface only where a decision record allows it (Zuplo reuses v1 handlers: 0003)', () => {
    const bad: string[] = [];
    for (const [f, deps] of importGraph()) {
      const m = /^surfaces\/([^/]+)\//.exec(rel(f));
      if (!m) continue;
      for (const d of deps.map(rel)) {
        const n = /^surfaces\/([^/]+)\//.exec(d);
        if (!n || n[1] === m[1] || n[1] === 'http') continue;
        if (m[1] === 'zuplo' && n[1] === 'openmeter-v1') continue;
        bad.push(`${rel(f)} → ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

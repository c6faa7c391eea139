/**
 * Builds localmeter's own OpenAPI documents and the artefacts derived from them.
 *
 *   npx tsx scripts/build-specs.ts                 # vendor YAML -> specs/{openmeter-v1,konnect-v3}.yaml (+ compile those two)
 *   npx tsx scripts/build-specs.ts --compile-only  # every specs/*.yaml -> specs/compiled/*.json + src/surfaces/<x>/*.gen.ts
 *   npx tsx scripts/build-specs.ts --compile-only zuplo emulator-control   # only the named specs
 *
 * The vendor documents (../shared/reference/vendor/, relative to the repo root) are only
 * needed for the first form; CI does not have them, so every output of this script is committed.
 *
 * What the vendor -> project transform does (structure is kept exactly; prose is not):
 *   - drops description / summary / title / example(s) / externalDocs / doc-only x-* extensions,
 *     tag descriptions, info.description, license, and components.examples;
 *   - gives every operation a short summary derived from its operationId;
 *   - keeps x-unstable / x-internal only on operations (they are plain flags there);
 *   - sets info.title to ours and servers to the emulator's base URL;
 *   - applies the loadability fixes shared with the compile step (see `fixForAjv`).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import openapiTS, { astToString } from 'openapi-typescript';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VENDOR_DIR = resolve(ROOT, '../shared/reference/vendor');
const SPECS_DIR = join(ROOT, 'specs');
const COMPILED_DIR = join(SPECS_DIR, 'compiled');

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** spec file name (without .yaml) -> folder under src/surfaces */
const SURFACE_FOLDERS: Record<string, string> = {
  'openmeter-v1': 'openmeter-v1',
  'konnect-v3': 'konnect-v3',
  zuplo: 'zuplo',
  'emulator-control': 'control',
};

interface VendorSource {
  name: string;
  vendorFile: string;
  title: string;
  servers: Obj[];
}

const VENDOR_SOURCES: VendorSource[] = [
  {
    name: 'openmeter-v1',
    vendorFile: 'openmeter-v1.openapi.yaml',
    title: 'localmeter — OpenMeter v1 surface',
    // paths already carry /api/v1 and /api/v2: no base path
    servers: [{ url: 'http://127.0.0.1' }],
  },
  {
    name: 'konnect-v3',
    vendorFile: 'konnect-v3.openapi.yaml',
    title: 'localmeter — Konnect v3 surface',
    // paths are /openmeter/...; the app serves the same router under /v3 and /api/v3
    servers: [{ url: 'http://127.0.0.1/v3' }],
  },
];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------
// operationId -> summary
// ---------------------------------------------------------------------------

const WORD_MAP: Record<string, string> = {
  addon: 'add-on',
  addons: 'add-ons',
  api: 'API',
  apikey: 'API key',
  url: 'URL',
  oauth2: 'OAuth2',
  llm: 'LLM',
  id: 'ID',
  stripe: 'Stripe',
  csv: 'CSV',
  v2: '(v2)',
  unschedule: 'unschedule',
  cancelation: 'cancellation',
};

export function summaryFromOperationId(operationId: string): string {
  let s = operationId.replace(/OAuth2/g, 'Oauth2');
  s = s.replace(/[-_]+/g, ' ');
  // split camelCase, keeping acronyms together (APIKey -> API Key, getURL -> get URL)
  s = s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-z])(V\d+)\b/g, '$1 $2');
  const words = s
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => {
      const lower = w.toLowerCase();
      if (WORD_MAP[lower] !== undefined) return WORD_MAP[lower];
      if (/^[A-Z]{2,}$/.test(w)) return w; // acronym
      return lower;
    });
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------
// vendor -> project: strip prose and doc-only extensions
// ---------------------------------------------------------------------------

/** keys whose object value is a map from user-chosen names to nodes */
const MAP_KEYS = new Set([
  'properties',
  'patternProperties',
  'paths',
  'schemas',
  'parameters',
  'responses',
  'content',
  'headers',
  'encoding',
  'variables',
  'links',
  'callbacks',
  'securitySchemes',
  'requestBodies',
  'mapping',
  'definitions',
  '$defs',
]);
/** keys whose value is literal data, never walked */
const VALUE_KEYS = new Set(['enum', 'default', 'const', 'required']);
const DOC_KEYS = new Set(['description', 'summary', 'title', 'example', 'examples', 'externalDocs']);
const KEEP_X_ON_OPERATIONS = new Set(['x-unstable', 'x-internal']);

function stripDocs(node: Json, isMap: boolean, isOperation: boolean): Json {
  if (Array.isArray(node)) return node.map((v) => stripDocs(v, false, false));
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (isMap) {
      out[k] = stripDocs(v, false, false);
      continue;
    }
    if (DOC_KEYS.has(k)) continue;
    if (k.startsWith('x-') && !(isOperation && KEEP_X_ON_OPERATIONS.has(k))) continue;
    if (VALUE_KEYS.has(k)) {
      out[k] = v;
      continue;
    }
    out[k] = stripDocs(v, MAP_KEYS.has(k) && isObj(v), false);
  }
  return out;
}

function fromVendor(vendor: Obj, src: VendorSource): Obj {
  const info = vendor.info as Obj;
  const paths = vendor.paths as Obj;
  const outPaths: Obj = {};
  for (const [p, item] of Object.entries(paths)) {
    if (!isObj(item)) throw new Error(`path item ${p} is not an object`);
    const outItem: Obj = {};
    for (const [k, v] of Object.entries(item)) {
      if ((HTTP_METHODS as readonly string[]).includes(k) && isObj(v)) {
        const op = stripDocs(v, false, true) as Obj;
        const opId = v.operationId;
        if (typeof opId !== 'string') throw new Error(`${k.toUpperCase()} ${p} has no operationId`);
        // summary first, for readability
        outItem[k] = { operationId: opId, summary: summaryFromOperationId(opId), ...op };
      } else if (DOC_KEYS.has(k) || k.startsWith('x-')) {
        continue;
      } else {
        outItem[k] = stripDocs(v, MAP_KEYS.has(k) && isObj(v), false);
      }
    }
    outPaths[p] = outItem;
  }
  const doc: Obj = {
    openapi: vendor.openapi as Json,
    info: { title: src.title, version: info.version as Json },
    servers: src.servers,
  };
  if (Array.isArray(vendor.tags)) {
    doc.tags = vendor.tags.filter(isObj).map((t) => ({ name: t.name as Json }));
  }
  doc.paths = outPaths;
  if (isObj(vendor.components)) {
    const comps = stripDocs(vendor.components, false, false) as Obj;
    delete comps.examples; // only referenced from stripped `examples`
    doc.components = comps;
  }
  describeResponses(doc);
  addRealStatuses(doc, src.name);
  return doc;
}

/**
 * Where the real service answers a status its document does not list, the project's document
 * lists it too, so the emulator can answer as the service does and still validate its replies:
 * OpenMeter creates a meter with 200, not the documented 201
 * (openmeter/meter/httphandler/meter.go: the create encoder's status is OK).
 */
const REAL_STATUSES: Record<string, Array<{ operationId: string; documented: string; real: string }>> = {
  'openmeter-v1': [{ operationId: 'createMeter', documented: '201', real: '200' }],
};

function addRealStatuses(doc: Obj, name: string): void {
  for (const fix of REAL_STATUSES[name] ?? []) {
    for (const item of Object.values(doc.paths as Obj)) {
      for (const op of Object.values(item as Obj)) {
        if (!isObj(op) || op.operationId !== fix.operationId) continue;
        const responses = op.responses as Obj;
        responses[fix.real] = structuredClone(responses[fix.documented]!);
      }
    }
  }
}

const REASONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No content',
  '400': 'Bad request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not found',
  '405': 'Method not allowed',
  '409': 'Conflict',
  '410': 'Gone',
  '412': 'Precondition failed',
  '415': 'Unsupported media type',
  '422': 'Unprocessable entity',
  '429': 'Too many requests',
  '500': 'Internal server error',
  '501': 'Not implemented',
  '503': 'Service unavailable',
  default: 'Error',
};

/** OAS 3.0 requires a description on every response object: use the reason phrase. */
function describeResponses(doc: Obj): void {
  const describe = (key: string, r: Json): Json => {
    if (!isObj(r) || '$ref' in r) return r;
    const description = REASONS[key] ?? (/^\d/.test(key) ? `HTTP ${key}` : summaryFromOperationId(key));
    return { description, ...r };
  };
  for (const item of Object.values(doc.paths as Obj)) {
    if (!isObj(item)) continue;
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (!isObj(op) || !isObj(op.responses)) continue;
      op.responses = Object.fromEntries(Object.entries(op.responses).map(([k, r]) => [k, describe(k, r)]));
    }
  }
  const comps = doc.components;
  if (isObj(comps) && isObj(comps.responses)) {
    comps.responses = Object.fromEntries(Object.entries(comps.responses).map(([k, r]) => [k, describe(k, r)]));
  }
}

// ---------------------------------------------------------------------------
// loadability fixes for ajv / express-openapi-validator (idempotent)
// ---------------------------------------------------------------------------

export interface FixLog {
  patterns: string[];
  nullables: string[];
}

/** `^\-?…` and friends: escapes that are identity escapes are invalid in unicode-mode regex. */
function fixPattern(p: string): string {
  try {
    new RegExp(p, 'u');
    return p;
  } catch {
    // outside a class, `\-` is an identity escape ajv (unicode mode) rejects; it means `-`
    let fixed = p.replace(/\\-/g, (m, offset: number) => (insideClass(p, offset) ? m : '-'));
    try {
      new RegExp(fixed, 'u');
      return fixed;
    } catch {
      // last resort: drop backslashes before characters that need no escaping
      fixed = fixed.replace(/\\([^\w\s\\^$.*+?()[\]{}|/-])/g, '$1');
      new RegExp(fixed, 'u'); // throws if still invalid: surface it
      return fixed;
    }
  }
}

function insideClass(p: string, offset: number): boolean {
  let inClass = false;
  for (let i = 0; i < offset; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
  }
  return inClass;
}

const NULL_ONLY: Obj = { type: 'string', nullable: true, enum: [null] };
/** keys that describe the value's shape and move into the non-null branch */
const SHAPE_KEYS = new Set(['$ref', 'allOf', 'oneOf', 'anyOf', 'type', 'discriminator']);

function fixNode(node: Json, path: string, log: FixLog, isMap = false): Json {
  if (Array.isArray(node)) return node.map((v, i) => fixNode(v, `${path}/${i}`, log));
  if (!isObj(node)) return node;
  const out: Obj = {};
  if (isMap) {
    for (const [k, v] of Object.entries(node)) out[k] = fixNode(v, `${path}/${k}`, log);
    return out;
  }
  for (const [k, v] of Object.entries(node)) {
    if (MAP_KEYS.has(k) && isObj(v)) {
      out[k] = fixNode(v, `${path}/${k}`, log, true);
    } else if (k === 'pattern' && typeof v === 'string') {
      const fixed = fixPattern(v);
      if (fixed !== v) log.patterns.push(`${path}: ${v} -> ${fixed}`);
      out[k] = fixed;
    } else if (VALUE_KEYS.has(k)) {
      out[k] = v;
    } else {
      out[k] = fixNode(v, `${path}/${k}`, log);
    }
  }
  // `nullable: true` next to a composition/$ref: ajv either refuses it ("nullable cannot be used
  // without type") or, when a type is present, still runs the composed schema against null and
  // rejects it. Rewrite as anyOf[<shape>, <null only>], which accepts null and the shape.
  const composed = '$ref' in out || 'allOf' in out || 'oneOf' in out || 'anyOf' in out;
  const alreadyFixed =
    Array.isArray(out.anyOf) && out.anyOf.some((b) => JSON.stringify(b) === JSON.stringify(NULL_ONLY));
  if (out.nullable === true && composed && !alreadyFixed) {
    const shape: Obj = {};
    const rest: Obj = {};
    for (const [k, v] of Object.entries(out)) {
      if (k === 'nullable') continue;
      if (SHAPE_KEYS.has(k)) shape[k] = v;
      else rest[k] = v;
    }
    let branch: Json = shape;
    const keys = Object.keys(shape);
    const allOf = shape.allOf;
    if (keys.length === 1 && Array.isArray(allOf) && allOf.length === 1) branch = allOf[0] as Json;
    log.nullables.push(`${path}: {${Object.keys(out).join(', ')}}`);
    return { anyOf: [branch, { ...NULL_ONLY }], ...rest };
  }
  return out;
}

export function fixForAjv(doc: Obj): { doc: Obj; log: FixLog } {
  const log: FixLog = { patterns: [], nullables: [] };
  const fixed = fixNode(doc, '#', log) as Obj;
  return { doc: fixed, log };
}

// ---------------------------------------------------------------------------
// derived artefacts
// ---------------------------------------------------------------------------

export interface OperationEntry {
  operationId: string;
  method: string;
  path: string;
  successStatus: number | string;
}

export function listOperations(doc: Obj): OperationEntry[] {
  const ops: OperationEntry[] = [];
  for (const [p, item] of Object.entries((doc.paths ?? {}) as Obj)) {
    if (!isObj(item)) continue;
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (!isObj(op)) continue;
      const codes = Object.keys(isObj(op.responses) ? op.responses : {});
      const success = codes.filter((c) => /^2\d\d$/.test(c)).sort()[0] ?? codes.find((c) => /^2XX$/i.test(c));
      const successStatus: number | string = success === undefined ? 'default' : /^\d+$/.test(success) ? Number(success) : success;
      ops.push({ operationId: String(op.operationId), method: m, path: p, successStatus });
    }
  }
  return ops;
}

function operationsModule(name: string, ops: OperationEntry[]): string {
  const lines = ops.map(
    (o) =>
      `  { operationId: ${JSON.stringify(o.operationId)}, method: ${JSON.stringify(o.method)}, path: ${JSON.stringify(o.path)}, successStatus: ${JSON.stringify(o.successStatus)} },`,
  );
  return [
    `// Generated by scripts/build-specs.ts from specs/${name}.yaml — do not edit.`,
    '',
    'export const operations = [',
    ...lines,
    '] as const;',
    '',
    "export type OperationId = (typeof operations)[number]['operationId'];",
    '',
  ].join('\n');
}

async function apiTypesModule(name: string, doc: Obj): Promise<string> {
  // openapi-typescript mutates/annotates its input: hand it a copy
  const ast = await openapiTS(structuredClone(doc) as never, { silent: true });
  return `// Generated by scripts/build-specs.ts (openapi-typescript) from specs/${name}.yaml — do not edit.\n/* eslint-disable */\n${astToString(ast)}`;
}

function writeIfChanged(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  writeFileSync(file, content);
  console.log(`  wrote ${file.slice(ROOT.length + 1)}`);
}

async function compileSpec(name: string): Promise<void> {
  const file = join(SPECS_DIR, `${name}.yaml`);
  const parsed = YAML.parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 }) as Obj;
  const { doc, log } = fixForAjv(parsed);
  if (log.patterns.length + log.nullables.length > 0) {
    console.warn(
      `  ${name}: applied ${log.patterns.length} pattern and ${log.nullables.length} nullable fixes at compile time (fix the YAML source)`,
    );
  }
  writeIfChanged(join(COMPILED_DIR, `${name}.json`), JSON.stringify(doc));
  const folder = SURFACE_FOLDERS[name] ?? name;
  const ops = listOperations(doc);
  writeIfChanged(join(ROOT, 'src/surfaces', folder, 'operations.gen.ts'), operationsModule(name, ops));
  writeIfChanged(join(ROOT, 'src/surfaces', folder, 'api.gen.ts'), await apiTypesModule(name, doc));
  console.log(`  ${name}: ${ops.length} operations`);
}

async function buildFromVendor(src: VendorSource): Promise<void> {
  const vendorPath = join(VENDOR_DIR, src.vendorFile);
  const vendor = YAML.parse(readFileSync(vendorPath, 'utf8'), { maxAliasCount: -1 }) as Obj;
  const ours = fromVendor(vendor, src);
  const { doc, log } = fixForAjv(ours);
  console.log(`${src.name}: ${log.patterns.length} pattern fixes, ${log.nullables.length} nullable rewrites`);
  for (const l of [...log.patterns, ...log.nullables]) console.log(`    ${l}`);
  const header = `# ${src.title}\n# Generated by scripts/build-specs.ts from the vendor document (structure only). Do not edit by hand.\n`;
  writeIfChanged(join(SPECS_DIR, `${src.name}.yaml`), header + YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const compileOnly = args.includes('--compile-only');
  const names = args.filter((a) => !a.startsWith('--'));

  if (!compileOnly) {
    const missing = VENDOR_SOURCES.filter((s) => !existsSync(join(VENDOR_DIR, s.vendorFile)));
    if (missing.length > 0) {
      console.error(
        `build-specs: vendor document(s) not found in ${VENDOR_DIR}: ${missing.map((s) => s.vendorFile).join(', ')}.\n` +
          'The generated specs are committed; use `npx tsx scripts/build-specs.ts --compile-only` to recompile specs/*.yaml.',
      );
      process.exit(1);
    }
    const selected = names.length > 0 ? VENDOR_SOURCES.filter((s) => names.includes(s.name)) : VENDOR_SOURCES;
    for (const src of selected) await buildFromVendor(src);
    for (const src of selected) await compileSpec(src.name);
    return;
  }

  const all = existsSync(SPECS_DIR)
    ? readdirSync(SPECS_DIR)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.slice(0, -'.yaml'.length))
        .sort()
    : [];
  const selected = names.length > 0 ? names : all;
  if (selected.length === 0) {
    console.error('build-specs: no specs/*.yaml to compile');
    process.exit(1);
  }
  for (const n of selected) {
    if (!all.includes(n)) {
      console.error(`build-specs: specs/${n}.yaml not found`);
      process.exit(1);
    }
    await compileSpec(n);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

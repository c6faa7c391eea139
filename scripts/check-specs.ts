/**
 * Checks the compiled OpenAPI documents in specs/compiled/*.json:
 *   - operation counts (openmeter-v1: 153, konnect-v3: 101);
 *   - every operation of the vendor catalogs (../shared/reference/catalog/, optional) is present
 *     with the same method and path;
 *   - express-openapi-validator 5.6.2 compiles every request and response schema: one request per
 *     operation through a request-validating app, and one through a response-validating app whose
 *     handler answers with every declared status. Only ordinary validation outcomes are accepted;
 *     ajv compile errors ("schema is invalid", "nullable cannot be used without type",
 *     "Invalid escape", "unknown format", ...) fail the check;
 *   - prints JSON.parse time and validator readiness time (first request answered) for several
 *     option sets.
 *
 *   npx tsx scripts/check-specs.ts [spec-name ...] [--no-timings]
 * Exit code 0 when every check passes.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED_DIR = join(ROOT, 'specs/compiled');
const CATALOG_DIR = resolve(ROOT, '../shared/reference/catalog');
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export const EXPECTED_COUNTS: Record<string, number> = { 'openmeter-v1': 153, 'konnect-v3': 101 };
const CATALOGS: Record<string, string> = {
  'openmeter-v1': 'openmeter-v1-operations.tsv',
  'konnect-v3': 'konnect-v3-operations.tsv',
};

/** The options the app should use (fastest set that compiles everything; see timings). */
export const VALIDATOR_OPTIONS = {
  validateRequests: true,
  validateResponses: true,
  validateApiSpec: false,
  // 'dereference' would be faster but the documents have recursive schemas: ajv then overflows
  // the stack ("Maximum call stack size exceeded") on every operation. Keep 'bundle'.
  $refParser: { mode: 'bundle' as const },
};

/**
 * Formats used by the vendor documents that ajv does not know. `true` = accept any value
 * (otherwise ajv logs "unknown format … ignored" for every schema that uses them).
 */
export const EXTRA_FORMATS: Record<string, true> = {
  ISO8601: true,
  int16: true,
  uint8: true,
  uint32: true,
  uint64: true,
  json: true,
  path: true,
  'application/json': true,
};

export interface Op {
  operationId: string;
  method: string;
  path: string;
  op: Obj;
}

export function listOps(doc: Obj): Op[] {
  const ops: Op[] = [];
  for (const [path, item] of Object.entries(doc.paths as Obj)) {
    if (!isObj(item)) continue;
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (isObj(op)) ops.push({ operationId: String(op.operationId), method, path, op });
    }
  }
  return ops;
}

export function basePath(doc: Obj): string {
  const servers = doc.servers;
  if (!Array.isArray(servers) || !isObj(servers[0])) return '';
  const url = String(servers[0].url).replace(/\{[^}]+\}/g, '0');
  const p = /^[a-z]+:\/\//i.test(url) ? new URL(url).pathname : url;
  return p.replace(/\/$/, '');
}

const DUMMY_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const concretePath = (p: string) => p.replace(/\{[^}]+\}/g, DUMMY_ID);

interface Outcome {
  status: number;
  message: string;
  compileError: boolean;
}

const COMPILE_ERROR_RE =
  /schema is invalid|cannot be used without|Invalid escape|Invalid regular expression|unknown format|strict mode|can't resolve reference|can\'t resolve|MissingRefError|is not a function|Cannot read propert/i;

function classify(err: unknown): Outcome {
  const e = err as { status?: number; message?: string; errors?: unknown };
  const status = typeof e.status === 'number' ? e.status : 500;
  const message = String(e.message ?? err);
  // request validation: 400/401/404/405/415; response validation failures are 500 with `.response` in the message
  const ordinary =
    [400, 401, 403, 404, 405, 406, 415].includes(status) ||
    (status === 500 && /\.response|response should|must /.test(message) && !COMPILE_ERROR_RE.test(message));
  return { status, message, compileError: !ordinary || COMPILE_ERROR_RE.test(message) };
}

type Mode = 'request' | 'response';

function buildApp(spec: Obj, mode: Mode, extra: Obj, outcomes: Map<string, Outcome[]>, mount: string[] = ['/']) {
  const app = express();
  const router = express.Router();
  router.use(express.json({ type: ['application/json', 'application/*+json'] }));
  router.use(express.text({ type: ['text/*'] }));
  router.use(
    OpenApiValidator.middleware({
      apiSpec: spec as never,
      validateRequests: mode === 'request',
      validateResponses: mode === 'response',
      formats: EXTRA_FORMATS,
      ...extra,
    }),
  );
  router.use((req: Request, res: Response) => {
    if (mode === 'request') {
      res.status(501).json({ validated: true });
      return;
    }
    const statusHeader = req.header('x-check-status');
    const ctHeader = req.header('x-check-content-type');
    const status = statusHeader === undefined ? 200 : Number(statusHeader);
    if (status === 204 || !ctHeader) {
      res.status(status).end();
      return;
    }
    if (ctHeader.includes('json')) {
      res.status(status).type(ctHeader).json({ __check: true });
    } else {
      res.status(status).type(ctHeader).send('x');
    }
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const key = `${req.method} ${req.originalUrl}`;
    const o = classify(err);
    const list = outcomes.get(key) ?? [];
    list.push(o);
    outcomes.set(key, list);
    if (res.headersSent) return;
    res.status(o.status).json({ message: o.message });
  });
  // note: express 5 does not match `app.use(['/'], …)`; pass a single path as a string
  if (mount.length === 1) app.use(mount[0] ?? '/', router);
  else app.use(mount, router);
  return app;
}

async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  return await new Promise((ok) => {
    const server = app.listen(0, '127.0.0.1', () => {
      ok({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

function requestInit(op: Op, headers: Record<string, string> = {}): RequestInit {
  const init: RequestInit = { method: op.method.toUpperCase(), headers: { authorization: 'Bearer check', ...headers } };
  const rb = op.op.requestBody;
  if (isObj(rb) && op.method !== 'get' && op.method !== 'head') {
    const content = isObj(rb.content) ? Object.keys(rb.content) : [];
    const ct = content[0] ?? 'application/json';
    (init.headers as Record<string, string>)['content-type'] = ct;
    init.body = ct.includes('json') ? '{}' : 'x';
  }
  return init;
}

function responseCases(doc: Obj, op: Op): { status: string; ct: string | undefined }[] {
  const out: { status: string; ct: string | undefined }[] = [];
  const responses = isObj(op.op.responses) ? op.op.responses : {};
  for (const [code, r0] of Object.entries(responses)) {
    if (!/^\d{3}$/.test(code)) continue;
    let r = r0;
    if (isObj(r) && typeof r.$ref === 'string') {
      const name = r.$ref.split('/').pop() as string;
      r = ((doc.components as Obj).responses as Obj)[name];
    }
    const content = isObj(r) && isObj(r.content) ? Object.keys(r.content) : [];
    if (content.length === 0) out.push({ status: code, ct: undefined });
    for (const ct of content) out.push({ status: code, ct });
  }
  return out;
}

function histogram(label: string, outcomes: Map<string, Outcome[]>): void {
  const h = new Map<string, number>();
  for (const list of outcomes.values())
    for (const o of list) {
      const k = `${o.status} ${o.compileError ? 'COMPILE' : 'ok'} ${o.message.slice(0, 60)}`;
      h.set(k, (h.get(k) ?? 0) + 1);
    }
  console.log(`  [${label}] errors passed to the error handler:`);
  for (const [k, v] of [...h].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`    ${v} × ${k}`);
}

export interface SpecCheckResult {
  name: string;
  operations: number;
  problems: string[];
  timings: Record<string, number>;
}

export async function checkSpec(
  name: string,
  opts: { timings?: boolean; samples?: number; file?: string; verbose?: boolean } = {},
): Promise<SpecCheckResult> {
  const file = opts.file ?? join(COMPILED_DIR, `${name}.json`);
  const raw = readFileSync(file, 'utf8');
  const timings: Record<string, number> = {};
  const t = performance.now();
  const doc = JSON.parse(raw) as Obj;
  timings['JSON.parse'] = performance.now() - t;
  const problems: string[] = [];
  const ops = listOps(doc);

  // counts and catalog
  const expected = EXPECTED_COUNTS[name];
  if (expected !== undefined && ops.length !== expected) problems.push(`expected ${expected} operations, found ${ops.length}`);
  const ids = new Set<string>();
  for (const o of ops) {
    if (ids.has(o.operationId)) problems.push(`duplicate operationId ${o.operationId}`);
    ids.add(o.operationId);
  }
  const catalogFile = CATALOGS[name] ? join(CATALOG_DIR, CATALOGS[name]) : undefined;
  if (catalogFile && existsSync(catalogFile)) {
    const byId = new Map(ops.map((o) => [o.operationId, o]));
    const rows = readFileSync(catalogFile, 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      const [method, path, operationId] = row.split('\t');
      const o = byId.get(operationId ?? '');
      if (!o) problems.push(`catalog operation ${operationId} missing`);
      else if (o.method !== method?.toLowerCase() || o.path !== path)
        problems.push(`catalog operation ${operationId}: ${method} ${path} but spec has ${o.method.toUpperCase()} ${o.path}`);
    }
    if (rows.length !== ops.length) problems.push(`catalog has ${rows.length} operations, spec ${ops.length}`);
  }

  const bp = basePath(doc);

  // request schemas
  {
    const outcomes = new Map<string, Outcome[]>();
    const app = buildApp(JSON.parse(raw) as Obj, 'request', { validateApiSpec: true, $refParser: VALIDATOR_OPTIONS.$refParser }, outcomes);
    const { server, base } = await listen(app);
    try {
      for (const op of ops) {
        const url = `${base}${bp}${concretePath(op.path)}`;
        const res = await fetch(url, requestInit(op));
        const text = await res.text();
        if (opts.verbose) console.log(`    ${op.method.toUpperCase()} ${op.path} -> ${res.status} ${text.slice(0, 100)}`);
        if (![400, 401, 403, 404, 405, 415, 501].includes(res.status))
          problems.push(`request ${op.operationId}: unexpected status ${res.status}`);
      }
    } finally {
      server.close();
    }
    for (const [key, list] of outcomes)
      for (const o of list) if (o.compileError) problems.push(`request ${key}: ${o.status} ${o.message}`);
    if (opts.verbose) histogram(`${name} request phase`, outcomes);
  }

  // response schemas: every declared status / content type
  {
    const outcomes = new Map<string, Outcome[]>();
    const app = buildApp(JSON.parse(raw) as Obj, 'response', { validateApiSpec: false, $refParser: VALIDATOR_OPTIONS.$refParser }, outcomes);
    const { server, base } = await listen(app);
    try {
      for (const op of ops) {
        for (const c of responseCases(doc, op)) {
          const headers: Record<string, string> = { 'x-check-status': c.status };
          if (c.ct) headers['x-check-content-type'] = c.ct;
          // no request body: request validation is off in this app
          const init = requestInit(op, headers);
          delete init.body;
          const res = await fetch(`${base}${bp}${concretePath(op.path)}`, init);
          await res.arrayBuffer();
        }
      }
    } finally {
      server.close();
    }
    for (const [key, list] of outcomes)
      for (const o of list) if (o.compileError) problems.push(`response ${key}: ${o.status} ${o.message}`);
    if (opts.verbose) histogram(`${name} response phase`, outcomes);
  }

  if (opts.timings !== false) {
    const first = ops.find((o) => o.method === 'get' && !o.path.includes('{')) ?? ops[0];
    const variants: [string, Obj, boolean][] = [
      ['default (validateApiSpec: true, bundle)', {}, false],
      ['validateApiSpec: false, bundle', { validateApiSpec: false, $refParser: { mode: 'bundle' } }, false],
      ['validateApiSpec: false, dereference', { validateApiSpec: false, $refParser: { mode: 'dereference' } }, false],
      ['validateApiSpec: true, dereference', { $refParser: { mode: 'dereference' } }, false],
    ];
    for (const [label, extra] of variants) {
      const samples: number[] = [];
      let firstStatus = 0;
      for (let i = 0; i < (opts.samples ?? 1); i++) {
        const outcomes = new Map<string, Outcome[]>();
        const t0 = performance.now();
        const spec = JSON.parse(raw) as Obj;
        const app = buildApp(spec, 'request', { validateResponses: true, ...extra }, outcomes);
        const { server, base } = await listen(app);
        if (first) {
          const res = await fetch(`${base}${bp}${concretePath(first.path)}`, requestInit(first));
          await res.arrayBuffer();
          firstStatus = res.status;
        }
        samples.push(performance.now() - t0);
        server.close();
      }
      samples.sort((a, b) => a - b);
      const verdict = firstStatus >= 500 && firstStatus !== 501 ? ` [BROKEN: first request ${firstStatus}]` : '';
      timings[`ready: ${label}${verdict} (median of ${samples.length}, incl. JSON.parse)`] =
        samples[Math.floor(samples.length / 2)] ?? NaN;
    }
  }
  return { name, operations: ops.length, problems, timings };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const noTimings = args.includes('--no-timings');
  const verbose = args.includes('--verbose');
  const samples = Number(args.find((a) => a.startsWith('--samples='))?.slice('--samples='.length) ?? 1);
  const fileArg = args.find((a) => a.startsWith('--file='))?.slice('--file='.length);
  const names = args.filter((a) => !a.startsWith('--'));
  const all = readdirSync(COMPILED_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
  const selected = names.length > 0 ? names : all;
  for (const n of Object.keys(EXPECTED_COUNTS))
    if (names.length === 0 && !all.includes(n)) {
      console.error(`missing specs/compiled/${n}.json`);
      process.exitCode = 1;
    }
  let failed = false;
  for (const name of selected) {
    const r = await checkSpec(name, { timings: !noTimings, samples, verbose, ...(fileArg ? { file: resolve(fileArg) } : {}) });
    console.log(`${name}: ${r.operations} operations, ${r.problems.length} problem(s)`);
    for (const p of r.problems.slice(0, 50)) console.log(`  ✗ ${p}`);
    for (const [k, v] of Object.entries(r.timings)) console.log(`  ${k}: ${v.toFixed(1)} ms`);
    if (r.problems.length > 0) failed = true;
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

/**
 * Sanity check for specs/zuplo.yaml and specs/emulator-control.yaml:
 *  1. every catalog operation (reference/catalog/zuplo-operations.tsv, when available) has a path+method;
 *  2. operationIds are unique; every operation declares problem+json error responses;
 *  3. express-openapi-validator (ajv) compiles every request and response schema: one request per
 *     operation (catch-all answers 501 after validation), plus one "probe" request per operation whose
 *     handler answers the first 2xx status with a JSON body, forcing response-schema compilation.
 *     A schema that ajv cannot compile surfaces as a 500 ("schema is invalid", "nullable cannot be used
 *     without type", "Invalid escape", ...). Ordinary validation failures (400/404/415, response
 *     mismatches) are expected and ignored.
 *
 * Usage: npx tsx scripts/check-zuplo-spec.ts [--ref /work/shared/reference]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import request from 'supertest';
import YAML from 'yaml';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argRef = process.argv.indexOf('--ref');
const refDir: string =
  (argRef > 0 ? process.argv[argRef + 1] : undefined) ?? process.env.REFERENCE_DIR ?? '/work/shared/reference';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const failures: string[] = [];
const fail = (m: string) => failures.push(m);

const zuplo = YAML.parse(readFileSync(join(root, 'specs/zuplo.yaml'), 'utf8'));
const control = YAML.parse(readFileSync(join(root, 'specs/emulator-control.yaml'), 'utf8'));

// ---------------------------------------------------------------- 1. catalog coverage
const CHOSEN: Record<string, [string, string]> = {
  '24': ['GET', '/v1/deployments/{deploymentName}/builds/{buildId}/logs'],
  '63': ['GET', '/v1/deployments/{deploymentName}/request-logs'],
  '64': ['GET', '/v1/deployments/{deploymentName}/request-logs/{requestId}'],
};
const CLI_ROUTES: Array<[string, string]> = [
  ['POST', '/v1/deployments/source-url'],
  ['PUT', '/v1/deployments/uploads/{deploymentId}'],
  ['DELETE', '/v1/accounts/{accountName}/projects/{projectName}/deployments/{deploymentName}'],
  ['POST', '/v1/environments'],
  ['GET', '/v1/environments/{environmentName}/configurations'],
  ['GET', '/v1/environments/{environmentName}/local-configurations'],
  ['GET', '/v1/accounts/{accountName}/projects/{projectName}/mtls-certificates'],
  ['POST', '/v1/accounts/{accountName}/projects/{projectName}/mtls-certificates'],
  ['GET', '/v1/accounts/{accountName}/projects/{projectName}/mtls-certificates/{id}'],
  ['PATCH', '/v1/accounts/{accountName}/projects/{projectName}/mtls-certificates/{id}'],
  ['DELETE', '/v1/accounts/{accountName}/projects/{projectName}/mtls-certificates/{id}'],
  ['GET', '/v1/accounts/{accountName}/fleets/{fleetName}'],
  ['GET', '/v1/accounts/{accountName}/fleets/{fleetName}/proxy-configuration'],
  ['PUT', '/v1/accounts/{accountName}/fleets/{fleetName}/proxy-configuration'],
  ['DELETE', '/v1/accounts/{accountName}/fleets/{fleetName}/proxy-configuration'],
];
const has = (doc: Json, m: string, p: string) => Boolean(doc.paths?.[p]?.[m.toLowerCase()]);
const tsv = join(refDir, 'catalog/zuplo-operations.tsv');
let catalogRows = 0;
if (existsSync(tsv)) {
  for (const line of readFileSync(tsv, 'utf8').split('\n').slice(1)) {
    if (!line.trim()) continue;
    const [n = '', , , method = '', path = ''] = line.split('\t');
    const [m, p] = CHOSEN[n] ?? [method, path];
    catalogRows++;
    if (!has(zuplo, m, p)) fail(`catalog #${n} ${m} ${p} missing from specs/zuplo.yaml`);
  }
} else {
  console.warn(`(catalog ${tsv} not found: skipping catalog coverage)`);
}
for (const [m, p] of CLI_ROUTES) if (!has(zuplo, m, p)) fail(`CLI route ${m} ${p} missing`);
for (const p of ['/mcp', '/mcp/docs']) if (!has(zuplo, 'POST', p)) fail(`POST ${p} missing`);
if (!has(zuplo, 'GET', '/openapi')) fail('GET /openapi missing');
for (const [n, [m, p]] of Object.entries(CHOSEN)) {
  if (zuplo.paths[p]?.[m.toLowerCase()]?.['x-localmeter-inferred'] !== true)
    fail(`#${n} ${m} ${p} should carry x-localmeter-inferred: true`);
}

// ---------------------------------------------------------------- 2. structural checks
interface Op {
  doc: string;
  method: string;
  path: string;
  op: Json;
  params: Json[];
}
function opsOf(doc: Json, name: string): Op[] {
  const out: Op[] = [];
  for (const [p, item] of Object.entries<Json>(doc.paths)) {
    for (const m of METHODS) {
      if (!item[m]) continue;
      const params = [...(item.parameters ?? []), ...(item[m].parameters ?? [])].map((x: Json) => deref(doc, x));
      out.push({ doc: name, method: m, path: p, op: item[m], params });
    }
  }
  return out;
}
function deref(doc: Json, x: Json): Json {
  let cur = x;
  for (let i = 0; cur?.$ref && i < 10; i++) {
    cur = cur.$ref
      .slice(2)
      .split('/')
      .reduce((o: Json, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return cur;
}
const zOps = opsOf(zuplo, 'zuplo');
const cOps = opsOf(control, 'control');
for (const ops of [zOps, cOps]) {
  const ids = new Map<string, string>();
  for (const o of ops) {
    const id = o.op.operationId;
    if (!id) fail(`${o.doc} ${o.method} ${o.path}: no operationId`);
    else if (ids.has(id)) fail(`${o.doc}: duplicate operationId ${id}`);
    else ids.set(id, o.path);
    if (!o.op.summary) fail(`${o.doc} ${id}: no summary`);
    for (const [code, r0] of Object.entries<Json>(o.op.responses ?? {})) {
      const r = deref(o.doc === 'zuplo' ? zuplo : control, r0);
      if (!r.description) fail(`${o.doc} ${id} ${code}: response without description`);
      if ((code === 'default' || Number(code) >= 400) && !r.content?.['application/problem+json'])
        fail(`${o.doc} ${id} ${code}: error response is not application/problem+json`);
    }
  }
}
for (const o of zOps) {
  const codes = Object.keys(o.op.responses);
  const need = ['400', '401', '500', ...(o.path.includes('{') ? ['404'] : [])];
  for (const c of need) if (!codes.includes(c)) fail(`zuplo ${o.op.operationId}: missing ${c}`);
}
const CONTROL_IDS = [
  'getHealth', 'getClock', 'setClock', 'freezeClock', 'unfreezeClock', 'advanceClock', 'resetState',
  'listRequests', 'clearRequests', 'exportSnapshot', 'importSnapshot', 'getCoverage', 'listJobs',
];
const controlIds = new Set(cOps.map((o) => o.op.operationId));
for (const id of CONTROL_IDS) if (!controlIds.has(id)) fail(`emulator-control: missing ${id}`);
if (cOps.some((o) => !o.path.startsWith('/_emulator/'))) fail('emulator-control: path outside /_emulator');
// no vendor prose copied: no description longer than a short sentence in zuplo.yaml operations
for (const o of zOps) {
  if (o.op.description) fail(`zuplo ${o.op.operationId}: has a description (vendor prose?)`);
  if ((o.op.summary ?? '').length > 80) fail(`zuplo ${o.op.operationId}: long summary`);
}
const raw = readFileSync(join(root, 'specs/zuplo.yaml'), 'utf8');
if (raw.includes('^\\-?')) fail('zuplo.yaml still contains the ^\\-? pattern');

// ---------------------------------------------------------------- 3. ajv compilation via express-openapi-validator
// Vendor formats ajv does not know (uint8/uint32 from Zuplo, json from OpenMeter); the emulator should
// register the same ones to avoid "unknown format ... ignored" warnings.
const EXTRA_FORMATS = {
  uint8: { type: 'number' as const, validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 255 },
  uint32: { type: 'number' as const, validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 4294967295 },
  json: { type: 'string' as const, validate: () => true },
  'application/json': { type: 'string' as const, validate: () => true },
};
const COMPILE_ERROR =
  /schema is invalid|"?nullable"? cannot be used without "?type|Invalid escape|unknown keyword|strict mode|can't resolve reference|cannot resolve|is not a valid|Invalid regular expression|no schema with key|must NOT be valid against|compile/i;

function sampleValue(schema: Json, name: string): string {
  const s = schema ?? {};
  if (s.enum?.length) return String(s.enum[0]);
  if (s.format === 'uuid') return '3fa85f64-5717-4562-b3fc-2c963f66afa6';
  if (s.format === 'date-time') return '2024-01-01T00:00:00Z';
  if (s.type === 'integer' || s.type === 'number') return String(s.minimum ?? 1);
  if (s.type === 'boolean') return 'true';
  if (/Id$|^id$/.test(name)) return '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  if (/OrSlug$/.test(name)) return 'api_requests';
  return 'abc_123';
}
function buildUrl(o: Op, doc: Json): string {
  let url = o.path;
  const query: string[] = [];
  for (const p of o.params) {
    const schema = deref(doc, p.schema ?? {});
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(sampleValue(schema, p.name)));
    else if (p.in === 'query' && p.required) {
      const item = schema.type === 'array' ? deref(doc, schema.items ?? {}) : schema;
      query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(sampleValue(item, p.name))}`);
    }
  }
  return query.length ? `${url}?${query.join('&')}` : url;
}

async function exercise(doc: Json, ops: Op[], label: string) {
  const app = express();
  app.use(express.json({ type: ['application/json', 'application/*+json'] }));
  app.use(express.text({ type: 'text/*' }));
  app.use(express.raw({ type: ['application/octet-stream', 'application/gzip', 'application/x-gzip'] }));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: structuredClone(doc),
      validateRequests: true,
      validateResponses: true,
      formats: EXTRA_FORMATS,
    }),
  );
  app.use((req, res) => {
    const probe = req.get('x-probe-response');
    if (probe) {
      const code = Number(probe);
      if (code === 204) return res.status(204).end();
      return res.status(code).json({});
    }
    res.status(501).type('text/plain').send('not implemented');
  });
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: Json, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ message: err.message, errors: err.errors });
  });

  let compiled = 0;
  for (const o of ops) {
    const url = buildUrl(o, doc);
    const okCode = Object.keys(o.op.responses).find((c) => /^2\d\d$/.test(c)) ?? '200';
    for (const probe of [undefined, okCode]) {
      let r = (request(app) as Json)[o.method](url).set('Authorization', 'Bearer zpka_test_123');
      if (probe) r = r.set('x-probe-response', probe);
      if (o.op.requestBody) {
        const content = deref(doc, o.op.requestBody).content ?? {};
        if (content['application/json']) r = r.set('Content-Type', 'application/json').send('{}');
        else if (Object.keys(content).length) r = r.set('Content-Type', Object.keys(content)[0]).send('x');
      }
      const res = await r;
      const msg = JSON.stringify(res.body ?? res.text);
      if (res.status >= 500 && res.status !== 501) {
        const isCompile = COMPILE_ERROR.test(msg);
        // a probe answering `{}` legitimately fails response validation (500 "…should have required property")
        const isResponseMismatch = probe && /\.response|response should|must have required property|must be/i.test(msg);
        if (isCompile || !isResponseMismatch) {
          fail(`${label} ${o.op.operationId} ${o.method.toUpperCase()} ${url}${probe ? ` (probe ${probe})` : ''}: ${res.status} ${msg.slice(0, 300)}`);
        }
      } else if (COMPILE_ERROR.test(msg) && !/must be|must have|should/i.test(msg)) {
        fail(`${label} ${o.op.operationId}: ${res.status} ${msg.slice(0, 300)}`);
      }
      compiled++;
    }
  }
  return compiled;
}

const n1 = await exercise(zuplo, zOps, 'zuplo');
const n2 = await exercise(control, cOps, 'control');

// CLI quirk: source-url without a Content-Type header must pass validation
{
  const app = express();
  app.use(express.json());
  app.use(OpenApiValidator.middleware({
      apiSpec: structuredClone(zuplo),
      validateRequests: true,
      validateResponses: true,
      formats: EXTRA_FORMATS,
    }),
  );
  app.use((_req, res) => res.status(501).type('text/plain').send('ok'));
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: Json, _q: express.Request, res: express.Response, _n: express.NextFunction) =>
    res.status(err.status ?? 500).json({ message: err.message }),
  );
  const r = await request(app)
    .post('/v1/deployments/source-url')
    .set('Authorization', 'Bearer zpka_x')
    .unset('Content-Type')
    .send(Buffer.from('{"accountName":"a","projectName":"p","environment":"main"}'));
  if (r.status !== 501) fail(`source-url without Content-Type rejected: ${r.status} ${JSON.stringify(r.body)}`);
  // nullable beside allOf/$ref must still accept null (ajv quirk rewrite in the generator)
  const nm = await request(app)
    .post('/v3/metering/bckt_test/meters')
    .set('Authorization', 'Bearer zpka_x')
    .send({ slug: 'api_requests', name: 'API requests', eventType: 'request', aggregation: 'COUNT', metadata: null });
  if (nm.status !== 501) fail(`MeterCreate.metadata = null rejected: ${nm.status} ${JSON.stringify(nm.body)}`);
  const nm2 = await request(app)
    .post('/v3/metering/bckt_test/meters')
    .set('Authorization', 'Bearer zpka_x')
    .send({ slug: 'api_requests', name: 'API requests', eventType: 'request', aggregation: 'COUNT', metadata: 'x' });
  if (nm2.status !== 400) fail(`MeterCreate.metadata = "x" not rejected: ${nm2.status}`);
  const u = await request(app)
    .put('/v1/deployments/uploads/abc')
    .set('Content-Type', 'application/gzip')
    .send(Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
  if (u.status !== 501) fail(`upload PUT rejected: ${u.status} ${JSON.stringify(u.body)}`);
}

console.log(
  `zuplo.yaml: ${zOps.length} operations (${catalogRows} catalog rows checked); ` +
    `emulator-control.yaml: ${cOps.length} operations; ${n1 + n2} requests sent`,
);
if (failures.length) {
  console.error(`${failures.length} problem(s):\n - ${failures.join('\n - ')}`);
  process.exit(1);
}
console.log('OK');

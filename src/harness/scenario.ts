import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type YAMLMap } from 'yaml';
import { randomUUID } from 'node:crypto';
import { parseDuration } from '../domain/shared/recurrence.ts';
import { generateEnd, generateEvents, SHAPES, type GenerateSpec } from './generate.ts';
import { summariseInvoice, type InvoiceSummary } from './invoiceSummary.ts';
import { startTestEmulator } from './testEmulator.ts';

/**
 * Scenario scripts: a tenant's life (catalog, usage, time) replayed through the public HTTP
 * surfaces, with named responses recorded so a CI run fails when billing output changes.
 *
 * ```yaml
 * name: tokens-monthly
 * start: 2026-01-01T00:00:00Z   # the clock starts frozen here
 * seed: 1                       # reproducible ids
 * steps:
 *   - request: { method: POST, path: /api/v1/meters, body: {...} }
 *     expect: { status: 201 }
 *     save: { meterId: id }               # later steps may use ${meterId}
 *   - ingest: [{ type: tokens, subject: alice, time: 2026-01-03T10:00:00Z, data: { tokens: 10 } }]
 *   - advance: P1M                         # or { to: 2026-03-01T00:00:00Z }
 *   - request: { method: GET, path: /api/v1/meters/tokens/query?windowSize=MONTH }
 *     expect: { status: 200, body: { data: [{ value: 10 }] } }   # a subset match
 *     snapshot: january                    # recorded under this name
 *   - generate: { type: tokens, subjects: [alice], perDay: 20, from: 2026-01-01T00:00:00Z, days: 31, data: { tokens: { int: [1, 99] } } }
 *   - invoices: { customer: alice }        # the customer's invoices, summarised (invoiceSummary.ts)
 *     expect: { body: [{ status: paid, total: "16.45" }] }
 *   - balance: { customer: alice, feature: tokens }   # an entitlement's value; without feature: credits
 * ```
 * The whole format is in docs/scenarios.md and schemas/scenario.schema.json.
 */
export interface ScenarioStep {
  request?: { method: string; path: string; body?: unknown; headers?: Record<string, string> };
  ingest?: Array<Record<string, unknown>>;
  advance?: string | { to: string };
  generate?: GenerateSpec;
  invoices?: { customer?: string; includeGathering?: boolean };
  balance?: { customer: string; feature?: string };
  expect?: { status?: number; body?: unknown };
  /** a path into the answer, or a path and a regular expression whose first group (or whole match) is kept */
  save?: Record<string, string | { path: string; match: string }>;
  snapshot?: string;
  note?: string;
}

export interface Scenario {
  $schema?: string;
  name: string;
  description?: string;
  start?: string;
  seed?: number;
  steps: ScenarioStep[];
}

export interface ScenarioResult {
  name: string;
  /** named responses, ids normalised */
  snapshots: Record<string, unknown>;
  failures: string[];
}

/** A scenario that cannot run as written; `message` lists every problem as `file:line:column: …`. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: Array<{ line: number; column: number; message: string }>,
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

const TOP_KEYS = ['$schema', 'name', 'description', 'start', 'seed', 'steps'];
const ACTIONS = ['request', 'ingest', 'generate', 'advance', 'invoices', 'balance'];
const STEP_KEYS = [...ACTIONS, 'expect', 'save', 'snapshot', 'note'];
const GENERATE_KEYS = ['type', 'subjects', 'perDay', 'from', 'to', 'days', 'seed', 'data', 'source'];
/** `invoices` records every invoice under this snapshot name at the end of a run */
export const INVOICES_SNAPSHOT = 'invoices';
const REQUEST_KEYS = ['method', 'path', 'body', 'headers'];
const EXPECT_KEYS = ['status', 'body'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const VAR_NAME = /^[A-Za-z0-9_]+$/;

/**
 * Parses and checks a scenario before anything runs: a misspelt key or a `${var}` no earlier
 * step saves would otherwise pass silently (an ignored key, a literal `${x}` in a path).
 */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const problems: ScenarioError['problems'] = [];
  const at = (node: unknown, message: string) => {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    problems.push({ line, column: col, message });
  };
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push({ line: pos.line, column: pos.col, message: `not valid YAML: ${e.message.split('\n')[0]}` });
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);
  const root = doc.contents;
  if (!isMap(root)) throw new ScenarioError(file, [{ line: 1, column: 1, message: 'expected a mapping with `name` and `steps`' }]);

  const keysOf = (map: YAMLMap, allowed: string[], where: string) => {
    const out = new Map<string, { key: unknown; value: unknown }>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!allowed.includes(key)) at(pair.key, `unknown key \`${key}\` in ${where}; expected one of ${allowed.join(', ')}`);
      else out.set(key, { key: pair.key, value: pair.value });
    }
    return out;
  };
  const scalar = (node: unknown): unknown => (isScalar(node) ? node.value : undefined);
  const isIntRange = (n: unknown) => isMap(n) && n.items.length === 1 && scalar(n.items[0]!.key) === 'int' && isSeq(n.items[0]!.value) && n.items[0]!.value.items.length === 2 && n.items[0]!.value.items.every((x) => Number.isInteger(scalar(x)));
  const checkShape = (n: unknown, where: string) => {
    if (isScalar(n)) return;
    const hint = `one of ${SHAPES.map((k) => `{ ${k}: … }`).join(', ')}, or a constant`;
    if (!isMap(n) || n.items.length === 0) return at(n, `${where}: expected ${hint}`);
    const kind = String(scalar(n.items[0]!.key));
    const v = n.items[0]!.value;
    for (const extra of n.items.slice(1)) {
      const k = String(scalar(extra.key));
      if (kind === 'float' && k === 'decimals' && Number.isInteger(scalar(extra.value))) continue;
      at(extra.key, `${where}: unexpected \`${k}\` beside \`${kind}\`${kind === 'float' ? ' (only `decimals: N` may sit beside float)' : ''}`);
    }
    const nums = (x: unknown) => isSeq(x) && x.items.length === 2 && x.items.every((i) => typeof scalar(i) === 'number') && Number(scalar(x.items[0])) <= Number(scalar(x.items[1]));
    if (kind === 'int' && !(nums(v) && isSeq(v) && v.items.every((x) => Number.isInteger(scalar(x))))) at(v ?? n, `${where}: expected { int: [min, max] } with integers, min ≤ max`);
    else if (kind === 'float' && !nums(v)) at(v ?? n, `${where}: expected { float: [min, max] }, min ≤ max`);
    else if (kind === 'pick' && !(isSeq(v) && v.items.length > 0)) at(v ?? n, `${where}: expected { pick: [a, b, …] }, a non-empty list`);
    else if (kind === 'weighted' && !(isMap(v) && v.items.length > 0 && v.items.every((p) => typeof scalar(p.value) === 'number' && Number(scalar(p.value)) > 0))) at(v ?? n, `${where}: expected { weighted: { value: weight, … } } with positive weights`);
    else if (kind === 'faker' && !(typeof scalar(v) === 'string' && /^[a-zA-Z]+(\.[a-zA-Z]+)+$/.test(String(scalar(v))))) at(v ?? n, `${where}: expected { faker: module.method }, e.g. company.name`);
    else if (!(SHAPES as readonly string[]).includes(kind)) at(n.items[0]!.key, `${where}: unknown shape \`${kind}\`; expected ${hint}`);
  };
  const isInstant = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(new Date(v).getTime());

  const top = keysOf(root, TOP_KEYS, 'the scenario');
  const name = top.get('name');
  if (!name) at(root, 'missing `name` (e.g. `name: tokens-monthly`; it names the snapshot file)');
  else if (typeof scalar(name.value) !== 'string' || !/^[A-Za-z0-9._-]+$/.test(String(scalar(name.value)))) at(name.value ?? name.key, 'expected `name` to be a file-name-safe string (letters, digits, `.`, `_`, `-`)');
  const start = top.get('start');
  if (start && !isInstant(scalar(start.value))) at(start.value ?? start.key, 'expected `start` to be an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z');
  const seed = top.get('seed');
  if (seed && !Number.isInteger(scalar(seed.value))) at(seed.value ?? seed.key, 'expected `seed` to be an integer, e.g. `seed: 1`');
  const steps = top.get('steps');
  if (!steps) at(root, 'missing `steps` (a list of request / ingest / advance steps)');
  else if (!isSeq(steps.value)) at(steps.value ?? steps.key, 'expected `steps` to be a list');

  const saved = new Set<string>();
  const checkVars = (node: unknown, label: string) => {
    visit(node as Node, {
      Scalar: (_k, n) => {
        if (typeof n.value !== 'string') return;
        for (const m of n.value.matchAll(VAR)) {
          // point at the `${…}` itself when the source spells it literally (it does unless escaped)
          const found = n.range ? text.indexOf(m[0], n.range[0]) : -1;
          const where = n.range && found >= 0 && found < n.range[1] ? { range: [found, found, found] } : n;
          if (!saved.has(m[1]!)) at(where, `\`\${${m[1]}}\` in ${label} is not defined: no earlier step saves it${saved.size > 0 ? ` (saved so far: ${[...saved].join(', ')})` : ''}; add \`save: { ${m[1]}: <path in a response> }\` to an earlier step`);
        }
      },
    });
  };
  if (isSeq(steps?.value)) {
    for (const [i, stepNode] of steps.value.items.entries()) {
      const label = `step ${i + 1}`;
      if (!isMap(stepNode)) {
        at(stepNode, `${label}: expected a mapping with one of ${ACTIONS.join(', ')}`);
        continue;
      }
      const keys = keysOf(stepNode, STEP_KEYS, label);
      const actions = ACTIONS.filter((a) => keys.has(a));
      if (actions.length !== 1) at(stepNode, `${label}: expected exactly one of ${ACTIONS.join(', ')}, found ${actions.length === 0 ? 'none' : actions.join(' and ')}`);
      const request = keys.get('request')?.value;
      if (request !== undefined) {
        if (!isMap(request)) at(request, `${label}: expected \`request\` to be a mapping, e.g. { method: GET, path: /api/v1/meters }`);
        else {
          const r = keysOf(request, REQUEST_KEYS, `${label} request`);
          const method = scalar(r.get('method')?.value);
          if (typeof method !== 'string' || !METHODS.includes(method.toUpperCase())) at(r.get('method')?.value ?? request, `${label}: expected \`request.method\` to be one of ${METHODS.join(', ')}`);
          const path = scalar(r.get('path')?.value);
          if (typeof path !== 'string' || !path.startsWith('/')) at(r.get('path')?.value ?? request, `${label}: expected \`request.path\` to be a path starting with /, e.g. /api/v1/meters`);
          const headers = r.get('headers')?.value;
          if (headers !== undefined && !isMap(headers)) at(headers, `${label}: expected \`request.headers\` to be a mapping of header names to values`);
        }
      }
      const ingest = keys.get('ingest')?.value;
      if (ingest !== undefined && (!isSeq(ingest) || !ingest.items.every((e) => isMap(e)))) at(ingest, `${label}: expected \`ingest\` to be a list of events, e.g. [{ type: tokens, subject: alice, data: { tokens: 10 } }]`);
      const advance = keys.get('advance')?.value;
      if (advance !== undefined) {
        if (isMap(advance)) {
          const a = keysOf(advance, ['to'], `${label} advance`);
          if (!isInstant(scalar(a.get('to')?.value))) at(a.get('to')?.value ?? advance, `${label}: expected \`advance.to\` to be an ISO 8601 instant, e.g. { to: 2026-03-01T00:00:00Z }`);
        } else if (typeof scalar(advance) !== 'string' || !parseDuration(String(scalar(advance)))) {
          at(advance, `${label}: expected \`advance\` to be an ISO 8601 duration (P1M, P1D, PT1H) or { to: <instant> }`);
        }
      }
      const generate = keys.get('generate')?.value;
      if (generate !== undefined) {
        if (!isMap(generate)) at(generate, `${label}: expected \`generate\` to be a mapping, e.g. { type: api_call, subjects: [acme], perDay: 20, from: 2026-01-01T00:00:00Z, days: 31 }`);
        else {
          const g = keysOf(generate, GENERATE_KEYS, `${label} generate`);
          const need = (k: string, ok: (v: unknown, n: unknown) => boolean, what: string) => {
            const e = g.get(k);
            if (!e) at(generate, `${label}: \`generate\` needs \`${k}\` (${what})`);
            else if (!ok(scalar(e.value), e.value)) at(e.value ?? e.key, `${label}: expected \`generate.${k}\` to be ${what}`);
          };
          need('type', (v) => typeof v === 'string' && v !== '', 'the CloudEvents type, e.g. api_call');
          need('subjects', (_v, n) => isSeq(n) && n.items.length > 0 && n.items.every((x) => typeof scalar(x) === 'string'), 'a non-empty list of subjects, e.g. [acme, globex]');
          need('perDay', (v, n) => (Number.isInteger(v) && Number(v) >= 0) || isIntRange(n), 'events a day per subject: an integer, or { int: [min, max] }');
          need('from', (v) => isInstant(v), 'an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z');
          const to = g.get('to');
          const days = g.get('days');
          if (!to === !days) at(generate, `${label}: \`generate\` needs one of \`to\` (an instant) or \`days\` (a count)`);
          if (to && !isInstant(scalar(to.value))) at(to.value ?? to.key, `${label}: expected \`generate.to\` to be an ISO 8601 instant`);
          if (days && !(Number.isInteger(scalar(days.value)) && Number(scalar(days.value)) > 0)) at(days.value ?? days.key, `${label}: expected \`generate.days\` to be a positive integer`);
          const gs = g.get('seed');
          if (gs && !Number.isInteger(scalar(gs.value))) at(gs.value ?? gs.key, `${label}: expected \`generate.seed\` to be an integer`);
          const from = scalar(g.get('from')?.value);
          if (isInstant(from) && (!to || isInstant(scalar(to.value)))) {
            const span = generateEnd({ from: String(from), to: to ? String(scalar(to.value)) : undefined, days: days ? Number(scalar(days.value)) : undefined }) - Date.parse(String(from));
            if (span <= 0) at(to?.value ?? generate, `${label}: \`generate.to\` must be after \`from\``);
          }
          const data = g.get('data')?.value;
          if (data !== undefined) {
            if (!isMap(data)) at(data, `${label}: expected \`generate.data\` to map field names to values or shapes ({ int: [min, max] }, { float: [min, max] }, { pick: [...] }, { weighted: { a: 3, b: 1 } }, { faker: company.name })`);
            else for (const pair of data.items) checkShape(pair.value, `${label} generate.data.${String(scalar(pair.key))}`);
          }
        }
      }
      const invoices = keys.get('invoices')?.value;
      if (invoices !== undefined) {
        if (isScalar(invoices) && invoices.value === null) {
          // `invoices:` alone: every customer's
        } else if (!isMap(invoices)) at(invoices, `${label}: expected \`invoices\` to be a mapping, e.g. { customer: acme }`);
        else {
          const v = keysOf(invoices, ['customer', 'includeGathering'], `${label} invoices`);
          const c = v.get('customer');
          if (c && typeof scalar(c.value) !== 'string') at(c.value ?? c.key, `${label}: expected \`invoices.customer\` to be a customer key or id`);
          const gth = v.get('includeGathering');
          if (gth && typeof scalar(gth.value) !== 'boolean') at(gth.value ?? gth.key, `${label}: expected \`invoices.includeGathering\` to be true or false`);
        }
      }
      const balance = keys.get('balance')?.value;
      if (balance !== undefined) {
        if (!isMap(balance)) at(balance, `${label}: expected \`balance\` to be a mapping, e.g. { customer: acme, feature: api_calls }`);
        else {
          const v = keysOf(balance, ['customer', 'feature'], `${label} balance`);
          if (typeof scalar(v.get('customer')?.value) !== 'string') at(v.get('customer')?.value ?? balance, `${label}: \`balance\` needs \`customer\` (a key or id)`);
          const f = v.get('feature');
          if (f && typeof scalar(f.value) !== 'string') at(f.value ?? f.key, `${label}: expected \`balance.feature\` to be a feature key`);
        }
      }
      const expectNode = keys.get('expect')?.value;
      if (expectNode !== undefined) {
        if (!isMap(expectNode)) at(expectNode, `${label}: expected \`expect\` to be a mapping, e.g. { status: 200, body: {...} }`);
        else {
          const e = keysOf(expectNode, EXPECT_KEYS, `${label} expect`);
          const status = e.get('status');
          if (status && !(Number.isInteger(scalar(status.value)) && Number(scalar(status.value)) >= 100 && Number(scalar(status.value)) <= 599)) at(status.value ?? status.key, `${label}: expected \`expect.status\` to be an HTTP status, e.g. 200`);
        }
      }
      for (const key of ['snapshot', 'note']) {
        const v = keys.get(key)?.value;
        if (v !== undefined && typeof scalar(v) !== 'string') at(v, `${label}: expected \`${key}\` to be a string`);
      }
      for (const key of ['request', 'ingest', 'generate', 'advance', 'invoices', 'balance', 'expect']) if (keys.has(key)) checkVars(keys.get(key)!.value, `${label} ${key}`);
      const save = keys.get('save')?.value;
      if (save !== undefined) {
        if (!isMap(save)) at(save, `${label}: expected \`save\` to be a mapping of names to response paths, e.g. { meterId: id }`);
        else
          for (const pair of save.items) {
            const k = String(scalar(pair.key));
            if (!VAR_NAME.test(k)) at(pair.key, `${label}: a saved name is letters, digits and _ (got \`${k}\`)`);
            const v = pair.value;
            if (isMap(v)) {
              const m = keysOf(v, ['path', 'match'], `${label} save.${k}`);
              const path = scalar(m.get('path')?.value);
              const match = scalar(m.get('match')?.value);
              if (typeof path !== 'string') at(m.get('path')?.value ?? v, `${label}: expected \`save.${k}.path\` to be a path into the response, e.g. url`);
              if (typeof match !== 'string') at(m.get('match')?.value ?? v, `${label}: expected \`save.${k}.match\` to be a regular expression, e.g. /checkout/([^/?]+)`);
              else
                try {
                  new RegExp(match);
                } catch (err) {
                  at(m.get('match')!.value!, `${label}: \`save.${k}.match\` is not a regular expression: ${(err as Error).message}`);
                }
            } else if (typeof scalar(v) !== 'string') at(v ?? pair.key, `${label}: expected \`save.${k}\` to be a path into the response, e.g. id or data[0].id, or { path, match }`);
            saved.add(k);
          }
      }
    }
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return doc.toJS() as Scenario;
}

const VAR = /\$\{([A-Za-z0-9_]+)\}/g;
function substitute<T>(value: T, vars: Record<string, unknown>): T {
  if (typeof value === 'string') {
    const whole = /^\$\{([A-Za-z0-9_]+)\}$/.exec(value);
    if (whole) return (vars[whole[1]!] ?? value) as T;
    return value.replace(VAR, (m, k: string) => (k in vars ? String(vars[k]) : m)) as T;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)])) as T;
  }
  return value;
}

/** `a.b[0].c` into a value */
function pick(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** every key of `expected` must match in `actual`; arrays match element-wise and by length */
export function subsetMismatch(actual: unknown, expected: unknown, at = '$'): string | null {
  if (expected === null || typeof expected !== 'object') {
    return Object.is(actual, expected) || (typeof expected === 'number' && typeof actual === 'string' && String(expected) === actual)
      ? null
      : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${at}: expected ${expected.length} items, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const m = subsetMismatch(actual[i], expected[i], `${at}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (actual === null || typeof actual !== 'object') return `${at}: expected an object, got ${JSON.stringify(actual)}`;
  for (const [k, v] of Object.entries(expected)) {
    const m = subsetMismatch((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
    if (m) return m;
  }
  return null;
}

const ULID = /\b[0-7][0-9A-HJKMNP-TV-Z]{25}\b/g;

/** ULIDs become `<id:N>` in order of first appearance, so a snapshot survives unrelated id changes. */
export function normaliseIds(value: unknown, seen = new Map<string, string>()): unknown {
  if (typeof value === 'string') {
    return value.replace(ULID, (id) => {
      if (!seen.has(id)) seen.set(id, `<id:${seen.size + 1}>`);
      return seen.get(id)!;
    });
  }
  if (Array.isArray(value)) return value.map((v) => normaliseIds(v, seen));
  if (value && typeof value === 'object') {
    // ids appear as keys too (e.g. grant balances by grant id)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [normaliseIds(k, seen) as string, normaliseIds(v, seen)]));
  }
  return value;
}


export interface RunOptions {
  /**
   * Another deployment speaking the same API (a real OpenMeter, a shared localmeter): the
   * scenario runs there as written, except that nothing can move its clock, so a scenario that
   * does fails before its first step. Snapshots are not taken: ids and times are that
   * deployment's own.
   */
  target?: string;
  /** called before each step (progress bars) */
  onStep?: (index: number, total: number, step: ScenarioStep) => void;
}

/** Why a scenario cannot run against `--target`, or null: it moves the clock, which only localmeter can. */
export function targetObstacle(scenario: Scenario): string | null {
  for (const [i, step] of scenario.steps.entries()) {
    const clock = step.advance !== undefined ? `advance: ${typeof step.advance === 'string' ? step.advance : `{ to: ${step.advance.to} }`}` : step.request?.path.startsWith('/_emulator/') ? `${step.request.method} ${step.request.path}` : null;
    if (clock) {
      return `${scenario.name} moves the clock (step ${i + 1}: ${clock}); another deployment's clock cannot be moved, so it runs only against localmeter (drop --target). Nothing was sent.`;
    }
  }
  return null;
}

const INVOICE_PAGE = 1000;

/**
 * Replays a scenario over real HTTP: against a fresh in-memory emulator with a frozen clock at
 * `start`, or against `opts.target`.
 */
export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<ScenarioResult> {
  const target = opts.target?.replace(/\/+$/, '');
  if (target) {
    const obstacle = targetObstacle(scenario);
    if (obstacle) return { name: scenario.name, snapshots: {}, failures: [obstacle] };
  }
  const running = target
    ? null
    : await startTestEmulator({
        start: new Date(scenario.start ?? '2026-01-01T00:00:00Z'),
        seed: scenario.seed ?? 1,
        frozen: true,
      });
  const base = target ?? running!.url;
  // A deployment deduplicates events by (source, id): a second run against the same target
  // must not be swallowed as duplicates of the first.
  const source = target ? `scenario/${scenario.name}/${randomUUID()}` : 'scenario';
  const vars: Record<string, unknown> = {};
  const snapshots: Record<string, unknown> = {};
  const failures: string[] = [];
  const seen = new Map<string, string>();
  let eventSeq = 0;

  const call = async (method: string, path: string, reqBody?: unknown, headers?: Record<string, string>, contentType = 'application/json') => {
    // Scripts write query strings by hand; encode them as a real client would (`:` → %3A).
    const url = new URL(path, base);
    url.search = new URLSearchParams(url.searchParams).toString();
    const res = await fetch(url, {
      method,
      headers: { ...(reqBody === undefined ? {} : { 'content-type': contentType }), ...headers },
      body: reqBody === undefined ? undefined : JSON.stringify(reqBody),
    });
    const text = await res.text();
    const body: unknown = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    return { status: res.status, body };
  };
  const show = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));
  const ingest = async (events: Array<Record<string, unknown>>) => {
    for (let i = 0; i < events.length; i += 1000) {
      const r = await call('POST', '/api/v1/events', events.slice(i, i + 1000), undefined, 'application/cloudevents-batch+json');
      if (r.status !== 204) return r;
    }
    return { status: 204, body: '' };
  };
  /** a customer key (or id) → its id, which the invoice and credit routes need */
  const customerId = async (ref: string): Promise<{ id?: string; status: number; body: unknown }> => {
    const r = await call('GET', `/api/v1/customers/${encodeURIComponent(ref)}`);
    return r.status === 200 ? { id: (r.body as { id: string }).id, ...r } : r;
  };
  const listInvoices = async (customer: string | undefined, includeGathering: boolean): Promise<{ status: number; body: unknown }> => {
    let id: string | undefined;
    if (customer !== undefined) {
      const c = await customerId(customer);
      if (!c.id) return c;
      id = c.id;
    }
    const all: InvoiceSummary[] = [];
    for (let page = 1; ; page++) {
      const q = new URLSearchParams({ expand: 'lines', orderBy: 'createdAt', order: 'ASC', pageSize: String(INVOICE_PAGE), page: String(page), ...(id ? { customers: id } : {}) });
      const r = await call('GET', `/api/v1/billing/invoices?${q}`);
      if (r.status !== 200) return r;
      const items = (r.body as { items: Array<Parameters<typeof summariseInvoice>[0]> }).items;
      for (const inv of items) if (includeGathering || inv.status !== 'gathering') all.push(summariseInvoice(inv));
      if (items.length < INVOICE_PAGE) break;
    }
    return { status: 200, body: all };
  };

  try {
    for (const [i, rawStep] of scenario.steps.entries()) {
      opts.onStep?.(i, scenario.steps.length, rawStep);
      const step = substitute(rawStep, vars);
      const label = `step ${i + 1}${step.note ? ` (${step.note})` : ''}`;
      let status = 0;
      let body: unknown;
      if (step.request) {
        ({ status, body } = await call(step.request.method, step.request.path, step.request.body, step.request.headers));
      } else if (step.ingest || step.generate) {
        const events = step.ingest
          ? step.ingest.map((e) => ({ specversion: '1.0', source, id: `ev-${++eventSeq}`, ...e }))
          : await generateEvents(step.generate!, { seed: scenario.seed ?? 1, idPrefix: `gen-${i + 1}`, source });
        ({ status, body } = await ingest(events));
        if (step.expect?.status === undefined && status !== 204) failures.push(`${label}: ingest answered ${status}: ${show(body)}`);
        // what was sent, for `expect` and `snapshot` (a count check catches a changed generator)
        if (status === 204) body = { events: events.length };
      } else if (step.advance) {
        const payload = typeof step.advance === 'string' ? { by: step.advance } : { to: step.advance.to };
        ({ status, body } = await call('POST', '/_emulator/clock/advance', payload));
        if (status !== 200) failures.push(`${label}: advance answered ${status}: ${show(body)}`);
      } else if (step.invoices !== undefined) {
        ({ status, body } = await listInvoices(step.invoices?.customer, step.invoices?.includeGathering === true));
        if (step.expect?.status === undefined && status !== 200) failures.push(`${label}: listing invoices answered ${status}: ${show(body)}`);
      } else if (step.balance) {
        const { customer, feature } = step.balance;
        if (feature !== undefined) {
          ({ status, body } = await call('GET', `/api/v2/customers/${encodeURIComponent(customer)}/entitlements/${encodeURIComponent(feature)}/value`));
        } else {
          const c = await customerId(customer);
          ({ status, body } = c.id ? await call('GET', `/v3/openmeter/customers/${c.id}/credits/balance`) : c);
        }
        if (step.expect?.status === undefined && status !== 200) failures.push(`${label}: reading the balance answered ${status}: ${show(body)}`);
      } else {
        failures.push(`${label}: a step needs one of ${ACTIONS.join(', ')}`);
        continue;
      }
      // A 5xx is the emulator failing (501: an operation not built yet), never billing output to
      // record, unless the script says it expects exactly that status.
      if (status >= 500 && step.expect?.status !== status) {
        if (step.request) failures.push(`${label}: answered ${status}: ${show(body)}`);
        continue;
      }
      if (step.expect?.status !== undefined && step.expect.status !== status) {
        failures.push(`${label}: expected status ${step.expect.status}, got ${status}: ${show(body)}`);
      }
      if (step.expect?.body !== undefined) {
        const m = subsetMismatch(body, step.expect.body);
        if (m) failures.push(`${label}: ${m}`);
      }
      for (const [name, spec] of Object.entries(step.save ?? {})) {
        if (typeof spec === 'string') {
          vars[name] = pick(body, spec);
          continue;
        }
        // a value inside a string of the answer, e.g. the session id at the end of a Checkout URL
        const value = pick(body, spec.path);
        const m = typeof value === 'string' ? new RegExp(spec.match).exec(value) : null;
        if (m) vars[name] = m[1] ?? m[0];
        else failures.push(`${label}: save.${name}: /${spec.match}/ does not match ${spec.path} (${JSON.stringify(value)})`);
      }
      if (step.snapshot && !target) snapshots[step.snapshot] = normaliseIds(body, seen);
    }
    // Every invoice the story produced is recorded, whether or not a step asked for it: a
    // change anywhere in billing then shows up as a line-by-line difference of amounts.
    if (!target && !(INVOICES_SNAPSHOT in snapshots)) {
      const all = await listInvoices(undefined, false);
      if (all.status === 200 && (all.body as unknown[]).length > 0) snapshots[INVOICES_SNAPSHOT] = normaliseIds(all.body, seen);
      else if (all.status !== 200) failures.push(`listing every invoice at the end answered ${all.status}: ${show(all.body)}`);
    }
  } finally {
    await running?.stop();
  }
  return { name: scenario.name, snapshots, failures };
}

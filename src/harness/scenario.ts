import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type YAMLMap } from 'yaml';
import { parseDuration } from '../domain/shared/recurrence.ts';
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
 * ```
 */
export interface ScenarioStep {
  request?: { method: string; path: string; body?: unknown; headers?: Record<string, string> };
  ingest?: Array<Record<string, unknown>>;
  advance?: string | { to: string };
  expect?: { status?: number; body?: unknown };
  save?: Record<string, string>;
  snapshot?: string;
  note?: string;
}

export interface Scenario {
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

const TOP_KEYS = ['name', 'description', 'start', 'seed', 'steps'];
const STEP_KEYS = ['request', 'ingest', 'advance', 'expect', 'save', 'snapshot', 'note'];
const ACTIONS = ['request', 'ingest', 'advance'];
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
      for (const key of ['request', 'ingest', 'advance', 'expect']) if (keys.has(key)) checkVars(keys.get(key)!.value, `${label} ${key}`);
      const save = keys.get('save')?.value;
      if (save !== undefined) {
        if (!isMap(save)) at(save, `${label}: expected \`save\` to be a mapping of names to response paths, e.g. { meterId: id }`);
        else
          for (const pair of save.items) {
            const k = String(scalar(pair.key));
            if (!VAR_NAME.test(k)) at(pair.key, `${label}: a saved name is letters, digits and _ (got \`${k}\`)`);
            if (typeof scalar(pair.value) !== 'string') at(pair.value ?? pair.key, `${label}: expected \`save.${k}\` to be a path into the response, e.g. id or data[0].id`);
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

/** Replays a scenario against a fresh in-memory emulator over real HTTP. */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const running = await startTestEmulator({
    start: new Date(scenario.start ?? '2026-01-01T00:00:00Z'),
    seed: scenario.seed ?? 1,
    frozen: true,
  });
  const vars: Record<string, unknown> = {};
  const snapshots: Record<string, unknown> = {};
  const failures: string[] = [];
  const seen = new Map<string, string>();
  let eventSeq = 0;
  try {
    for (const [i, rawStep] of scenario.steps.entries()) {
      const step = substitute(rawStep, vars);
      const label = `step ${i + 1}${step.note ? ` (${step.note})` : ''}`;
      let status = 0;
      let body: unknown;
      if (step.request) {
        const { method, path, body: reqBody, headers } = step.request;
        // Scripts write query strings by hand; encode them as a real client would (`:` → %3A).
        const url = new URL(path, running.url);
        url.search = new URLSearchParams(url.searchParams).toString();
        const res = await fetch(url, {
          method,
          headers: { ...(reqBody === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          body: reqBody === undefined ? undefined : JSON.stringify(reqBody),
        });
        status = res.status;
        const text = await res.text();
        body = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
      } else if (step.ingest) {
        const events = step.ingest.map((e) => ({ specversion: '1.0', source: 'scenario', id: `ev-${++eventSeq}`, ...e }));
        const res = await fetch(`${running.url}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) });
        status = res.status;
        body = await res.text();
        if (step.expect?.status === undefined && status !== 204) failures.push(`${label}: ingest answered ${status}: ${String(body)}`);
      } else if (step.advance) {
        const payload = typeof step.advance === 'string' ? { by: step.advance } : { to: step.advance.to };
        const res = await fetch(`${running.url}/_emulator/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
        status = res.status;
        body = await res.json();
        if (status !== 200) failures.push(`${label}: advance answered ${status}: ${JSON.stringify(body)}`);
      } else {
        failures.push(`${label}: a step needs one of request, ingest or advance`);
        continue;
      }
      // A 5xx is the emulator failing (501: an operation not built yet), never billing output to
      // record, unless the script says it expects exactly that status.
      if (step.request && status >= 500 && step.expect?.status !== status) {
        failures.push(`${label}: answered ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
        continue;
      }
      if (step.expect?.status !== undefined && step.expect.status !== status) {
        failures.push(`${label}: expected status ${step.expect.status}, got ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
      }
      if (step.expect?.body !== undefined) {
        const m = subsetMismatch(body, step.expect.body);
        if (m) failures.push(`${label}: ${m}`);
      }
      for (const [name, path] of Object.entries(step.save ?? {})) vars[name] = pick(body, path);
      if (step.snapshot) snapshots[step.snapshot] = normaliseIds(body, seen);
    }
  } finally {
    await running.stop();
  }
  return { name: scenario.name, snapshots, failures };
}

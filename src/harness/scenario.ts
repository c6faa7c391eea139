import { parse as parseYaml } from 'yaml';
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

export function parseScenario(text: string): Scenario {
  const doc = parseYaml(text) as Scenario;
  if (!doc || typeof doc !== 'object' || typeof doc.name !== 'string' || !Array.isArray(doc.steps)) {
    throw new Error('a scenario needs a `name` and a list of `steps`');
  }
  return doc;
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

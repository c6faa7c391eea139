import type { MeterAggregation } from './types.ts';

/**
 * Value extraction and parsing rules of OpenMeter `meter/parse.go`.
 * The error strings are the real service's, because list-events shows them to users.
 */

type Segment = string | number;
const pathCache = new Map<string, Segment[] | null>();

/** Parses the JSONPath subset meters use: `$`, `.name`, `['name']`, `["name"]`, `[n]`. null = unsupported. */
export function compileJsonPath(path: string): Segment[] | null {
  const hit = pathCache.get(path);
  if (hit !== undefined) return hit;
  let result: Segment[] | null = [];
  if (!path.startsWith('$')) result = null;
  let i = 1;
  while (result && i < path.length) {
    const c = path[i];
    if (c === '.') {
      const m = /^[^.[\]]+/.exec(path.slice(i + 1));
      if (!m) { result = null; break; }
      result.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i);
      const q = /^\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\d+))\s*\]/.exec(rest);
      if (!q) { result = null; break; }
      if (q[3] !== undefined) result.push(Number(q[3]));
      else result.push((q[1] ?? q[2] ?? '').replace(/\\(.)/g, '$1'));
      i += q[0].length;
    } else {
      result = null;
    }
  }
  if (result && result.some((s) => s === '*')) result = null;
  pathCache.set(path, result);
  return result;
}

export const MISSING = Symbol('missing');

/** Looks a compiled path up in decoded JSON; MISSING when any step does not exist. */
export function lookup(data: unknown, segs: Segment[]): unknown {
  let cur: unknown = data;
  for (const s of segs) {
    if (typeof s === 'number') {
      if (!Array.isArray(cur) || s >= cur.length) return MISSING;
      cur = cur[s];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, s)) return MISSING;
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return cur;
}

/** Go `fmt.Sprintf("%v")`-like stringification used for UNIQUE_COUNT and group-by values. */
export function stringifyValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF_RE = /^[+-]?(?:inf|infinity)$/i;
const NAN_RE = /^nan$/i;

/** A parsed numeric value: `num` is the float; `exact` the canonical decimal text when `num` is not a small safe integer. */
export interface ParsedNumber {
  num: number;
  exact?: string;
}

/** Largest magnitude handled on the integer fast path; keeps running sums exact in a double. */
export const FAST_INT_LIMIT = 2 ** 52;

export type ParseOutcome =
  | { ok: true; number?: ParsedNumber; text?: string }
  | { ok: false; error: string };

/**
 * Parses the meter value of one event's data. COUNT needs no value; UNIQUE_COUNT wants any
 * non-null value as text; the others want a finite number or numeric string.
 */
export function parseEventValue(aggregation: MeterAggregation, valueProperty: string | undefined, data: unknown): ParseOutcome {
  if (aggregation === 'COUNT') return { ok: true };
  if (data === null || data === undefined) return { ok: false, error: 'null and missing value property' };
  if (valueProperty === undefined) return { ok: false, error: 'non count meter value property is missing' };
  // Data that is JSON but not an object (a number, a string) decodes fine in parse.go; it is the
  // JSONPath lookup that fails on it. `failed to parse event data: …` is only for undecodable
  // text, which cannot be stored here: event data is kept decoded, and a body that is not JSON is
  // refused at ingest (400 "request body has an error: failed to decode request body: …").
  const segs = compileJsonPath(valueProperty);
  const raw = segs && typeof data === 'object' ? lookup(data, segs) : MISSING;
  if (raw === MISSING) return { ok: false, error: `missing value property: "${valueProperty ?? ''}"` };
  if (raw === null) return { ok: false, error: 'value cannot be null' };
  if (aggregation === 'UNIQUE_COUNT') return { ok: true, text: stringifyValue(raw) };
  if (typeof raw === 'number') return checkFinite(raw, undefined);
  if (typeof raw === 'string') {
    if (NAN_RE.test(raw)) return { ok: false, error: 'value cannot be NaN' };
    if (INF_RE.test(raw)) return { ok: false, error: 'value cannot be infinity' };
    if (!DECIMAL_RE.test(raw)) return { ok: false, error: `value cannot be parsed as float64: ${raw}` };
    const num = Number(raw);
    // Go's ParseFloat fails on out-of-range input before the infinity check runs
    if (!Number.isFinite(num)) return { ok: false, error: `value cannot be parsed as float64: ${raw}` };
    return checkFinite(num, raw);
  }
  return { ok: false, error: `unsupported value property type: ${goTypeName(raw)}` };
}

function checkFinite(num: number, text: string | undefined): ParseOutcome {
  if (Number.isNaN(num)) return { ok: false, error: 'value cannot be NaN' };
  if (!Number.isFinite(num)) return { ok: false, error: 'value cannot be infinity' };
  if (Number.isInteger(num) && Math.abs(num) <= FAST_INT_LIMIT && (text === undefined || isPlainInteger(text, num))) {
    return { ok: true, number: { num: num === 0 ? 0 : num } };
  }
  return { ok: true, number: { num, exact: text ?? String(num) } };
}

// integer text within the fast range is exactly its double; anything else keeps its exact text
const isPlainInteger = (text: string, num: number): boolean => /^[+-]?\d+$/.test(text) && Math.abs(num) <= FAST_INT_LIMIT;

function goTypeName(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v !== null && typeof v === 'object') return 'map[string]interface {}';
  return typeof v;
}

/** Group-by values of one event, in the given key order; a missing or null value reads as "". */
export function extractGroupValues(data: unknown, paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const segs = compileJsonPath(p);
    const raw = segs && data !== null && typeof data === 'object' ? lookup(data, segs) : MISSING;
    out.push(raw === MISSING || raw === null ? '' : stringifyValue(raw));
  }
  return out;
}

/**
 * Konnect (AIP) list conventions shared by every v3 list handler: `filter[field]=v` /
 * `filter[field][op]=v`, `sort=created_at desc`, `page[size]` / `page[number]` and cursor
 * pages. Parsing problems are request errors: they render as 400 with `invalid_parameters`
 * (source `query`), the same shape the schema validator produces.
 */

export const FilterOp = {
  eq: 'eq',
  neq: 'neq',
  contains: 'contains',
  ocontains: 'ocontains',
  oeq: 'oeq',
  gt: 'gt',
  gte: 'gte',
  lt: 'lt',
  lte: 'lte',
  exists: 'exists',
  nexists: 'nexists',
} as const;
export type FilterOp = (typeof FilterOp)[keyof typeof FilterOp];

/** how a field's values compare: strings lexicographically, date-times as instants */
export type FieldKind = 'string' | 'datetime';

export interface FilterCondition {
  field: string;
  op: FilterOp;
  /** a list for oeq / ocontains, a boolean for exists / nexists, else one string */
  value: string | string[] | boolean;
}

export interface SortSpec {
  field: string;
  desc: boolean;
}

export interface PageRequest {
  number: number;
  size: number;
}

export interface CursorPageRequest {
  size: number;
  after?: string;
  before?: string;
}

/** Looks like an express-openapi-validator error, so `classifyError` renders it as a schema error. */
export class AipQueryError extends Error {
  readonly status = 400;
  readonly errors: Array<{ path: string; message: string; errorCode: string; location: string }>;
  constructor(param: string, message: string, rule = 'invalid') {
    super(`${param} ${message}`);
    this.errors = [{ path: `.query.${param}`, message, errorCode: rule, location: 'query' }];
  }
}

const OPS = new Set<string>(Object.values(FilterOp));
const LIST_OPS = new Set<string>([FilterOp.oeq, FilterOp.ocontains]);
const BOOL_OPS = new Set<string>([FilterOp.exists, FilterOp.nexists]);
const ORDER_OPS = new Set<string>([FilterOp.gt, FilterOp.gte, FilterOp.lt, FilterOp.lte]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function asBool(v: unknown, param: string): boolean {
  if (v === true || v === 'true' || v === '' || v === undefined) return true;
  if (v === false || v === 'false') return false;
  throw new AipQueryError(param, 'must be true or false', 'type');
}

function asString(v: unknown, param: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new AipQueryError(param, 'must be a string', 'type');
}

/**
 * `filter` as the query parser delivers it (`{name: 'x'}` or `{name: {neq: 'x'}}`) → conditions.
 * Unknown fields and operators a field does not support are rejected.
 */
export function parseFilters(raw: unknown, fields: Record<string, { kind: FieldKind; ops?: readonly FilterOp[] }>): FilterCondition[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (!isObject(raw)) throw new AipQueryError('filter', 'must be an object (filter[field]=value)', 'type');
  const out: FilterCondition[] = [];
  for (const [field, spec] of Object.entries(raw)) {
    const def = fields[field];
    if (!def) throw new AipQueryError(`filter[${field}]`, `unknown filter field: ${field}`, 'is_not_allowed');
    const entries: Array<[string, unknown]> = isObject(spec) ? Object.entries(spec) : [[FilterOp.eq, spec]];
    if (entries.length === 0) throw new AipQueryError(`filter[${field}]`, 'needs an operator', 'required');
    for (const [op, v] of entries) {
      const param = `filter[${field}][${op}]`;
      if (!OPS.has(op)) throw new AipQueryError(param, `unknown filter operator: ${op}`, 'enum');
      if (def.ops && !def.ops.includes(op as FilterOp)) throw new AipQueryError(param, `operator ${op} is not supported for ${field}`, 'enum');
      if (def.kind === 'datetime' && (op === FilterOp.contains || op === FilterOp.ocontains)) {
        throw new AipQueryError(param, `operator ${op} is not supported for date-time fields`, 'enum');
      }
      let value: FilterCondition['value'];
      if (BOOL_OPS.has(op)) value = asBool(v, param);
      else if (LIST_OPS.has(op)) {
        value = asString(v, param).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
        if (value.length === 0) throw new AipQueryError(param, 'needs at least one value', 'min_items');
      } else {
        value = asString(v, param);
        if (def.kind === 'datetime' && Number.isNaN(Date.parse(value))) throw new AipQueryError(param, 'must be an RFC 3339 date-time', 'format');
      }
      out.push({ field, op: op as FilterOp, value });
    }
  }
  return out;
}

function compare(a: string, b: string, kind: FieldKind): number {
  if (kind === 'datetime') return Date.parse(a) - Date.parse(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One condition against one field value (`undefined`/`null` = the field is absent). */
export function matchCondition(value: string | null | undefined, c: FilterCondition, kind: FieldKind = 'string'): boolean {
  const present = value !== undefined && value !== null;
  switch (c.op) {
    case FilterOp.exists:
      return present === c.value;
    case FilterOp.nexists:
      return present !== c.value;
    case FilterOp.neq:
      return !present || compare(value, c.value as string, kind) !== 0;
    default:
      break;
  }
  if (!present) return false;
  const v = value;
  switch (c.op) {
    case FilterOp.eq:
      return compare(v, c.value as string, kind) === 0;
    case FilterOp.oeq:
      return (c.value as string[]).some((x) => compare(v, x, kind) === 0);
    case FilterOp.contains:
      return v.toLowerCase().includes((c.value as string).toLowerCase());
    case FilterOp.ocontains:
      return (c.value as string[]).some((x) => v.toLowerCase().includes(x.toLowerCase()));
    default: {
      if (!ORDER_OPS.has(c.op)) return false;
      const d = compare(v, c.value as string, kind);
      return c.op === FilterOp.gt ? d > 0 : c.op === FilterOp.gte ? d >= 0 : c.op === FilterOp.lt ? d < 0 : d <= 0;
    }
  }
}

/** Keeps the items matching every condition; `get` reads a field by its wire name. */
export function applyFilters<T>(
  items: T[],
  conditions: FilterCondition[],
  get: (item: T, field: string) => string | null | undefined,
  kinds: Record<string, FieldKind> = {},
): T[] {
  if (conditions.length === 0) return items;
  return items.filter((it) => conditions.every((c) => matchCondition(get(it, c.field), c, kinds[c.field] ?? 'string')));
}

/**
 * `sort=<field> [asc|desc]` → one spec. One field only, the order in lower case: more than two
 * words, another order word or an unknown field is a 400 (api/v3/request/sort.go), so a comma
 * list fails too (`a desc,b` has the order `desc,b`).
 */
export function parseSort(raw: unknown, allowed: readonly string[], fallback: SortSpec[] = []): SortSpec[] {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const text = Array.isArray(raw) ? raw.join(',') : asString(raw, 'sort');
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return fallback;
  if (words.length > 2) throw new AipQueryError('sort', 'invalid sort by', '');
  const [field, dir] = words as [string, string | undefined];
  if (dir !== undefined && dir !== 'asc' && dir !== 'desc') throw new AipQueryError('sort', 'sort order must be either asc or desc', '');
  if (!allowed.includes(field)) throw new AipQueryError('sort', `unsupported sort field "${field}", supported fields: ${allowed.join(', ')}`, '');
  return [{ field, desc: dir === 'desc' }];
}

/** Stable multi-key sort; `tieBreak` (e.g. the id) orders equal rows deterministically. */
export function sortItems<T>(items: T[], specs: SortSpec[], get: (item: T, field: string) => string | number | null | undefined, tieBreak?: (item: T) => string): T[] {
  const cmp = (a: string | number | null | undefined, b: string | number | null | undefined): number => {
    if (a === b) return 0;
    if (a === undefined || a === null) return -1;
    if (b === undefined || b === null) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  return [...items].sort((x, y) => {
    for (const s of specs) {
      const d = cmp(get(x, s.field), get(y, s.field));
      if (d !== 0) return s.desc ? -d : d;
    }
    return tieBreak ? cmp(tieBreak(x), tieBreak(y)) : 0;
  });
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

function positiveInt(v: unknown, param: string, max: number): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new AipQueryError(param, 'must be a positive integer', 'min');
  if (n > max) throw new AipQueryError(param, `must be at most ${max}`, 'max');
  return n;
}

/** `page[number]` (default 1) and `page[size]` (default 20, at most 1000) */
export function parsePage(raw: unknown, defaults: { size?: number; maxSize?: number } = {}): PageRequest {
  const p = isObject(raw) ? raw : {};
  return {
    number: positiveInt(p.number, 'page[number]', Number.MAX_SAFE_INTEGER) ?? 1,
    size: positiveInt(p.size, 'page[size]', defaults.maxSize ?? MAX_PAGE_SIZE) ?? defaults.size ?? DEFAULT_PAGE_SIZE,
  };
}

/** `page[size]`, `page[after]`, `page[before]` (not both) */
export function parseCursorPage(raw: unknown, defaults: { size?: number; maxSize?: number } = {}): CursorPageRequest {
  const p = isObject(raw) ? raw : {};
  const after = p.after === undefined || p.after === '' ? undefined : asString(p.after, 'page[after]');
  const before = p.before === undefined || p.before === '' ? undefined : asString(p.before, 'page[before]');
  if (after !== undefined && before !== undefined) throw new AipQueryError('page[before]', 'page[after] and page[before] cannot be combined', 'is_not_allowed');
  return {
    size: positiveInt(p.size, 'page[size]', defaults.maxSize ?? MAX_PAGE_SIZE) ?? defaults.size ?? DEFAULT_PAGE_SIZE,
    ...(after !== undefined ? { after } : {}),
    ...(before !== undefined ? { before } : {}),
  };
}

/** One page of an already filtered and sorted list, in the `{data, meta: {page}}` envelope. */
export function pageOf<T, U>(items: T[], page: PageRequest, encode: (t: T) => U): { data: U[]; meta: { page: { number: number; size: number; total: number } } } {
  const start = (page.number - 1) * page.size;
  return { data: items.slice(start, start + page.size).map(encode), meta: { page: { number: page.number, size: page.size, total: items.length } } };
}

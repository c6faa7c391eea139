import { D, type Dec, toDecimalString } from '../shared/money.ts';
import { validationError } from '../shared/errors.ts';
import { FAST_INT_LIMIT } from './parseEventValue.ts';
import type { EventIndex, MeterColumn } from './eventIndex.ts';
import { matchString } from './eventFilter.ts';
import { assertTimeZone, windowFor } from './timeWindows.ts';
import type { FilterString, Meter, MeterQueryParams, MeterQueryResult, MeterQueryRow, WindowSize } from './types.ts';

/**
 * The pure meter query engine (OpenMeter streaming/query_params.go): `[from, to)`, tumbling windows in a zone,
 * only non-empty windows, grouping by subject / customer_id / meter dimensions, exact
 * decimal results. Runs over an EventIndex so one query is a single pass over the events of
 * the meter's type inside the range.
 */

export interface QueryContext {
  index: EventIndex;
  /** the customer a subject key is attributed to now (usage attribution) */
  customerOf(subject: string): string | undefined;
}

const WINDOW_SIZES = new Set<string>(['MINUTE', 'HOUR', 'DAY', 'MONTH']);

export const SUBJECT_GROUP = 'subject';
export const CUSTOMER_GROUP = 'customer_id';

/** Instants leave the domain as fixed-width ISO text; each surface writes its own format at the wire. */
const isoInstant = (ms: number): string => new Date(ms).toISOString();

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The query answer echoes `from` / `to` as the caller wrote them, offset included, the way Go
 * re-encodes a parsed time.Time (openmeter/meter/httphandler/mapping.go): fraction without
 * trailing zeros, a zero offset written `Z`.
 */
export function echoInstant(v: string, ms: number): string {
  const m = RFC3339.exec(v);
  if (!m) return isoInstant(ms);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zone = m[4]!.toUpperCase() === 'Z' || m[4] === '+00:00' || m[4] === '-00:00' ? 'Z' : m[4]!;
  return `${m[1]}T${m[2]}${frac === '.' ? '' : frac}${zone}`;
}

function parseInstant(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw validationError('invalid_query_parameter', `invalid ${field}: ${v}`);
  return ms;
}

interface NormalizedQuery {
  from?: number;
  to?: number;
  windowSize?: WindowSize;
  tz: string;
  subjects?: Set<string>;
  customers?: Set<string>;
  subscriptions?: Set<string>;
  groupBySubject: boolean;
  groupByCustomer: boolean;
  /** meter dimensions to group by, in the requested order */
  dims: string[];
  filters: Map<string, FilterString>;
}

function normalize(meter: Meter, p: MeterQueryParams): NormalizedQuery {
  const from = parseInstant(p.from, 'from');
  const to = parseInstant(p.to, 'to');
  if (from !== undefined && to !== undefined) {
    if (from === to) throw validationError('invalid_query_period', 'from and to cannot be equal');
    if (from > to) throw validationError('invalid_query_period', 'from must be before to');
  }
  let windowSize: WindowSize | undefined;
  if (p.windowSize !== undefined && p.windowSize !== null && p.windowSize !== '') {
    if (!WINDOW_SIZES.has(p.windowSize)) throw validationError('invalid_window_size', `invalid window size: ${p.windowSize}`);
    windowSize = p.windowSize as WindowSize;
  }
  const tz = p.windowTimeZone || 'UTC';
  assertTimeZone(tz);

  const groupBy = [...(p.groupBy ?? [])];
  for (const g of groupBy) {
    if (g !== SUBJECT_GROUP && g !== CUSTOMER_GROUP && !(g in meter.groupBy)) {
      throw validationError('invalid_group_by', `invalid group by: ${g}`);
    }
  }
  const subjects = p.subject && p.subject.length ? new Set(p.subject) : undefined;
  const customers = p.filterCustomerId && p.filterCustomerId.length ? new Set(p.filterCustomerId) : undefined;
  let groupBySubject = groupBy.includes(SUBJECT_GROUP);
  let groupByCustomer = groupBy.includes(CUSTOMER_GROUP);
  // both surfaces: filtering by subject or customer also groups by it (v1 mapping.go, v3 query/params.go)
  if (subjects) groupBySubject = true;
  if (customers) groupByCustomer = true;
  const dims = [...new Set(groupBy.filter((g) => g !== SUBJECT_GROUP && g !== CUSTOMER_GROUP))];

  const filters = new Map<string, FilterString>();
  const simple = p.filterGroupBy && Object.keys(p.filterGroupBy).length ? p.filterGroupBy : undefined;
  const advanced = p.advancedMeterGroupByFilters && Object.keys(p.advancedMeterGroupByFilters).length ? p.advancedMeterGroupByFilters : undefined;
  if (simple && advanced) {
    throw validationError('invalid_group_by_filter', 'filterGroupBy and advancedMeterGroupByFilters cannot be used together');
  }
  for (const [k, v] of Object.entries(simple ?? {})) {
    if (!(k in meter.groupBy)) throw validationError('invalid_group_by_filter', `invalid group by filter: ${k}`);
    filters.set(k, Array.isArray(v) ? { $in: v } : { $eq: v });
  }
  for (const [k, v] of Object.entries(advanced ?? {})) {
    if (!(k in meter.groupBy)) throw validationError('invalid_group_by_filter', `invalid group by filter: ${k}`);
    filters.set(k, v);
  }
  const subscriptions = p.filterSubscription && p.filterSubscription.length ? new Set(p.filterSubscription) : undefined;
  return { from, to, windowSize, tz, subjects, customers, ...(subscriptions ? { subscriptions } : {}), groupBySubject, groupByCustomer, dims, filters };
}

interface OutGroup {
  subject: string | null;
  customerId?: string;
  dims: string[];
  sortKey: string;
}

/** the dims of every group when the query groups by no meter dimension (never written to) */
const NO_DIMS: string[] = [];

/** Maps every (subject, dims) tuple of the column to an output group, or -1 when filtered out. */
function groupTuples(col: MeterColumn, q: NormalizedQuery, ctx: QueryContext): { tupleGroup: Int32Array; groups: OutGroup[] } {
  const tupleGroup = new Int32Array(col.tuples.length);
  const groups: OutGroup[] = [];
  const ids = new Map<string, number>();
  const dimPos = q.dims.map((d) => col.groupKeys.indexOf(d));
  const filterPos = [...q.filters].map(([k, f]) => [col.groupKeys.indexOf(k), f] as const);
  const needCustomer = q.customers !== undefined || q.groupByCustomer;
  for (let i = 0; i < col.tuples.length; i++) {
    const tp = col.tuples[i]!;
    let ok = !q.subjects || q.subjects.has(tp.subject);
    const customerId = ok && needCustomer ? ctx.customerOf(tp.subject) : undefined;
    if (ok && q.customers) ok = customerId !== undefined && q.customers.has(customerId);
    for (let k = 0; ok && k < filterPos.length; k++) ok = matchString(tp.groups[filterPos[k]![0]] ?? '', filterPos[k]![1]);
    if (!ok) {
      tupleGroup[i] = -1;
      continue;
    }
    const subject = q.groupBySubject ? tp.subject : null;
    const cust = q.groupByCustomer ? customerId : undefined;
    // the key is (subject, customer, dims…) joined by NUL, built without an array per tuple
    let sortKey = (subject ?? '') + '\u0000' + (cust ?? '');
    let dims = NO_DIMS;
    if (dimPos.length > 0) {
      dims = dimPos.map((pos) => tp.groups[pos] ?? '');
      for (const d of dims) sortKey += '\u0000' + d;
    }
    let g = ids.get(sortKey);
    if (g === undefined) {
      g = groups.length;
      groups.push({ subject, ...(cust !== undefined ? { customerId: cust } : {}), dims, sortKey });
      ids.set(sortKey, g);
    }
    tupleGroup[i] = g;
  }
  return { tupleGroup, groups };
}

/** One group's running aggregate inside one window. */
class Acc {
  count = 0;
  fast = 0;
  dec: Dec | null = null;
  bestNum = 0;
  bestExact: string | undefined = undefined;
  latestT = -Infinity;
  latestSeq = -1;
  uniq: Set<string> | null = null;
  minT = Infinity;
  maxT = -Infinity;
  constructor(readonly group: number) {}
}

const cmpValue = (aNum: number, aEx: string | undefined, bNum: number, bEx: string | undefined): number => {
  if (aEx === undefined && bEx === undefined) return aNum - bNum;
  return new D(aEx ?? aNum).comparedTo(new D(bEx ?? bNum));
};

function finish(meter: Meter, a: Acc): string {
  switch (meter.aggregation) {
    case 'COUNT':
      return String(a.count);
    case 'UNIQUE_COUNT':
      return String(a.uniq?.size ?? 0);
    case 'SUM':
      return a.dec ? toDecimalString(a.dec.plus(a.fast)) : String(a.fast);
    case 'AVG': {
      const sum = a.dec ? a.dec.plus(a.fast) : new D(a.fast);
      return toDecimalString(sum.div(a.count));
    }
    case 'MIN':
    case 'MAX':
    case 'LATEST':
      return a.bestExact !== undefined ? toDecimalString(a.bestExact) : String(a.bestNum);
  }
}

export function queryMeterEvents(meter: Meter, params: MeterQueryParams, ctx: QueryContext): MeterQueryResult {
  const q = normalize(meter, params);
  const result: MeterQueryResult = {
    ...(q.from !== undefined ? { from: echoInstant(params.from!, q.from) } : {}),
    ...(q.to !== undefined ? { to: echoInstant(params.to!, q.to) } : {}),
    ...(q.windowSize ? { windowSize: q.windowSize } : {}),
    data: [],
  };
  const bucket = ctx.index.bucket(meter.eventType);
  if (!bucket) return result;

  const eventFrom = meter.eventFrom ? Date.parse(meter.eventFrom) : undefined;
  const lowerMs = Math.max(q.from ?? -Infinity, eventFrom ?? -Infinity);
  const loPos = Number.isFinite(lowerMs) ? bucket.lowerBound(lowerMs) : 0;
  const hiPos = q.to !== undefined ? bucket.lowerBound(q.to) : bucket.sortedTimes.length;
  if (loPos >= hiPos) return result;

  const col = bucket.column(meter);
  const { tupleGroup, groups } = groupTuples(col, q, ctx);
  const { nums, exact, errors, tuple, texts } = col;
  const ord = bucket.sortedOrd;
  const times = bucket.sortedTimes;
  const events = bucket.events;
  const agg = meter.aggregation;
  const windowed = q.windowSize !== undefined;

  const rows: { ws: number; we: number; acc: Acc }[] = [];
  const slotGen = new Int32Array(groups.length).fill(-1);
  const slotAcc: Acc[] = new Array(groups.length);
  let gen = 0;
  let winStart = 0;
  let winEnd = -Infinity;
  let open: Acc[] = [];
  const closeWindow = () => {
    for (const acc of open) rows.push({ ws: winStart, we: winEnd, acc });
    open = [];
    gen++;
  };

  for (let p = loPos; p < hiPos; p++) {
    const o = ord[p]!;
    if (errors[o] !== undefined) continue;
    const g = tupleGroup[tuple[o]!]!;
    if (g < 0) continue;
    if (q.subscriptions !== undefined && !q.subscriptions.has(events[o]!.subscription ?? '')) continue;
    const t = times[p]!;
    if (windowed && t >= winEnd) {
      closeWindow();
      [winStart, winEnd] = windowFor(t, q.windowSize!, q.tz);
    }
    let acc: Acc;
    if (slotGen[g] === gen) acc = slotAcc[g]!;
    else {
      acc = new Acc(g);
      slotGen[g] = gen;
      slotAcc[g] = acc;
      open.push(acc);
    }
    acc.count++;
    if (!windowed) {
      if (t < acc.minT) acc.minT = t;
      if (t > acc.maxT) acc.maxT = t;
    }
    switch (agg) {
      case 'SUM':
      case 'AVG': {
        const ex = exact[o];
        if (ex === undefined) {
          acc.fast += nums[o]!;
          if (acc.fast > FAST_INT_LIMIT || acc.fast < -FAST_INT_LIMIT) {
            acc.dec = (acc.dec ?? new D(0)).plus(acc.fast);
            acc.fast = 0;
          }
        } else {
          acc.dec = (acc.dec ?? new D(0)).plus(ex);
        }
        break;
      }
      case 'MIN':
      case 'MAX': {
        const n = nums[o]!, ex = exact[o];
        if (acc.count === 1) {
          acc.bestNum = n;
          acc.bestExact = ex;
        } else {
          const c = cmpValue(n, ex, acc.bestNum, acc.bestExact);
          if (agg === 'MIN' ? c < 0 : c > 0) {
            acc.bestNum = n;
            acc.bestExact = ex;
          }
        }
        break;
      }
      case 'LATEST': {
        const seq = events[o]!.seq;
        if (t > acc.latestT || (t === acc.latestT && seq > acc.latestSeq)) {
          acc.latestT = t;
          acc.latestSeq = seq;
          acc.bestNum = nums[o]!;
          acc.bestExact = exact[o];
        }
        break;
      }
      case 'UNIQUE_COUNT':
        (acc.uniq ??= new Set()).add(texts[o] ?? '');
        break;
      case 'COUNT':
        break;
    }
  }
  if (windowed) closeWindow();
  else {
    for (const acc of open) {
      const ws = q.from ?? Math.floor(acc.minT / 60_000) * 60_000;
      const we = q.to ?? Math.floor(acc.maxT / 60_000) * 60_000 + 60_000;
      rows.push({ ws, we, acc });
    }
  }

  rows.sort((a, b) => a.ws - b.ws || cmpStr(groups[a.acc.group]!.sortKey, groups[b.acc.group]!.sortKey));
  // the rows of one window share its bounds: each instant is formatted once
  const instants = new Map<number, string>();
  const isoOnce = (ms: number): string => {
    let s = instants.get(ms);
    if (s === undefined) instants.set(ms, (s = isoInstant(ms)));
    return s;
  };
  result.data = rows.map(({ ws, we, acc }): MeterQueryRow => {
    const g = groups[acc.group]!;
    const groupBy: Record<string, string | null> = {};
    q.dims.forEach((d, i) => (groupBy[d] = g.dims[i] ?? ''));
    return {
      value: finish(meter, acc),
      windowStart: isoOnce(ws),
      windowEnd: isoOnce(we),
      subject: g.subject,
      ...(g.customerId !== undefined ? { customerId: g.customerId } : {}),
      groupBy,
    };
  });
  return result;
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

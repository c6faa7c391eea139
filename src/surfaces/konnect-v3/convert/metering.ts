import { goInstant } from '../../http/wireTime.ts';
import type { EventFilter, FilterString, FilterTime, IngestedEvent, Meter, MeterCreateInput, MeterQueryParams, MeterQueryResult, MeterUpdateInput } from '../../../domain/metering/types.ts';
import { validationError } from '../../../domain/shared/errors.ts';
import { AipQueryError, FilterOp, type FilterCondition } from '../aip.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];
export type ApiMeter = S['Meter'];
export type ApiMeterQueryRequest = S['MeterQueryRequest'];
export type ApiQueryFilterItem = S['QueryFilterStringMapItem'];
type ApiQueryFilterString = S['QueryFilterString'];

const dropUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

// ---------------------------------------------------------------------------------- meters

export function toApiMeter(m: Meter): ApiMeter {
  return dropUndefined({
    id: m.id,
    name: m.name,
    description: m.description,
    // always present, `{}` when empty (api/v3/labels/convert.go)
    labels: m.metadata ?? {},
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    deleted_at: m.deletedAt,
    key: m.key,
    aggregation: m.aggregation.toLowerCase() as ApiMeter['aggregation'],
    event_type: m.eventType,
    events_from: m.eventFrom,
    value_property: m.valueProperty,
    dimensions: { ...m.groupBy },
  }) as ApiMeter;
}

const RESERVED = new Set(['subject', 'customer_id']);

/**
 * `subject` and `customer_id` name the built-in grouping: the real create and update handlers
 * refuse them as meter dimensions (api/v3/handlers/meters/dimensions.go, errors.go).
 */
function refuseReservedDimensions(dimensions: Record<string, string> | undefined): void {
  const reserved = Object.keys(dimensions ?? {}).filter((d) => RESERVED.has(d));
  if (reserved.length === 0) return;
  const message = 'dimension name is reserved';
  throw validationError('reserved_dimension', message, [{ code: 'reserved_dimension', message, field: `dimensions.${reserved[0]}`, severity: 'critical', value: reserved[0] }]);
}

export function fromApiMeterCreate(b: S['CreateMeterRequest']): MeterCreateInput {
  refuseReservedDimensions(b.dimensions);
  return dropUndefined({
    key: b.key,
    name: b.name,
    description: b.description,
    eventType: b.event_type,
    aggregation: String(b.aggregation).toUpperCase(),
    valueProperty: b.value_property,
    groupBy: b.dimensions,
    eventFrom: b.events_from,
    metadata: b.labels,
  });
}

export function fromApiMeterUpdate(b: S['UpdateMeterRequest']): MeterUpdateInput {
  refuseReservedDimensions(b.dimensions);
  return dropUndefined({ name: b.name, description: b.description, groupBy: b.dimensions, metadata: b.labels });
}

// ---------------------------------------------------------------------------------- query filters

/** `contains` is a case-insensitive substring match (SQL ILIKE '%v%'). */
const likeOf = (v: string): string => `%${v}%`;

/** v3 `QueryFilterString` → OpenMeter `FilterString` (every given operator must hold). */
export function fromApiQueryFilter(f: ApiQueryFilterItem | ApiQueryFilterString): FilterString {
  const parts: FilterString[] = [];
  const item = f as ApiQueryFilterItem;
  if (item.exists !== undefined) parts.push(item.exists ? { $ne: '' } : { $eq: '' });
  if (f.eq !== undefined) parts.push({ $eq: f.eq });
  if (f.neq !== undefined) parts.push({ $ne: f.neq });
  if (f.in !== undefined) parts.push({ $in: [...f.in] });
  if (f.nin !== undefined) parts.push({ $nin: [...f.nin] });
  if (f.contains !== undefined) parts.push({ $ilike: likeOf(f.contains) });
  if (f.ncontains !== undefined) parts.push({ $nilike: likeOf(f.ncontains) });
  if (f.and !== undefined) parts.push({ $and: f.and.map(fromApiQueryFilter) });
  if (f.or !== undefined) parts.push({ $or: f.or.map(fromApiQueryFilter) });
  if (parts.length === 0) throw validationError('invalid_filter', 'a dimension filter needs at least one operator');
  return parts.length === 1 ? parts[0]! : { $and: parts };
}

const LIKE_RE = /^%([^%_]*)%$/;

/** OpenMeter `FilterString` → v3; operators v3 cannot express are dropped. */
export function toApiQueryFilter(f: FilterString): ApiQueryFilterItem {
  const out: ApiQueryFilterItem = {};
  const and: ApiQueryFilterString[] = [];
  if (f.$eq != null) out.eq = f.$eq;
  if (f.$ne != null) out.neq = f.$ne;
  if (f.$in != null) out.in = [...f.$in];
  if (f.$nin != null) out.nin = [...f.$nin];
  const like = f.$ilike ?? f.$like;
  if (like != null && LIKE_RE.test(like)) out.contains = LIKE_RE.exec(like)![1]!;
  const nlike = f.$nilike ?? f.$nlike;
  if (nlike != null && LIKE_RE.test(nlike)) out.ncontains = LIKE_RE.exec(nlike)![1]!;
  if (f.$and != null) and.push(...f.$and.map(toApiQueryFilter));
  if (f.$or != null) out.or = f.$or.map(toApiQueryFilter);
  if (and.length) out.and = and;
  return out;
}

/** `subject` / `customer_id` filters only take eq / in (api/v3/handlers/meters/query/errors.go) */
function reservedValues(name: string, f: ApiQueryFilterItem): string[] {
  const keys = Object.keys(f).filter((k) => (f as Record<string, unknown>)[k] !== undefined);
  if (keys.some((k) => k !== 'eq' && k !== 'in')) {
    const message = 'only eq and in filter operators are supported for this field';
    throw validationError('unsupported_filter_operator', message, [{ code: 'unsupported_filter_operator', message, field: `filters.dimensions.${name}`, severity: 'critical' }]);
  }
  return [...(f.eq !== undefined ? [f.eq] : []), ...(f.in ?? [])];
}

/**
 * v3 query body → domain params. A subject or customer filter also groups by it, and customer
 * ids are looked up among deleted customers too (api/v3/handlers/meters/query/params.go, customers.go).
 */
export function fromApiMeterQuery(b: ApiMeterQueryRequest, extraDimensionFilters: Record<string, FilterString> = {}): MeterQueryParams {
  const granularity: Record<string, string> = { PT1M: 'MINUTE', PT1H: 'HOUR', P1D: 'DAY', P1M: 'MONTH' };
  const dims = b.filters?.dimensions ?? {};
  const advanced: Record<string, FilterString> = { ...extraDimensionFilters };
  let subject: string[] | undefined;
  let customers: string[] | undefined;
  for (const [k, f] of Object.entries(dims)) {
    if (k === 'subject') subject = reservedValues(k, f);
    else if (k === 'customer_id') customers = reservedValues(k, f);
    else {
      const mine = fromApiQueryFilter(f);
      const given = advanced[k];
      advanced[k] = given ? { $and: [given, mine] } : mine;
    }
  }
  return dropUndefined({
    from: b.from,
    to: b.to,
    windowSize: b.granularity ? granularity[b.granularity] ?? b.granularity : undefined,
    windowTimeZone: b.time_zone,
    groupBy: b.group_by_dimensions,
    subject,
    filterCustomerId: customers,
    advancedMeterGroupByFilters: Object.keys(advanced).length ? advanced : undefined,
    includeDeletedCustomers: true,
  });
}

export interface ApiMeterQueryRowLike {
  from: string;
  to: string;
  dimensions: Record<string, string>;
}

export function toApiMeterQueryResult(r: MeterQueryResult): S['MeterQueryResult'] {
  return dropUndefined({
    from: r.from,
    to: r.to,
    data: r.data.map((row) => ({ value: row.value, from: row.windowStart, to: row.windowEnd, dimensions: dimensionsOf(row) })),
  });
}

/** a row's dimensions: `subject` / `customer_id` when the query grouped by them, then the meter's (convert.go ToAPIMeterQueryRow) */
export function dimensionsOf(row: MeterQueryResult['data'][number]): Record<string, string> {
  const out: Record<string, string> = {};
  if (row.subject !== null) out.subject = row.subject;
  if (row.customerId !== undefined) out.customer_id = row.customerId;
  for (const [k, v] of Object.entries(row.groupBy)) if (!RESERVED.has(k) && v !== null) out[k] = v;
  return out;
}

/** the grouping the query ran with: the requested dimensions, then `subject` / `customer_id` implied by filters */
export function effectiveGroupBy(b: ApiMeterQueryRequest, params: MeterQueryParams): string[] {
  const out = [...new Set(b.group_by_dimensions ?? [])];
  if (params.subject?.length && !out.includes('subject')) out.push('subject');
  if (params.filterCustomerId?.length && !out.includes('customer_id')) out.push('customer_id');
  return out;
}

const csvCell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** `from, to, [subject,] [customer_id, customer_key, customer_name,] <dimensions...>, value` */
export function toCsvMeterQueryResult(
  r: MeterQueryResult,
  groupBy: readonly string[],
  customerOf: (id: string) => { key?: string | null; name?: string } | undefined,
): string {
  const withSubject = groupBy.includes('subject');
  const withCustomer = groupBy.includes('customer_id');
  const dims = [...new Set(groupBy.filter((g) => !RESERVED.has(g)))];
  const header = ['from', 'to', ...(withSubject ? ['subject'] : []), ...(withCustomer ? ['customer_id', 'customer_key', 'customer_name'] : []), ...dims, 'value'];
  const lines = [header.join(',')];
  for (const row of r.data) {
    const cust = withCustomer && row.customerId ? customerOf(row.customerId) : undefined;
    lines.push(
      [
        goInstant(row.windowStart),
        goInstant(row.windowEnd),
        ...(withSubject ? [row.subject ?? ''] : []),
        ...(withCustomer ? [row.customerId ?? '', cust?.key ?? '', cust?.name ?? ''] : []),
        ...dims.map((d) => row.groupBy[d] ?? ''),
        row.value,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------- events

/** domain validation messages → v3 `{code, message}` */
function validationCode(message: string): string {
  if (message.startsWith('no meter found')) return 'meter_not_found';
  if (message.startsWith('no customer found')) return 'customer_not_found';
  return 'invalid_event';
}

export function toApiIngestedEvent(e: IngestedEvent): S['MeteringIngestedEvent'] {
  return dropUndefined({
    event: dropUndefined({
      id: e.event.id,
      source: e.event.source,
      specversion: e.event.specversion,
      type: e.event.type,
      subject: e.event.subject,
      time: e.event.time,
      data: e.event.data === undefined ? undefined : (e.event.data as Record<string, unknown> | null),
    }),
    customer: e.customerId ? { id: e.customerId } : undefined,
    ingested_at: e.ingestedAt,
    stored_at: e.storedAt,
    validation_errors: e.validationErrors?.length ? e.validationErrors.map((m) => ({ code: validationCode(m), message: m })) : undefined,
  }) as S['MeteringIngestedEvent'];
}

function toFilterString(c: FilterCondition): FilterString {
  const v = c.value;
  switch (c.op) {
    case FilterOp.eq:
      return { $eq: v as string };
    case FilterOp.neq:
      return { $ne: v as string };
    case FilterOp.oeq:
      return { $in: v as string[] };
    case FilterOp.contains:
      return { $ilike: likeOf(v as string) };
    case FilterOp.ocontains:
      return { $or: (v as string[]).map((x) => ({ $ilike: likeOf(x) })) };
    case FilterOp.gt:
      return { $gt: v as string };
    case FilterOp.gte:
      return { $gte: v as string };
    case FilterOp.lt:
      return { $lt: v as string };
    case FilterOp.lte:
      return { $lte: v as string };
    case FilterOp.exists:
    case FilterOp.nexists:
      // event envelope fields are always present
      return (c.op === FilterOp.exists) === v ? {} : { $in: [] };
  }
}

function toFilterTime(c: FilterCondition): FilterTime {
  const v = c.value as string;
  switch (c.op) {
    case FilterOp.eq:
      return { $gte: v, $lte: v };
    case FilterOp.gt:
      return { $gt: v };
    case FilterOp.gte:
      return { $gte: v };
    case FilterOp.lt:
      return { $lt: v };
    case FilterOp.lte:
      return { $lte: v };
    default:
      throw new AipQueryError(`filter[${c.field}][${c.op}]`, `operator ${c.op} is not supported for date-time fields`, 'enum');
  }
}

const STRING_FIELDS: Record<string, 'id' | 'source' | 'subject' | 'type'> = { id: 'id', source: 'source', subject: 'subject', type: 'type' };

/** AIP conditions on events → the domain's OpenMeter-style event filter. */
export function toEventFilter(conds: FilterCondition[]): EventFilter {
  const f: EventFilter = {};
  const andString = (k: 'id' | 'source' | 'subject' | 'type', x: FilterString) => {
    f[k] = f[k] ? { $and: [f[k]!, x] } : x;
  };
  const andTime = (k: 'time' | 'ingestedAt', x: FilterTime) => {
    f[k] = f[k] ? { $and: [f[k]!, x] } : x;
  };
  for (const c of conds) {
    const sk = STRING_FIELDS[c.field];
    if (sk) andString(sk, toFilterString(c));
    else if (c.field === 'time') andTime('time', toFilterTime(c));
    // the emulator stores an event the instant it ingests it: stored_at = ingested_at
    else if (c.field === 'ingested_at' || c.field === 'stored_at') andTime('ingestedAt', toFilterTime(c));
    else if (c.field === 'customer_id') {
      if (c.op !== FilterOp.eq && c.op !== FilterOp.oeq) {
        throw new AipQueryError(`filter[customer_id][${c.op}]`, `operator ${c.op} is not supported for customer_id by localmeter`, 'enum');
      }
      const ids = Array.isArray(c.value) ? c.value : [c.value as string];
      const prev = f.customerId?.$in;
      f.customerId = { $in: prev ? prev.filter((x) => ids.includes(x)) : ids };
    }
  }
  return f;
}

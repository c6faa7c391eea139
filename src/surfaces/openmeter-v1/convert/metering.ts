import { goInstant } from '../../http/wireTime.ts';
import { D } from '../../../domain/shared/money.ts';
import type { IngestedEvent, Meter, MeterCreateInput, MeterQueryParams, MeterQueryResult, PortalToken, Subject } from '../../../domain/metering/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

export const fromApiMeterCreate = (b: S['MeterCreate']): MeterCreateInput => ({
  key: b.slug,
  name: b.name,
  description: b.description,
  eventType: b.eventType,
  aggregation: b.aggregation as string,
  valueProperty: b.valueProperty,
  groupBy: b.groupBy,
  eventFrom: b.eventFrom,
  metadata: (b.metadata ?? undefined) as Record<string, string> | undefined,
});

export const toApiMeter = (m: Meter): S['Meter'] => ({
  id: m.id,
  slug: m.key,
  name: m.name,
  ...(m.description !== undefined ? { description: m.description } : {}),
  ...(m.metadata ? { metadata: m.metadata } : {}),
  aggregation: m.aggregation as S['Meter']['aggregation'],
  eventType: m.eventType,
  ...(m.eventFrom ? { eventFrom: m.eventFrom } : {}),
  ...(m.valueProperty !== undefined ? { valueProperty: m.valueProperty } : {}),
  // left out when the meter has no dimensions (openmeter/meter/httphandler/mapping.go)
  ...(Object.keys(m.groupBy).length > 0 ? { groupBy: m.groupBy } : {}),
  ...(m.annotations ? { annotations: m.annotations } : {}),
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
  ...(m.deletedAt ? { deletedAt: m.deletedAt } : {}),
});

/** v1 documents `value` as a JSON number: the decimal is converted at the wire, nowhere else. */
export const toApiMeterQueryResult = (r: MeterQueryResult): S['MeterQueryResult'] => ({
  ...(r.from ? { from: r.from } : {}),
  ...(r.to ? { to: r.to } : {}),
  ...(r.windowSize ? { windowSize: r.windowSize as S['MeterQueryResult']['windowSize'] } : {}),
  data: r.data.map((row) => ({
    value: Number(row.value),
    windowStart: row.windowStart,
    windowEnd: row.windowEnd,
    subject: row.subject as string,
    ...(row.customerId ? { customerId: row.customerId } : {}),
    groupBy: row.groupBy as Record<string, string>,
  })),
});

const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);

/** GET query string and POST body carry the same fields. */
export function fromApiMeterQuery(q: Record<string, unknown>): MeterQueryParams {
  const filterGroupBy = q.filterGroupBy as Record<string, string | string[]> | undefined;
  const subject = list(q.subject);
  // `subject: []` filters nothing but still groups by subject (mapping.go checks for nil, not empty)
  if (subject?.length === 0) return { ...fromApiMeterQuery({ ...q, subject: undefined }), groupBy: [...new Set([...(list(q.groupBy) ?? []), 'subject'])] };
  return {
    from: q.from as string | undefined,
    to: q.to as string | undefined,
    windowSize: q.windowSize as string | undefined,
    windowTimeZone: q.windowTimeZone as string | undefined,
    subject: list(q.subject),
    filterCustomerId: list(q.filterCustomerId),
    groupBy: list(q.groupBy),
    filterGroupBy,
    advancedMeterGroupByFilters: q.advancedMeterGroupByFilters as MeterQueryParams['advancedMeterGroupByFilters'],
    // Zuplo's bucket routes reuse this decoder; v1's own document has no such filter
    ...(q.filterSubscription !== undefined ? { filterSubscription: list(q.filterSubscription) } : {}),
  };
}

/** Go's encoding/csv quoting: a comma, quote, CR or LF anywhere, or a leading space, needs quotes. */
const csvCell = (v: string): string => (/[",\r\n]/.test(v) || /^\s/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Go's `%f`: six decimals, never an exponent. */
function goFloat(value: string): string {
  const n = Number(value);
  return Math.abs(n) < 1e21 ? n.toFixed(6) : new D(n).toFixed(6);
}

/**
 * The grouping the real handler ends up with, in its order: the requested `groupBy`, then
 * `subject` when filtering by subject, then `customer_id` when filtering by customer
 * (openmeter/meter/httphandler/mapping.go toQueryParamsFromRequest).
 */
export function effectiveGroupBy(p: MeterQueryParams): string[] {
  const out = [...(p.groupBy ?? [])];
  if (p.subject !== undefined && !out.includes('subject')) out.push('subject');
  if (p.filterCustomerId?.length && !out.includes('customer_id')) out.push('customer_id');
  return out;
}

/**
 * CSV exactly as openmeter/meter/httphandler/query_csv.go writes it: `window_start,window_end`,
 * `subject` when grouped by subject, `subject_display_name` when some listed subject is a known
 * subject entity, the other group keys in the order of the grouping, then `value` as Go `%f`.
 * A `customer_id` group column stays empty: the real row keeps the customer apart from its
 * group values. The header is written even without rows.
 */
export function toCsvMeterQueryResult(r: MeterQueryResult, groupBy: readonly string[], displayNames: ReadonlyMap<string, string | null | undefined>): string {
  const withSubject = groupBy.includes('subject');
  const keys = groupBy.filter((k) => k !== 'subject');
  const withDisplayName = withSubject && displayNames.size > 0;
  const lines = [['window_start', 'window_end', ...(withSubject ? ['subject'] : []), ...(withDisplayName ? ['subject_display_name'] : []), ...keys, 'value']];
  for (const row of r.data) {
    const subject = withSubject ? [row.subject ?? ''] : [];
    const display = withDisplayName && row.subject !== null ? [displayNames.get(row.subject) ?? ''] : [];
    lines.push([goInstant(row.windowStart), goInstant(row.windowEnd), ...subject, ...display, ...keys.map((k) => row.groupBy[k] ?? ''), goFloat(row.value)]);
  }
  return lines.map((l) => l.map(csvCell).join(',')).join('\n') + '\n';
}

export const toApiIngestedEvent = (e: IngestedEvent): S['IngestedEvent'] => ({
  event: {
    id: e.event.id,
    source: e.event.source,
    specversion: e.event.specversion,
    type: e.event.type,
    subject: e.event.subject,
    time: e.event.time,
    // the real handler rebuilds the event with SetData(application/json, …) (meterevent/httphandler/mapping.go)
    ...(e.event.data !== undefined && e.event.data !== null ? { datacontenttype: 'application/json', data: e.event.data as Record<string, never> } : {}),
  },
  ...(e.customerId ? { customerId: e.customerId } : {}),
  ...(e.validationErrors && e.validationErrors.length > 0 ? { validationError: e.validationErrors.join('\n') } : {}),
  ingestedAt: e.ingestedAt,
  storedAt: e.storedAt,
});

export const toApiSubject = (s: Subject): S['Subject'] => s as unknown as S['Subject'];

export const toApiPortalToken = (t: PortalToken): S['PortalToken'] => t as unknown as S['PortalToken'];

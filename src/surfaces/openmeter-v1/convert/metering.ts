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
  groupBy: m.groupBy,
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
  };
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV as OpenMeter serves it: window columns, subject, customer, one column per group, value. */
export function toCsvMeterQueryResult(r: MeterQueryResult, groupByKeys: string[]): string {
  const header = ['window_start', 'window_end', 'subject', 'customer_id', ...groupByKeys, 'value'];
  const lines = [header.join(',')];
  for (const row of r.data) {
    lines.push([row.windowStart, row.windowEnd, row.subject ?? '', row.customerId ?? '', ...groupByKeys.map((k) => row.groupBy[k] ?? ''), row.value].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

export const toApiIngestedEvent = (e: IngestedEvent): S['IngestedEvent'] => ({
  event: {
    id: e.event.id,
    source: e.event.source,
    specversion: e.event.specversion,
    type: e.event.type,
    subject: e.event.subject,
    time: e.event.time,
    ...(e.event.data !== undefined && e.event.data !== null ? { data: e.event.data as Record<string, never> } : {}),
  },
  ...(e.customerId ? { customerId: e.customerId } : {}),
  ...(e.validationErrors && e.validationErrors.length > 0 ? { validationError: e.validationErrors.join('\n') } : {}),
  ingestedAt: e.ingestedAt,
  storedAt: e.storedAt,
});

export const toApiSubject = (s: Subject): S['Subject'] => s as unknown as S['Subject'];

export const toApiPortalToken = (t: PortalToken): S['PortalToken'] => t as unknown as S['PortalToken'];

import type { CloudEventInput, Meter } from '../../../domain/metering/types.ts';
import { validationError } from '../../../domain/shared/errors.ts';
import { noContent, ok, type Handler, type HandlerContext, type Reply } from '../../http/types.ts';
import { applyFilters, pageOf, parseCursorPage, parseFilters, parsePage, parseSort, sortItems, AipQueryError } from '../aip.ts';
import {
  fromApiMeterCreate,
  fromApiMeterQuery,
  fromApiMeterUpdate,
  toApiIngestedEvent,
  toApiMeter,
  toApiMeterQueryResult,
  toCsvMeterQueryResult,
  toEventFilter,
  type ApiMeterQueryRequest,
} from '../convert/metering.ts';

export const wantsCsv = (c: HandlerContext): boolean => (c.request.header('accept') ?? '').toLowerCase().includes('text/csv');

/** every page of a domain list (the AIP filters and sorts apply to the whole collection) */
export function allItems<T>(list: (page: number) => { items: T[]; totalCount: number }): T[] {
  const out: T[] = [];
  for (let page = 1; ; page++) {
    const p = list(page);
    out.push(...p.items);
    if (p.items.length === 0 || out.length >= p.totalCount) return out;
  }
}

const METER_SORT = ['id', 'key', 'name', 'aggregation', 'created_at', 'updated_at'] as const;
const meterField = (m: Meter, f: string): string | undefined =>
  ({ id: m.id, key: m.key, name: m.name, aggregation: m.aggregation.toLowerCase(), created_at: m.createdAt, updated_at: m.updatedAt, event_type: m.eventType })[f];

export const listMeters: Handler = (c) => {
  const filters = parseFilters(c.query.filter, { key: { kind: 'string' }, name: { kind: 'string' } });
  const sort = parseSort(c.query.sort, METER_SORT, [{ field: 'created_at', desc: false }]);
  const page = parsePage(c.query.page);
  const all = c.read((tx) => allItems((n) => c.services.metering.listMeters(tx, { page: n, pageSize: 1000 })));
  const rows = sortItems(applyFilters(all, filters, meterField), sort, meterField, (m) => m.id);
  return ok(pageOf(rows, page, toApiMeter));
};

export const createMeter: Handler = async (c) =>
  ok(toApiMeter(await c.run((tx) => c.services.metering.createMeter(tx, fromApiMeterCreate(c.body as never)))), 201);

export const getMeter: Handler = (c) => ok(toApiMeter(c.read((tx) => c.services.metering.getMeter(tx, c.params.meterId!))));

export const updateMeter: Handler = async (c) =>
  ok(toApiMeter(await c.run((tx) => c.services.metering.updateMeter(tx, c.params.meterId!, fromApiMeterUpdate(c.body as never)))));

export const deleteMeter: Handler = async (c) => {
  await c.run((tx) => c.services.metering.deleteMeter(tx, c.params.meterId!));
  return noContent();
};

export const queryMeter: Handler = (c): Reply => {
  const body = (c.body ?? {}) as ApiMeterQueryRequest;
  const groupBy = body.group_by_dimensions ?? [];
  const { meter, result, csv } = c.read((tx) => {
    const meter = c.services.metering.getMeter(tx, c.params.meterId!);
    const result = c.services.metering.queryMeter(tx, meter.id, fromApiMeterQuery(body));
    // CSV names the customers of its rows
    const customerOf = (id: string) => c.services.customers.findCustomer(tx, id);
    const csv = wantsCsv(c) ? toCsvMeterQueryResult(result, groupBy, groupBy.includes('customer_id') ? customerOf : () => undefined) : undefined;
    return { meter, result, csv };
  });
  if (csv !== undefined) {
    return {
      status: 200,
      body: csv,
      contentType: 'text/csv',
      raw: true,
      headers: { 'Content-Disposition': `attachment; filename="${meter.key}.csv"` },
    };
  }
  return ok(toApiMeterQueryResult(result, groupBy));
};

// ---------------------------------------------------------------------------------- events

const EVENT_FILTERS = {
  id: { kind: 'string' },
  source: { kind: 'string' },
  subject: { kind: 'string' },
  type: { kind: 'string' },
  customer_id: { kind: 'string', ops: ['eq', 'oeq', 'neq'] },
  time: { kind: 'datetime' },
  ingested_at: { kind: 'datetime' },
  stored_at: { kind: 'datetime' },
} as const;

export const listEvents: Handler = (c) => {
  const conds = parseFilters(c.query.filter, EVENT_FILTERS);
  const sort = parseSort(c.query.sort, ['time'], [{ field: 'time', desc: true }]);
  if (sort.length !== 1 || !sort[0]!.desc) throw new AipQueryError('sort', 'events are listed newest first: only "time desc" is supported', 'enum');
  const page = parseCursorPage(c.query.page, { size: 100, maxSize: 1000 });
  const filter = toEventFilter(conds);
  const res = c.read((tx) =>
    c.services.metering.listEventsCursor(tx, {
      limit: page.size,
      ...(page.after ? { cursor: page.after } : {}),
      ...(page.before ? { before: page.before } : {}),
      filter,
    }),
  );
  return ok({
    data: res.items.map(toApiIngestedEvent),
    meta: { page: { size: page.size, next: res.nextCursor ?? null, previous: res.prevCursor ?? null } },
  });
};

/** one event or an array, in three content types; 202 with no body */
export const ingestEvents: Handler = async (c) => {
  const body = c.body;
  const type = (c.request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/cloudevents-batch+json' && !Array.isArray(body)) throw validationError('invalid_event', 'invalid event: a cloudevents batch must be a JSON array');
  if (type === 'application/cloudevents+json' && Array.isArray(body)) throw validationError('invalid_event', 'invalid event: expected a single cloudevent');
  const list = (Array.isArray(body) ? body : [body]) as CloudEventInput[];
  await c.run((tx) => c.services.metering.ingestEvents(tx, list));
  return { status: 202 };
};

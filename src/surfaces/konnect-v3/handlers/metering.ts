import { cloudEventsOf } from '../../http/cloudEvents.ts';
import { CustomersNotFoundError } from '../../../domain/metering/errors.ts';
import type { CloudEventInput, Meter } from '../../../domain/metering/types.ts';
import { DomainError, ErrorKind } from '../../../domain/shared/errors.ts';
import { KonnectBadRequest } from '../errors.ts';
import { ingestInSteps } from '../../http/ingestInSteps.ts';
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
  effectiveGroupBy,
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

/** by id, a deleted meter is found too (with `deleted_at`), as the real adapter does */
export const getMeter: Handler = (c) => ok(toApiMeter(c.read((tx) => c.services.metering.getMeter(tx, c.params.meterId!, { includeDeleted: true }))));

export const updateMeter: Handler = async (c) =>
  ok(toApiMeter(await c.run((tx) => c.services.metering.updateMeter(tx, c.params.meterId!, fromApiMeterUpdate(c.body as never)))));

export const deleteMeter: Handler = async (c) => {
  await c.run((tx) => c.services.metering.deleteMeter(tx, c.params.meterId!));
  return noContent();
};

/**
 * Unknown customer ids are a 404 listing one `customer_not_found` issue per id
 * (api/v3/handlers/meters/query/customers.go, errors.go).
 */
function customerIssues(err: unknown): unknown {
  if (!(err instanceof CustomersNotFoundError)) return err;
  const message = 'customer not found';
  const issues = err.customerIds.map((id) => ({ code: 'customer_not_found', message, field: 'filters.dimensions.customer_id', severity: 'critical' as const, customer_id: id }));
  return new DomainError(ErrorKind.notFound, 'customer_not_found', issues.map(() => message).join('\n'), { issues });
}

export const queryMeter: Handler = (c): Reply => {
  const body = (c.body ?? {}) as ApiMeterQueryRequest;
  const params = fromApiMeterQuery(body);
  const groupBy = effectiveGroupBy(body, params);
  const { meter, result, csv } = c.read((tx) => {
    const meter = c.services.metering.getMeter(tx, c.params.meterId!, { includeDeleted: true });
    let result;
    try {
      result = c.services.metering.queryMeter(tx, meter, params);
    } catch (err) {
      throw customerIssues(err);
    }
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
      headers: { 'Content-Disposition': `attachment; filename=${meter.key}.csv` },
    };
  }
  return ok(toApiMeterQueryResult(result));
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

/** `sort=<field> [asc|desc]` over time, ingested_at or stored_at; a bare field sorts descending (events/convert.go) */
const EVENT_SORT = { time: 'time', ingested_at: 'ingestedAt', stored_at: 'storedAt' } as const;

/**
 * Forward cursor pages only (`page[before]` is a 400), 20 events by default and at most 100;
 * `next` only on a full page, `previous` always null (api/v3/handlers/events/list.go,
 * api/v3/response/cursorpagination.go).
 */
export const listEvents: Handler = (c) => {
  const page = (c.query.page ?? {}) as Record<string, unknown>;
  if (typeof page === 'object' && page.before !== undefined) throw new AipQueryError('page[before]', 'backward pagination is not supported', '');
  const size = parseCursorPage(c.query.page, { size: 20, maxSize: 100 });
  const conds = parseFilters(c.query.filter, EVENT_FILTERS);
  const raw = typeof c.query.sort === 'string' ? c.query.sort : undefined;
  const [spec] = parseSort(raw, Object.keys(EVENT_SORT), [{ field: 'time', desc: true }]);
  const bare = raw !== undefined && raw.trim().split(/\s+/).length === 1;
  const sort = { field: EVENT_SORT[spec!.field as keyof typeof EVENT_SORT], desc: bare || spec!.desc };
  const filter = toEventFilter(conds);
  const res = c.read((tx) => {
    try {
      return c.services.metering.listEventsCursor(tx, { limit: size.size, ...(size.after ? { cursor: size.after } : {}), filter, sort });
    } catch (err) {
      // a cursor the handler cannot decode is its own Konnect 400, before the service runs
      if (err instanceof DomainError && err.code === 'invalid_cursor') throw new AipQueryError('page[after]', err.message, '');
      throw err;
    }
  });
  return ok({
    data: res.items.map(toApiIngestedEvent),
    meta: {
      page: {
        ...(res.firstCursor ? { first: res.firstCursor, last: res.lastCursor } : {}),
        next: res.nextCursor ?? null,
        previous: null,
        size: size.size,
      },
    },
  });
};

/**
 * One event or an array, in three content types; 202 with no body. The real handler decodes
 * the body into CloudEvents itself, so a body of the wrong shape or an invalid event is its own
 * Konnect 400 ("Bad Request", no invalid_parameters: api/v3/handlers/events/ingest.go).
 */
export const ingestEvents: Handler = async (c) => {
  const type = (c.request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const r = cloudEventsOf(c.body, type);
  if ('refusal' in r) throw new KonnectBadRequest(r.refusal);
  const list = r.events as CloudEventInput[];
  try {
    await ingestInSteps(c, list);
  } catch (err) {
    if (err instanceof DomainError && err.code === 'invalid_event') throw new KonnectBadRequest(err.message);
    throw err;
  }
  return { status: 202 };
};

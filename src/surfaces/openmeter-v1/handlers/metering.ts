import type { CloudEventInput, MeterQueryParams, MeterQueryResult } from '../../../domain/metering/types.ts';
import type { UnitOfWork } from '../../../domain/shared/unitOfWork.ts';
import { DomainError, ErrorKind, validationError } from '../../../domain/shared/errors.ts';
import { CLOUDEVENTS_MEDIA_TYPES, cloudEventsOf } from '../../http/cloudEvents.ts';
import { ingestInSteps } from '../../http/ingestInSteps.ts';
import { noContent, ok, type Handler, type HandlerContext, type Reply } from '../../http/types.ts';
import {
  fromApiMeterCreate,
  fromApiMeterQuery,
  toApiIngestedEvent,
  toApiMeter,
  toApiMeterQueryResult,
  toApiPortalToken,
  toApiSubject,
  toCsvMeterQueryResult,
  effectiveGroupBy,
} from '../convert/metering.ts';

const wantsCsv = (c: HandlerContext): boolean => (c.request.header('accept') ?? '').toLowerCase().includes('text/csv');

const meterIdOrSlug = (c: HandlerContext): string => c.params.meterIdOrSlug!;

/** JSON, or CSV named after the meter's key (`filename=<key>.csv`, unquoted, as commonhttp writes it) */
function queryReply(c: HandlerContext, meterKey: string, params: MeterQueryParams, result: MeterQueryResult, displayNames: ReadonlyMap<string, string | null | undefined>): Reply {
  if (!wantsCsv(c)) return ok(toApiMeterQueryResult(result));
  const body = toCsvMeterQueryResult(result, effectiveGroupBy(params), displayNames);
  return { status: 200, body, contentType: 'text/csv', raw: true, headers: { 'Content-Disposition': `attachment; filename=${meterKey}.csv` } };
}

/** display names of the subject entities among the rows' subjects (only the CSV shows them) */
function displayNamesOf(c: HandlerContext, tx: UnitOfWork, result: MeterQueryResult): Map<string, string | null | undefined> {
  if (!wantsCsv(c)) return new Map();
  const keys = new Set(result.data.map((r) => r.subject).filter((s): s is string => s !== null));
  if (keys.size === 0) return new Map();
  return new Map(c.services.metering.listSubjects(tx).filter((s) => keys.has(s.key)).map((s) => [s.key, s.displayName]));
}

const runQuery = (c: HandlerContext, q: Record<string, unknown>): Reply => {
  const params = fromApiMeterQuery(q);
  const { meter, result, names } = c.read((tx) => {
    const m = c.services.metering.getMeter(tx, meterIdOrSlug(c), { includeDeleted: true });
    const result = c.services.metering.queryMeter(tx, m, params);
    return { meter: m, result, names: displayNamesOf(c, tx, result) };
  });
  return queryReply(c, meter.key, params, result, names);
};

/**
 * `POST /api/v1/events` takes one event or an array, in three content types. The real handler
 * switches on the raw header, so `application/json; charset=utf-8` is a 400 there
 * (openmeter/ingest/httpdriver/ingest.go).
 */
function eventsOf(c: HandlerContext): CloudEventInput[] {
  const type = c.request.header('content-type') ?? '';
  if (!CLOUDEVENTS_MEDIA_TYPES.has(type)) throw validationError('invalid_content_type', `invalid content type: ${type}`);
  const r = cloudEventsOf(c.body, type);
  if ('refusal' in r) throw validationError('invalid_event', r.refusal);
  if (r.events.some((e) => e === null || typeof e !== 'object' || Array.isArray(e))) throw validationError('invalid_event', 'invalid event: every event must be a JSON object');
  return r.events as CloudEventInput[];
}

function portalToken(c: HandlerContext): string {
  const auth = c.request.header('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(auth);
  if (!m) throw new DomainError(ErrorKind.unauthorized, 'portal_token_missing', 'a portal token is required (Authorization: Bearer <token>)');
  return m[1]!.trim();
}

/** `page` and `pageSize` are accepted and ignored: the real handler always lists page 1 of at most 1000 (meter.go) */
export const listMeters: Handler = (c) => {
  const q = c.query as { order?: 'ASC' | 'DESC'; orderBy?: 'key' | 'name' | 'aggregation' | 'createdAt' | 'updatedAt'; includeDeleted?: boolean };
  const page = c.read((tx) => c.services.metering.listMeters(tx, { order: q.order, orderBy: q.orderBy, includeDeleted: q.includeDeleted, page: 1, pageSize: 1000 }));
  return ok(page.items.map(toApiMeter));
};

/**
 * 201 as documented, on purpose: the real handler answers 200 (openmeter/meter/httphandler/meter.go
 * sets StatusOK), but the vendor document, our spec cut from it and the response validator say
 * 201, and @openmeter/sdk accepts either (docs/decisions/0008).
 */
/** 200, not the documented 201: the real create encoder answers OK (openmeter/meter/httphandler/meter.go) */
export const createMeter: Handler = async (c) => ok(toApiMeter(await c.run((tx) => c.services.metering.createMeter(tx, fromApiMeterCreate(c.body as never)))), 200);

/** by id, a deleted meter is found too (with `deletedAt`) */
export const getMeter: Handler = (c) => ok(toApiMeter(c.read((tx) => c.services.metering.getMeter(tx, meterIdOrSlug(c), { includeDeleted: true }))));

export const updateMeter: Handler = async (c) =>
  ok(toApiMeter(await c.run((tx) => c.services.metering.updateMeter(tx, meterIdOrSlug(c), c.body as never))));

export const deleteMeter: Handler = async (c) => {
  await c.run((tx) => c.services.metering.deleteMeter(tx, meterIdOrSlug(c)));
  return noContent();
};

export const queryMeter: Handler = (c) => runQuery(c, c.query);
export const queryMeterPost: Handler = (c) => runQuery(c, (c.body ?? {}) as Record<string, unknown>);

export const listMeterGroupByValues: Handler = (c) => {
  const q = c.query as { from?: string; to?: string };
  return ok(c.read((tx) => c.services.metering.listGroupByValues(tx, meterIdOrSlug(c), c.params.groupByKey!, q)));
};

export const listMeterSubjects: Handler = (c) => {
  const q = c.query as { from?: string; to?: string };
  return ok(c.read((tx) => c.services.metering.listMeterSubjects(tx, meterIdOrSlug(c), q)));
};

export const ingestEvents: Handler = async (c) => {
  await ingestInSteps(c, eventsOf(c));
  return noContent();
};

export const listEvents: Handler = (c) => {
  const q = c.query as Record<string, unknown>;
  const customerId = q.customerId === undefined ? undefined : Array.isArray(q.customerId) ? (q.customerId as string[]) : [String(q.customerId)];
  const items = c.read((tx) =>
    c.services.metering.listEvents(tx, {
      from: q.from as string | undefined,
      to: q.to as string | undefined,
      ingestedAtFrom: q.ingestedAtFrom as string | undefined,
      ingestedAtTo: q.ingestedAtTo as string | undefined,
      id: q.id as string | undefined,
      subject: q.subject as string | undefined,
      customerId,
      limit: q.limit as number | undefined,
    }),
  );
  return ok(items.map(toApiIngestedEvent));
};

export const listEventsV2: Handler = (c) => {
  const q = c.query as { cursor?: string; limit?: number; filter?: Record<string, unknown> };
  const page = c.read((tx) => c.services.metering.listEventsCursor(tx, { cursor: q.cursor, limit: q.limit, filter: q.filter as never }));
  return ok({ items: page.items.map(toApiIngestedEvent), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
};

export const listSubjects: Handler = (c) => ok(c.read((tx) => c.services.metering.listSubjects(tx)).map(toApiSubject));
export const upsertSubject: Handler = async (c) => ok((await c.run((tx) => c.services.metering.upsertSubjects(tx, c.body as never))).map(toApiSubject));
export const getSubject: Handler = (c) => ok(toApiSubject(c.read((tx) => c.services.metering.getSubject(tx, c.params.subjectIdOrKey!))));
export const deleteSubject: Handler = async (c) => {
  await c.run((tx) => c.services.metering.deleteSubject(tx, c.params.subjectIdOrKey!));
  return noContent();
};

export const createPortalToken: Handler = async (c) => ok(toApiPortalToken(await c.run((tx) => c.services.metering.createPortalToken(tx, c.body as never))));
export const listPortalTokens: Handler = (c) => {
  const q = c.query as { limit?: number };
  return ok(c.read((tx) => c.services.metering.listPortalTokens(tx, q)).map(toApiPortalToken));
};
export const invalidatePortalTokens: Handler = async (c) => {
  await c.run((tx) => c.services.metering.invalidatePortalTokens(tx, (c.body ?? {}) as never));
  return noContent();
};

export const queryPortalMeter: Handler = (c) => {
  const token = portalToken(c);
  const slug = c.params.meterSlug!;
  const params = fromApiMeterQuery(c.query);
  const { result, names } = c.read((tx) => {
    const result = c.services.metering.queryPortalMeter(tx, token, slug, params);
    return { result, names: displayNamesOf(c, tx, result) };
  });
  // the portal query is always filtered by the token's subject
  return queryReply(c, slug, { ...params, subject: [''] }, result, names);
};

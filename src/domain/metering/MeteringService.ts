import type { Clock } from '../shared/clock.ts';
import { DomainError, ErrorKind, IssueCollector, notFound, conflict, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { isUlid } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { paginate } from '../shared/paging.ts';
import { CustomersNotFoundError, MeteringErrorCode as C } from './errors.ts';
import { matchString, matchTime } from './eventFilter.ts';
import { extractGroupValues, parseEventValue } from './parseEventValue.ts';
import { canonicalInstantMs } from '../shared/canonicalInstant.ts';
import { queryMeterEvents, SUBJECT_GROUP } from './meterQuery.ts';
import type { CustomerAttribution, EventStoreProvider } from './ports.ts';
import {
  MeterAggregation,
  type CloudEventInput,
  type CursorPage,
  type IngestedEvent,
  type ListEventsCursorInput,
  type ListEventsInput,
  type ListMetersInput,
  type Meter,
  type MeterCreateInput,
  type MeterQueryParams,
  type MeterQueryResult,
  type MeterUpdateInput,
  type Page,
  type PortalToken,
  type PortalTokenRecord,
  type StoredEvent,
  type Subject,
  type SubjectUpsertInput,
} from './types.ts';

export interface MeteringServiceDeps {
  clock: Clock;
  ids: IdGenerator;
  events: EventStoreProvider;
  customers: CustomerAttribution;
}

const METERS = 'meters';
const SUBJECTS = 'subjects';
const PORTAL_TOKENS = 'portalTokens';

const KEY_RE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const GROUP_KEY_RE = /^[a-zA-Z_][0-9a-zA-Z_]*$/;
const AGGREGATIONS = new Set<string>(Object.values(MeterAggregation));
/** OpenMeter's default portal token lifetime (portal.tokenExpiration = 1h) */
const PORTAL_TOKEN_TTL_MS = 60 * 60 * 1000;
/** OpenMeter's meterevent.MaximumFromDuration: listing never reaches further back than 32 days */
const LIST_EVENTS_MAX_LOOKBACK_MS = 32 * 24 * 3600_000;
const GROUP_BY_VALUES_DEFAULT_LOOKBACK_MS = 24 * 3600_000;

const unauthorized = (message: string) => new DomainError(ErrorKind.unauthorized, C.portalTokenInvalid, message);

/** Meters, usage events, meter queries, (deprecated) subjects and consumer portal tokens. */
export class MeteringService {
  constructor(private readonly deps: MeteringServiceDeps) {}

  // ---------------------------------------------------------------- meters

  createMeter(tx: UnitOfWork, input: MeterCreateInput): Meter {
    const issues = new IssueCollector();
    const key = input.key;
    if (typeof key !== 'string' || key.length === 0) issues.add('meter_key_required', 'meter key is required', 'key');
    else if (key.length > 64 || !KEY_RE.test(key)) issues.add('meter_key_invalid', `meter key is invalid: ${key}`, 'key');
    if (input.name !== undefined && (typeof input.name !== 'string' || input.name.length < 1 || input.name.length > 256)) {
      issues.add('meter_name_invalid', 'meter name must be between 1 and 256 characters', 'name');
    }
    if (input.description != null && input.description.length > 1024) {
      issues.add('meter_description_invalid', 'meter description must be at most 1024 characters', 'description');
    }
    if (typeof input.eventType !== 'string' || input.eventType.length === 0) {
      issues.add('meter_event_type_required', 'meter event type is required', 'eventType');
    }
    const aggregation = input.aggregation;
    if (!AGGREGATIONS.has(aggregation)) issues.add('meter_aggregation_invalid', `invalid meter aggregation: ${aggregation}`, 'aggregation');
    const valueProperty = input.valueProperty ?? undefined;
    if (aggregation === MeterAggregation.COUNT) {
      if (valueProperty !== undefined && valueProperty !== '') {
        issues.add('meter_value_property_not_allowed', 'meter value property is not allowed when the aggregation is count', 'valueProperty');
      }
    } else if (AGGREGATIONS.has(aggregation)) {
      if (!valueProperty) issues.add('meter_value_property_required', 'meter value property is required', 'valueProperty');
      else if (!valueProperty.startsWith('$')) issues.add('meter_value_property_invalid', 'meter value property must start with $', 'valueProperty');
    }
    const groupBy = input.groupBy ?? {};
    validateGroupBy(issues, groupBy, valueProperty);
    let eventFrom: string | undefined;
    if (input.eventFrom != null) {
      const ms = Date.parse(input.eventFrom);
      if (Number.isNaN(ms)) issues.add('meter_event_from_invalid', 'meter event from must be a date-time', 'eventFrom');
      else eventFrom = new Date(ms).toISOString();
    }
    issues.throwIfAny(C.meterInvalid);

    const meters = tx.collection<Meter>(METERS);
    if (meters.findOne((m) => !m.deletedAt && m.key === key)) {
      throw conflict(C.meterKeyConflict, `meter with the same slug already exists: ${key}`);
    }
    const now = this.deps.clock.now().toISOString();
    const meter: Meter = {
      id: this.deps.ids.next(),
      key,
      name: input.name ?? key,
      ...(input.description != null ? { description: input.description } : {}),
      eventType: input.eventType,
      aggregation: aggregation as MeterAggregation,
      ...(valueProperty && aggregation !== MeterAggregation.COUNT ? { valueProperty } : {}),
      groupBy: { ...groupBy },
      ...(eventFrom ? { eventFrom } : {}),
      ...(input.metadata != null ? { metadata: { ...input.metadata } } : {}),
      ...(input.annotations != null ? { annotations: { ...input.annotations } } : {}),
      createdAt: now,
      updatedAt: now,
    };
    meters.put(meter);
    return meter;
  }

  updateMeter(tx: UnitOfWork, idOrSlug: string, input: MeterUpdateInput): Meter {
    const meter = this.getMeter(tx, idOrSlug);
    const issues = new IssueCollector();
    if (input.name !== undefined && (typeof input.name !== 'string' || input.name.length < 1 || input.name.length > 256)) {
      issues.add('meter_name_invalid', 'meter name must be between 1 and 256 characters', 'name');
    }
    if (input.description != null && input.description.length > 1024) {
      issues.add('meter_description_invalid', 'meter description must be at most 1024 characters', 'description');
    }
    const groupBy = input.groupBy === undefined || input.groupBy === null ? meter.groupBy : input.groupBy;
    validateGroupBy(issues, groupBy, meter.valueProperty);
    // existing dimensions feed stored queries and entitlements: they may be added, not removed or re-pointed
    for (const [k, v] of Object.entries(meter.groupBy)) {
      if (!(k in groupBy)) issues.add('meter_group_by_key_removed', `meter group by key cannot be removed: ${k}`, `groupBy.${k}`);
      else if (groupBy[k] !== v) issues.add('meter_group_by_key_changed', `meter group by key cannot be changed: ${k}`, `groupBy.${k}`);
    }
    issues.throwIfAny(C.meterInvalid);
    const updated: Meter = {
      ...meter,
      ...(input.name !== undefined ? { name: input.name } : {}),
      groupBy: { ...groupBy },
      updatedAt: this.deps.clock.now().toISOString(),
    };
    if (input.description !== undefined) {
      if (input.description === null) delete updated.description;
      else updated.description = input.description;
    }
    if (input.metadata !== undefined) updated.metadata = input.metadata === null ? null : { ...input.metadata };
    tx.collection<Meter>(METERS).put(updated);
    return updated;
  }

  /**
   * By ULID id or by key (v1 slug). A key names the live meter only; with `includeDeleted`, a
   * lookup by id also finds a deleted meter, as the real adapter's `ID(x) OR (key = x AND
   * deleted_at IS NULL)` does (openmeter/meter/adapter/meter.go) for get, query and delete.
   */
  getMeter(tx: UnitOfWork, idOrSlug: string, opts: { includeDeleted?: boolean } = {}): Meter {
    const meters = tx.collection<Meter>(METERS);
    const byId = isUlid(idOrSlug.toUpperCase()) ? meters.get(idOrSlug.toUpperCase()) ?? meters.get(idOrSlug) : undefined;
    const meter = byId && (opts.includeDeleted || !byId.deletedAt) ? byId : meters.findOne((m) => !m.deletedAt && m.key === idOrSlug);
    if (!meter) throw notFound(C.meterNotFound, `meter not found: ${idOrSlug}`);
    return meter;
  }

  /** The live meter with this key and/or id (the catalog's MeterDirectory port). */
  findLiveMeter(tx: UnitOfWork, ref: { key?: string; id?: string }): Meter | undefined {
    return tx.collection<Meter>(METERS).findOne((m) => !m.deletedAt && (ref.key === undefined || m.key === ref.key) && (ref.id === undefined || m.id === ref.id));
  }

  listMeters(tx: UnitOfWork, input: ListMetersInput = {}): Page<Meter> {
    const page = input.page ?? 1;
    const pageSize = input.pageSize ?? 100;
    if (!Number.isInteger(page) || page < 1) throw validationError(C.invalidQueryParameter, 'page must be a positive integer');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      throw validationError(C.invalidQueryParameter, 'pageSize must be between 1 and 1000');
    }
    const orderBy = input.orderBy ?? 'key';
    const dir = input.order === 'DESC' ? -1 : 1;
    const all = tx
      .collection<Meter>(METERS)
      .find((m) => input.includeDeleted === true || !m.deletedAt)
      .sort((a, b) => {
        const av = String(a[orderBy] ?? ''), bv = String(b[orderBy] ?? '');
        return (av < bv ? -1 : av > bv ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * dir;
      });
    return paginate(all, { page, pageSize });
  }

  /** soft delete: the key becomes free for a new meter; deleting a deleted meter (by id) is a no-op */
  deleteMeter(tx: UnitOfWork, idOrSlug: string): void {
    const meter = this.getMeter(tx, idOrSlug, { includeDeleted: true });
    if (meter.deletedAt) return;
    const now = this.deps.clock.now().toISOString();
    tx.collection<Meter>(METERS).put({ ...meter, deletedAt: now, updatedAt: now });
  }

  // ---------------------------------------------------------------- events

  /**
   * The envelope checks of `ingestEvents` alone, for the whole of a batch that is then ingested in
   * several units of work (a large batch must not hold the process for seconds).
   */
  checkEvents(inputs: CloudEventInput[]): void {
    const issues = new IssueCollector();
    this.collectEventIssues(issues, inputs, 0, inputs.length);
    this.throwEventIssues(issues);
  }

  /** The envelope checks of `inputs[from, to)`, collected (a huge batch is checked in steps). */
  collectEventIssues(issues: IssueCollector, inputs: CloudEventInput[], from: number, to: number): void {
    // the field path is spelled only for an event with an issue (not a string per event)
    for (let i = from; i < to; i++) validateCloudEvent(issues, inputs[i]!, inputs.length > 1 ? i : undefined);
  }

  /** The 400 of a batch whose checks (`collectEventIssues`) found anything. */
  throwEventIssues(issues: IssueCollector): void {
    if (!issues.empty) {
      throw validationError(C.eventInvalid, `invalid event: ${issues.issues.map((x) => x.message).join('; ')}`, issues.issues);
    }
  }

  /**
   * Validates CloudEvents 1.0 envelopes, drops duplicates by (source, id) silently, stamps
   * ingestion time and attributes the subject to a customer. All-or-nothing: one malformed
   * event rejects the batch, as the real endpoint's decoder does.
   */
  ingestEvents(tx: UnitOfWork, inputs: CloudEventInput[]): { ingested: StoredEvent[]; duplicates: number } {
    // the envelope checks of checkEvents, keeping each canonical time they read (epoch ms, NaN
    // for any other spelling) so it is not read twice
    const issues = new IssueCollector();
    const sentMs = new Float64Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) sentMs[i] = validateCloudEvent(issues, inputs[i]!, inputs.length > 1 ? i : undefined);
    this.throwEventIssues(issues);
    const store = this.deps.events(tx.namespace);
    const now = this.deps.clock.now();
    const nowIso = now.toISOString();
    const nowMs = now.getTime();
    const customerOf = this.customerResolver(tx);
    const index = store.index;
    let seq = index.nextSeq();
    const ingested: StoredEvent[] = [];
    // each event's time in epoch ms, parsed here once for the index
    const times: number[] = [];
    let duplicates = 0;
    // the claim of the event being built, until it is in `ingested`
    let open: CloudEventInput | undefined;
    try {
      for (let i = 0; i < inputs.length; i++) {
        const e = inputs[i]!;
        const id = e.id as string, source = e.source as string;
        // a duplicate of a stored event or of one earlier in the batch
        if (!index.claim(source, id)) {
          duplicates++;
          continue;
        }
        open = e;
        const subject = e.subject as string;
        let time = nowIso;
        let timeMs = nowMs;
        if (e.time != null && e.time !== '') {
          const sent = e.time as string;
          timeMs = sentMs[i]!;
          if (Number.isNaN(timeMs)) {
            timeMs = Date.parse(sent);
            const iso = new Date(timeMs).toISOString();
            time = iso === sent ? sent : iso;
          } else time = sent;
        }
        ingested.push(
          storedEvent(
            id,
            source,
            typeof e.specversion === 'string' ? e.specversion : '1.0',
            e.type as string,
            subject,
            time,
            e.data === undefined ? null : e.data,
            nowIso,
            customerOf(subject),
            typeof e.subscription === 'string' && e.subscription !== '' ? e.subscription : undefined,
            seq++,
          ),
        );
        times.push(timeMs);
        open = undefined;
      }
    } catch (err) {
      // nothing of the batch is stored: its claims are given back
      for (const e of ingested) index.unclaim(e.source, e.id);
      if (open) index.unclaim(open.source as string, open.id as string);
      throw err;
    }
    if (ingested.length) store.appendClaimed(ingested, times);
    return { ingested, duplicates };
  }

  /**
   * v1 list, newest first by event time (openmeter/meterevent): `from` defaults to now − 32 days
   * + 1 s and may not be older than 32 days (nor may `ingestedAtFrom`); `to` and `ingestedAtTo`
   * are exclusive; `id` is a substring match but `subject` an exact one (the ClickHouse query
   * uses `subject IN (…)` whatever the document says); every `customerId` must name a customer.
   */
  listEvents(tx: UnitOfWork, input: ListEventsInput = {}): IngestedEvent[] {
    const limit = input.limit ?? 100;
    const now = this.deps.clock.now().getTime();
    const oldest = now - LIST_EVENTS_MAX_LOOKBACK_MS;
    const from = input.from !== undefined ? parseTime(input.from, 'from') : oldest + 1000;
    const to = input.to !== undefined ? parseTime(input.to, 'to') : undefined;
    const ingFrom = input.ingestedAtFrom !== undefined ? parseTime(input.ingestedAtFrom, 'ingestedAtFrom') : undefined;
    const ingTo = input.ingestedAtTo !== undefined ? parseTime(input.ingestedAtTo, 'ingestedAtTo') : undefined;
    const problems: string[] = [];
    // the real messages print Go's time format, to the second
    const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    if (oldest > from) problems.push(`from date is too old: ${at(from)}, must be after ${at(oldest)}`);
    if (to !== undefined && to < from) problems.push(`to date is before from date: ${at(to)} < ${at(from)}`);
    if (ingFrom !== undefined && oldest > ingFrom) problems.push(`ingestedAtFrom date is too old, must be after: ${at(ingFrom)}: ${at(oldest)}`);
    if (ingFrom !== undefined && ingTo !== undefined && ingTo < ingFrom) problems.push(`ingestedAtTo date is before ingestedAtFrom date: ${at(ingTo)} < ${at(ingFrom)}`);
    if (!Number.isInteger(limit) || limit < 1) problems.push('limit must be greater than 0');
    else if (limit > 100) problems.push('limit must be less than or equal to 100');
    if (problems.length) throw validationError(C.invalidQueryParameter, `validate input: ${problems.join('\n')}`);
    const customers = input.customerId?.length ? new Set(input.customerId) : undefined;
    if (customers) this.assertCustomersExist(tx, [...customers]);
    const decorate = this.eventDecorator(tx);
    const out: IngestedEvent[] = [];
    const tl = this.deps.events(tx.namespace).index.sortedByTime();
    const hiPos = to !== undefined ? tl.lowerBound(to) : tl.sortedTimes.length;
    const loPos = tl.lowerBound(from);
    for (let p = hiPos - 1; p >= loPos && out.length < limit; p--) {
      const e = tl.events[tl.sortedOrd[p]!]!;
      if (input.id && !e.id.includes(input.id)) continue;
      if (input.subject !== undefined && e.subject !== input.subject) continue;
      const ing = Date.parse(e.ingestedAt);
      if (ingFrom !== undefined && ing < ingFrom) continue;
      if (ingTo !== undefined && ing >= ingTo) continue;
      const item = decorate(e);
      if (customers && !(item.customerId && customers.has(item.customerId))) continue;
      if (input.hasError !== undefined && input.hasError !== Boolean(item.validationErrors?.length)) continue;
      out.push(item);
    }
    return out;
  }

  /**
   * v2 / v3 cursor pages, by event time (default), ingestion or storage time, newest first
   * unless `sort.desc` is false. Cursors are opaque base64 of an item's (sort key, seq);
   * `nextCursor` is set whenever the page is full, as the real adapter does, so the page after
   * the last full one may be empty.
   */
  listEventsCursor(tx: UnitOfWork, input: ListEventsCursorInput = {}): CursorPage<IngestedEvent> {
    const limit = input.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw validationError(C.invalidQueryParameter, 'limit must be between 1 and 1000');
    const after = input.cursor ? decodeCursor(input.cursor) : undefined;
    const f = input.filter ?? {};
    if (f.customerId?.$in?.length) this.assertCustomersExist(tx, f.customerId.$in);
    const desc = input.sort?.desc ?? true;
    const decorate = this.eventDecorator(tx);
    const index = this.deps.events(tx.namespace).index;
    // stored_at equals ingested_at here: the emulator stores an event the instant it accepts it
    const order = input.sort?.field === 'ingestedAt' || input.sort?.field === 'storedAt' ? index.sortedByIngestion() : index.sortedByTime();
    const { events, sortedOrd, sortedTimes } = order;
    const matches = (e: StoredEvent): IngestedEvent | undefined => {
      if (!matchString(e.id, f.id) || !matchString(e.source, f.source) || !matchString(e.subject, f.subject) || !matchString(e.type, f.type)) return undefined;
      if (!matchTime(Date.parse(e.time), f.time) || !matchTime(Date.parse(e.ingestedAt), f.ingestedAt)) return undefined;
      const item = decorate(e);
      if (f.customerId?.$in && !(item.customerId && f.customerId.$in.includes(item.customerId))) return undefined;
      return item;
    };
    const found: Array<{ item: IngestedEvent; cursor: string }> = [];
    const n = sortedTimes.length;
    const step = desc ? -1 : 1;
    let p = desc ? (after ? upperBound(sortedTimes, after.t) : n) - 1 : after ? order.lowerBound(after.t) : 0;
    for (; p >= 0 && p < n && found.length < limit; p += step) {
      const e = events[sortedOrd[p]!]!;
      const t = sortedTimes[p]!;
      if (after && t === after.t && (desc ? e.seq >= after.s : e.seq <= after.s)) continue;
      const item = matches(e);
      if (item) found.push({ item, cursor: encodeCursor(t, e.seq) });
    }
    const first = found[0], last = found[found.length - 1];
    return {
      items: found.map((x) => x.item),
      ...(first && last ? { firstCursor: first.cursor, lastCursor: last.cursor } : {}),
      ...(last && found.length === limit ? { nextCursor: last.cursor } : {}),
    };
  }

  // ---------------------------------------------------------------- queries

  /**
   * A lookup by id finds a deleted meter too (see getMeter). Every `filterCustomerId` must name
   * a customer (deleted ones count when `includeDeletedCustomers`, as the v3 resolver lists
   * them), else a CustomersNotFoundError (404) naming the missing ids.
   */
  queryMeter(tx: UnitOfWork, meterOrIdOrSlug: Meter | string, params: MeterQueryParams = {}): MeterQueryResult {
    // callers that already hold the meter pass it, so it is looked up once per query
    const meter = typeof meterOrIdOrSlug === 'string' ? this.getMeter(tx, meterOrIdOrSlug, { includeDeleted: true }) : meterOrIdOrSlug;
    if (params.filterCustomerId?.length) {
      const missing = this.missingCustomers(tx, params.filterCustomerId, params.includeDeletedCustomers === true);
      if (missing.length) throw new CustomersNotFoundError(missing);
    }
    return queryMeterEvents(meter, params, {
      index: this.deps.events(tx.namespace).index,
      customerOf: this.customerResolver(tx),
    });
  }

  /** distinct values of one dimension (or `subject`) among the meter's events; `from` defaults to now − 24 h */
  listGroupByValues(tx: UnitOfWork, meterIdOrSlug: string, groupByKey: string, input: { from?: string; to?: string; search?: string } = {}): string[] {
    const meter = this.getMeter(tx, meterIdOrSlug);
    if (groupByKey !== SUBJECT_GROUP && !(groupByKey in meter.groupBy)) {
      throw validationError('invalid_group_by', `invalid group by: ${groupByKey}`);
    }
    const from = input.from !== undefined ? parseTime(input.from, 'from') : this.deps.clock.now().getTime() - GROUP_BY_VALUES_DEFAULT_LOOKBACK_MS;
    const to = input.to !== undefined ? parseTime(input.to, 'to') : undefined;
    const values = new Set<string>();
    for (const e of this.meterEvents(tx, meter, from, to, true)) {
      const v = groupByKey === SUBJECT_GROUP ? e.subject : extractGroupValues(e.data, [meter.groupBy[groupByKey]!])[0]!;
      if (input.search && !v.toLowerCase().includes(input.search.toLowerCase())) continue;
      values.add(v);
    }
    return [...values].sort();
  }

  /** distinct subjects that sent events of the meter's type in `[from, to)` */
  listMeterSubjects(tx: UnitOfWork, meterIdOrSlug: string, input: { from?: string; to?: string } = {}): string[] {
    const meter = this.getMeter(tx, meterIdOrSlug);
    const from = input.from !== undefined ? parseTime(input.from, 'from') : undefined;
    const to = input.to !== undefined ? parseTime(input.to, 'to') : undefined;
    const subjects = new Set<string>();
    for (const e of this.meterEvents(tx, meter, from, to, false)) subjects.add(e.subject);
    return [...subjects].sort();
  }

  private *meterEvents(tx: UnitOfWork, meter: Meter, from: number | undefined, to: number | undefined, toInclusive: boolean): Generator<StoredEvent> {
    const b = this.deps.events(tx.namespace).index.bucket(meter.eventType);
    if (!b) return;
    const lower = Math.max(from ?? -Infinity, meter.eventFrom ? Date.parse(meter.eventFrom) : -Infinity);
    const lo = Number.isFinite(lower) ? b.lowerBound(lower) : 0;
    const hi = to === undefined ? b.sortedTimes.length : toInclusive ? upperBound(b.sortedTimes, to) : b.lowerBound(to);
    for (let p = lo; p < hi; p++) yield b.events[b.sortedOrd[p]!]!;
  }

  // ---------------------------------------------------------------- subjects (deprecated in OpenMeter, still served)

  upsertSubjects(tx: UnitOfWork, list: SubjectUpsertInput[]): Subject[] {
    const issues = new IssueCollector();
    list.forEach((s, i) => {
      if (!s || typeof s.key !== 'string' || s.key.length === 0) issues.add('subject_key_required', 'subject key is required', `[${i}].key`);
    });
    issues.throwIfAny(C.subjectInvalid);
    const col = tx.collection<Subject>(SUBJECTS);
    const now = this.deps.clock.now().toISOString();
    return list.map((s) => {
      const existing = col.findOne((x) => !x.deletedAt && x.key === s.key);
      const next: Subject = {
        id: existing?.id ?? this.deps.ids.next(),
        key: s.key,
        displayName: s.displayName !== undefined ? s.displayName : existing?.displayName ?? null,
        metadata: s.metadata !== undefined ? s.metadata : existing?.metadata ?? null,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      const start = s.currentPeriodStart !== undefined ? s.currentPeriodStart : existing?.currentPeriodStart;
      const end = s.currentPeriodEnd !== undefined ? s.currentPeriodEnd : existing?.currentPeriodEnd;
      if (start) next.currentPeriodStart = start;
      if (end) next.currentPeriodEnd = end;
      const stripe = s.stripeCustomerId !== undefined ? s.stripeCustomerId : existing?.stripeCustomerId;
      if (stripe !== undefined) next.stripeCustomerId = stripe;
      col.put(next);
      return next;
    });
  }

  listSubjects(tx: UnitOfWork): Subject[] {
    return tx
      .collection<Subject>(SUBJECTS)
      .find((s) => !s.deletedAt)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  getSubject(tx: UnitOfWork, idOrKey: string): Subject {
    const col = tx.collection<Subject>(SUBJECTS);
    const byId = col.get(idOrKey);
    const s = byId && !byId.deletedAt ? byId : col.findOne((x) => !x.deletedAt && x.key === idOrKey);
    if (!s) throw notFound(C.subjectNotFound, `subject not found: ${idOrKey}`);
    return s;
  }

  deleteSubject(tx: UnitOfWork, idOrKey: string): void {
    const s = this.getSubject(tx, idOrKey);
    const now = this.deps.clock.now().toISOString();
    tx.collection<Subject>(SUBJECTS).put({ ...s, deletedAt: now, updatedAt: now });
  }

  // ---------------------------------------------------------------- consumer portal tokens

  createPortalToken(tx: UnitOfWork, input: { subject: string; allowedMeterSlugs?: string[] | null; expiresAt?: string | null }): PortalToken {
    if (typeof input.subject !== 'string' || input.subject.length === 0) {
      throw validationError('portal_token_subject_required', 'subject is required');
    }
    const now = this.deps.clock.now();
    let expiresAt = new Date(now.getTime() + PORTAL_TOKEN_TTL_MS).toISOString();
    if (input.expiresAt != null) {
      const ms = parseTime(input.expiresAt, 'expiresAt');
      if (ms <= now.getTime()) throw validationError('portal_token_expires_at_invalid', 'expiresAt must be in the future');
      expiresAt = new Date(ms).toISOString();
    }
    const record: PortalTokenRecord = {
      id: this.deps.ids.next(),
      subject: input.subject,
      ...(input.allowedMeterSlugs?.length ? { allowedMeterSlugs: [...input.allowedMeterSlugs] } : {}),
      expiresAt,
      createdAt: now.toISOString(),
      token: `om_portal_${this.deps.ids.next()}.${this.deps.ids.next()}`,
    };
    tx.collection<PortalTokenRecord>(PORTAL_TOKENS).put(record);
    return { ...this.toPortalToken(record), token: record.token };
  }

  /** newest first, without the secret; invalidated tokens are not listed */
  listPortalTokens(tx: UnitOfWork, input: { limit?: number } = {}): PortalToken[] {
    const limit = input.limit ?? 25;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw validationError(C.invalidQueryParameter, 'limit must be between 1 and 100');
    return tx
      .collection<PortalTokenRecord>(PORTAL_TOKENS)
      .find((t) => !t.invalidatedAt)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1))
      .slice(0, limit)
      .map((t) => this.toPortalToken(t));
  }

  invalidatePortalTokens(tx: UnitOfWork, input: { id?: string; subject?: string } = {}): void {
    const col = tx.collection<PortalTokenRecord>(PORTAL_TOKENS);
    const now = this.deps.clock.now().toISOString();
    for (const t of col.find((x) => !x.invalidatedAt)) {
      const hit = input.id === undefined && input.subject === undefined ? true : (input.id !== undefined && t.id === input.id) || (input.subject !== undefined && t.subject === input.subject);
      if (hit) col.put({ ...t, invalidatedAt: now });
    }
  }

  authenticatePortalToken(tx: UnitOfWork, token: string): PortalToken {
    const rec = tx.collection<PortalTokenRecord>(PORTAL_TOKENS).findOne((t) => t.token === token);
    if (!rec || rec.invalidatedAt) throw unauthorized('invalid portal token');
    const pt = this.toPortalToken(rec);
    if (pt.expired) throw unauthorized('portal token expired');
    return pt;
  }

  /** the portal's meter query: the token's subject only, and only allowed meters */
  queryPortalMeter(tx: UnitOfWork, token: string, meterSlug: string, params: MeterQueryParams = {}): MeterQueryResult {
    const pt = this.authenticatePortalToken(tx, token);
    if (pt.allowedMeterSlugs?.length && !pt.allowedMeterSlugs.includes(meterSlug)) {
      throw new DomainError(ErrorKind.forbidden, C.portalTokenMeterForbidden, `meter not allowed for this token: ${meterSlug}`);
    }
    const meter = this.getMeter(tx, meterSlug);
    const { subject: _ignored, ...rest } = params;
    return this.queryMeter(tx, meter, { ...rest, subject: [pt.subject] });
  }

  private toPortalToken(r: PortalTokenRecord): PortalToken {
    return {
      id: r.id,
      subject: r.subject,
      ...(r.allowedMeterSlugs ? { allowedMeterSlugs: [...r.allowedMeterSlugs] } : {}),
      expiresAt: r.expiresAt,
      expired: Date.parse(r.expiresAt) <= this.deps.clock.now().getTime(),
      createdAt: r.createdAt,
    };
  }

  // ---------------------------------------------------------------- helpers

  /** subject key -> customer id, by the customers domain's attribution rule */
  private customerResolver(tx: UnitOfWork): (subject: string) => string | undefined {
    const attribution = this.deps.customers.usageAttribution(tx);
    // one resolver serves one batch or query, over which customers do not change: a subject
    // seen again (a customer's every event) is not looked up again
    const known = new Map<string, string | undefined>();
    return (subject) => {
      if (known.has(subject)) return known.get(subject);
      const id = attribution(subject)?.id;
      known.set(subject, id);
      return id;
    };
  }

  /** event listing: unknown customer ids are a 400 naming them (openmeter/meterevent/adapter/event.go) */
  private assertCustomersExist(tx: UnitOfWork, ids: readonly string[]): void {
    const missing = this.missingCustomers(tx, ids, false);
    if (missing.length) throw validationError(C.customersNotFound, `customers not found in namespace ${tx.namespace}: ${missing.join(', ')}`);
  }

  /** the ids among `ids` that name no customer; the one place metering asks whether a customer exists */
  private missingCustomers(tx: UnitOfWork, ids: readonly string[], includeDeleted: boolean): string[] {
    return [...new Set(ids)].filter((id) => {
      const c = this.deps.customers.findCustomer(tx, id);
      // findCustomer also takes a key; a filter names customers by id only
      return !c || c.id !== id || (!includeDeleted && Boolean(c.deletedAt));
    });
  }

  /** builds the list-events view of a stored event, with validation errors computed now */
  private eventDecorator(tx: UnitOfWork): (e: StoredEvent) => IngestedEvent {
    const byType = new Map<string, Meter[]>();
    for (const m of tx.collection<Meter>(METERS).find((x) => !x.deletedAt)) {
      const l = byType.get(m.eventType) ?? [];
      l.push(m);
      byType.set(m.eventType, l);
    }
    const customerOf = this.customerResolver(tx);
    return (e) => {
      const errors: string[] = [];
      const meters = byType.get(e.type) ?? [];
      if (meters.length === 0) errors.push(`no meter found for event type: ${e.type}`);
      for (const m of meters) {
        const r = parseEventValue(m.aggregation, m.valueProperty, e.data);
        if (!r.ok) errors.push(`invalid event: ${r.error}`);
      }
      const customerId = e.customerId ?? customerOf(e.subject);
      if (!customerId) errors.push(`no customer found for event subject: ${e.subject}`);
      return {
        event: {
          id: e.id,
          source: e.source,
          specversion: e.specversion,
          type: e.type,
          subject: e.subject,
          time: e.time,
          ...(e.data !== null && e.data !== undefined ? { data: e.data } : {}),
        },
        ...(errors.length ? { validationErrors: errors } : {}),
        ingestedAt: e.ingestedAt,
        storedAt: e.storedAt,
        ...(customerId ? { customerId } : {}),
      };
    };
  }
}

function validateGroupBy(issues: IssueCollector, groupBy: Record<string, string>, valueProperty: string | undefined): void {
  if (groupBy === null || typeof groupBy !== 'object' || Array.isArray(groupBy)) {
    issues.add('meter_group_by_invalid', 'meter group by must be an object', 'groupBy');
    return;
  }
  for (const [k, v] of Object.entries(groupBy)) {
    if (!GROUP_KEY_RE.test(k)) issues.add('meter_group_by_key_invalid', `meter group by key is invalid: ${k}`, `groupBy.${k}`);
    if (typeof v !== 'string' || !v.startsWith('$')) {
      issues.add('meter_group_by_value_invalid', `meter group by value must start with $ for key: ${k}`, `groupBy.${k}`);
    } else if (valueProperty !== undefined && v === valueProperty) {
      issues.add('meter_group_by_value_conflict', `meter group by value cannot be the same as value property: ${k}`, `groupBy.${k}`);
    }
  }
}

const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** a non-empty string (the envelope's required attributes) */
const filled = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** the path of an event's field: `[i].field` in a batch of several */
const eventField = (at: number | undefined, field: string): string => (at === undefined ? field : `[${at}].${field}`);

/**
 * `at`: the event's index in a batch of several. Answers the event time's epoch ms when it is in
 * canonical form (`canonicalInstantMs`), else NaN (no time, another spelling, or an issue).
 */
function validateCloudEvent(issues: IssueCollector, e: CloudEventInput, at: number | undefined): number {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) {
    issues.add('invalid_event', 'event must be a JSON object', at === undefined ? undefined : `[${at}]`);
    return NaN;
  }
  if (e.specversion !== undefined && e.specversion !== '1.0') issues.add('invalid_event', `unsupported specversion: ${String(e.specversion)}`, eventField(at, 'specversion'));
  // one named read per field (a loop over the names would read them through a generic keyed load)
  if (!filled(e.id)) issues.add('invalid_event', 'id is required', eventField(at, 'id'));
  if (!filled(e.source)) issues.add('invalid_event', 'source is required', eventField(at, 'source'));
  if (!filled(e.type)) issues.add('invalid_event', 'type is required', eventField(at, 'type'));
  if (!filled(e.subject)) issues.add('invalid_event', 'subject is required', eventField(at, 'subject'));
  let ms = NaN;
  if (e.time != null && e.time !== '' && (typeof e.time !== 'string' || (Number.isNaN((ms = canonicalInstantMs(e.time))) && (!RFC3339_RE.test(e.time) || Number.isNaN(Date.parse(e.time)))))) {
    issues.add('invalid_event', `time must be an RFC 3339 date-time`, eventField(at, 'time'));
  }
  if (e.data !== undefined && e.data !== null && (typeof e.data !== 'object' || Array.isArray(e.data))) {
    issues.add('invalid_event', 'data must be a JSON object', eventField(at, 'data'));
  }
  return ms;
}

/**
 * A stored event, built as one of four fixed object literals (optional fields present or not) in
 * the order the log writes them: no spread of a temporary object per event, and every stored
 * event shares one of four shapes.
 */
function storedEvent(
  id: string,
  source: string,
  specversion: string,
  type: string,
  subject: string,
  time: string,
  data: unknown,
  at: string,
  customerId: string | undefined,
  subscription: string | undefined,
  seq: number,
): StoredEvent {
  if (customerId) {
    return subscription !== undefined
      ? { id, source, specversion, type, subject, time, data, ingestedAt: at, storedAt: at, customerId, subscription, seq }
      : { id, source, specversion, type, subject, time, data, ingestedAt: at, storedAt: at, customerId, seq };
  }
  return subscription !== undefined
    ? { id, source, specversion, type, subject, time, data, ingestedAt: at, storedAt: at, subscription, seq }
    : { id, source, specversion, type, subject, time, data, ingestedAt: at, storedAt: at, seq };
}

function parseTime(v: string, field: string): number {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw validationError(C.invalidQueryParameter, `invalid ${field}: ${v}`);
  return ms;
}

/** first position with value > t */
function upperBound(a: number[], t: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const encodeCursor = (t: number, s: number): string =>
  btoa(JSON.stringify({ t, s })).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function decodeCursor(c: string): { t: number; s: number } {
  try {
    const v = JSON.parse(atob(c.replace(/-/g, '+').replace(/_/g, '/'))) as { t?: unknown; s?: unknown };
    if (typeof v.t === 'number' && typeof v.s === 'number') return { t: v.t, s: v.s };
  } catch {
    // fall through
  }
  throw validationError(C.invalidCursor, 'invalid cursor');
}


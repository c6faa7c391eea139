import { beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '../shared/clock.ts';
import { DomainError } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { MeteringService } from './MeteringService.ts';
import { memoryEventStores } from './testSupport.ts';
import { CustomerService } from '../customers/CustomerService.ts';

const NOW = '2025-03-10T12:00:00.000Z';
let clock: FixedClock;
let svc: MeteringService;
let customers: CustomerService;
let tx: UnitOfWork;
let acmeId: string;

const ce = (id: string, data: unknown, over: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source: 'api',
  type: 'prompt',
  subject: 'alice',
  time: '2025-03-10T10:00:00Z',
  data,
  ...over,
});

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return `${e.kind}:${e.code}`;
    throw e;
  }
  return 'no error';
};

beforeEach(() => {
  clock = new FixedClock(new Date(NOW));
  const ids = new SequentialIds();
  customers = new CustomerService({ clock, ids });
  svc = new MeteringService({ clock, ids, events: memoryEventStores(), customers });
  tx = createMemoryUnitOfWork('ns1');
});

describe('meters', () => {
  it('creates, reads by id or slug, lists, updates and soft-deletes', () => {
    const m = svc.createMeter(tx, { key: 'tokens_total', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens', groupBy: { model: '$.model' } });
    expect(m).toMatchObject({ key: 'tokens_total', name: 'tokens_total', createdAt: NOW, groupBy: { model: '$.model' } });
    expect(svc.getMeter(tx, m.id)).toEqual(m);
    expect(svc.getMeter(tx, 'tokens_total')).toEqual(m);
    const u = svc.updateMeter(tx, 'tokens_total', { name: 'Tokens', groupBy: { model: '$.model', type: '$.type' } });
    expect(u).toMatchObject({ name: 'Tokens', aggregation: 'SUM', groupBy: { model: '$.model', type: '$.type' } });
    expect(codeOf(() => svc.updateMeter(tx, m.id, { groupBy: { type: '$.type' } }))).toBe('validation:meter_group_by_key_removed');
    svc.deleteMeter(tx, m.id);
    expect(codeOf(() => svc.getMeter(tx, m.id))).toBe('notFound:meter_not_found');
    expect(svc.listMeters(tx).totalCount).toBe(0);
    expect(svc.listMeters(tx, { includeDeleted: true }).items[0]!.deletedAt).toBe(NOW);
    // the slug is free again
    expect(svc.createMeter(tx, { key: 'tokens_total', eventType: 'prompt', aggregation: 'COUNT' }).id).not.toBe(m.id);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['bad slug', { key: 'Tokens-Total', eventType: 'p', aggregation: 'COUNT' }, 'meter_key_invalid'],
    ['no event type', { key: 'a', eventType: '', aggregation: 'COUNT' }, 'meter_event_type_required'],
    ['bad aggregation', { key: 'a', eventType: 'p', aggregation: 'MEDIAN' }, 'meter_aggregation_invalid'],
    ['sum without value property', { key: 'a', eventType: 'p', aggregation: 'SUM' }, 'meter_value_property_required'],
    ['count with value property', { key: 'a', eventType: 'p', aggregation: 'COUNT', valueProperty: '$.x' }, 'meter_value_property_not_allowed'],
    ['value property not a path', { key: 'a', eventType: 'p', aggregation: 'SUM', valueProperty: 'x' }, 'meter_value_property_invalid'],
    ['group key', { key: 'a', eventType: 'p', aggregation: 'COUNT', groupBy: { '1x': '$.x' } }, 'meter_group_by_key_invalid'],
    ['group value', { key: 'a', eventType: 'p', aggregation: 'COUNT', groupBy: { x: 'x' } }, 'meter_group_by_value_invalid'],
    ['group = value', { key: 'a', eventType: 'p', aggregation: 'SUM', valueProperty: '$.x', groupBy: { x: '$.x' } }, 'meter_group_by_value_conflict'],
  ];
  it.each(invalid)('rejects %s', (_n, input, code) => {
    expect(codeOf(() => svc.createMeter(tx, input as never))).toBe(`validation:${code}`);
  });

  it('duplicate slug is a conflict', () => {
    svc.createMeter(tx, { key: 'a', eventType: 'p', aggregation: 'COUNT' });
    expect(codeOf(() => svc.createMeter(tx, { key: 'a', eventType: 'q', aggregation: 'COUNT' }))).toBe('conflict:meter_key_conflict');
  });
});

describe('events', () => {
  beforeEach(() => {
    svc.createMeter(tx, { key: 'tokens', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens' });
    acmeId = customers.createCustomer(tx, { key: 'acme', name: 'Acme', usageAttribution: { subjectKeys: ['alice'] } }).id;
  });

  it('rejects malformed payloads as validation errors', () => {
    expect(codeOf(() => svc.ingestEvents(tx, [ce('1', 'a string')]))).toBe('validation:invalid_event');
    expect(codeOf(() => svc.ingestEvents(tx, [{ ...ce('1', {}), subject: undefined }]))).toBe('validation:invalid_event');
    expect(codeOf(() => svc.ingestEvents(tx, [{ ...ce('1', {}), id: '' }]))).toBe('validation:invalid_event');
    expect(codeOf(() => svc.ingestEvents(tx, [ce('1', {}, { time: 'yesterday' })]))).toBe('validation:invalid_event');
  });

  it('dedupes by (source, id), defaults time to now, normalises to UTC, attributes customers', () => {
    const r1 = svc.ingestEvents(tx, [ce('1', { tokens: 1 }, { time: '2025-03-10T11:00:00+02:00' }), ce('1', { tokens: 1 }), ce('1', { tokens: 5 }, { source: 'other', time: undefined, subject: 'acme' })]);
    expect(r1.duplicates).toBe(1);
    expect(r1.ingested.map((e) => [e.time, e.customerId, e.seq])).toEqual([
      ['2025-03-10T09:00:00.000Z', acmeId, 0],
      [NOW, acmeId, 1],
    ]);
    expect(svc.ingestEvents(tx, [ce('1', { tokens: 1 })]).duplicates).toBe(1);
    expect(svc.queryMeter(tx, 'tokens').data.map((d) => d.value)).toEqual(['6']);
  });

  it('lists newest first with computed validation errors', () => {
    svc.ingestEvents(tx, [
      ce('1', { tokens: 1 }, { time: '2025-03-10T09:00:00Z' }),
      ce('2', { tokens: 'lots' }, { time: '2025-03-10T10:00:00Z', subject: 'nobody' }),
      ce('3', {}, { time: '2025-03-10T11:00:00Z', type: 'other' }),
      ce('4', { tokens: 1 }, { time: '2025-02-01T11:00:00Z' }), // older than the 32-day default window
    ]);
    const list = svc.listEvents(tx);
    expect(list.map((e) => [e.event.id, e.validationErrors])).toEqual([
      ['3', ['no meter found for event type: other']],
      ['2', ['invalid event: value cannot be parsed as float64: lots', 'no customer found for event subject: nobody']],
      ['1', undefined],
    ]);
    expect(list[2]!.customerId).toBe(acmeId);
    expect(svc.listEvents(tx, { hasError: false, from: '2025-02-07T00:00:00Z' }).map((e) => e.event.id)).toEqual(['1']);
    expect(codeOf(() => svc.listEvents(tx, { from: '2025-01-01T00:00:00Z' }))).toBe('validation:invalid_query_parameter');
    expect(svc.listEvents(tx, { limit: 1 }).map((e) => e.event.id)).toEqual(['3']);
    // subject is an exact match, id a substring one (streaming/clickhouse/event_query.go)
    expect(svc.listEvents(tx, { subject: 'nob' }).map((e) => e.event.id)).toEqual([]);
    expect(svc.listEvents(tx, { subject: 'nobody' }).map((e) => e.event.id)).toEqual(['2']);
    // `to` is exclusive
    expect(svc.listEvents(tx, { to: '2025-03-10T10:00:00Z' }).map((e) => e.event.id)).toEqual(['1']);
  });

  it('cursor pages walk every event once, newest first', () => {
    const evs = Array.from({ length: 7 }, (_, i) => ce(String(i), { tokens: i }, { time: i < 4 ? '2025-03-10T10:00:00Z' : `2025-03-0${i}T10:00:00Z` }));
    svc.ingestEvents(tx, evs);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = svc.listEventsCursor(tx, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.event.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['3', '2', '1', '0', '6', '5', '4']);
    expect(svc.listEventsCursor(tx, { filter: { id: { $in: ['5', '6'] } } }).items.map((e) => e.event.id)).toEqual(['6', '5']);
    expect(codeOf(() => svc.listEventsCursor(tx, { cursor: 'garbage' }))).toBe('validation:invalid_cursor');
  });

  it('meter subjects and group-by values', () => {
    svc.createMeter(tx, { key: 'by_model', eventType: 'prompt', aggregation: 'COUNT', groupBy: { model: '$.model' } });
    svc.ingestEvents(tx, [ce('1', { model: 'gpt-4' }), ce('2', { model: 'gpt-4o' }, { subject: 'bob' }), ce('3', {}, { subject: 'bob' })]);
    expect(svc.listMeterSubjects(tx, 'by_model')).toEqual(['alice', 'bob']);
    expect(svc.listGroupByValues(tx, 'by_model', 'model')).toEqual(['', 'gpt-4', 'gpt-4o']);
    expect(svc.listGroupByValues(tx, 'by_model', 'model', { search: '4O' })).toEqual(['gpt-4o']);
    expect(codeOf(() => svc.listGroupByValues(tx, 'by_model', 'colour'))).toBe('validation:invalid_group_by');
  });

  it('a duplicate of an earlier event of the batch or of a stored one is dropped; the same id from another source is not', () => {
    const r = svc.ingestEvents(tx, [ce('a', { tokens: 1 }), ce('b', { tokens: 2 }), ce('a', { tokens: 4 }), ce('a', { tokens: 8 }, { source: 'other' })]);
    expect(r.duplicates).toBe(1);
    expect(r.ingested.map((e) => `${e.source}/${e.id}`)).toEqual(['api/a', 'api/b', 'other/a']);
    const again = svc.ingestEvents(tx, [ce('b', { tokens: 16 }), ce('c', { tokens: 32 }), ce('a', { tokens: 64 }, { source: 'other' })]);
    expect(again.duplicates).toBe(2);
    expect(again.ingested.map((e) => [e.id, e.seq])).toEqual([['c', 3]]);
    expect(svc.queryMeter(tx, 'tokens').data.map((d) => d.value)).toEqual(['43']);
  });

  it('a batch that fails part way stores nothing and gives its claims back: the same events ingest afterwards', () => {
    let failOn: string | undefined = 'mallory';
    const failing = new MeteringService({
      clock,
      ids: new SequentialIds(),
      events: memoryEventStores(),
      customers: {
        findCustomer: (t, x) => customers.findCustomer(t, x),
        usageAttribution: (t) => {
          const of = customers.usageAttribution(t);
          return (subject) => {
            if (subject === failOn) throw new Error('attribution failed');
            return of(subject);
          };
        },
      },
    });
    failing.ingestEvents(tx, [ce('0', { tokens: 100 })]);
    const batch = [ce('1', { tokens: 1 }), ce('2', { tokens: 2 }, { source: 'other' }), ce('1', { tokens: 4 }), ce('3', { tokens: 8 }, { subject: 'mallory' })];
    expect(() => failing.ingestEvents(tx, batch)).toThrow('attribution failed');
    expect(failing.queryMeter(tx, 'tokens').data.map((d) => d.value)).toEqual(['100']);
    failOn = undefined;
    const r = failing.ingestEvents(tx, [...batch, ce('0', { tokens: 100 })]);
    expect(r.duplicates).toBe(2);
    expect(r.ingested.map((e) => [e.source, e.id, e.seq])).toEqual([
      ['api', '1', 1],
      ['other', '2', 2],
      ['api', '3', 3],
    ]);
    expect(failing.queryMeter(tx, 'tokens').data.map((d) => d.value)).toEqual(['111']);
  });

  it('a stored event keeps its fields in one order (the event log writes them so), optional ones only when set', () => {
    const r = svc.ingestEvents(tx, [ce('1', { tokens: 1 }), ce('2', { tokens: 1 }, { subject: 'nobody' }), ce('3', undefined, { subscription: 'sub_1' }), ce('4', {}, { subject: 'nobody', subscription: 'sub_2', time: undefined })]);
    const base = ['id', 'source', 'specversion', 'type', 'subject', 'time', 'data', 'ingestedAt', 'storedAt'];
    expect(r.ingested.map((e) => Object.keys(e))).toEqual([
      [...base, 'customerId', 'seq'],
      [...base, 'seq'],
      [...base, 'customerId', 'subscription', 'seq'],
      [...base, 'subscription', 'seq'],
    ]);
    expect(r.ingested[2]!.data).toBeNull();
    expect(r.ingested[3]!.time).toBe(NOW);
  });

  it('namespaces do not see each other', () => {
    svc.ingestEvents(tx, [ce('1', { tokens: 1 })]);
    const other = createMemoryUnitOfWork('ns2');
    svc.createMeter(other, { key: 'tokens', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens' });
    expect(svc.queryMeter(other, 'tokens').data).toEqual([]);
  });
});

describe('subjects', () => {
  it('upserts by key, reads by id or key, deletes', () => {
    const [s] = svc.upsertSubjects(tx, [{ key: 'alice', displayName: 'Alice' }]);
    clock.set(new Date('2025-03-11T00:00:00Z'));
    const [s2] = svc.upsertSubjects(tx, [{ key: 'alice', metadata: { a: 1 } }]);
    expect(s2).toMatchObject({ id: s!.id, displayName: 'Alice', metadata: { a: 1 }, createdAt: NOW, updatedAt: '2025-03-11T00:00:00.000Z' });
    expect(svc.getSubject(tx, s!.id).key).toBe('alice');
    expect(svc.listSubjects(tx)).toHaveLength(1);
    svc.deleteSubject(tx, 'alice');
    expect(codeOf(() => svc.getSubject(tx, 'alice'))).toBe('notFound:subject_not_found');
  });
});

describe('portal tokens', () => {
  it('creates, authenticates, expires, restricts meters and invalidates', () => {
    svc.createMeter(tx, { key: 'tokens', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens' });
    svc.createMeter(tx, { key: 'other', eventType: 'x', aggregation: 'COUNT' });
    svc.ingestEvents(tx, [ce('1', { tokens: 3 }), ce('2', { tokens: 4 }, { subject: 'bob' })]);
    const t = svc.createPortalToken(tx, { subject: 'alice', allowedMeterSlugs: ['tokens'] });
    expect(t).toMatchObject({ subject: 'alice', expired: false, expiresAt: '2025-03-10T13:00:00.000Z' });
    expect(t.token).toMatch(/^om_portal_/);
    expect(svc.listPortalTokens(tx)[0]).not.toHaveProperty('token');
    expect(svc.authenticatePortalToken(tx, t.token!).id).toBe(t.id);
    expect(svc.queryPortalMeter(tx, t.token!, 'tokens', { subject: ['bob'] }).data.map((d) => [d.subject, d.value])).toEqual([['alice', '3']]);
    expect(codeOf(() => svc.queryPortalMeter(tx, t.token!, 'other'))).toBe('forbidden:portal_token_meter_forbidden');
    expect(codeOf(() => svc.authenticatePortalToken(tx, 'nope'))).toBe('unauthorized:portal_token_invalid');
    clock.set(new Date('2025-03-10T13:00:00Z'));
    expect(codeOf(() => svc.authenticatePortalToken(tx, t.token!))).toBe('unauthorized:portal_token_invalid');
    expect(svc.listPortalTokens(tx)[0]!.expired).toBe(true);
    const t2 = svc.createPortalToken(tx, { subject: 'bob' });
    svc.invalidatePortalTokens(tx, { subject: 'bob' });
    expect(codeOf(() => svc.authenticatePortalToken(tx, t2.token!))).toBe('unauthorized:portal_token_invalid');
    expect(svc.listPortalTokens(tx).map((x) => x.subject)).toEqual(['alice']);
  });
});

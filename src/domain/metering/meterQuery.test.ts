import { describe, expect, it } from 'vitest';
import { EventIndex } from './eventIndex.ts';
import { echoInstant, queryMeterEvents } from './meterQuery.ts';
import { parseEventValue } from './parseEventValue.ts';
import { ev, meter } from './testSupport.ts';
import type { Meter, MeterAggregation, MeterQueryParams, StoredEvent } from './types.ts';
import { windowFor } from './timeWindows.ts';

const run = (m: Meter, events: StoredEvent[], params: MeterQueryParams = {}, customers: Record<string, string> = {}) => {
  const index = new EventIndex();
  index.append(events);
  return queryMeterEvents(m, params, { index, customerOf: (s) => customers[s] });
};

describe('aggregations', () => {
  const events = [
    ev('2025-01-01T00:00:00.000Z', { tokens: 10 }),
    ev('2025-01-01T00:05:00.000Z', { tokens: '2.5' }),
    ev('2025-01-01T00:03:00.000Z', { tokens: 0.1 }),
    ev('2025-01-01T00:04:00.000Z', { tokens: 0.2 }),
    ev('2025-01-01T00:01:00.000Z', { tokens: 10 }),
  ];
  const table: [MeterAggregation, string][] = [
    ['SUM', '22.8'], // 10 + 2.5 + 0.1 + 0.2 + 10 (exact, not 22.799999…)
    ['COUNT', '5'],
    ['AVG', '4.56'], // 22.8 / 5
    ['MIN', '0.1'],
    ['MAX', '10'],
    ['UNIQUE_COUNT', '4'], // "10" twice
    ['LATEST', '2.5'], // latest by event time (00:05), not by ingestion
  ];
  it.each(table)('%s', (aggregation, expected) => {
    const m = meter({ aggregation, valueProperty: aggregation === 'COUNT' ? undefined : '$.tokens', groupBy: {} });
    const r = run(m, events, { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' });
    expect(r.data).toEqual([
      { value: expected, windowStart: '2025-01-01T00:00:00.000Z', windowEnd: '2025-01-02T00:00:00.000Z', subject: null, groupBy: {} },
    ]);
  });

  it('AVG divides exactly to high precision', () => {
    const m = meter({ aggregation: 'AVG', groupBy: {} });
    const r = run(m, [ev('2025-01-01T00:00:00.000Z', { tokens: 1 }), ev('2025-01-01T00:00:01.000Z', { tokens: 0 }), ev('2025-01-01T00:00:02.000Z', { tokens: 0 })]);
    expect(r.data[0]!.value).toMatch(/^0\.3333333333333333333333+$/);
  });

  it('SUM stays exact beyond 2^53 and for long decimal strings', () => {
    const m = meter({ groupBy: {} });
    const r = run(m, [
      ev('2025-01-01T00:00:00.000Z', { tokens: 2 ** 52 }),
      ev('2025-01-01T00:00:01.000Z', { tokens: 2 ** 52 }),
      ev('2025-01-01T00:00:02.000Z', { tokens: 3 }),
      ev('2025-01-01T00:00:03.000Z', { tokens: '0.000000000000000000001' }),
    ]);
    expect(r.data[0]!.value).toBe('9007199254740995.000000000000000000001');
  });

  it('MIN/MAX compare exact decimal strings', () => {
    const evs = [ev('2025-01-01T00:00:00.000Z', { tokens: '1.00000000000000000001' }), ev('2025-01-01T00:00:01.000Z', { tokens: 1 })];
    expect(run(meter({ aggregation: 'MAX', groupBy: {} }), evs).data[0]!.value).toBe('1.00000000000000000001');
    expect(run(meter({ aggregation: 'MIN', groupBy: {} }), evs).data[0]!.value).toBe('1');
  });
});

describe('value parsing (OpenMeter meter/parse.go, ingest)', () => {
  const table: [string, MeterAggregation, unknown, string | null][] = [
    ['number', 'SUM', { tokens: 5 }, null],
    ['numeric string', 'SUM', { tokens: '5.5' }, null],
    ['exponent string', 'SUM', { tokens: '1e3' }, null],
    ['null data', 'SUM', null, 'null and missing value property'],
    ['missing', 'SUM', { other: 1 }, 'missing value property: "$.tokens"'],
    ['null value', 'SUM', { tokens: null }, 'value cannot be null'],
    ['text', 'SUM', { tokens: 'abc' }, 'value cannot be parsed as float64: abc'],
    ['empty text', 'AVG', { tokens: '' }, 'value cannot be parsed as float64: '],
    ['bool', 'MAX', { tokens: true }, 'unsupported value property type: bool'],
    ['object', 'MIN', { tokens: { a: 1 } }, 'unsupported value property type: map[string]interface {}'],
    ['NaN text', 'SUM', { tokens: 'NaN' }, 'value cannot be NaN'],
    ['Inf text', 'SUM', { tokens: '-Inf' }, 'value cannot be infinity'],
    ['unique count bool', 'UNIQUE_COUNT', { tokens: true }, null],
    ['unique count null', 'UNIQUE_COUNT', { tokens: null }, 'value cannot be null'],
    ['count ignores data', 'COUNT', null, null],
  ];
  it.each(table)('%s', (_n, agg, data, error) => {
    const r = parseEventValue(agg, agg === 'COUNT' ? undefined : '$.tokens', data);
    if (error === null) expect(r.ok).toBe(true);
    else expect(r).toEqual({ ok: false, error });
  });

  it('invalid events are not aggregated', () => {
    const r = run(meter({ groupBy: {} }), [ev('2025-01-01T00:00:00.000Z', { tokens: 'x' }), ev('2025-01-01T00:00:01.000Z', { tokens: 4 })]);
    expect(r.data.map((d) => d.value)).toEqual(['4']);
  });

  it('nested and bracket paths', () => {
    const r = run(meter({ valueProperty: "$.usage['in'].n", groupBy: { m: '$.models[1]' } }), [ev('2025-01-01T00:00:00.000Z', { usage: { in: { n: 3 } }, models: ['a', 'b'] })], {
      groupBy: ['m'],
    });
    expect(r.data).toMatchObject([{ value: '3', groupBy: { m: 'b' } }]);
  });
});

describe('periods and windows', () => {
  const m = meter({ groupBy: {} });
  it('[from, to) excludes to', () => {
    const r = run(m, [ev('2025-01-01T00:00:00.000Z', { tokens: 1 }), ev('2025-01-02T00:00:00.000Z', { tokens: 100 })], {
      from: '2025-01-01T00:00:00Z',
      to: '2025-01-02T00:00:00Z',
    });
    expect(r.data.map((d) => d.value)).toEqual(['1']);
  });

  it('rejects from == to and from > to', () => {
    expect(() => run(m, [], { from: '2025-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' })).toThrow(/cannot be equal/);
    expect(() => run(m, [], { from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' })).toThrow(/before/);
  });

  it('only non-empty windows, aligned to the grid, sorted', () => {
    const r = run(m, [ev('2025-01-03T10:00:00.000Z', { tokens: 2 }), ev('2025-01-01T23:59:59.000Z', { tokens: 1 }), ev('2025-01-03T00:00:00.000Z', { tokens: 3 })], {
      from: '2025-01-01T12:00:00Z',
      to: '2025-01-05T00:00:00Z',
      windowSize: 'DAY',
    });
    expect(r.data.map((d) => [d.windowStart, d.windowEnd, d.value])).toEqual([
      ['2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z', '1'],
      ['2025-01-03T00:00:00.000Z', '2025-01-04T00:00:00.000Z', '5'],
    ]);
  });

  it('without from/to the period is the events rounded to minutes', () => {
    const r = run(m, [ev('2025-01-01T10:00:30.000Z', { tokens: 1 }), ev('2025-01-01T11:15:10.000Z', { tokens: 1 })]);
    expect(r.data).toMatchObject([{ windowStart: '2025-01-01T10:00:00.000Z', windowEnd: '2025-01-01T11:16:00.000Z', value: '2' }]);
  });

  it('MINUTE and HOUR windows', () => {
    const evs = [ev('2025-01-01T10:00:30.000Z', { tokens: 1 }), ev('2025-01-01T10:00:59.000Z', { tokens: 1 }), ev('2025-01-01T10:59:00.000Z', { tokens: 5 })];
    expect(run(m, evs, { windowSize: 'MINUTE' }).data.map((d) => [d.windowStart, d.value])).toEqual([
      ['2025-01-01T10:00:00.000Z', '2'],
      ['2025-01-01T10:59:00.000Z', '5'],
    ]);
    expect(run(m, evs, { windowSize: 'HOUR' }).data.map((d) => [d.windowStart, d.windowEnd, d.value])).toEqual([['2025-01-01T10:00:00.000Z', '2025-01-01T11:00:00.000Z', '7']]);
  });

  it('MONTH windows in UTC and in a zone', () => {
    const evs = [ev('2025-01-31T23:30:00.000Z', { tokens: 1 }), ev('2025-02-10T00:00:00.000Z', { tokens: 2 }), ev('2025-03-31T22:30:00.000Z', { tokens: 4 })];
    expect(run(m, evs, { windowSize: 'MONTH' }).data.map((d) => [d.windowStart, d.windowEnd, d.value])).toEqual([
      ['2025-01-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z', '1'],
      ['2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z', '2'],
      ['2025-03-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z', '4'],
    ]);
    // Budapest: 01-31T23:30Z is Feb 1 00:30 CET; 03-31T22:30Z is Apr 1 00:30 CEST
    expect(run(m, evs, { windowSize: 'MONTH', windowTimeZone: 'Europe/Budapest' }).data.map((d) => [d.windowStart, d.windowEnd, d.value])).toEqual([
      ['2025-01-31T23:00:00.000Z', '2025-02-28T23:00:00.000Z', '3'],
      ['2025-03-31T22:00:00.000Z', '2025-04-30T22:00:00.000Z', '4'],
    ]);
  });

  const dst: [string, string, string, string, string][] = [
    // zone, event instant, expected start, expected end, comment
    ['Europe/Budapest', '2025-03-30T12:00:00.000Z', '2025-03-29T23:00:00.000Z', '2025-03-30T22:00:00.000Z', '23 h spring-forward day'],
    ['Europe/Budapest', '2025-10-26T12:00:00.000Z', '2025-10-25T22:00:00.000Z', '2025-10-26T23:00:00.000Z', '25 h fall-back day'],
    ['America/New_York', '2025-03-09T12:00:00.000Z', '2025-03-09T05:00:00.000Z', '2025-03-10T04:00:00.000Z', '23 h spring-forward day'],
    ['America/New_York', '2025-11-02T12:00:00.000Z', '2025-11-02T04:00:00.000Z', '2025-11-03T05:00:00.000Z', '25 h fall-back day'],
    ['America/New_York', '2025-03-09T04:30:00.000Z', '2025-03-08T05:00:00.000Z', '2025-03-09T05:00:00.000Z', 'day before'],
  ];
  it.each(dst)('DAY window in %s at %s', (tz, at, start, end) => {
    const r = run(m, [ev(at, { tokens: 1 })], { windowSize: 'DAY', windowTimeZone: tz });
    expect(r.data.map((d) => [d.windowStart, d.windowEnd])).toEqual([[start, end]]);
  });

  it('HOUR windows across the fall-back hour do not overlap', () => {
    const tz = 'Europe/Budapest';
    // 00:30Z = 02:30 CEST, 01:30Z = 02:30 CET
    const a = windowFor(Date.parse('2025-10-26T00:30:00.000Z'), 'HOUR', tz);
    const b = windowFor(Date.parse('2025-10-26T01:30:00.000Z'), 'HOUR', tz);
    expect(a.map((x) => new Date(x).toISOString())).toEqual(['2025-10-26T00:00:00.000Z', '2025-10-26T01:00:00.000Z']);
    expect(b.map((x) => new Date(x).toISOString())).toEqual(['2025-10-26T01:00:00.000Z', '2025-10-26T02:00:00.000Z']);
  });

  it('a month of DAY windows in Budapest around DST', () => {
    const evs: StoredEvent[] = [];
    for (let d = 0; d < 40; d++) evs.push(ev(new Date(Date.parse('2025-03-15T12:00:00.000Z') + d * 86_400_000).toISOString(), { tokens: 1 }));
    const r = run(m, evs, { windowSize: 'DAY', windowTimeZone: 'Europe/Budapest' });
    expect(r.data).toHaveLength(40);
    for (let i = 1; i < r.data.length; i++) expect(r.data[i]!.windowStart).toBe(r.data[i - 1]!.windowEnd);
    expect(r.data.find((d) => d.windowStart === '2025-03-29T23:00:00.000Z')!.windowEnd).toBe('2025-03-30T22:00:00.000Z');
  });

  it('rejects an unknown zone and window size', () => {
    expect(() => run(m, [], { windowSize: 'DAY', windowTimeZone: 'Mars/Olympus' })).toThrow(/invalid time zone/);
    expect(() => run(m, [], { windowSize: 'WEEK' })).toThrow(/invalid window size/);
  });

  it('eventFrom skips older events', () => {
    const r = run(meter({ groupBy: {}, eventFrom: '2025-01-02T00:00:00Z' }), [ev('2025-01-01T00:00:00Z', { tokens: 1 }), ev('2025-01-03T00:00:00Z', { tokens: 2 })]);
    expect(r.data.map((d) => d.value)).toEqual(['2']);
  });
});

describe('grouping and filters', () => {
  const m = meter({ groupBy: { model: '$.model', type: '$.type' } });
  const evs = [
    ev('2025-01-01T00:00:00.000Z', { tokens: 1, model: 'a', type: 'in' }, { subject: 'alice' }),
    ev('2025-01-01T00:01:00.000Z', { tokens: 2, model: 'b', type: 'in' }, { subject: 'bob' }),
    ev('2025-01-01T00:02:00.000Z', { tokens: 4, model: 'a', type: 'out' }, { subject: 'bob' }),
    ev('2025-01-01T00:03:00.000Z', { tokens: 8 }, { subject: 'carol' }),
  ];
  const customers = { alice: 'C1', bob: 'C2' };
  const q = (p: MeterQueryParams) => run(m, evs, { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z', ...p }, customers).data;

  it('groupBy a dimension; missing value reads as ""', () => {
    expect(q({ groupBy: ['model'] }).map((d) => [d.groupBy, d.value])).toEqual([
      [{ model: '' }, '8'],
      [{ model: 'a' }, '5'],
      [{ model: 'b' }, '2'],
    ]);
  });

  it('subject filter implies subject groupBy', () => {
    expect(q({ subject: ['bob', 'alice'] }).map((d) => [d.subject, d.value])).toEqual([
      ['alice', '1'],
      ['bob', '6'],
    ]);
  });

  it('a single subject filters and groups too (v1 mapping.go and v3 query/params.go both add the grouping)', () => {
    expect(q({ subject: ['bob'] }).map((d) => [d.subject, d.value])).toEqual([['bob', '6']]);
  });

  it('echoes from/to as given, offset kept, Go-style (fraction trimmed, zero offset as Z)', () => {
    expect(echoInstant('2025-01-01T01:00:00+01:00', 0)).toBe('2025-01-01T01:00:00+01:00');
    expect(echoInstant('2025-01-01t00:00:00.500z', 0)).toBe('2025-01-01T00:00:00.5Z');
    expect(echoInstant('2025-01-01T00:00:00.000+00:00', 0)).toBe('2025-01-01T00:00:00Z');
  });

  it('filterCustomerId implies customer_id groupBy', () => {
    expect(q({ filterCustomerId: ['C2'] })).toEqual([
      { value: '6', windowStart: '2025-01-01T00:00:00.000Z', windowEnd: '2025-01-02T00:00:00.000Z', subject: null, customerId: 'C2', groupBy: {} },
    ]);
  });

  it('filterGroupBy exact and list, advanced filters', () => {
    expect(q({ filterGroupBy: { model: 'a' } }).map((d) => d.value)).toEqual(['5']);
    expect(q({ filterGroupBy: { model: ['a', 'b'], type: 'in' } }).map((d) => d.value)).toEqual(['3']);
    expect(q({ advancedMeterGroupByFilters: { model: { $ne: 'a' } } }).map((d) => d.value)).toEqual(['10']);
    expect(() => q({ filterGroupBy: { nope: 'x' } })).toThrow(/invalid group by filter: nope/);
  });

  it('invalid group by', () => {
    expect(() => q({ groupBy: ['colour'] })).toThrow('invalid group by: colour');
  });

  it('rows sort by window then group values', () => {
    const rows = run(m, evs, { windowSize: 'MINUTE', groupBy: ['subject', 'type'] }, customers).data;
    expect(rows.map((d) => [d.windowStart.slice(11, 16), d.subject, d.groupBy.type])).toEqual([
      ['00:00', 'alice', 'in'],
      ['00:01', 'bob', 'in'],
      ['00:02', 'bob', 'out'],
      ['00:03', 'carol', ''],
    ]);
  });
});

describe('index', () => {
  it('late events merge into time order and cached columns stay right', () => {
    const index = new EventIndex();
    const m = meter({ groupBy: {} });
    index.append([ev('2025-01-02T00:00:00.000Z', { tokens: 1 }), ev('2025-01-03T00:00:00.000Z', { tokens: 2 })]);
    const ctx = { index, customerOf: () => undefined };
    expect(queryMeterEvents(m, { windowSize: 'DAY' }, ctx).data.map((d) => d.value)).toEqual(['1', '2']);
    index.append([ev('2025-01-01T00:00:00.000Z', { tokens: 4 }), ev('2025-01-02T05:00:00.000Z', { tokens: 8 })]);
    expect(queryMeterEvents(m, { windowSize: 'DAY' }, ctx).data.map((d) => [d.windowStart, d.value])).toEqual([
      ['2025-01-01T00:00:00.000Z', '4'],
      ['2025-01-02T00:00:00.000Z', '9'],
      ['2025-01-03T00:00:00.000Z', '2'],
    ]);
  });
});

describe('filterSubscription (Zuplo: the `subscription` attribute of the gateway\'s events)', () => {
  const events = [
    ev('2025-01-01T00:00:00.000Z', { tokens: 1 }, { subscription: 'sub-a' }),
    ev('2025-01-01T00:01:00.000Z', { tokens: 2 }, { subscription: 'sub-b' }),
    ev('2025-01-01T00:02:00.000Z', { tokens: 4 }),
  ];
  const m = meter({ groupBy: {} });
  it.each([
    [['sub-a'], '1'],
    [['sub-a', 'sub-b'], '3'],
    [[], '7'], // an empty filter filters nothing
  ])('%j → %s, one row not grouped by subject', (filterSubscription, value) => {
    const r = run(m, events, { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z', filterSubscription });
    expect(r.data).toEqual([expect.objectContaining({ value, subject: null })]);
  });
  it('an unknown subscription selects nothing', () => {
    expect(run(m, events, { filterSubscription: ['nope'] }).data).toEqual([]);
  });
});

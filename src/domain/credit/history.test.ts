import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/errors.ts';
import type { CreditEntitlement } from './balance.ts';
import { balanceHistory, type HistoryInput } from './history.ts';
import { at, grant, meter, type GrantSpec, type UsageEvent } from './testSupport.ts';

const M = '2025-01-01T00:00:00Z';
const ent = (over: Partial<CreditEntitlement> = {}): CreditEntitlement => ({
  measureUsageFrom: at(M),
  usagePeriod: { interval: 'P1M', anchor: at(M) },
  isSoftLimit: false,
  preserveOverageAtReset: false,
  ...over,
});

const run = (grants: GrantSpec[], events: UsageEvent[], opts: Partial<HistoryInput> & { to: Date }) =>
  balanceHistory({
    entitlement: ent(),
    grants: grants.map(grant),
    usage: meter(events),
    meterAggregation: 'SUM',
    windowSize: 'HOUR',
    ...opts,
  });

const rows = (h: ReturnType<typeof balanceHistory>) =>
  h.windows.map((w) => [w.from.toISOString().slice(0, 16), w.to.toISOString().slice(0, 16), w.usage.toString(), w.balanceAtStart.toString(), w.overageAtStart.toString()]);

describe('balanceHistory', () => {
  it('zero-fills hourly windows; a grant effective inside a window shows at the next window start', () => {
    const h = run(
      [
        { id: 'g', amount: 100, effectiveAt: M },
        { id: 'h', amount: 50, priority: 2, effectiveAt: '2025-01-01T02:30:00Z' },
      ],
      [
        { time: '2025-01-01T01:15:00Z', value: 10 },
        { time: '2025-01-01T02:45:00Z', value: 20 },
        { time: '2025-01-01T03:10:00Z', value: 5 },
      ],
      { to: at('2025-01-01T04:00:00Z') },
    );
    expect(rows(h)).toEqual([
      ['2025-01-01T00:00', '2025-01-01T01:00', '0', '100', '0'],
      ['2025-01-01T01:00', '2025-01-01T02:00', '10', '100', '0'],
      // h (02:30) not yet visible: 100 - 10 = 90
      ['2025-01-01T02:00', '2025-01-01T03:00', '20', '90', '0'],
      // segment from 02:30 starts at 90 + 50 = 140; minus 20 used 02:30-03:00 = 120
      ['2025-01-01T03:00', '2025-01-01T04:00', '5', '120', '0'],
    ]);
    // default from = start of the current usage period
    expect(h.from.toISOString()).toBe(at(M).toISOString());
    expect(h.segments.map((s) => s.from.toISOString().slice(11, 16))).toEqual(['00:00', '02:30']);
  });

  it('shows overage at window starts and its pay-off by a later grant', () => {
    const h = run(
      [
        { id: 'g', amount: 10, effectiveAt: M },
        { id: 'h', amount: 100, effectiveAt: '2025-01-01T01:30:00Z' },
      ],
      [{ time: '2025-01-01T00:30:00Z', value: 25 }],
      { to: at('2025-01-01T03:00:00Z') },
    );
    expect(rows(h)).toEqual([
      ['2025-01-01T00:00', '2025-01-01T01:00', '25', '10', '0'],
      // 10 - 25: balance 0, overage 15
      ['2025-01-01T01:00', '2025-01-01T02:00', '0', '0', '15'],
      // h arrives 01:30 and pays the 15: 100 - 15 = 85
      ['2025-01-01T02:00', '2025-01-01T03:00', '0', '85', '0'],
    ]);
  });

  it('DAY windows follow the wall clock of windowTimeZone and are clipped to [from, to)', () => {
    const h = run([{ id: 'g', amount: 100, effectiveAt: M }], [{ time: '2025-01-01T23:30:00Z', value: 7 }], {
      windowSize: 'DAY',
      windowTimeZone: 'Europe/Budapest',
      from: at(M),
      to: at('2025-01-03T00:00:00Z'),
    });
    expect(rows(h)).toEqual([
      // Budapest midnight is 23:00Z in January; the first window is clipped at `from`
      ['2025-01-01T00:00', '2025-01-01T23:00', '0', '100', '0'],
      ['2025-01-01T23:00', '2025-01-02T23:00', '7', '100', '0'],
      ['2025-01-02T23:00', '2025-01-03T00:00', '0', '93', '0'],
    ]);
  });

  it('a reset inside the range shows in the next window (v1 grant loses, v2 keeps)', () => {
    const daily = { usagePeriod: { interval: 'P1D', anchor: at(M) } };
    const events = [{ time: '2025-01-01T10:00:00Z', value: 4 }];
    const opts = { entitlement: ent(daily), windowSize: 'DAY' as const, from: at(M), to: at('2025-01-03T00:00:00Z') };
    const v1 = run([{ id: 'g', amount: 10, effectiveAt: M, maxRollover: 0 }], events, opts);
    const v2 = run([{ id: 'g', amount: 10, effectiveAt: M }], events, opts);
    // day 2 start: v1 min(0, 6) = 0; v2 min(10, 10 - 4) = 6
    expect(v1.windows.map((w) => w.balanceAtStart.toString())).toEqual(['10', '0']);
    expect(v2.windows.map((w) => w.balanceAtStart.toString())).toEqual(['10', '6']);
  });

  // `credit/balance.go GetBalanceForPeriod`: the engine restarts from the balance at `from`
  it('cuts the burn-down history at `from`, not at the segment or entitlement start', () => {
    const h = run(
      [{ id: 'g', amount: 100, effectiveAt: M }],
      [
        { time: '2025-01-01T00:30:00Z', value: 10 },
        { time: '2025-01-01T02:30:00Z', value: 5 },
      ],
      { from: at('2025-01-01T02:00:00Z'), to: at('2025-01-01T04:00:00Z') },
    );
    // one grant, no changes: one segment from `from`, starting at 100 − 10 = 90
    expect(h.segments.map((s) => [s.from.toISOString().slice(11, 16), s.to.toISOString().slice(11, 16), s.usage.toString(), s.balanceAtStart.toString(), s.balanceAtEnd.toString()])).toEqual([
      ['02:00', '04:00', '5', '90', '85'], // 90 − 5
    ]);
    expect(rows(h)).toEqual([
      ['2025-01-01T02:00', '2025-01-01T03:00', '5', '90', '0'],
      ['2025-01-01T03:00', '2025-01-01T04:00', '0', '85', '0'],
    ]);
  });

  it('cuts inside a segment: the grant starting later still splits the rest', () => {
    const h = run(
      [
        { id: 'g', amount: 10, effectiveAt: M },
        { id: 'h', amount: 100, effectiveAt: '2025-01-01T03:00:00Z' },
      ],
      [{ time: '2025-01-01T00:30:00Z', value: 25 }],
      { from: at('2025-01-01T01:30:00Z'), to: at('2025-01-01T04:00:00Z') },
    );
    // at 01:30: g 10 − 25 = 0, overage 15; h at 03:00 pays the 15 → 85
    expect(h.segments.map((s) => [s.from.toISOString().slice(11, 16), s.overageAtStart.toString(), s.balanceAtStart.toString(), s.overageAtEnd.toString(), s.balanceAtEnd.toString()])).toEqual([
      ['01:30', '15', '0', '15', '0'],
      ['03:00', '15', '100', '0', '85'],
    ]);
  });

  it('a reset inside the range adds its zero-length rollover segment', () => {
    const daily = { usagePeriod: { interval: 'P1D', anchor: at(M) } };
    const h = run([{ id: 'g', amount: 10, effectiveAt: M }], [{ time: '2025-01-01T10:00:00Z', value: 4 }], {
      entitlement: ent(daily),
      windowSize: 'DAY',
      from: at(M),
      to: at('2025-01-03T00:00:00Z'),
    });
    expect(h.segments.map((s) => [s.from.toISOString().slice(0, 10), s.to.toISOString().slice(0, 10), s.rollover ?? false, s.balanceAtStart.toString()])).toEqual([
      ['2025-01-01', '2025-01-02', false, '10'],
      ['2025-01-02', '2025-01-02', true, '6'], // rollover min(10, 10 − 4) = 6
      ['2025-01-02', '2025-01-03', false, '6'],
      ['2025-01-03', '2025-01-03', true, '6'], // the reset at `to` itself
      ['2025-01-03', '2025-01-03', false, '6'], // and the empty period after it
    ]);
    // windows are unaffected: the rollover segment has no duration
    expect(h.windows.map((w) => w.balanceAtStart.toString())).toEqual(['10', '6']);
  });

  it('from exactly at a reset starts after it: no rollover segment at `from`', () => {
    const daily = { usagePeriod: { interval: 'P1D', anchor: at(M) } };
    const h = run([{ id: 'g', amount: 10, effectiveAt: M, maxRollover: 0 }], [{ time: '2025-01-01T10:00:00Z', value: 4 }], {
      entitlement: ent(daily),
      from: at('2025-01-02T00:00:00Z'),
      to: at('2025-01-02T02:00:00Z'),
    });
    // v1 rollover min(0, 6) = 0 already applied at `from`
    expect(h.segments.map((s) => [s.from.toISOString().slice(0, 16), s.rollover ?? false, s.balanceAtStart.toString()])).toEqual([['2025-01-02T00:00', false, '0']]);
  });

  it.each([
    ['from before measureUsageFrom', { from: at('2024-12-31T23:00:00Z'), to: at('2025-01-01T02:00:00Z') }, 'history_from_before_measure_usage_from'],
    ['from not before to', { from: at('2025-01-01T02:00:00Z'), to: at('2025-01-01T02:00:00Z') }, 'history_range_invalid'],
    ['unknown time zone', { to: at('2025-01-01T02:00:00Z'), windowTimeZone: 'Mars/Olympus' }, 'invalid_time_zone'],
    ['MONTH windows', { to: at('2025-01-01T02:00:00Z'), windowSize: 'MONTH' as never }, 'invalid_window_size'],
  ])('rejects %s', (_n, opts, want) => {
    try {
      run([], [], opts);
      expect.unreachable();
    } catch (e) {
      expect(isDomainError(e) && e.code).toBe(want);
    }
  });
});

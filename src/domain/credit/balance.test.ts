import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/errors.ts';
import { D } from '../shared/money.ts';
import { balanceAt, replay, type CreditEntitlement } from './balance.ts';
import { resetAt } from './reset.ts';
import { at, grant, meter, str, type GrantSpec, type UsageEvent } from './testSupport.ts';

// Monthly usage period anchored on Jan 31 15:00: automatic resets on Feb 28, Mar 31, Apr 30 (15:00).
const M = '2025-01-31T15:00:00Z';
const ent = (over: Partial<CreditEntitlement> = {}): CreditEntitlement => ({
  measureUsageFrom: at(M),
  usagePeriod: { interval: 'P1M', anchor: at(M) },
  isSoftLimit: false,
  preserveOverageAtReset: false,
  ...over,
});

interface Case {
  name: string;
  entitlement?: Partial<CreditEntitlement>;
  grants: GrantSpec[];
  events: UsageEvent[];
  at: string;
  agg?: 'SUM' | 'LATEST';
  want: { balance: string; usage: string; overage: string; total: string; hasAccess: boolean; startOfPeriod?: string };
}

const cases: Case[] = [
  {
    name: 'v1 grant (maxRollover 0): before the Feb 28 reset',
    grants: [{ id: 'g', amount: 100, effectiveAt: M, maxRollover: 0 }],
    events: [{ time: '2025-02-10T00:00:00Z', value: 30 }],
    at: '2025-02-28T14:59:00Z',
    // 100 - 30 = 70; total = 30 burnt + 70 = 100
    want: { balance: '70', usage: '30', overage: '0', total: '100', hasAccess: true, startOfPeriod: M },
  },
  {
    name: 'v1 grant (maxRollover 0) loses everything at the clamped Feb 28 boundary',
    grants: [{ id: 'g', amount: 100, effectiveAt: M, maxRollover: 0 }],
    events: [{ time: '2025-02-10T00:00:00Z', value: 30 }],
    at: '2025-02-28T15:00:00Z',
    // reset: min(0, max(0, 70)) = 0; new period usage 0
    want: { balance: '0', usage: '0', overage: '0', total: '0', hasAccess: false, startOfPeriod: '2025-02-28T15:00:00Z' },
  },
  {
    name: 'v2 grant (maxRollover = amount) keeps its balance across resets',
    grants: [{ id: 'g', amount: 100, effectiveAt: M }],
    events: [
      { time: '2025-02-10T00:00:00Z', value: 30 },
      { time: '2025-03-05T00:00:00Z', value: 10 },
      { time: '2025-04-05T00:00:00Z', value: 5 },
    ],
    at: '2025-04-10T00:00:00Z',
    // Feb 28: min(100, 70) = 70; 70 - 10 = 60; Mar 31 (not Mar 28): min(100, 60) = 60; 60 - 5 = 55
    want: { balance: '55', usage: '5', overage: '0', total: '60', hasAccess: true, startOfPeriod: '2025-03-31T15:00:00Z' },
  },
  {
    name: 'Jan 31 anchor: Mar 28 is not a boundary (usage of March still in one period)',
    grants: [{ id: 'g', amount: 100, effectiveAt: M, maxRollover: 0 }],
    events: [
      { time: '2025-03-01T00:00:00Z', value: 10 },
      { time: '2025-03-30T00:00:00Z', value: 15 },
    ],
    at: '2025-03-31T14:59:00Z',
    // period [Feb 28 15:00, Mar 31 15:00): grant reset to 0 at Feb 28 -> all 25 is overage
    want: { balance: '0', usage: '25', overage: '25', total: '0', hasAccess: false, startOfPeriod: '2025-02-28T15:00:00Z' },
  },
  {
    name: 'query at a sub-minute instant is ceiled: usage in the partial minute counts',
    grants: [{ id: 'g', amount: 100, effectiveAt: M }],
    events: [{ time: '2025-02-10T10:00:30Z', value: 5 }],
    at: '2025-02-10T10:00:30Z',
    // ceiled to 10:01 -> [.., 10:01) includes the 10:00:30 event: 100 - 5 = 95
    want: { balance: '95', usage: '5', overage: '0', total: '100', hasAccess: true },
  },
  {
    name: 'query exactly on the minute does not include that minute',
    grants: [{ id: 'g', amount: 100, effectiveAt: M }],
    events: [{ time: '2025-02-10T10:00:30Z', value: 5 }],
    at: '2025-02-10T10:00:00Z',
    want: { balance: '100', usage: '0', overage: '0', total: '100', hasAccess: true },
  },
  {
    name: 'grant expiring exactly at the reset contributes 0 after it',
    grants: [{ id: 'g', amount: 100, effectiveAt: M, expiresAt: '2025-02-28T15:00:00Z' }],
    events: [{ time: '2025-02-10T00:00:00Z', value: 30 }],
    at: '2025-02-28T15:00:00Z',
    want: { balance: '0', usage: '0', overage: '0', total: '0', hasAccess: false },
  },
  {
    name: 'grant effective exactly at the reset is full right after it (even with maxRollover 0)',
    grants: [{ id: 'g', amount: 50, effectiveAt: '2025-02-28T15:00:00Z', maxRollover: 0 }],
    events: [{ time: '2025-02-10T00:00:00Z', value: 30 }],
    at: '2025-02-28T15:00:00Z',
    // the 30 overage of the old period is discarded, g = 50
    want: { balance: '50', usage: '0', overage: '0', total: '50', hasAccess: true },
  },
  {
    name: 'overage in a period is paid off by a grant effective later in it',
    grants: [
      { id: 'a', amount: 10, effectiveAt: M },
      { id: 'b', amount: 100, effectiveAt: '2025-02-15T00:00:00Z' },
    ],
    events: [
      { time: '2025-02-10T00:00:00Z', value: 25 },
      { time: '2025-02-20T00:00:00Z', value: 5 },
    ],
    at: '2025-02-21T00:00:00Z',
    // a: 10 - 10 = 0, overage 15; b: 100 - (15 + 5) = 80; total = 10 + 20 burnt + 80 = 110
    want: { balance: '80', usage: '30', overage: '0', total: '110', hasAccess: true },
  },
  {
    name: 'overage at the reset is discarded by default',
    grants: [{ id: 'a', amount: 10, effectiveAt: M }],
    events: [
      { time: '2025-02-10T00:00:00Z', value: 25 },
      { time: '2025-03-10T00:00:00Z', value: 4 },
    ],
    at: '2025-03-11T00:00:00Z',
    // Feb: 25 - 10 = 15 overage -> dropped at Feb 28; rollover min(10, 0) = 0; March 4 is all overage
    want: { balance: '0', usage: '4', overage: '4', total: '0', hasAccess: false },
  },
  {
    name: 'issueAfterReset grant (min = max = A) is back to A after each reset',
    grants: [{ id: 'default', amount: 20, effectiveAt: M, maxRollover: 20, minRollover: 20 }],
    events: [
      { time: '2025-02-10T00:00:00Z', value: 35 },
      { time: '2025-03-01T00:00:00Z', value: 3 },
    ],
    at: '2025-03-02T00:00:00Z',
    // Feb: 20 - 20 = 0, overage 15 (discarded); Feb 28: min(20, max(20, 0)) = 20; 20 - 3 = 17
    want: { balance: '17', usage: '3', overage: '0', total: '20', hasAccess: true },
  },
  {
    name: 'preserveOverageAtReset burns the old overage from the rolled-over balance',
    entitlement: { preserveOverageAtReset: true },
    grants: [{ id: 'default', amount: 20, effectiveAt: M, maxRollover: 20, minRollover: 20 }],
    events: [
      { time: '2025-02-10T00:00:00Z', value: 35 },
      { time: '2025-03-01T00:00:00Z', value: 3 },
    ],
    at: '2025-03-02T00:00:00Z',
    // overage 35 - 20 = 15 kept; rollover 20, pays 15 -> 5; March: 5 - 3 = 2
    // total = 15 paid at the reset (grant usage of the new period, engine/reset.go) + 3 burnt + 2 left = 20
    want: { balance: '2', usage: '3', overage: '0', total: '20', hasAccess: true },
  },
  {
    name: 'soft limit keeps access at zero balance',
    entitlement: { isSoftLimit: true },
    grants: [{ id: 'a', amount: 10, effectiveAt: M }],
    events: [{ time: '2025-02-10T00:00:00Z', value: 12 }],
    at: '2025-02-11T00:00:00Z',
    // 10 - 10 = 0, overage 12 - 10 = 2
    want: { balance: '0', usage: '12', overage: '2', total: '10', hasAccess: true },
  },
  {
    name: 'manual lastResetAt (anchor retained) starts a new usage period',
    entitlement: { lastResetAt: at('2025-02-10T12:00:30Z') },
    grants: [{ id: 'g', amount: 100, effectiveAt: M }],
    events: [
      { time: '2025-02-05T00:00:00Z', value: 20 },
      { time: '2025-02-12T00:00:00Z', value: 5 },
    ],
    at: '2025-02-20T00:00:00Z',
    // reset floored to 12:00: min(100, 80) = 80; 80 - 5 = 75; usage since reset 5
    want: { balance: '75', usage: '5', overage: '0', total: '80', hasAccess: true, startOfPeriod: '2025-02-10T12:00:00Z' },
  },
  {
    name: 'LATEST meter: the grant is a limit (amount - latest)',
    agg: 'LATEST',
    grants: [{ id: 'seats', amount: 100, effectiveAt: M }],
    events: [
      { time: '2025-02-02T00:00:00Z', value: 30 },
      { time: '2025-02-03T00:00:00Z', value: 45 },
    ],
    at: '2025-02-04T00:00:00Z',
    // latest = 45 (not 30 + 45): 100 - 45 = 55
    want: { balance: '55', usage: '45', overage: '0', total: '100', hasAccess: true },
  },
  {
    name: 'recurring grant inside a usage period: refilled daily, not rolled over',
    grants: [{ id: 'daily', amount: 10, effectiveAt: '2025-02-01T00:00:00Z', recurrence: { interval: 'P1D' }, maxRollover: 0 }],
    events: [
      { time: '2025-02-01T05:00:00Z', value: 8 },
      { time: '2025-02-02T05:00:00Z', value: 3 },
    ],
    at: '2025-02-02T06:00:00Z',
    // Feb 1: 10 - 8 = 2; Feb 2 refill 10 - 3 = 7; total = 8 + 3 burnt + 7
    want: { balance: '7', usage: '11', overage: '0', total: '18', hasAccess: true },
  },
];

describe('balanceAt', () => {
  it.each(cases)('$name', (c) => {
    const agg = c.agg ?? 'SUM';
    const r = balanceAt({ entitlement: ent(c.entitlement), grants: c.grants.map(grant), at: at(c.at), usage: meter(c.events, agg), meterAggregation: agg });
    expect({
      balance: r.balance.toString(),
      usage: r.usage.toString(),
      overage: r.overage.toString(),
      total: r.totalAvailableGrantAmount.toString(),
      hasAccess: r.hasAccess,
    }).toEqual({ balance: c.want.balance, usage: c.want.usage, overage: c.want.overage, total: c.want.total, hasAccess: c.want.hasAccess });
    if (c.want.startOfPeriod) expect(r.startOfPeriod.toISOString()).toBe(at(c.want.startOfPeriod).toISOString());
  });

  it('reports the ceiled query instant', () => {
    const r = balanceAt({ entitlement: ent(), grants: [], at: at('2025-02-01T00:00:00.001Z'), usage: meter([]), meterAggregation: 'SUM' });
    expect(r.at.toISOString()).toBe('2025-02-01T00:01:00.000Z');
  });

  it('rejects a query before measureUsageFrom', () => {
    try {
      balanceAt({ entitlement: ent(), grants: [], at: at('2025-01-31T14:58:00Z'), usage: meter([]), meterAggregation: 'SUM' });
      expect.unreachable();
    } catch (e) {
      expect(isDomainError(e) && e.code).toBe('balance_before_measure_usage_from');
    }
  });

  it('resuming from the snapshot saved at a manual reset equals replaying from the start', () => {
    const grants = [grant({ id: 'g', amount: 100, effectiveAt: M }), grant({ id: 'h', amount: 30, priority: 2, effectiveAt: '2025-02-15T00:00:00Z', maxRollover: 0 })];
    const usage = meter([
      { time: '2025-02-05T00:00:00Z', value: 20 },
      { time: '2025-02-12T00:00:00Z', value: 90 },
      { time: '2025-02-16T00:00:00Z', value: 20 },
    ]);
    const L = at('2025-02-10T12:00:00Z');
    const before = replay({ entitlement: ent(), grants, until: L, usage, meterAggregation: 'SUM' });
    const saved = resetAt(before.snapshot, grants, L, { preserveOverage: false });
    // 100 - 20 = 80 rolled over (v2)
    expect(str(saved.balances)).toEqual({ g: '80' });
    const query = { entitlement: ent({ lastResetAt: L }), grants, at: at('2025-03-01T00:00:00Z'), usage, meterAggregation: 'SUM' };
    const resumed = balanceAt({ ...query, startingSnapshot: saved });
    const full = balanceAt(query);
    // after reset: g 80 - 90 -> 0, overage 10; h (Feb 15) pays 10 + 20 -> 0; Feb 28 reset: g min(100,0)=0, h max 0 -> 0
    expect([resumed.balance, resumed.overage, full.balance, full.overage].map(String)).toEqual(['0', '0', '0', '0']);
    expect(str(resumed.balances)).toEqual(str(full.balances));
    expect(resumed.startOfPeriod.toISOString()).toBe('2025-02-28T15:00:00.000Z');
  });

  it('applies every automatic reset between the last reset and the query', () => {
    const r = replay({ entitlement: ent(), grants: [], until: at('2025-06-01T00:00:00Z'), usage: meter([]), meterAggregation: 'SUM' });
    expect(r.resets.map((d) => d.toISOString().slice(0, 10))).toEqual(['2025-02-28', '2025-03-31', '2025-04-30', '2025-05-31']);
  });

  it('uses decimals, not floats', () => {
    const r = balanceAt({
      entitlement: ent(),
      grants: [grant({ id: 'g', amount: '0.3', effectiveAt: M })],
      at: at('2025-02-02T00:00:00Z'),
      usage: meter([
        { time: '2025-02-01T00:00:00Z', value: '0.1' },
        { time: '2025-02-01T01:00:00Z', value: '0.2' },
      ]),
      meterAggregation: 'SUM',
    });
    // 0.3 - (0.1 + 0.2) is exactly 0 in decimal (5.55e-17 in float64)
    expect(r.balance.toString()).toBe('0');
    expect(r.overage.toString()).toBe('0');
    expect(r.balance.eq(new D(0))).toBe(true);
  });

  // `credit/engine/run.go`: the segment ending at a reset, then [T, T] rollover, then the new period
  it('puts a zero-length rollover segment into the history at every reset', () => {
    const r = replay({
      entitlement: ent({ preserveOverageAtReset: true }),
      grants: [grant({ id: 'g', amount: 20, effectiveAt: M, minRollover: 20 })],
      until: at('2025-03-10T00:00:00Z'),
      usage: meter([{ time: '2025-02-10T00:00:00Z', value: 35 }]),
      meterAggregation: 'SUM',
    });
    expect(r.segments.map((s) => [s.from.toISOString().slice(0, 10), s.to.toISOString().slice(0, 10), s.usage.toString(), s.rollover ?? false])).toEqual([
      ['2025-01-31', '2025-02-28', '35', false], // 20 − 35: overage 15
      ['2025-02-28', '2025-02-28', '0', true], // rollover max(20, 0) = 20 pays the 15
      ['2025-02-28', '2025-03-10', '0', false],
    ]);
    expect(r.segments[1]!.grantUsages.map((u) => u.usage.toString())).toEqual(['15']);
    expect([r.segments[1]!.balanceAtStart, r.segments[1]!.balanceAtEnd, r.segments[2]!.balanceAtStart].map(String)).toEqual(['20', '5', '5']); // 20 − 15
  });

  it('resuming from a reset snapshot keeps the overage the reset paid as grant usage', () => {
    const grants = [grant({ id: 'g', amount: 20, effectiveAt: M, minRollover: 20 })];
    const usage = meter([
      { time: '2025-02-05T00:00:00Z', value: 26 },
      { time: '2025-02-12T00:00:00Z', value: 4 },
    ]);
    const L = at('2025-02-10T12:00:00Z');
    const before = replay({ entitlement: ent(), grants, until: L, usage, meterAggregation: 'SUM' });
    const saved = resetAt(before.snapshot, grants, L, { preserveOverage: true });
    // 20 − 26: overage 6; rollover max(20, 0) = 20 pays 6 → 14
    expect([saved.grantUsage?.toString(), saved.overage.toString(), str(saved.balances)]).toEqual(['6', '0', { g: '14' }]);
    const query = { entitlement: ent({ lastResetAt: L, preserveOverageAtReset: true }), grants, at: at('2025-02-20T00:00:00Z'), usage, meterAggregation: 'SUM' };
    const resumed = balanceAt({ ...query, startingSnapshot: saved });
    const full = balanceAt(query);
    // 14 − 4 = 10; total = 6 paid at the reset + 4 + 10 = 20
    expect([resumed.balance, resumed.totalAvailableGrantAmount, full.balance, full.totalAvailableGrantAmount].map(String)).toEqual(['10', '20', '10', '20']);
  });

  it('a query exactly at a reset ends with a zero-length phase that burns what the reset left over', () => {
    // the real engine runs the empty period [T, T] after a reset at its `until`
    const r = replay({
      entitlement: ent({ preserveOverageAtReset: true }),
      grants: [grant({ id: 'g', amount: 10, effectiveAt: M, maxRollover: 0 }), grant({ id: 'later', amount: 50, effectiveAt: '2025-02-28T15:00:00Z' })],
      until: at('2025-02-28T15:00:00Z'),
      usage: meter([{ time: '2025-02-10T00:00:00Z', value: 18 }]),
      meterAggregation: 'SUM',
    });
    const tail = r.segments.slice(-2);
    // 10 − 18: overage 8; rollover g min(0, 0) = 0 cannot pay; `later` starts at T and pays 8 in [T, T]
    expect(tail.map((s) => [s.from.toISOString(), s.to.toISOString(), s.rollover ?? false])).toEqual([
      ['2025-02-28T15:00:00.000Z', '2025-02-28T15:00:00.000Z', true],
      ['2025-02-28T15:00:00.000Z', '2025-02-28T15:00:00.000Z', false],
    ]);
    expect(tail[1]!.grantUsages.map((u) => [u.grantId, u.usage.toString()])).toEqual([['later', '8']]);
    expect([str(r.snapshot.balances), r.snapshot.overage.toString()]).toEqual([{ g: '0', later: '42' }, '0']); // 50 − 8
    // the value at that instant shows it (the events at T are not applied a second time)
    const b = balanceAt({
      entitlement: ent({ preserveOverageAtReset: true }),
      grants: [grant({ id: 'g', amount: 10, effectiveAt: M, maxRollover: 0 }), grant({ id: 'later', amount: 50, effectiveAt: '2025-02-28T15:00:00Z' })],
      at: at('2025-02-28T15:00:00Z'),
      usage: meter([{ time: '2025-02-10T00:00:00Z', value: 18 }]),
      meterAggregation: 'SUM',
    });
    // balance 42, overage 0; total = 8 burnt in [T, T] + 42 = 50
    expect([b.balance, b.overage, b.totalAvailableGrantAmount, b.usage].map(String)).toEqual(['42', '0', '50', '0']);
  });
});

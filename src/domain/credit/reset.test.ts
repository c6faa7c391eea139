import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/errors.ts';
import { D } from '../shared/money.ts';
import { rolloverDefaults, validateGrantCreate } from './grantRules.ts';
import { issueAfterResetGrant, resetAt, rolloverAt, validateResetAt, validateVoidAt } from './reset.ts';
import { at, grant, str, type GrantSpec } from './testSupport.ts';
import { expiresAtOf, type GrantExpiration } from './types.ts';

const T = '2025-02-01T00:00:00Z';
const E = '2025-01-01T00:00:00Z';

interface ResetCase {
  name: string;
  grants: GrantSpec[];
  balances: Record<string, number>;
  overage?: number;
  preserveOverage?: boolean;
  want: { balances: Record<string, string>; overage: string };
}

const resetCases: ResetCase[] = [
  {
    name: 'v1 default maxRollover 0 loses everything',
    grants: [{ id: 'v1', amount: 100, effectiveAt: E, maxRollover: 0 }],
    balances: { v1: 60 },
    // min(0, max(0, 60)) = 0
    want: { balances: { v1: '0' }, overage: '0' },
  },
  {
    name: 'v2 default maxRollover = amount keeps the balance',
    grants: [{ id: 'v2', amount: 100, effectiveAt: E }],
    balances: { v2: 60 },
    // min(100, max(0, 60)) = 60
    want: { balances: { v2: '60' }, overage: '0' },
  },
  {
    name: 'minRollover lifts a low balance, maxRollover caps a high one',
    grants: [
      { id: 'lift', amount: 100, effectiveAt: E, minRollover: 80 },
      { id: 'cap', amount: 100, effectiveAt: E, maxRollover: 25 },
    ],
    balances: { lift: 10, cap: 90 },
    // lift: min(100, max(80, 10)) = 80; cap: min(25, max(0, 90)) = 25
    want: { balances: { lift: '80', cap: '25' }, overage: '0' },
  },
  {
    name: 'grant expiring exactly at the reset is dropped; one starting then is left to the next phase',
    grants: [
      { id: 'ends', amount: 100, effectiveAt: E, expiresAt: T },
      { id: 'starts', amount: 100, effectiveAt: T },
      { id: 'voided', amount: 100, effectiveAt: E, voidedAt: '2025-01-15T00:00:00Z' },
    ],
    balances: { ends: 70, voided: 30 },
    want: { balances: {}, overage: '0' },
  },
  {
    name: 'overage discarded without preserveOverage',
    grants: [{ id: 'g', amount: 100, effectiveAt: E }],
    balances: { g: 0 },
    overage: 40,
    want: { balances: { g: '0' }, overage: '0' },
  },
  {
    name: 'preserveOverage burns the overage from rolled-over balances in priority order',
    grants: [
      { id: 'p2', amount: 100, priority: 2, effectiveAt: E },
      { id: 'p1', amount: 100, priority: 1, effectiveAt: E },
    ],
    balances: { p1: 30, p2: 20 },
    overage: 40,
    preserveOverage: true,
    // p1: 30 - 30 = 0; p2: 20 - (40 - 30) = 10; overage 0
    want: { balances: { p1: '0', p2: '10' }, overage: '0' },
  },
  {
    name: 'preserveOverage: what rolled-over balances cannot pay stays overage',
    grants: [
      { id: 'p1', amount: 100, priority: 1, effectiveAt: E },
      { id: 'v1', amount: 100, priority: 2, effectiveAt: E, maxRollover: 0 },
    ],
    balances: { p1: 30, v1: 50 },
    overage: 70,
    preserveOverage: true,
    // rollover p1 30, v1 min(0, 50) = 0; overage 70 - 30 = 40 left
    want: { balances: { p1: '0', v1: '0' }, overage: '40' },
  },
  {
    name: 'preserveOverage skips a grant recurring at the reset (it is refilled right after)',
    grants: [
      { id: 'rec', amount: 10, priority: 1, effectiveAt: E, recurrence: { interval: 'P1M', anchor: E } },
      { id: 'plain', amount: 100, priority: 2, effectiveAt: E },
    ],
    balances: { rec: 4, plain: 5 },
    overage: 7,
    preserveOverage: true,
    // rec recurs at Feb 1 -> not a payer (rollover 4 kept until the refill); plain 5 - 5 = 0; overage 7 - 5 = 2
    want: { balances: { rec: '4', plain: '0' }, overage: '2' },
  },
];

describe('resetAt', () => {
  it.each(resetCases)('$name', (c) => {
    const snap = {
      at: at(T),
      balances: Object.fromEntries(Object.entries(c.balances).map(([k, v]) => [k, new D(v)])),
      overage: new D(c.overage ?? 0),
    };
    const got = resetAt(snap, c.grants.map(grant), at(T), { preserveOverage: c.preserveOverage ?? false });
    expect(str(got.balances)).toEqual(c.want.balances);
    expect(got.overage.toString()).toBe(c.want.overage);
    expect(got.at.toISOString()).toBe(at(T).toISOString());
  });

  it('requires the snapshot to be at the reset minute', () => {
    expect(() => resetAt({ at: at(E), balances: {}, overage: new D(0) }, [], at(T), { preserveOverage: false })).toThrow(RangeError);
  });
});

// `credit/engine/reset.go`: every reset adds a zero-length segment [T, T] to the history
describe('rolloverAt: the zero-length rollover segment', () => {
  const cases: {
    name: string;
    grants: GrantSpec[];
    balances: Record<string, number>;
    overage?: number;
    preserveOverage?: boolean;
    want: { atStart: Record<string, string>; usages: [string, string][]; overageAtStart: string; overageAtEnd: string; balanceAtStart: string; balanceAtEnd: string; grantUsage?: string };
  }[] = [
    {
      name: 'no overage: the segment only shows the rolled-over balances',
      grants: [{ id: 'v2', amount: 100, effectiveAt: E }, { id: 'v1', amount: 100, effectiveAt: E, maxRollover: 0 }],
      balances: { v2: 60, v1: 60 },
      // v2 min(100, 60) = 60; v1 min(0, 60) = 0; Σ 60
      want: { atStart: { v2: '60', v1: '0' }, usages: [], overageAtStart: '0', overageAtEnd: '0', balanceAtStart: '60', balanceAtEnd: '60' },
    },
    {
      name: 'preserved overage paid at the reset is the segment\'s grant usage',
      grants: [{ id: 'p2', amount: 100, priority: 2, effectiveAt: E }, { id: 'p1', amount: 100, priority: 1, effectiveAt: E, minRollover: 30 }],
      balances: { p1: 0, p2: 20 },
      overage: 40,
      preserveOverage: true,
      // rollover p1 max(30, 0) = 30, p2 20: Σ 50; p1 pays 30, p2 pays 10; 50 − 40 = 10 left
      want: { atStart: { p1: '30', p2: '20' }, usages: [['p1', '30'], ['p2', '10']], overageAtStart: '40', overageAtEnd: '0', balanceAtStart: '50', balanceAtEnd: '10', grantUsage: '40' },
    },
    {
      name: 'overage the rolled-over balances cannot pay stays on the segment',
      grants: [{ id: 'g', amount: 100, effectiveAt: E, minRollover: 5 }],
      balances: { g: 0 },
      overage: 12,
      preserveOverage: true,
      // rollover max(5, 0) = 5 pays 5; 12 − 5 = 7 overage left
      want: { atStart: { g: '5' }, usages: [['g', '5']], overageAtStart: '12', overageAtEnd: '7', balanceAtStart: '5', balanceAtEnd: '0', grantUsage: '5' },
    },
    {
      name: 'overage not preserved: the segment starts without it',
      grants: [{ id: 'g', amount: 100, effectiveAt: E, minRollover: 5 }],
      balances: { g: 0 },
      overage: 12,
      want: { atStart: { g: '5' }, usages: [], overageAtStart: '0', overageAtEnd: '0', balanceAtStart: '5', balanceAtEnd: '5' },
    },
    {
      name: 'a grant that stops at T keeps its ending balance on the segment (the real map keeps it), not in the snapshot',
      grants: [{ id: 'ends', amount: 100, effectiveAt: E, expiresAt: T }, { id: 'g', amount: 10, effectiveAt: E }],
      balances: { ends: 70, g: 4 },
      // segment Σ 70 + 4 = 74; the next period only has g 4
      want: { atStart: { ends: '70', g: '4' }, usages: [], overageAtStart: '0', overageAtEnd: '0', balanceAtStart: '74', balanceAtEnd: '74' },
    },
  ];
  it.each(cases)('$name', (c) => {
    const snap = { at: at(T), balances: Object.fromEntries(Object.entries(c.balances).map(([k, v]) => [k, new D(v)])), overage: new D(c.overage ?? 0) };
    const { snapshot, segment } = rolloverAt(snap, c.grants.map(grant), at(T), { preserveOverage: c.preserveOverage ?? false });
    expect(segment.rollover).toBe(true);
    expect([segment.from.toISOString(), segment.to.toISOString(), segment.usage.toString()]).toEqual([at(T).toISOString(), at(T).toISOString(), '0']);
    expect(str(segment.balancesAtStart)).toEqual(c.want.atStart);
    expect(segment.grantUsages.map((u) => [u.grantId, u.usage.toString()])).toEqual(c.want.usages);
    expect([segment.overageAtStart, segment.overageAtEnd, segment.balanceAtStart, segment.balanceAtEnd].map(String)).toEqual([
      c.want.overageAtStart,
      c.want.overageAtEnd,
      c.want.balanceAtStart,
      c.want.balanceAtEnd,
    ]);
    expect(snapshot.grantUsage?.toString()).toBe(c.want.grantUsage);
    expect(snapshot.overage.toString()).toBe(c.want.overageAtEnd);
    expect(snapshot.balances).not.toHaveProperty('ends');
  });
});

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw e;
  }
  return 'no error';
};

describe('reset / void / grant validation', () => {
  const now = at('2025-01-20T12:00:00Z');
  const currentPeriodStart = at('2025-01-10T00:00:00Z');
  it.each([
    ['in the future', { at: at('2025-01-20T12:01:00Z'), now, currentPeriodStart }, 'reset_in_future'],
    ['before the current period start', { at: at('2025-01-09T23:59:00Z'), now, currentPeriodStart }, 'reset_before_current_period_start'],
    ['same minute as last reset', { at: at('2025-01-15T10:00:59Z'), now, currentPeriodStart, lastResetAt: at('2025-01-15T10:00:00Z') }, 'reset_same_minute_as_last_reset'],
    ['before the last reset', { at: at('2025-01-15T09:00:00Z'), now, currentPeriodStart, lastResetAt: at('2025-01-15T10:00:00Z') }, 'reset_before_last_reset'],
  ])('reset %s is rejected', (_n, input, want) => {
    expect(code(() => validateResetAt(input))).toBe(want);
  });

  it('a valid reset is floored to the minute (12:00:30 on a 12:00:45 clock is not "future")', () => {
    expect(validateResetAt({ at: at('2025-01-20T12:00:30Z'), now: at('2025-01-20T12:00:45Z'), currentPeriodStart }).toISOString()).toBe('2025-01-20T12:00:00.000Z');
  });

  it.each([
    ['in the future', { grant: { id: 'g' }, at: at('2025-01-21T00:00:00Z'), now, currentPeriodStart }, 'grant_void_in_future'],
    ['before the current period start', { grant: { id: 'g' }, at: at('2025-01-01T00:00:00Z'), now, currentPeriodStart }, 'grant_void_before_current_period_start'],
    ['already voided', { grant: { id: 'g', voidedAt: at('2025-01-11T00:00:00Z') }, at: now, now, currentPeriodStart }, 'grant_already_voided'],
  ])('void %s is rejected', (_n, input, want) => {
    expect(code(() => validateVoidAt(input))).toBe(want);
  });

  it.each([
    ['negative amount', { amount: new D(-1), effectiveAt: currentPeriodStart }, 'grant_amount_negative'],
    ['priority 0', { amount: new D(1), priority: 0, effectiveAt: currentPeriodStart }, 'grant_priority_out_of_range'],
    ['priority 256', { amount: new D(1), priority: 256, effectiveAt: currentPeriodStart }, 'grant_priority_out_of_range'],
    ['effectiveAt before the period', { amount: new D(1), effectiveAt: at('2025-01-09T23:59:59Z') }, 'grant_effective_at_before_current_period_start'],
    ['bad recurrence', { amount: new D(1), effectiveAt: currentPeriodStart, recurrence: { interval: 'P0D' } }, 'grant_recurrence_invalid'],
  ])('grant with %s is rejected', (_n, input, want) => {
    expect(code(() => validateGrantCreate(input, { currentPeriodStart }))).toBe(want);
  });

  it('reports every grant violation at once and floors effectiveAt otherwise', () => {
    try {
      validateGrantCreate({ amount: new D(-1), priority: 300, effectiveAt: at('2025-01-01T00:00:00Z') }, { currentPeriodStart });
      expect.unreachable();
    } catch (e) {
      expect(isDomainError(e) && e.issues.map((i) => i.code)).toEqual(['grant_amount_negative', 'grant_priority_out_of_range', 'grant_effective_at_before_current_period_start']);
    }
    expect(validateGrantCreate({ amount: new D(0), priority: 255, effectiveAt: at('2025-01-10T00:00:59Z') }, { currentPeriodStart }).toISOString()).toBe('2025-01-10T00:00:00.000Z');
  });

  it('rollover defaults: v1 max 0, v2 max = amount, min 0; explicit values win', () => {
    const v1 = rolloverDefaults('v1', new D(100));
    const v2 = rolloverDefaults('v2', new D(100));
    const given = rolloverDefaults('v1', new D(100), { max: new D(7), min: new D(3) });
    expect([v1.max, v1.min, v2.max, v2.min, given.max, given.min].map(String)).toEqual(['0', '0', '100', '0', '7', '3']);
  });
});

describe('issueAfterResetGrant', () => {
  it('is effective at the first period start, min = max rollover = A, priority 1, no expiry', () => {
    const g = issueAfterResetGrant({ measureUsageFrom: at('2025-01-01T00:00:30Z'), issueAfterReset: new D(25) }, { id: 'def', createdAt: at(E) })!;
    expect({ ...g, amount: g.amount.toString(), maxRolloverAmount: g.maxRolloverAmount.toString(), minRolloverAmount: g.minRolloverAmount.toString() }).toEqual({
      id: 'def',
      createdAt: at(E),
      amount: '25',
      priority: 1,
      effectiveAt: at('2025-01-01T00:00:00Z'),
      maxRolloverAmount: '25',
      minRolloverAmount: '25',
    });
  });

  it('honours issueAfterResetPriority and is absent for 0 / missing', () => {
    expect(issueAfterResetGrant({ measureUsageFrom: at(E), issueAfterReset: new D(5), issueAfterResetPriority: 7 }, { id: 'x', createdAt: at(E) })?.priority).toBe(7);
    expect(issueAfterResetGrant({ measureUsageFrom: at(E), issueAfterReset: new D(0) }, { id: 'x', createdAt: at(E) })).toBeUndefined();
    expect(issueAfterResetGrant({ measureUsageFrom: at(E) }, { id: 'x', createdAt: at(E) })).toBeUndefined();
  });
});

describe('expiresAtOf (Go AddDate, exclusive)', () => {
  it.each<[string, GrantExpiration, string]>([
    ['2025-01-01T10:00:00Z', { duration: 'HOUR', count: 36 }, '2025-01-02T22:00:00.000Z'],
    ['2025-01-01T10:00:00Z', { duration: 'DAY', count: 31 }, '2025-02-01T10:00:00.000Z'],
    ['2025-01-01T10:00:00Z', { duration: 'WEEK', count: 2 }, '2025-01-15T10:00:00.000Z'],
    // AddDate overflows: "Feb 31" -> Mar 3 (unlike the clamped recurrence arithmetic)
    ['2025-01-31T10:00:00Z', { duration: 'MONTH', count: 1 }, '2025-03-03T10:00:00.000Z'],
    ['2025-01-15T10:00:00Z', { duration: 'MONTH', count: 13 }, '2026-02-15T10:00:00.000Z'],
    ['2024-02-29T00:00:00Z', { duration: 'YEAR', count: 1 }, '2025-03-01T00:00:00.000Z'],
  ])('%s + %j = %s', (from, exp, want) => {
    expect(expiresAtOf(at(from), exp).toISOString()).toBe(want);
  });

  it('rejects a negative count', () => {
    expect(code(() => expiresAtOf(at(E), { duration: 'DAY', count: -1 }))).toBe('grant_expiration_invalid');
  });
});

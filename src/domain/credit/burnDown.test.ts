import { describe, expect, it } from 'vitest';
import { D } from '../shared/money.ts';
import { phaseBoundaries, runEngine, viewAt } from './burnDown.ts';
import { at, grant, meter, str, type GrantSpec, type UsageEvent } from './testSupport.ts';

interface Case {
  name: string;
  grants: GrantSpec[];
  events: UsageEvent[];
  from?: string;
  until: string;
  agg?: 'SUM' | 'LATEST';
  start?: { balances?: Record<string, number>; overage?: number };
  want: { balances: Record<string, string>; overage: string; phases?: string[] };
}

const D0 = '2025-01-01T00:00:00Z';

const cases: Case[] = [
  {
    name: 'priority order: lower priority number burns first',
    grants: [
      { id: 'p2', amount: 100, priority: 2, effectiveAt: D0 },
      { id: 'p1', amount: 50, priority: 1, effectiveAt: D0 },
    ],
    events: [{ time: '2025-01-01T05:00:00Z', value: 70 }],
    until: '2025-01-02T00:00:00Z',
    // p1: 50 - 50 = 0; the remaining 70 - 50 = 20 from p2: 100 - 20 = 80
    want: { balances: { p2: '80', p1: '0' }, overage: '0' },
  },
  {
    name: 'same priority: earlier expiry first, no expiry last',
    grants: [
      { id: 'never', amount: 20, effectiveAt: D0 },
      { id: 'late', amount: 20, effectiveAt: D0, expiresAt: '2025-03-01T00:00:00Z' },
      { id: 'soon', amount: 20, effectiveAt: D0, expiresAt: '2025-02-01T00:00:00Z' },
    ],
    events: [{ time: '2025-01-01T01:00:00Z', value: 30 }],
    until: '2025-01-02T00:00:00Z',
    // soon: 20 - 20 = 0; late: 20 - (30 - 20) = 10; never untouched 20
    want: { balances: { never: '20', late: '10', soon: '0' }, overage: '0' },
  },
  {
    name: 'same priority and expiry: older createdAt first, then id',
    grants: [
      { id: 'b', amount: 10, effectiveAt: D0, createdAt: '2024-12-01T00:00:00Z' },
      { id: 'a', amount: 10, effectiveAt: D0, createdAt: '2024-12-01T00:00:00Z' },
      { id: '0-new', amount: 10, effectiveAt: D0, createdAt: '2024-12-02T00:00:00Z' },
    ],
    events: [{ time: '2025-01-01T01:00:00Z', value: 15 }],
    until: '2025-01-02T00:00:00Z',
    // created 12-01: 'a' < 'b' so a: 10 - 10 = 0, b: 10 - 5 = 5; '0-new' created later: 10
    want: { balances: { b: '5', a: '0', '0-new': '10' }, overage: '0' },
  },
  {
    name: 'overage carried, then paid off by a grant effective later in the period',
    grants: [
      { id: 'g1', amount: 10, effectiveAt: D0 },
      { id: 'g2', amount: 50, effectiveAt: '2025-01-01T12:00:00Z' },
    ],
    events: [
      { time: '2025-01-01T06:00:00Z', value: 25 },
      { time: '2025-01-01T18:00:00Z', value: 5 },
    ],
    until: '2025-01-02T00:00:00Z',
    // phase 1 [00,12): 25 burns g1 10 -> 0, overage 25 - 10 = 15
    // phase 2 [12,24): g2 = 50; burn 5 + 15 = 20 -> g2 30, overage 0
    want: { balances: { g1: '0', g2: '30' }, overage: '0', phases: [D0, '2025-01-01T12:00:00.000Z'] },
  },
  {
    name: 'overage larger than the later grant stays overage',
    grants: [{ id: 'g2', amount: 5, effectiveAt: '2025-01-01T12:00:00Z' }],
    events: [{ time: '2025-01-01T06:00:00Z', value: 8 }],
    until: '2025-01-02T00:00:00Z',
    // phase 1: no grant, overage 8; phase 2: g2 5 pays 5 -> 0, overage 8 - 5 = 3
    want: { balances: { g2: '0' }, overage: '3' },
  },
  {
    name: 'recurring grant resets to its amount at each recurrence (no rollover)',
    grants: [{ id: 'r', amount: 100, effectiveAt: D0, recurrence: { interval: 'P1D' } }],
    events: [
      { time: '2025-01-01T10:00:00Z', value: 60 },
      { time: '2025-01-02T10:00:00Z', value: 30 },
    ],
    until: '2025-01-03T00:00:00Z',
    // day 1: 100 - 60 = 40 (not kept); Jan 2 recurrence -> 100; 100 - 30 = 70
    want: { balances: { r: '70' }, overage: '0', phases: [D0, '2025-01-02T00:00:00.000Z'] },
  },
  {
    name: 'recurrence pays carried overage',
    grants: [{ id: 'r', amount: 10, effectiveAt: D0, recurrence: { interval: 'P1D' } }],
    events: [
      { time: '2025-01-01T10:00:00Z', value: 25 },
      { time: '2025-01-02T10:00:00Z', value: 1 },
    ],
    until: '2025-01-03T00:00:00Z',
    // day 1: 25 - 10 = 15 overage; Jan 2: r = 10, burn 1 + 15 = 16 -> r 0, overage 6
    want: { balances: { r: '0' }, overage: '6' },
  },
  {
    name: 'expired, voided and deleted grants leave at their (minute-floored) end',
    grants: [
      { id: 'exp', amount: 10, effectiveAt: D0, expiresAt: '2025-01-01T06:00:00Z' },
      { id: 'void', amount: 10, effectiveAt: D0, voidedAt: '2025-01-01T06:00:30Z' },
      { id: 'del', amount: 10, effectiveAt: D0, deletedAt: '2025-01-01T07:00:00Z' },
      { id: 'keep', amount: 10, priority: 9, effectiveAt: D0 },
    ],
    events: [{ time: '2025-01-01T08:00:00Z', value: 4 }],
    until: '2025-01-02T00:00:00Z',
    // only keep is active at 08:00: 10 - 4 = 6; void at 06:00:30 floors to 06:00 -> same phase cut as exp
    want: { balances: { keep: '6' }, overage: '0', phases: [D0, '2025-01-01T06:00:00.000Z', '2025-01-01T07:00:00.000Z'] },
  },
  {
    name: 'effectiveAt floored to the minute: usage in that minute burns the grant',
    grants: [{ id: 'g', amount: 10, effectiveAt: '2025-01-01T10:00:45Z' }],
    events: [{ time: '2025-01-01T10:00:10Z', value: 3 }],
    from: '2025-01-01T09:00:00Z',
    until: '2025-01-01T11:00:00Z',
    // grant starts 10:00:00; the 10:00:10 event is in its phase: 10 - 3 = 7
    want: { balances: { g: '7' }, overage: '0', phases: ['2025-01-01T09:00:00.000Z', '2025-01-01T10:00:00.000Z'] },
  },
  {
    name: 'usage before the grant in the same run becomes overage the grant pays',
    grants: [{ id: 'g', amount: 10, effectiveAt: '2025-01-01T10:00:00Z' }],
    events: [{ time: '2025-01-01T09:30:00Z', value: 4 }],
    from: '2025-01-01T09:00:00Z',
    until: '2025-01-01T11:00:00Z',
    // [09,10): overage 4; [10,11): g 10 - (0 + 4) = 6
    want: { balances: { g: '6' }, overage: '0' },
  },
  {
    name: 'LATEST: grants are limits, refilled at every phase start',
    agg: 'LATEST',
    grants: [
      { id: 'a', amount: 100, priority: 1, effectiveAt: D0 },
      { id: 'b', amount: 50, priority: 2, effectiveAt: '2025-01-01T12:00:00Z' },
    ],
    events: [
      { time: '2025-01-01T06:00:00Z', value: 30 },
      { time: '2025-01-01T18:00:00Z', value: 80 },
    ],
    until: '2025-01-02T00:00:00Z',
    // [00,12): a 100 - 30 = 70; [12,24): a refilled 100, b 50; latest 80 -> a 100 - 80 = 20, b 50
    want: { balances: { a: '20', b: '50' }, overage: '0' },
  },
  {
    name: 'LATEST over the limit: overage is not carried into the next phase',
    agg: 'LATEST',
    grants: [
      { id: 'a', amount: 10, effectiveAt: D0 },
      { id: 'b', amount: 5, priority: 2, effectiveAt: '2025-01-01T12:00:00Z' },
    ],
    events: [
      { time: '2025-01-01T06:00:00Z', value: 25 },
      { time: '2025-01-01T18:00:00Z', value: 12 },
    ],
    until: '2025-01-02T00:00:00Z',
    // [00,12): 25 - 10 = 15 overage; [12,24): overage reset, a 10, b 5; latest 12 -> a 0, b 5 - 2 = 3
    want: { balances: { a: '0', b: '3' }, overage: '0' },
  },
  {
    name: 'resuming from a snapshot: its balances and overage are the starting point',
    grants: [
      { id: 'g', amount: 100, effectiveAt: D0 },
      { id: 'h', amount: 20, priority: 2, effectiveAt: '2025-01-01T12:00:00Z' },
    ],
    start: { balances: { g: 5 }, overage: 0 },
    from: '2025-01-01T10:00:00Z',
    events: [{ time: '2025-01-01T11:00:00Z', value: 7 }],
    until: '2025-01-01T13:00:00Z',
    // [10,12): g 5 - 5 = 0, overage 7 - 5 = 2; [12,13): h 20 - 2 = 18
    want: { balances: { g: '0', h: '18' }, overage: '0' },
  },
];

describe('runEngine (burn-down)', () => {
  it.each(cases)('$name', (c) => {
    const res = runEngine({
      grants: c.grants.map(grant),
      from: {
        at: at(c.from ?? D0),
        balances: Object.fromEntries(Object.entries(c.start?.balances ?? {}).map(([k, v]) => [k, new D(v)])),
        overage: new D(c.start?.overage ?? 0),
      },
      until: at(c.until),
      usage: meter(c.events, c.agg ?? 'SUM'),
      meterAggregation: c.agg ?? 'SUM',
    });
    expect(str(res.snapshot.balances)).toEqual(c.want.balances);
    expect(res.snapshot.overage.toString()).toBe(c.want.overage);
    expect(res.snapshot.at.toISOString()).toBe(at(c.until).toISOString());
    if (c.want.phases) expect(res.segments.map((s) => s.from.toISOString())).toEqual(c.want.phases.map((p) => at(p).toISOString()));
  });

  it('records per-phase usage, grant usages, and start/end state', () => {
    const res = runEngine({
      grants: [grant({ id: 'g1', amount: 10, effectiveAt: D0 }), grant({ id: 'g2', amount: 50, effectiveAt: '2025-01-01T12:00:00Z' })],
      from: { at: at(D0), balances: {}, overage: new D(0) },
      until: at('2025-01-02T00:00:00Z'),
      usage: meter([
        { time: '2025-01-01T06:00:00Z', value: 25 },
        { time: '2025-01-01T18:00:00Z', value: 5 },
      ]),
      meterAggregation: 'SUM',
    });
    const view = res.segments.map((s) => ({
      usage: s.usage.toString(),
      balanceAtStart: s.balanceAtStart.toString(),
      overageAtStart: s.overageAtStart.toString(),
      grantUsages: s.grantUsages.map((g) => `${g.grantId}:${g.usage.toString()}`),
      balanceAtEnd: s.balanceAtEnd.toString(),
      overageAtEnd: s.overageAtEnd.toString(),
    }));
    expect(view).toEqual([
      // 10 available, 25 used: g1 burns 10, 15 over
      { usage: '25', balanceAtStart: '10', overageAtStart: '0', grantUsages: ['g1:10'], balanceAtEnd: '0', overageAtEnd: '15' },
      // g2 arrives (0 + 50), pays 15 overage + 5 usage = 20
      { usage: '5', balanceAtStart: '50', overageAtStart: '15', grantUsages: ['g2:20'], balanceAtEnd: '30', overageAtEnd: '0' },
    ]);
  });

  it('queries usage exactly once per phase with half-open bounds', () => {
    const q = meter([]);
    runEngine({
      grants: [grant({ id: 'g', amount: 1, effectiveAt: D0, recurrence: { interval: 'PT6H' } })],
      from: { at: at(D0), balances: {}, overage: new D(0) },
      until: at('2025-01-01T12:00:00Z'),
      usage: q,
      meterAggregation: 'SUM',
    });
    expect(q.calls).toEqual([
      ['2025-01-01T00:00:00.000Z', '2025-01-01T06:00:00.000Z'],
      ['2025-01-01T06:00:00.000Z', '2025-01-01T12:00:00.000Z'],
    ]);
  });

  it('phase boundaries: monthly recurrence from a Jan 31 anchor clamps to month ends', () => {
    const g = grant({ id: 'r', amount: 1, effectiveAt: '2025-01-31T15:00:00Z', recurrence: { interval: 'P1M' } });
    const got = phaseBoundaries([g], at('2025-01-01T00:00:00Z'), at('2025-05-01T00:00:00Z')).map((d) => d.toISOString().slice(0, 16));
    // effectiveAt Jan 31, then Feb 28 (clamped), Mar 31, Apr 30 — each computed from the anchor
    expect(got).toEqual(['2025-01-31T15:00', '2025-02-28T15:00', '2025-03-31T15:00', '2025-04-30T15:00']);
  });

  it('viewAt applies the events of its instant: starting grant full, expiring grant gone', () => {
    const grants = [
      grant({ id: 'new', amount: 40, effectiveAt: '2025-01-01T10:00:00Z' }),
      grant({ id: 'old', amount: 9, effectiveAt: D0, expiresAt: '2025-01-01T10:00:00Z' }),
    ];
    const v = viewAt({ at: at('2025-01-01T10:00:00Z'), balances: { old: new D(9) }, overage: new D(0) }, grants);
    expect(str(v.balances)).toEqual({ new: '40' });
  });

  it('rejects running backwards', () => {
    expect(() =>
      runEngine({ grants: [], from: { at: at('2025-01-02T00:00:00Z'), balances: {}, overage: new D(0) }, until: at(D0), usage: meter([]), meterAggregation: 'SUM' }),
    ).toThrow(RangeError);
  });
});

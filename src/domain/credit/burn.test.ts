import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../runtime/serviceWorld.ts';
import { D } from '../shared/money.ts';
import { BurnOrders, burn, compareBy, expiringRemainder, remainderAt, unburn, type BurnOrder, type BurnSource } from './burn.ts';
import { runEngine } from './burnDown.ts';
import { at, grant, meter } from './testSupport.ts';

interface SourceSpec {
  id: string;
  available: number | string;
  priority?: number;
  expiresAt?: string;
  createdAt?: string;
  featureKeys?: string[];
  activeFrom?: string;
  activeUntil?: string;
}

const T0 = '2026-01-01T00:00:00Z';

const source = (s: SourceSpec): BurnSource => ({
  id: s.id,
  available: new D(s.available),
  priority: s.priority ?? 1,
  createdAt: at(s.createdAt ?? T0),
  ...(s.expiresAt ? { expiresAt: at(s.expiresAt) } : {}),
  ...(s.featureKeys ? { featureKeys: s.featureKeys } : {}),
  ...(s.activeFrom ? { activeFrom: at(s.activeFrom) } : {}),
  ...(s.activeUntil ? { activeUntil: at(s.activeUntil) } : {}),
});

interface BurnCase {
  name: string;
  sources: SourceSpec[];
  amount: number | string;
  order: BurnOrder;
  at?: string;
  featureKey?: string;
  /** "id:amount" in burn order */
  want: string[];
  uncovered: string;
}

const cases: BurnCase[] = [
  {
    name: 'lower priority number pays first; the rest of the amount moves on to the next source',
    sources: [
      { id: 'p2', available: 100, priority: 2 },
      { id: 'p1', available: 50, priority: 1 },
    ],
    amount: 70,
    order: BurnOrders.entitlement,
    // p1 pays all 50, p2 the remaining 70 − 50 = 20
    want: ['p1:50', 'p2:20'],
    uncovered: '0',
  },
  {
    name: 'same priority: earliest expiry first, never-expiring last',
    sources: [
      { id: 'never', available: 20 },
      { id: 'late', available: 20, expiresAt: '2026-03-01T00:00:00Z' },
      { id: 'soon', available: 20, expiresAt: '2026-02-01T00:00:00Z' },
    ],
    amount: 30,
    order: BurnOrders.entitlement,
    want: ['soon:20', 'late:10'],
    uncovered: '0',
  },
  {
    name: 'same priority and expiry: earlier creation first, then id',
    sources: [
      { id: 'b', available: 10, createdAt: '2025-12-01T00:00:00Z' },
      { id: 'a', available: 10, createdAt: '2025-12-01T00:00:00Z' },
      { id: '0-new', available: 10, createdAt: '2025-12-02T00:00:00Z' },
    ],
    amount: 25,
    order: BurnOrders.collection,
    want: ['a:10', 'b:10', '0-new:5'],
    uncovered: '0',
  },
  {
    name: 'what no source covers is the uncovered remainder (overage, or a credit_only advance)',
    sources: [{ id: 'g', available: 12 }],
    amount: '20.5',
    order: BurnOrders.entitlement,
    want: ['g:12'],
    uncovered: '8.5',
  },
  {
    name: 'spent and overdrawn sources pay nothing and get no allocation',
    sources: [
      { id: 'spent', available: 0, priority: 1 },
      { id: 'negative', available: -3, priority: 1 },
      { id: 'full', available: 5, priority: 2 },
    ],
    amount: 4,
    order: BurnOrders.entitlement,
    want: ['full:4'],
    uncovered: '0',
  },
  {
    name: 'a negative amount burns nothing and leaves nothing uncovered (negative SUM aggregates never refill grants)',
    sources: [{ id: 'g', available: 10 }],
    amount: -5,
    order: BurnOrders.entitlement,
    want: [],
    uncovered: '0',
  },
  {
    name: 'credit restricted to another feature is skipped; credit restricted to the feature pays',
    sources: [
      { id: 'images', available: 50, featureKeys: ['images'] },
      { id: 'tokens', available: 5, featureKeys: ['tokens'], createdAt: '2026-01-02T00:00:00Z' },
      { id: 'any', available: 50, createdAt: '2026-01-03T00:00:00Z' },
    ],
    amount: 8,
    order: BurnOrders.collection,
    featureKey: 'tokens',
    want: ['tokens:5', 'any:3'],
    uncovered: '0',
  },
  {
    name: 'with no feature only unrestricted credit pays',
    sources: [
      { id: 'tokens', available: 5, featureKeys: ['tokens'] },
      { id: 'any', available: 2 },
    ],
    amount: 4,
    order: BurnOrders.collection,
    want: ['any:2'],
    uncovered: '2',
  },
  {
    name: 'the live walk takes restricted credit before unrestricted credit of the same priority, whatever expires first',
    sources: [
      { id: 'any-soon', available: 10, expiresAt: '2026-01-05T00:00:00Z' },
      { id: 'tokens-never', available: 10, featureKeys: ['tokens'], createdAt: '2026-01-02T00:00:00Z' },
    ],
    amount: 15,
    order: BurnOrders.live,
    featureKey: 'tokens',
    want: ['tokens-never:10', 'any-soon:5'],
    uncovered: '0',
  },
  {
    name: 'collection too takes restricted credit first (collector/types.go), before comparing expiry',
    sources: [
      { id: 'any-soon', available: 10, expiresAt: '2026-01-05T00:00:00Z' },
      { id: 'tokens-later', available: 10, featureKeys: ['tokens'], expiresAt: '2026-02-01T00:00:00Z', createdAt: '2026-01-02T00:00:00Z' },
      { id: 'any-urgent', available: 10, priority: 0, createdAt: '2026-01-03T00:00:00Z' },
    ],
    amount: 25,
    order: BurnOrders.collection,
    featureKey: 'tokens',
    // priority first (any-urgent), then restricted before the sooner-expiring unrestricted credit
    want: ['any-urgent:10', 'tokens-later:10', 'any-soon:5'],
    uncovered: '0',
  },
  {
    name: 'with an instant, sources outside [activeFrom, activeUntil ?? expiresAt) are skipped',
    sources: [
      { id: 'later', available: 10, activeFrom: '2026-02-01T00:00:00Z' },
      { id: 'expired', available: 10, expiresAt: '2026-01-10T00:00:00Z' },
      { id: 'voided', available: 10, activeUntil: '2026-01-12T00:00:00Z', expiresAt: '2026-06-01T00:00:00Z' },
      { id: 'live', available: 10, activeFrom: '2026-01-15T00:00:00Z' },
    ],
    amount: 12,
    order: BurnOrders.entitlement,
    at: '2026-01-15T00:00:00Z',
    // only 'live' is in its window (activeFrom inclusive); expiry and voiding are exclusive
    want: ['live:10'],
    uncovered: '2',
  },
];

describe('burn: the one burn-down core', () => {
  it.each(cases)('$name', (c) => {
    const r = burn(c.sources.map(source), {
      amount: new D(c.amount),
      order: c.order,
      ...(c.at ? { at: at(c.at) } : {}),
      ...(c.featureKey ? { featureKey: c.featureKey } : {}),
    });
    expect(r.allocations.map((a) => `${a.sourceId}:${a.amount.toString()}`)).toEqual(c.want);
    expect(r.uncovered.toString()).toBe(c.uncovered);
  });

  it('the orders differ only in their keys: entitlement and collection agree on unrestricted credit; live ignores expiry', () => {
    const sources = [
      source({ id: 'never', available: 1, createdAt: '2025-12-31T00:00:00Z' }),
      source({ id: 'late', available: 1, expiresAt: '2026-03-01T00:00:00Z' }),
      source({ id: 'soon', available: 1, expiresAt: '2026-02-01T00:00:00Z', createdAt: '2026-01-02T00:00:00Z' }),
      source({ id: 'urgent', available: 1, priority: 0, createdAt: '2026-01-03T00:00:00Z' }),
    ];
    const ids = (order: BurnOrder) => [...sources].sort(compareBy(order)).map((s) => s.id);
    expect(ids(BurnOrders.entitlement)).toEqual(['urgent', 'soon', 'late', 'never']);
    expect(ids(BurnOrders.collection)).toEqual(ids(BurnOrders.entitlement));
    // live: priority, restricted first, creation — expiry plays no part (never, late, soon were made in that order)
    expect(ids(BurnOrders.live)).toEqual(['urgent', 'never', 'late', 'soon']);
  });
});

interface UnburnCase {
  name: string;
  /** "source:amount" oldest first; > 0 taken, < 0 given back */
  history: string[];
  amount: number;
  want: string[];
  unreturned: string;
}

const unburnCases: UnburnCase[] = [
  {
    name: 'gives back the most recently taken source first',
    history: ['A:4', 'B:6'],
    amount: 5,
    // collector README "Usage Corrections": correcting 5 of T10(4), T15(6) restores 5 from the later source
    want: ['B:5'],
    unreturned: '0',
  },
  {
    name: 'moves on to earlier sources, each up to what it holds',
    history: ['A:4', 'B:6'],
    amount: 8,
    want: ['B:6', 'A:2'],
    unreturned: '0',
  },
  {
    name: 'what was given back before is not given back twice',
    history: ['A:4', 'B:6', 'B:-6'],
    amount: 5,
    // B holds 6 − 6 = 0 net, so A pays back 4 and 1 cannot be returned
    want: ['A:4'],
    unreturned: '1',
  },
  {
    name: 'a partially returned source is still returned before older ones (its latest move is newest)',
    history: ['A:4', 'B:6', 'B:-2'],
    amount: 5,
    want: ['B:4', 'A:1'],
    unreturned: '0',
  },
  {
    name: 'the advance is a source like any other',
    history: ['G:10', ':5'],
    amount: 7,
    want: [':5', 'G:2'],
    unreturned: '0',
  },
];

describe('unburn: the inverse', () => {
  it.each(unburnCases)('$name', (c) => {
    const history = c.history.map((h) => {
      const i = h.lastIndexOf(':');
      return { sourceId: h.slice(0, i), amount: new D(h.slice(i + 1)) };
    });
    const r = unburn(history, new D(c.amount));
    expect(r.returns.map((a) => `${a.sourceId}:${a.amount.toString()}`)).toEqual(c.want);
    expect(r.unreturned.toString()).toBe(c.unreturned);
  });

  it('burn then unburn of everything leaves every source where it started', () => {
    const sources = [source({ id: 'a', available: 3 }), source({ id: 'b', available: 4, priority: 2 })];
    const { allocations } = burn(sources, { amount: new D(6), order: BurnOrders.entitlement });
    const { returns, unreturned } = unburn(allocations, new D(6));
    const back = new Map(returns.map((r) => [r.sourceId, r.amount.toString()]));
    expect(Object.fromEntries(back)).toEqual({ a: '3', b: '3' });
    expect(unreturned.toString()).toBe('0');
  });
});

describe('remainders and expiry', () => {
  const window = { activeFrom: at('2026-01-01T00:00:00Z'), expiresAt: at('2026-01-20T00:00:00Z') };
  const moves = [
    { amount: new D(20), at: at('2026-01-01T00:00:00Z') },
    { amount: new D(-8), at: at('2026-01-15T00:00:00Z') },
  ];

  it.each([
    ['before the window', '2025-12-31T00:00:00Z', '0'],
    ['at its start (inclusive)', '2026-01-01T00:00:00Z', '12'],
    ['inside it', '2026-01-19T00:00:00Z', '12'],
    ['at expiry (exclusive)', '2026-01-20T00:00:00Z', '0'],
  ])('remainderAt %s', (_name, t, want) => {
    // later-booked movements count: what was allocated is gone whenever it is booked
    expect(remainderAt(window, moves, at(t)).toString()).toBe(want);
  });

  it('never below zero', () => {
    expect(remainderAt({}, [{ amount: new D(-3), at: at(T0) }], at(T0)).toString()).toBe('0');
  });

  it('expiringRemainder is what is left just before expiry; nothing when it never expires, never started or was used up', () => {
    expect(expiringRemainder(window, moves)?.toString()).toBe('12');
    // a movement booked at expiry or later does not count
    expect(expiringRemainder(window, [...moves, { amount: new D(-5), at: at('2026-01-20T00:00:00Z') }])?.toString()).toBe('12');
    expect(expiringRemainder({ activeFrom: window.activeFrom }, moves)).toBeUndefined();
    expect(expiringRemainder({ activeFrom: window.expiresAt, expiresAt: window.expiresAt }, moves)).toBeUndefined();
    expect(expiringRemainder(window, [...moves, { amount: new D(-12), at: at('2026-01-16T00:00:00Z') }])).toBeUndefined();
  });
});

describe('one engine, two ledgers', () => {
  // The same five grants as entitlement grants (metered usage) and as v3 credit grants (money).
  // Unrestricted credit: the real entitlement order (credit/engine/grant.go) and the real
  // collection order (ledger/collector) agree, so both must burn them in the same order.
  const specs = [
    { name: 'A', amount: 10, priority: 5, expiresAfterDays: 30 },
    { name: 'B', amount: 10, priority: 5 },
    { name: 'C', amount: 10, priority: 5, expiresAfterDays: 10 },
    { name: 'D', amount: 5, priority: 1 },
    { name: 'E', amount: 10, priority: 5, expiresAfterDays: 10 },
  ];
  const effective = at(T0);
  const createdAt = (i: number) => new Date(effective.getTime() + (i + 1) * 60_000);
  const expiresAt = (days: number) => new Date(effective.getTime() + days * 86_400_000);
  // D (priority 1); then C and E (10 days, C made first); A (30 days); B (never expires)
  const expected = ['D:5', 'C:10', 'E:10', 'A:10', 'B:7'];

  it('an entitlement burn and a v3 credit consumption of 42 allocate the same grants in the same order', () => {
    const entitlementGrants = specs.map((s, i) =>
      grant({
        id: s.name,
        amount: s.amount,
        priority: s.priority,
        effectiveAt: T0,
        createdAt: createdAt(i).toISOString(),
        ...(s.expiresAfterDays ? { expiresAt: expiresAt(s.expiresAfterDays).toISOString() } : {}),
      }),
    );
    const run = runEngine({
      grants: entitlementGrants,
      from: { at: effective, balances: {}, overage: new D(0) },
      until: at('2026-01-02T00:00:00Z'),
      usage: meter([{ time: '2026-01-01T06:00:00Z', value: 42 }]),
      meterAggregation: 'SUM',
    });
    const burned = run.segments.flatMap((s) => s.grantUsages).map((u) => `${u.grantId}:${u.usage.toString()}`);
    expect(burned).toEqual(expected);

    const { services: s, tx, clock } = createServiceWorld({ start: effective });
    const customer = s.customers.createCustomer(tx, { key: 'acme', name: 'Acme', currency: 'USD' });
    const names = new Map<string, string>();
    specs.forEach((spec, i) => {
      clock.set(createdAt(i));
      const g = s.credits.createGrant(tx, {
        customerId: customer.id,
        name: spec.name,
        fundingMethod: 'none',
        currency: 'USD',
        amount: String(spec.amount),
        priority: spec.priority,
        effectiveAt: T0,
        ...(spec.expiresAfterDays ? { expiresAfter: `P${spec.expiresAfterDays}D` } : {}),
      });
      names.set(g.id, spec.name);
    });
    clock.set(at('2026-01-01T06:00:00Z'));
    const consumed = s.credits.consumeCredits(tx, { customerId: customer.id, currency: 'USD', amount: new D(42), at: clock.now(), name: 'usage' });
    expect(consumed.map((a) => `${names.get(a.grantId!)}:${a.amount}`)).toEqual(expected);
  });
});

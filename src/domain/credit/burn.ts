import type { Decimal } from 'decimal.js';
import { D } from '../shared/money.ts';

/**
 * The one burn-down core: which pot of credit pays for an amount, and how it is given back.
 * The entitlement engine (metered usage against entitlement grants, `burnDown.ts`, `reset.ts`)
 * and billing credits (Konnect v3 consumption, `billing/credits/`) both allocate through it;
 * each keeps its own state (phase balances here, the credit ledger there) and asks this core
 * only "given these sources and this amount, who pays how much". Pure: no records, no clock.
 */

/** A pot of credit: an entitlement grant's balance in a phase, or a billing grant's remainder. */
export interface BurnSource {
  id: string;
  /** lower burns first */
  priority: number;
  /** the expiry the order sorts by; absent = never expires (sorts after expiring credit) */
  expiresAt?: Date;
  /** creation time: the stable tie-break, then `id` */
  createdAt: Date;
  /** what is left to burn; nothing is taken from a source at or below zero */
  available: Decimal;
  /** the features the credit may pay for; absent or empty = any */
  featureKeys?: readonly string[];
  /** first instant the source may burn (inclusive); absent = always */
  activeFrom?: Date;
  /**
   * First instant it no longer may (exclusive); absent = `expiresAt`. Entitlement grants end
   * early when voided or deleted but still sort by their expiry.
   */
  activeUntil?: Date;
}

/**
 * The keys an order compares, in turn. The real orderings differ only in which keys they use,
 * so the difference is this parameter, not a second engine:
 * - `priority` ascending;
 * - `restrictedFirst`: credit restricted to features before unrestricted credit;
 * - `expiry` ascending, never-expiring last;
 * - `creation`: createdAt ascending, then id.
 */
export type BurnKey = 'priority' | 'restrictedFirst' | 'expiry' | 'creation';
export type BurnOrder = readonly BurnKey[];

export const BurnOrders = {
  /** entitlement grants: credit/engine/grant.go compareGrantsByBurnDownOrder (priority, expiry, createdAt, id) */
  entitlement: ['priority', 'expiry', 'creation'],
  /**
   * v3 credit a charge collects (ledger/collector/types.go fboCollectionSource.Compare):
   * priority, restricted before unrestricted, expiry, then a stable cursor (creation here, as
   * grants stand in for the ledger's sub-accounts). The collector README leaves the restriction
   * key out; the code and its tests have it. Entitlement grants carry no restriction, so on
   * them this is the entitlement order.
   */
  collection: ['priority', 'restrictedFirst', 'expiry', 'creation'],
  /** the v3 `live` balance walk (ledger/customerbalance/service.go liveBalanceSource.Compare): no expiry key */
  live: ['priority', 'restrictedFirst', 'creation'],
} as const satisfies Record<string, BurnOrder>;

/** The fields an order reads. */
export type Orderable = Pick<BurnSource, 'id' | 'priority' | 'expiresAt' | 'createdAt' | 'featureKeys'>;

const restricted = (s: Orderable): boolean => s.featureKeys !== undefined && s.featureKeys.length > 0;

function compareKey(key: BurnKey, a: Orderable, b: Orderable): number {
  switch (key) {
    case 'priority':
      return a.priority - b.priority;
    case 'restrictedFirst':
      return (restricted(a) ? 0 : 1) - (restricted(b) ? 0 : 1);
    case 'expiry': {
      const ea = a.expiresAt ? a.expiresAt.getTime() : Infinity;
      const eb = b.expiresAt ? b.expiresAt.getTime() : Infinity;
      return ea === eb ? 0 : ea < eb ? -1 : 1;
    }
    case 'creation': {
      const ca = a.createdAt.getTime();
      const cb = b.createdAt.getTime();
      if (ca !== cb) return ca - cb;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    }
  }
}

/** A comparator for `order`: the first key that tells two sources apart decides. */
export function compareBy(order: BurnOrder): (a: Orderable, b: Orderable) => number {
  return (a, b) => {
    for (const key of order) {
      const c = compareKey(key, a, b);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** Can credit restricted to `featureKeys` (absent = unrestricted) pay for `featureKey`? */
export const usableFor = (featureKeys: readonly string[] | undefined, featureKey: string | undefined): boolean =>
  featureKeys === undefined || featureKeys.length === 0 || (featureKey !== undefined && featureKeys.includes(featureKey));

/** activeFrom ≤ at < (activeUntil ?? expiresAt): the window a source may burn in. */
export function liveAt(s: Pick<BurnSource, 'activeFrom' | 'activeUntil' | 'expiresAt'>, at: Date): boolean {
  const until = s.activeUntil ?? s.expiresAt;
  return (s.activeFrom === undefined || s.activeFrom.getTime() <= at.getTime()) && (until === undefined || at.getTime() < until.getTime());
}

export interface BurnRequest {
  amount: Decimal;
  order: BurnOrder;
  /** when given, sources outside their window at this instant are skipped */
  at?: Date;
  /** what is paid for: sources restricted to other features are skipped */
  featureKey?: string;
}

export interface Allocation {
  sourceId: string;
  amount: Decimal;
}

export interface BurnResult {
  /** one per source that paid, in burn order, each > 0 */
  allocations: Allocation[];
  /** what no source covered (entitlement overage, a billing shortfall) */
  uncovered: Decimal;
}

/**
 * Burn `amount` through the sources in `order`: each pays up to what it has left until the
 * amount is covered. A negative amount burns nothing and leaves nothing uncovered (negative SUM
 * aggregates never refill grants; a charge never draws a negative amount).
 */
export function burn(sources: readonly BurnSource[], req: BurnRequest): BurnResult {
  let remaining = req.amount.isNegative() ? new D(0) : req.amount;
  const allocations: Allocation[] = [];
  const payers = sources.filter((s) => usableFor(s.featureKeys, req.featureKey) && (req.at === undefined || liveAt(s, req.at))).sort(compareBy(req.order));
  for (const s of payers) {
    if (remaining.lte(0)) break;
    if (s.available.lte(0)) continue;
    const take = D.min(s.available, remaining);
    allocations.push({ sourceId: s.id, amount: take });
    remaining = remaining.minus(take);
  }
  return { allocations, uncovered: remaining };
}

/** One movement of an allocation, oldest first: > 0 taken from the source, < 0 given back to it. */
export interface AllocationMove {
  sourceId: string;
  amount: Decimal;
}

/**
 * The inverse of `burn`: give back up to `amount` of what was allocated, the most recently
 * moved source first, each up to what it still holds net (so what was given back before is not
 * given back twice). The real collector corrects in reverse collection order (ledger/collector
 * README "Usage Corrections"); newest-first over the moves is that order for one allocation.
 */
export function unburn(history: readonly AllocationMove[], amount: Decimal): { returns: Allocation[]; unreturned: Decimal } {
  const net = new Map<string, Decimal>();
  for (const m of history) net.set(m.sourceId, (net.get(m.sourceId) ?? new D(0)).plus(m.amount));
  let left = amount;
  const returns: Allocation[] = [];
  const seen = new Set<string>();
  for (let i = history.length - 1; i >= 0; i--) {
    if (left.lte(0)) break;
    const { sourceId } = history[i]!;
    if (seen.has(sourceId)) continue;
    seen.add(sourceId);
    const give = D.min(net.get(sourceId)!, left);
    if (give.lte(0)) continue;
    returns.push({ sourceId, amount: give });
    left = left.minus(give);
  }
  return { returns, unreturned: left };
}

/** A booked change of a source's credit: + funding or a give-back, − a burn, void or correction. */
export interface Movement {
  amount: Decimal;
  at: Date;
}

/**
 * What a source has left at `at`: nothing outside its window, otherwise Σ its movements, never
 * below zero. Movements booked after `at` count too: what was allocated is gone whenever it is
 * booked, so drawing at an earlier instant cannot spend it twice.
 */
export function remainderAt(window: Pick<BurnSource, 'activeFrom' | 'activeUntil' | 'expiresAt'>, movements: readonly Movement[], at: Date): Decimal {
  if (!liveAt(window, at)) return new D(0);
  return D.max(
    movements.reduce<Decimal>((a, m) => a.plus(m.amount), new D(0)),
    0,
  );
}

/**
 * What a source loses when it expires: Σ its movements booked before `expiresAt`, when positive.
 * Undefined when it never expires, was never live before expiring, or nothing was left. Nothing
 * burns from an expired source, so this is the remainder just before expiry.
 */
export function expiringRemainder(window: Pick<BurnSource, 'activeFrom' | 'expiresAt'>, movements: readonly Movement[]): Decimal | undefined {
  const { expiresAt, activeFrom } = window;
  if (expiresAt === undefined) return undefined;
  if (activeFrom !== undefined && activeFrom.getTime() >= expiresAt.getTime()) return undefined;
  const net = movements.filter((m) => m.at.getTime() < expiresAt.getTime()).reduce<Decimal>((a, m) => a.plus(m.amount), new D(0));
  return net.gt(0) ? net : undefined;
}

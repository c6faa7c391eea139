/**
 * The pure arithmetic of customer credit: remainders, expiries, balances, running balances and
 * the consumption order. The service feeds it the stored grants and entries; nothing here reads
 * the store or the clock. Who pays for what (order, remainders, expiry) is the one burn-down
 * core of `domain/credit/burn.ts`, shared with the entitlement engine; this file turns grants
 * and ledger entries into its sources and movements.
 */
import { BurnOrders, burn, compareBy, expiringRemainder, remainderAt, usableFor as usableForCore, type BurnOrder, type BurnSource, type Movement, type Orderable } from '../../credit/burn.ts';
import { dec, type Dec } from '../../shared/money.ts';
import { TransactionType, type CreditEntry, type CreditGrant, type FeatureView, type OutstandingImpact, SettlementMode } from './types.ts';

const ms = (iso: string): number => Date.parse(iso);

/** Does credit restricted to `featureKeys` (absent = unrestricted) belong to the view? */
export function inView(featureKeys: readonly string[] | undefined, view: FeatureView): boolean {
  const unrestricted = featureKeys === undefined || featureKeys.length === 0;
  if (view === undefined) return true;
  if ('exists' in view) return unrestricted;
  return unrestricted || featureKeys.includes(view.key);
}

/** Can credit restricted to `featureKeys` pay for a charge of `featureKey`? (the burn core's rule) */
export const usableFor = usableForCore;

/** The grant's funded entry, if its credit was booked (promotional/external at create, invoice once invoiced). */
export const fundedEntry = (g: CreditGrant, entries: readonly CreditEntry[]): CreditEntry | undefined =>
  entries.find((e) => e.grantId === g.id && e.type === TransactionType.funded);

/** The grant's movements: its funded entry (+), what was consumed (−) or given back (+), its void (−). */
const movementsOf = (g: CreditGrant, entries: readonly CreditEntry[]): Movement[] =>
  entries.filter((e) => e.grantId === g.id).map((e) => ({ amount: dec(e.amount), at: new Date(e.bookedAt) }));

/** The grant's window: from its booking (none before it is booked) until it expires. */
const windowOf = (g: CreditGrant, funded: CreditEntry): Pick<BurnSource, 'activeFrom' | 'expiresAt'> => ({
  activeFrom: new Date(funded.bookedAt),
  ...(g.expiresAt !== undefined ? { expiresAt: new Date(g.expiresAt) } : {}),
});

/**
 * What is left of a grant's credit at `at`: nothing before it is booked, after it expires or once
 * voided; otherwise funded − consumed − voided (consumption only ever happens while it is live).
 */
export function remainingAt(g: CreditGrant, entries: readonly CreditEntry[], at: Date): Dec {
  const funded = fundedEntry(g, entries);
  if (!funded) return dec(0);
  return remainderAt(windowOf(g, funded), movementsOf(g, entries), at);
}

/** The expiry of a grant as a transaction: −(remainder just before `expiresAt`); undefined when nothing expired. */
export function expiredAmount(g: CreditGrant, entries: readonly CreditEntry[]): Dec | undefined {
  const funded = fundedEntry(g, entries);
  if (!funded) return undefined;
  return expiringRemainder(windowOf(g, funded), movementsOf(g, entries))?.neg();
}

/** The grant as the burn core orders it. */
const orderableOf = (g: CreditGrant): Orderable => ({
  id: g.id,
  priority: g.priority,
  ...(g.expiresAt !== undefined ? { expiresAt: new Date(g.expiresAt) } : {}),
  createdAt: new Date(g.createdAt),
  ...(g.featureKeys ? { featureKeys: g.featureKeys } : {}),
});

/** The grant as a source of the burn core, holding what is left of it at `at`. */
export const burnSourceOf = (g: CreditGrant, entries: readonly CreditEntry[], at: Date): BurnSource => ({ ...orderableOf(g), available: remainingAt(g, entries, at) });

const ordered = (order: BurnOrder) => {
  const cmp = compareBy(order);
  return (a: CreditGrant, b: CreditGrant): number => cmp(orderableOf(a), orderableOf(b));
};

/**
 * The order a charge collects credit in (ledger/collector/types.go fboCollectionSource.Compare):
 * priority ascending, feature-restricted before unrestricted credit, earliest expiry first
 * (non-expiring credit after expiring credit), then the order the grants were made. The burn
 * core's `collection` order.
 */
export const consumptionOrder = ordered(BurnOrders.collection);

/**
 * The order `live` walks credit in (customerbalance/service.go liveBalanceSource.Compare):
 * priority ascending, feature-restricted before unrestricted credit, then a stable order.
 * The burn core's `live` order.
 */
export const liveSourceOrder = ordered(BurnOrders.live);

/** A row of the ledger as the balance and the transaction list see it (expiries derived). */
export interface LedgerRow {
  id: string;
  type: TransactionType;
  currency: string;
  amount: Dec;
  bookedAt: string;
  createdAt: string;
  featureKeys?: string[];
  entry?: CreditEntry;
  grant?: CreditGrant;
}

/** Stored entries plus derived expiries, each with the restriction of the credit it moved. */
export function ledgerRows(grants: readonly CreditGrant[], entries: readonly CreditEntry[]): LedgerRow[] {
  const byId = new Map(grants.map((g) => [g.id, g]));
  const rows: LedgerRow[] = entries.map((e) => {
    const g = e.grantId !== undefined ? byId.get(e.grantId) : undefined;
    return {
      id: e.id,
      type: e.type,
      currency: e.currency,
      amount: dec(e.amount),
      bookedAt: e.bookedAt,
      createdAt: e.createdAt,
      ...(g?.featureKeys ? { featureKeys: g.featureKeys } : {}),
      entry: e,
      ...(g ? { grant: g } : {}),
    };
  });
  for (const g of grants) {
    const amount = expiredAmount(g, entries);
    if (!amount) continue;
    // the expiry of a grant is identified by the grant: one per grant, booked at expiresAt
    rows.push({ id: g.id, type: TransactionType.expired, currency: g.currency, amount, bookedAt: g.expiresAt!, createdAt: g.expiresAt!, ...(g.featureKeys ? { featureKeys: g.featureKeys } : {}), grant: g });
  }
  return rows;
}

/** (bookedAt, createdAt, id) ascending: the order balances accumulate in. */
export function rowOrder(a: { bookedAt: string; createdAt: string; id: string }, b: { bookedAt: string; createdAt: string; id: string }): number {
  return ms(a.bookedAt) - ms(b.bookedAt) || ms(a.createdAt) - ms(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Σ rows booked at or before `asOf`. */
export const settledAt = (rows: readonly LedgerRow[], asOf: Date): Dec =>
  rows.filter((r) => ms(r.bookedAt) <= asOf.getTime()).reduce<Dec>((a, r) => a.plus(r.amount), dec(0));

/**
 * Credit that can still become available but is not booked at `asOf`: invoice-funded grants
 * before their invoice, and grants booked with a later effective time.
 */
export function pendingAt(grants: readonly CreditGrant[], entries: readonly CreditEntry[], asOf: Date): Dec {
  let sum = dec(0);
  for (const g of grants) {
    if (g.voidedAt !== undefined) continue;
    const funded = fundedEntry(g, entries);
    if (!funded || ms(funded.bookedAt) > asOf.getTime()) sum = sum.plus(g.amount);
  }
  return sum;
}

/**
 * `live` = settled − what started, unfinished charges will still take: a `credit_then_invoice`
 * charge takes only credit it could use (one pool, grants in consumption order), a
 * `credit_only` charge takes its whole outstanding amount (customerbalance/calculation.go).
 */
export function liveBalance(settled: Dec, grants: readonly CreditGrant[], entries: readonly CreditEntry[], impacts: readonly OutstandingImpact[], now: Date): Dec {
  // one pool for all impacts: credit one charge will take is not there for the next
  const pool = new Map<string, BurnSource>();
  for (const g of grants) pool.set(g.id, burnSourceOf(g, entries, now));
  let live = settled;
  for (const i of impacts) {
    const want = dec(i.outstanding);
    if (i.settlementMode === SettlementMode.creditOnly) {
      live = live.minus(want);
      continue;
    }
    const sources = grants.filter((g) => g.currency === i.currency).map((g) => pool.get(g.id)!);
    const { allocations } = burn(sources, { amount: want, order: BurnOrders.live, ...(i.featureKey !== undefined ? { featureKey: i.featureKey } : {}) });
    for (const a of allocations) {
      const s = pool.get(a.sourceId)!;
      pool.set(a.sourceId, { ...s, available: s.available.minus(a.amount) });
      live = live.minus(a.amount);
    }
  }
  return live;
}

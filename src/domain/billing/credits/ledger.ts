/**
 * The pure arithmetic of customer credit: remainders, expiries, balances, running balances and
 * the consumption order. The service feeds it the stored grants and entries; nothing here reads
 * the store or the clock.
 */
import { D, dec, type Dec } from '../../shared/money.ts';
import { TransactionType, type CreditEntry, type CreditGrant, type FeatureView, type OutstandingImpact, SettlementMode } from './types.ts';

const ms = (iso: string): number => Date.parse(iso);

/** Does credit restricted to `featureKeys` (absent = unrestricted) belong to the view? */
export function inView(featureKeys: readonly string[] | undefined, view: FeatureView): boolean {
  const unrestricted = featureKeys === undefined || featureKeys.length === 0;
  if (view === undefined) return true;
  if ('exists' in view) return unrestricted;
  return unrestricted || featureKeys.includes(view.key);
}

/** Can credit restricted to `featureKeys` pay for a charge of `featureKey`? */
export const usableFor = (featureKeys: readonly string[] | undefined, featureKey: string | undefined): boolean =>
  featureKeys === undefined || featureKeys.length === 0 || (featureKey !== undefined && featureKeys.includes(featureKey));

/** The grant's funded entry, if its credit was booked (promotional/external at create, invoice once invoiced). */
export const fundedEntry = (g: CreditGrant, entries: readonly CreditEntry[]): CreditEntry | undefined =>
  entries.find((e) => e.grantId === g.id && e.type === TransactionType.funded);

/**
 * What is left of a grant's credit at `at`: nothing before it is booked, after it expires or once
 * voided; otherwise funded − consumed − voided (consumption only ever happens while it is live).
 */
export function remainingAt(g: CreditGrant, entries: readonly CreditEntry[], at: Date): Dec {
  const funded = fundedEntry(g, entries);
  if (!funded || ms(funded.bookedAt) > at.getTime()) return dec(0);
  if (g.expiresAt !== undefined && ms(g.expiresAt) <= at.getTime()) return dec(0);
  const net = entries.filter((e) => e.grantId === g.id).reduce<Dec>((a, e) => a.plus(e.amount), dec(0));
  return D.max(net, 0);
}

/** The expiry of a grant as a transaction: −(remainder just before `expiresAt`); undefined when nothing expired. */
export function expiredAmount(g: CreditGrant, entries: readonly CreditEntry[]): Dec | undefined {
  if (g.expiresAt === undefined) return undefined;
  const funded = fundedEntry(g, entries);
  if (!funded || ms(funded.bookedAt) >= ms(g.expiresAt)) return undefined;
  const net = entries.filter((e) => e.grantId === g.id && ms(e.bookedAt) < ms(g.expiresAt!)).reduce<Dec>((a, e) => a.plus(e.amount), dec(0));
  return net.gt(0) ? net.neg() : undefined;
}

/**
 * The order a charge collects credit in (ledger/collector/README.md): priority ascending, earliest
 * expiry first (non-expiring credit after expiring credit of the same priority), then the order
 * the grants were made.
 */
export function consumptionOrder(a: CreditGrant, b: CreditGrant): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ae = a.expiresAt === undefined ? Infinity : ms(a.expiresAt);
  const be = b.expiresAt === undefined ? Infinity : ms(b.expiresAt);
  if (ae !== be) return ae - be;
  return creationOrder(a, b);
}

/**
 * The order `live` walks credit in (customerbalance/service.go liveBalanceSource.Compare):
 * priority ascending, feature-restricted before unrestricted credit, then a stable order.
 */
export function liveSourceOrder(a: CreditGrant, b: CreditGrant): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ar = a.featureKeys?.length ? 0 : 1;
  const br = b.featureKeys?.length ? 0 : 1;
  if (ar !== br) return ar - br;
  return creationOrder(a, b);
}

const creationOrder = (a: CreditGrant, b: CreditGrant): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

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
  const pool = new Map<string, Dec>();
  for (const g of grants) pool.set(g.id, remainingAt(g, entries, now));
  let live = settled;
  const ordered = [...grants].sort(liveSourceOrder);
  for (const i of impacts) {
    const want = dec(i.outstanding);
    if (i.settlementMode === SettlementMode.creditOnly) {
      live = live.minus(want);
      continue;
    }
    let left = want;
    for (const g of ordered) {
      if (left.lte(0)) break;
      if (g.currency !== i.currency || !usableFor(g.featureKeys, i.featureKey)) continue;
      const avail = pool.get(g.id)!;
      const take = D.min(avail, left);
      if (take.lte(0)) continue;
      pool.set(g.id, avail.minus(take));
      left = left.minus(take);
      live = live.minus(take);
    }
  }
  return live;
}

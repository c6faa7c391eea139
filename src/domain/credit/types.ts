import type { Decimal } from 'decimal.js';
import { validationError } from '../shared/errors.ts';
import { floorToMinute } from '../shared/period.ts';
import { addCalendar, parseDuration, type Duration } from '../shared/recurrence.ts';
import { BurnOrders, compareBy, liveAt, type BurnSource, type Orderable } from './burn.ts';

/**
 * Engine-side grant: instants are Dates and amounts Decimals; the service converts from the
 * stored record (ISO strings, decimal strings). Every instant is used floored to the minute.
 */
export interface Grant {
  id: string;
  amount: Decimal;
  /** lower burns first; the API allows 1..255, the v1/v2 driver stores 0 when omitted */
  priority: number;
  /** first instant the grant is active */
  effectiveAt: Date;
  /** first instant the grant is no longer active (exclusive), from `expiresAtOf` */
  expiresAt?: Date;
  maxRolloverAmount: Decimal;
  minRolloverAmount: Decimal;
  /** at every `anchor + n × interval` inside the active window the balance is reset to `amount` */
  recurrence?: { interval: string; anchor: Date };
  /** first instant the grant is inactive because it was voided */
  voidedAt?: Date;
  /** first instant the grant is inactive because it was deleted */
  deletedAt?: Date;
  /** record creation time: the third burn-order key */
  createdAt: Date;
}

export const ExpirationDuration = {
  HOUR: 'HOUR',
  DAY: 'DAY',
  WEEK: 'WEEK',
  MONTH: 'MONTH',
  YEAR: 'YEAR',
} as const;
export type ExpirationDuration = (typeof ExpirationDuration)[keyof typeof ExpirationDuration];

export interface GrantExpiration {
  duration: ExpirationDuration;
  count: number;
}

/**
 * `credit/grant/expiration.go GetExpiration`: Go `AddDate`, which normalises overflow
 * (Jan 31 + 1 MONTH = Mar 3), unlike recurrences which clamp to the month end.
 */
export function expiresAtOf(effectiveAt: Date, expiration: GrantExpiration): Date {
  const { count } = expiration;
  if (!Number.isInteger(count) || count < 0) throw validationError('grant_expiration_invalid', `expiration count must be a non-negative integer, got ${count}`);
  switch (expiration.duration) {
    case 'HOUR':
      return new Date(effectiveAt.getTime() + count * 3_600_000);
    case 'DAY':
      return addCalendar(effectiveAt, 0, 0, count);
    case 'WEEK':
      return addCalendar(effectiveAt, 0, 0, count * 7);
    case 'MONTH':
      return addCalendar(effectiveAt, 0, count, 0);
    case 'YEAR':
      return addCalendar(effectiveAt, count, 0, 0);
    default:
      throw validationError('grant_expiration_invalid', `unknown expiration duration ${String(expiration.duration)}`);
  }
}

/** The meter aggregate over [from, to) for the entitlement's customer (injected: the engine does no I/O). */
export type UsageQuery = (from: Date, to: Date) => Decimal;

/**
 * State at `at` after burning all usage before `at` and BEFORE applying the grant events that
 * happen at `at` (activation, expiry, recurrence). Keeping events out makes resuming idempotent
 * and lets a reset roll over the pre-event balances; `viewAt` applies them for display.
 */
export interface EngineSnapshot {
  at: Date;
  /** only grants that were active during the run; missing active grants start at their amount */
  balances: Record<string, Decimal>;
  /** usage not covered by any grant, carried until a grant pays it off or a reset drops it */
  overage: Decimal;
  /**
   * Burnt from grants in the current usage period before `at` and not visible in segments after
   * it: on a reset snapshot, the preserved overage the reset paid (the real UsageSnapshot's
   * TotalGrantUsage). Counts towards totalAvailableGrantAmount when reads resume from it.
   */
  grantUsage?: Decimal;
}

export interface GrantUsage {
  grantId: string;
  usage: Decimal;
}

/**
 * One phase of the burn-down: no grant changes activity or recurs strictly inside [from, to). A
 * `rollover` segment is the zero-length transition [T, T] of a reset (`credit/engine/reset.go`):
 * it starts at the rolled-over balances and its grant usages are the preserved overage the reset
 * paid; it has no metered usage.
 */
export interface BurnSegment {
  from: Date;
  to: Date;
  /** meter aggregate over [from, to) */
  usage: Decimal;
  /** overage carried into the phase (after phase-start events) */
  overageAtStart: Decimal;
  /** Σ active grant balances after phase-start events, before burning */
  balanceAtStart: Decimal;
  /** per grant balance after phase-start events */
  balancesAtStart: Record<string, Decimal>;
  /** how much each grant burned in this phase, in burn order (includes overage pay-off) */
  grantUsages: GrantUsage[];
  overageAtEnd: Decimal;
  balanceAtEnd: Decimal;
  /** the zero-length reset transition */
  rollover?: true;
}

export type MeterAggregationName = 'SUM' | 'COUNT' | 'AVG' | 'MIN' | 'MAX' | 'UNIQUE_COUNT' | 'LATEST';

// ---- helpers shared by the engine files ----

const ms = (d: Date | undefined): number | undefined => (d ? floorToMinute(d).getTime() : undefined);

/** First minute the grant stops being active: min(expiresAt, deletedAt, voidedAt), floored. */
export function grantEndMs(g: Grant): number | undefined {
  const ends = [ms(g.expiresAt), ms(g.deletedAt), ms(g.voidedAt)].filter((x): x is number => x !== undefined);
  return ends.length ? Math.min(...ends) : undefined;
}

export const grantStartMs = (g: Grant): number => floorToMinute(g.effectiveAt).getTime();

/** effectiveAt ≤ t < min(expiresAt, deletedAt, voidedAt), all floored to the minute */
export function isActiveAt(g: Grant, t: Date): boolean {
  return liveAt(burnWindowOf(g), t);
}

/** The grant's window as the burn core sees it: [effectiveAt, min(expiresAt, deletedAt, voidedAt)), floored. */
function burnWindowOf(g: Grant): Pick<BurnSource, 'activeFrom' | 'activeUntil' | 'expiresAt'> {
  const end = grantEndMs(g);
  return { activeFrom: new Date(grantStartMs(g)), ...(end !== undefined ? { activeUntil: new Date(end) } : {}) };
}

/**
 * The grant as a source of the burn core, holding `available`: it sorts by its own expiry (not
 * by an earlier void or deletion), floored to the minute like every engine instant.
 */
export function burnSourceOf(g: Grant, available: Decimal): BurnSource {
  return { ...orderableOf(g), available, ...burnWindowOf(g) };
}

const orderableOf = (g: Grant): Orderable => ({
  id: g.id,
  priority: g.priority,
  ...(g.expiresAt ? { expiresAt: floorToMinute(g.expiresAt) } : {}),
  createdAt: g.createdAt,
});

export function recurrenceOf(g: Grant): { interval: Duration; anchor: Date } | undefined {
  if (!g.recurrence) return undefined;
  const interval = parseDuration(g.recurrence.interval);
  if (!interval) throw validationError('grant_recurrence_invalid', `invalid recurrence interval ${g.recurrence.interval}`);
  return { interval, anchor: floorToMinute(g.recurrence.anchor) };
}

const entitlementOrder = compareBy(BurnOrders.entitlement);

/** Burn order: priority asc, expiresAt asc (no expiry last), createdAt asc, id (the burn core's entitlement order). */
export function burnOrder(a: Grant, b: Grant): number {
  return entitlementOrder(orderableOf(a), orderableOf(b));
}

import type { Decimal } from 'decimal.js';
import { validationError } from '../shared/errors.ts';
import { D } from '../shared/money.ts';
import { floorToMinute } from '../shared/period.ts';
import { BurnOrders, burn } from './burn.ts';
import { isRecurrenceAt, sumBalances } from './burnDown.ts';
import { burnSourceOf, grantStartMs, isActiveAt, type BurnSegment, type EngineSnapshot, type Grant, type GrantUsage } from './types.ts';

/** Stable codes for reset / void rule violations. */
export const CreditErrorCode = {
  resetInFuture: 'reset_in_future',
  resetBeforeCurrentPeriodStart: 'reset_before_current_period_start',
  resetBeforeLastReset: 'reset_before_last_reset',
  resetSameMinuteAsLastReset: 'reset_same_minute_as_last_reset',
  voidInFuture: 'grant_void_in_future',
  voidBeforeCurrentPeriodStart: 'grant_void_before_current_period_start',
  grantAlreadyVoided: 'grant_already_voided',
  grantEffectiveBeforeCurrentPeriodStart: 'grant_effective_at_before_current_period_start',
  grantAmountNegative: 'grant_amount_negative',
  grantPriorityOutOfRange: 'grant_priority_out_of_range',
  grantRolloverNegative: 'grant_rollover_amount_negative',
  historyFromBeforeMeasureUsageFrom: 'history_from_before_measure_usage_from',
  historyRangeInvalid: 'history_range_invalid',
  balanceBeforeMeasureUsageFrom: 'balance_before_measure_usage_from',
} as const;

/**
 * Reset at T (`credit/engine/reset.go`): every grant active at T keeps
 * `min(maxRollover, max(minRollover, balance))`, inactive grants are dropped (so a grant expiring
 * exactly at T contributes 0). `snapshot` must be the engine state at T (events at T not applied).
 * With preserveOverage the ending overage is burnt from the rolled-over balances in burn order.
 *
 * Besides the new snapshot it returns the zero-length rollover segment [T, T] the real engine
 * puts into the history at every reset: it starts at the rolled-over balances (a grant that stops
 * at T still shows its ending balance there, as the real map keeps it) and its grant usages are the
 * overage paid, which count as grant usage of the new period (`grantUsage` on the snapshot).
 *
 * Grants that start or recur at T have nothing to roll over: the first phase after the reset
 * refills them to their amount anyway. They are therefore also left out of the preserved-overage
 * burn (paying overage from a balance that is about to be replaced would make it vanish); the
 * leftover overage stays in the snapshot and the first phase burns it from them instead.
 */
export function rolloverAt(
  snapshot: EngineSnapshot,
  grants: readonly Grant[],
  at: Date,
  opts: { preserveOverage: boolean },
): { snapshot: EngineSnapshot; segment: BurnSegment } {
  const T = floorToMinute(at);
  if (snapshot.at.getTime() !== T.getTime()) {
    throw new RangeError(`resetAt: snapshot is at ${snapshot.at.toISOString()}, reset at ${T.toISOString()}`);
  }
  const rolledOver: Record<string, Decimal> = { ...snapshot.balances };
  const balances: Record<string, Decimal> = {};
  const payers: Grant[] = [];
  for (const g of grants) {
    if (!isActiveAt(g, T) || grantStartMs(g) === T.getTime()) continue;
    const bal = snapshot.balances[g.id] ?? new D(0);
    balances[g.id] = D.min(g.maxRolloverAmount, D.max(g.minRolloverAmount, bal));
    rolledOver[g.id] = balances[g.id]!;
    if (!isRecurrenceAt(g, T)) payers.push(g);
  }
  const overageAtStart = opts.preserveOverage ? snapshot.overage : new D(0);
  // the preserved overage is paid from the rolled-over balances in burn order (the burn core)
  const paying = burn(
    payers.map((g) => burnSourceOf(g, balances[g.id]!)),
    { amount: overageAtStart, order: BurnOrders.entitlement },
  );
  const overage = paying.uncovered;
  const grantUsages: GrantUsage[] = paying.allocations.map((a) => {
    balances[a.sourceId] = balances[a.sourceId]!.minus(a.amount);
    return { grantId: a.sourceId, usage: a.amount };
  });
  const paid = grantUsages.reduce<Decimal>((a, u) => a.plus(u.usage), new D(0));
  const atStart = sumBalances(rolledOver);
  return {
    snapshot: { at: T, balances, overage, ...(paid.isZero() ? {} : { grantUsage: paid }) },
    segment: {
      from: T,
      to: T,
      usage: new D(0),
      overageAtStart,
      balanceAtStart: atStart,
      balancesAtStart: rolledOver,
      grantUsages,
      overageAtEnd: overage,
      balanceAtEnd: atStart.minus(paid),
      rollover: true,
    },
  };
}

/** The snapshot half of `rolloverAt`. */
export function resetAt(snapshot: EngineSnapshot, grants: readonly Grant[], at: Date, opts: { preserveOverage: boolean }): EngineSnapshot {
  return rolloverAt(snapshot, grants, at, opts).snapshot;
}

/**
 * Validate a manual reset time (`metered/reset.go`) and return it floored to the minute.
 * `currentPeriodStart` is the start of the usage period containing `now` (after the last reset).
 */
export function validateResetAt(input: { at: Date; now: Date; currentPeriodStart: Date; lastResetAt?: Date }): Date {
  const at = floorToMinute(input.at);
  if (at.getTime() > input.now.getTime()) throw validationError(CreditErrorCode.resetInFuture, `reset time ${at.toISOString()} is in the future`);
  if (input.lastResetAt) {
    const last = floorToMinute(input.lastResetAt);
    if (at.getTime() === last.getTime()) {
      throw validationError(CreditErrorCode.resetSameMinuteAsLastReset, `reset time ${at.toISOString()} is in the same minute as the last reset`);
    }
    if (at.getTime() < last.getTime()) {
      throw validationError(CreditErrorCode.resetBeforeLastReset, `reset time ${at.toISOString()} is before the last reset ${last.toISOString()}`);
    }
  }
  if (at.getTime() < floorToMinute(input.currentPeriodStart).getTime()) {
    throw validationError(
      CreditErrorCode.resetBeforeCurrentPeriodStart,
      `reset time ${at.toISOString()} is before the current usage period start ${input.currentPeriodStart.toISOString()}`,
    );
  }
  return at;
}

/** Validate voiding `grant` at `at` (default now, decided by the caller) and return the floored void time. */
export function validateVoidAt(input: { grant: Pick<Grant, 'id' | 'voidedAt'>; at: Date; now: Date; currentPeriodStart: Date }): Date {
  if (input.grant.voidedAt) throw validationError(CreditErrorCode.grantAlreadyVoided, `grant ${input.grant.id} is already voided`);
  const at = floorToMinute(input.at);
  if (at.getTime() > input.now.getTime()) throw validationError(CreditErrorCode.voidInFuture, `void time ${at.toISOString()} is in the future`);
  if (at.getTime() < floorToMinute(input.currentPeriodStart).getTime()) {
    throw validationError(
      CreditErrorCode.voidBeforeCurrentPeriodStart,
      `void time ${at.toISOString()} is before the current usage period start ${input.currentPeriodStart.toISOString()}`,
    );
  }
  return at;
}

export interface IssueAfterResetSource {
  measureUsageFrom: Date;
  issueAfterReset?: Decimal | null;
  issueAfterResetPriority?: number | null;
}

/**
 * The default grant of `issueAfterReset = A` (§4.5): effective at the first period start, amount
 * A, priority `issueAfterResetPriority ?? 1`, never expires, min = max rollover = A so every
 * reset puts it back to A. Undefined when A is absent or 0. Identity comes from the caller.
 */
export function issueAfterResetGrant(entitlement: IssueAfterResetSource, identity: { id: string; createdAt: Date }): Grant | undefined {
  const a = entitlement.issueAfterReset;
  if (!a || new D(a).lte(0)) return undefined;
  const amount = new D(a);
  return {
    id: identity.id,
    createdAt: identity.createdAt,
    amount,
    priority: entitlement.issueAfterResetPriority ?? 1,
    effectiveAt: floorToMinute(entitlement.measureUsageFrom),
    maxRolloverAmount: amount,
    minRolloverAmount: amount,
  };
}

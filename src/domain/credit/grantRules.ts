import type { Decimal } from 'decimal.js';
import { IssueCollector } from '../shared/errors.ts';
import { D } from '../shared/money.ts';
import { floorToMinute } from '../shared/period.ts';
import { isZero, parseDuration } from '../shared/recurrence.ts';
import { CreditErrorCode } from './reset.ts';

export interface GrantCreateInput {
  amount: Decimal;
  priority?: number;
  effectiveAt: Date;
  maxRolloverAmount?: Decimal;
  minRolloverAmount?: Decimal;
  recurrence?: { interval: string; anchor?: Date };
}

/**
 * Grant creation rules (§4.3). Returns the effectiveAt floored to the minute. Every violation is
 * reported at once.
 */
export function validateGrantCreate(input: GrantCreateInput, ctx: { currentPeriodStart: Date }): Date {
  const issues = new IssueCollector();
  if (input.amount.isNegative()) issues.add(CreditErrorCode.grantAmountNegative, 'amount must be >= 0', 'amount');
  if (input.priority !== undefined && (!Number.isInteger(input.priority) || input.priority < 1 || input.priority > 255)) {
    issues.add(CreditErrorCode.grantPriorityOutOfRange, 'priority must be an integer between 1 and 255', 'priority');
  }
  if (input.maxRolloverAmount?.isNegative()) issues.add(CreditErrorCode.grantRolloverNegative, 'maxRolloverAmount must be >= 0', 'maxRolloverAmount');
  if (input.minRolloverAmount?.isNegative()) issues.add(CreditErrorCode.grantRolloverNegative, 'minRolloverAmount must be >= 0', 'minRolloverAmount');
  const effectiveAt = floorToMinute(input.effectiveAt);
  if (effectiveAt.getTime() < floorToMinute(ctx.currentPeriodStart).getTime()) {
    issues.add(CreditErrorCode.grantEffectiveBeforeCurrentPeriodStart, 'effectiveAt must not be before the current usage period start', 'effectiveAt');
  }
  if (input.recurrence) {
    const d = parseDuration(input.recurrence.interval);
    if (!d || isZero(d)) issues.add('grant_recurrence_invalid', `invalid recurrence interval ${input.recurrence.interval}`, 'recurrence.interval');
  }
  issues.throwIfAny();
  return effectiveAt;
}

export type GrantApiVersion = 'v1' | 'v2';

/**
 * Rollover defaults differ by API: the deprecated v1 grant input defaults maxRolloverAmount to 0
 * (a reset wipes the grant), v2 defaults it to the grant amount. min defaults to 0 in both.
 */
export function rolloverDefaults(version: GrantApiVersion, amount: Decimal, given: { max?: Decimal; min?: Decimal } = {}): { max: Decimal; min: Decimal } {
  return {
    max: given.max ?? (version === 'v1' ? new D(0) : new D(amount)),
    min: given.min ?? new D(0),
  };
}

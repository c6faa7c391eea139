import { validationError } from '../../shared/errors.ts';
import { floorToSecond } from '../../shared/period.ts';
import { activeFromOf, activeToOf, alignedBillingPeriodAt } from './billingPeriods.ts';
import { SubscriptionStatus, type SubscriptionSpec } from './types.ts';

export const TimingEnum = { immediate: 'immediate', nextBillingCycle: 'next_billing_cycle' } as const;
/** `immediate` | `next_billing_cycle` | an RFC 3339 instant */
export type Timing = string;

/** How far in the past a custom create time may lie (clock skew between caller and service). */
export const CREATE_PAST_TOLERANCE_MS = 2 * 60 * 1000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseCustom(timing: Timing): Date {
  const t = RFC3339.test(timing) ? new Date(timing) : undefined;
  if (!t || Number.isNaN(t.getTime())) {
    throw validationError('invalid_timing', `timing must be "immediate", "next_billing_cycle" or an RFC 3339 timestamp, got "${timing}"`);
  }
  return t;
}

/** Create: `immediate` = now; a custom instant may be in the future (scheduled) but not > 2 min in the past. */
export function resolveCreateTiming(timing: Timing, now: Date): Date {
  if (timing === TimingEnum.immediate) return floorToSecond(now);
  if (timing === TimingEnum.nextBillingCycle) {
    // There is no billing cycle before the subscription exists; only /change may use it.
    throw validationError('timing_next_billing_cycle_not_supported', 'next_billing_cycle is not supported when creating a subscription');
  }
  const t = parseCustom(timing);
  if (t.getTime() < now.getTime() - CREATE_PAST_TOLERANCE_MS) {
    throw validationError('timing_in_the_past', `subscription cannot start more than 2 minutes in the past (${t.toISOString()})`);
  }
  return floorToSecond(t);
}

/**
 * Cancel: `immediate` = now, `next_billing_cycle` = end of the aligned billing period containing
 * now, a custom instant must be exactly a billing-period boundary of the aligned cadence.
 */
export function resolveCancelTiming(spec: SubscriptionSpec, timing: Timing, now: Date): Date {
  const at = floorToSecond(now);
  const custom = timing !== TimingEnum.immediate && timing !== TimingEnum.nextBillingCycle;
  let t: Date;
  if (timing === TimingEnum.immediate) t = at;
  else if (timing === TimingEnum.nextBillingCycle) t = alignedBillingPeriodAt(spec, at).to;
  else {
    t = parseCustom(timing);
    if (t.getTime() !== floorToSecond(t).getTime()) throw notOnBoundary(t);
    if (t.getTime() < at.getTime()) {
      throw validationError('timing_in_the_past', `cancelation time ${t.toISOString()} is in the past`);
    }
  }
  if (t.getTime() < activeFromOf(spec).getTime()) {
    throw validationError('timing_before_subscription_start', `cancelation time ${t.toISOString()} is before the subscription starts`);
  }
  const end = activeToOf(spec);
  if (end && t.getTime() > end.getTime()) {
    throw validationError('timing_after_subscription_end', `cancelation time ${t.toISOString()} is after the subscription ends`);
  }
  // The current end is the end of the last billing period, hence a boundary too.
  if (custom && !(end && end.getTime() === t.getTime()) && alignedBillingPeriodAt(spec, t).from.getTime() !== t.getTime()) {
    throw notOnBoundary(t);
  }
  return t;
}

const notOnBoundary = (t: Date) =>
  validationError('timing_not_aligned_with_billing_period', `cancelation time ${t.toISOString()} must fall on a billing-period boundary`);

/**
 * Change = cancel the current subscription at the timing and create the new one at exactly the
 * same instant, so both rule sets apply; the instant is both the old activeTo and the new activeFrom.
 */
export function resolveChangeTiming(current: SubscriptionSpec, timing: Timing, now: Date): Date {
  const t = resolveCancelTiming(current, timing, now);
  return timing === TimingEnum.immediate || timing === TimingEnum.nextBillingCycle ? t : resolveCreateTiming(t.toISOString(), now);
}

/** §3.1 status at t; a deleted subscription is always inactive. */
export function statusAt(spec: SubscriptionSpec, t: Date, opts: { deleted?: boolean } = {}): SubscriptionStatus {
  if (opts.deleted) return SubscriptionStatus.inactive;
  const at = floorToSecond(t).getTime();
  if (activeFromOf(spec).getTime() > at) return SubscriptionStatus.scheduled;
  const end = activeToOf(spec);
  if (!end) return SubscriptionStatus.active;
  return end.getTime() > at ? SubscriptionStatus.canceled : SubscriptionStatus.inactive;
}

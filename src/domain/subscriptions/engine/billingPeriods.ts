import { validationError } from '../../shared/errors.ts';
import { floorToSecond, type Period } from '../../shared/period.ts';
import { addDuration, isZero, parseDuration, recurrencePeriodAt, type Duration } from '../../shared/recurrence.ts';
import type { SubscriptionPhaseSpec, SubscriptionSpec } from './types.ts';

/** A period whose end may be open (`to` undefined = until the subscription is canceled). */
export interface OpenPeriod {
  from: Date;
  to?: Date;
}

export interface ResolvedPhase {
  key: string;
  spec: SubscriptionPhaseSpec;
  period: OpenPeriod;
}

// Billing works at 1-second resolution (OpenMeter streaming/defaults.go), so every instant is floored on the way in.
export function instant(text: string, field: string): Date {
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw validationError('invalid_subscription_spec', `${field} is not a valid timestamp: ${text}`);
  return floorToSecond(t);
}

export function duration(text: string, field: string, allowZero = false): Duration {
  const d = parseDuration(text);
  if (!d || (!allowZero && isZero(d))) throw validationError('invalid_subscription_spec', `${field} is not a valid ISO-8601 duration: ${text}`);
  return d;
}

export const activeFromOf = (spec: SubscriptionSpec): Date => instant(spec.activeFrom, 'activeFrom');
export const activeToOf = (spec: SubscriptionSpec): Date | undefined =>
  spec.activeTo === undefined ? undefined : instant(spec.activeTo, 'activeTo');

/**
 * Phases in start order with their resolved [start, end): a phase ends when the next one begins
 * or when the subscription ends. Phases that would start at/after the subscription end, or that
 * are shadowed by a later phase with the same start, never run and are left out.
 */
export function resolvePhases(spec: SubscriptionSpec): ResolvedPhase[] {
  const from = activeFromOf(spec);
  const end = activeToOf(spec);
  const starts = spec.phases
    .map((p, i) => ({ p, i, start: floorToSecond(addDuration(from, duration(p.startAfter, `phases[${i}].startAfter`, true))) }))
    .sort((a, b) => a.start.getTime() - b.start.getTime() || a.i - b.i);
  const out: ResolvedPhase[] = [];
  starts.forEach(({ p, start }, i) => {
    const next = starts[i + 1]?.start;
    let to = next;
    if (end && (!to || end.getTime() < to.getTime())) to = end;
    if (to && to.getTime() <= start.getTime()) return;
    out.push({ key: p.key, spec: p, period: to ? { from: start, to } : { from: start } });
  });
  return out;
}

const inOpen = (p: OpenPeriod, t: Date): boolean => t.getTime() >= p.from.getTime() && (!p.to || t.getTime() < p.to.getTime());

export function phaseAt(spec: SubscriptionSpec, t: Date): ResolvedPhase | undefined {
  const at = floorToSecond(t);
  return resolvePhases(spec).find((p) => inOpen(p.period, at));
}

/** The billing-cadence recurrence period from the anchor containing t, not clipped to anything. */
export function billingRecurrenceAt(spec: SubscriptionSpec, t: Date): Period {
  const p = recurrencePeriodAt(instant(spec.billingAnchor, 'billingAnchor'), duration(spec.billingCadence, 'billingCadence'), floorToSecond(t));
  return { from: floorToSecond(p.from), to: floorToSecond(p.to) };
}

export function clipToPhase(p: Period, phase: OpenPeriod): Period {
  const from = p.from.getTime() < phase.from.getTime() ? phase.from : p.from;
  const to = phase.to && phase.to.getTime() < p.to.getTime() ? phase.to : p.to;
  return { from, to };
}

/**
 * GetAlignedBillingPeriodAt: the recurrence of billingCadence from billingAnchor containing t,
 * clipped to the phase running at t. t outside the subscription has no billing period.
 */
export function alignedBillingPeriodAt(spec: SubscriptionSpec, t: Date): Period {
  const phase = phaseAt(spec, t);
  if (!phase) {
    throw validationError('subscription_not_active_at_time', `subscription ${spec.id} is not active at ${floorToSecond(t).toISOString()}`);
  }
  return clipToPhase(billingRecurrenceAt(spec, t), phase.period);
}

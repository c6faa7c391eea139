/**
 * Status of versioned catalog resources (plans, add-ons), computed from the effective period
 * and the clock — never stored, so moving the clock changes it.
 */
import type { AddonStatus, PlanStatus } from './types.ts';

export interface EffectivePeriod {
  effectiveFrom?: string;
  effectiveTo?: string;
}

export function planStatusAt(p: EffectivePeriod, now: Date): PlanStatus {
  if (!p.effectiveFrom) return 'draft';
  const t = now.getTime();
  const from = Date.parse(p.effectiveFrom);
  const to = p.effectiveTo ? Date.parse(p.effectiveTo) : undefined;
  if (to !== undefined && to <= t) return 'archived';
  if (from > t) return 'scheduled';
  return 'active';
}

/** Add-ons have no `scheduled` status on the wire: publishing one in the future is rejected. */
export function addonStatusAt(p: EffectivePeriod, now: Date): AddonStatus {
  const s = planStatusAt(p, now);
  return s === 'scheduled' ? 'draft' : s;
}

/**
 * Compatibility of an add-on with a plan (PlanAddon). Checked when the assignment is created or
 * updated, and again when the plan is published (the add-on may have been archived since).
 */
import { IssueCollector, type ValidationIssue } from '../shared/errors.ts';
import { CatalogIssueCode as C } from './errors.ts';
import { cadencesAlign, parseIsoDuration } from './isoDuration.ts';
import type { AddonRecord, AddonStatus, PlanRecord, RateCard } from './types.ts';

export interface PlanAddonShape {
  fromPlanPhase: string;
  maxQuantity?: number | null;
}

const priceKind = (rc: RateCard): string => rc.price?.type ?? 'none';

export function validatePlanAddonCompatibility(
  plan: PlanRecord,
  addon: AddonRecord,
  addonStatus: AddonStatus,
  pa: PlanAddonShape,
): ValidationIssue[] {
  const ic = new IssueCollector();
  if (addonStatus !== 'active') {
    ic.add(C.planAddonIncompatibleAddonStatus, `add-on ${addon.key}@v${addon.version} is ${addonStatus}; only active add-ons can be assigned`, 'addonId');
  }
  if (addon.currency !== plan.currency) {
    ic.add(C.planAddonCurrencyMismatch, `add-on currency ${addon.currency} differs from plan currency ${plan.currency}`, 'addon.currency');
  }
  const phaseIdx = plan.phases.findIndex((p) => p.key === pa.fromPlanPhase);
  if (phaseIdx < 0) {
    ic.add(C.planAddonUnknownPlanPhaseKey, `plan ${plan.key} has no phase ${pa.fromPlanPhase}`, 'fromPlanPhase');
  }
  if (pa.maxQuantity !== undefined && pa.maxQuantity !== null) {
    if (addon.instanceType === 'single') {
      // "not applicable" for single-instance add-ons; 1 says the same thing, so it is tolerated
      if (pa.maxQuantity !== 1) ic.add(C.planAddonMaxQuantityMustNotBeSet, 'maxQuantity must not be set for a single-instance add-on', 'maxQuantity');
    } else if (!Number.isInteger(pa.maxQuantity) || pa.maxQuantity < 1) {
      ic.add(C.planAddonMaxQuantityInvalid, 'maxQuantity must be an integer of at least 1', 'maxQuantity');
    }
  }

  const planCadence = parseIsoDuration(plan.billingCadence);
  addon.rateCards.forEach((arc, j) => {
    const f = `addon.rateCards[${j}]`;
    const c = arc.billingCadence ? parseIsoDuration(arc.billingCadence) : undefined;
    if (c && planCadence && !cadencesAlign(c, planCadence)) {
      ic.add(C.rateCardBillingCadenceUnaligned, `add-on rate card ${arc.key} cadence ${arc.billingCadence} does not align with plan cadence ${plan.billingCadence}`, `${f}.billingCadence`);
    }
    if (phaseIdx < 0) return;
    // an add-on rate card extending a plan rate card of the same key must be mergeable into it (§3.5)
    plan.phases.slice(phaseIdx).forEach((ph) => {
      const prc = ph.rateCards.find((r) => r.key === arc.key);
      if (!prc) return;
      const problems: string[] = [];
      if (prc.type !== arc.type) problems.push('rate card type differs');
      if ((prc.featureKey ?? null) !== (arc.featureKey ?? null)) problems.push('feature differs');
      if ((prc.billingCadence ?? null) !== (arc.billingCadence ?? null)) problems.push('billing cadence differs');
      const pk = priceKind(prc);
      const ak = priceKind(arc);
      if (pk !== 'none' && ak !== 'none' && (pk !== 'flat' || ak !== 'flat')) problems.push('only flat prices can be added together');
      if (prc.entitlementTemplate && arc.entitlementTemplate && prc.entitlementTemplate.type !== arc.entitlementTemplate.type) {
        problems.push('entitlement template type differs');
      }
      if (problems.length > 0) {
        ic.add(C.planAddonIncompatibleRateCard, `add-on rate card ${arc.key} is incompatible with phase ${ph.key}: ${problems.join(', ')}`, `${f}`);
      }
    });
  });
  return ic.issues;
}

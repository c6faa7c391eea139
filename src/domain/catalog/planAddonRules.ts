/**
 * Compatibility of an add-on with a plan (productcatalog/planaddon.go PlanAddon.Validate).
 * The real service stores an assignment after checking only statuses and currencies; this list
 * is what every read reports as the assignment's `validationErrors`, what an update re-checks,
 * and what makes the plan's publish fail with `plan_has_incompatible_addon`.
 */
import { IssueCollector, type ValidationIssue } from '../shared/errors.ts';
import { CATALOG_MESSAGES, CatalogIssueCode as C, severityOf } from './errors.ts';
import { cadencesAlign, durationsEqual, isZeroDuration, parseIsoDuration } from './isoDuration.ts';
import type { AddonRecord, AddonStatus, PlanRecord, PlanStatus, RateCard } from './types.ts';
import { ROOT, byKey } from './validation.ts';

export interface PlanAddonShape {
  fromPlanPhase: string;
  maxQuantity?: number | null;
}

function add(ic: IssueCollector, code: string, field: string | undefined, message?: string): void {
  ic.add(code, message ?? CATALOG_MESSAGES[code] ?? code, field, { severity: severityOf(code) });
}

const sameDuration = (a: string | null | undefined, b: string | null | undefined): boolean => {
  const da = a ? parseIsoDuration(a) : undefined;
  const db = b ? parseIsoDuration(b) : undefined;
  return da && db ? durationsEqual(da, db) : a === b;
};

/** RateCardWithOverlay.Validate: can the add-on rate card be layered onto the plan's one of the same key. */
function overlayIssues(ic: IssueCollector, base: RateCard, overlay: RateCard): void {
  const rcPath = `${ROOT}.addon.${byKey('ratecards', base.key)}`;
  if (base.price && overlay.price) {
    if (base.price.type !== overlay.price.type) add(ic, C.rateCardPriceTypeMismatch, `${rcPath}.price`);
    if (base.price.type === 'flat' && overlay.price.type === 'flat') {
      if ((base.price.paymentTerm ?? 'in_advance') !== (overlay.price.paymentTerm ?? 'in_advance')) add(ic, C.rateCardPricePaymentTermMismatch, `${rcPath}.price`);
    } else if (base.price.type !== 'flat') {
      add(ic, C.rateCardOnlyFlatPriceAllowed, `${rcPath}.price`);
    }
  }
  if (base.featureKey && overlay.featureKey && base.featureKey !== overlay.featureKey) add(ic, C.rateCardFeatureKeyMismatch, `${rcPath}.featureKey`);
  if (base.billingCadence && overlay.billingCadence && !sameDuration(base.billingCadence, overlay.billingCadence)) {
    add(ic, C.rateCardBillingCadenceMismatch, `${rcPath}.billingCadence`);
  }
  const bt = base.entitlementTemplate;
  const ot = overlay.entitlementTemplate;
  if (bt && ot) {
    if (bt.type !== ot.type) add(ic, C.rateCardEntitlementTemplateTypeMismatch, `${rcPath}.entitlementTemplate.type`);
    else if (bt.type === 'static') add(ic, C.rateCardStaticEntitlementTemplateNotAllowed, `${rcPath}.entitlementTemplate.type`);
    else if (bt.type === 'metered' && ot.type === 'metered' && !sameDuration(bt.usagePeriod, ot.usagePeriod)) {
      add(ic, C.rateCardMeteredEntitlementTemplateUsagePeriodMismatch, `${rcPath}.entitlementTemplate.usagePeriod`);
    }
  }
  if (base.discounts?.percentage && overlay.discounts?.percentage) add(ic, C.rateCardPercentageDiscountNotAllowed, `${rcPath}.discounts.percentage`);
}

/** Currency rules (ValidatePlanAddonRateCardCurrencies); also checked when the assignment is created. */
export function validatePlanAddonCurrencies(plan: PlanRecord, addon: AddonRecord, fromPlanPhase: string): ValidationIssue[] {
  const ic = new IssueCollector();
  if (plan.currency === addon.currency) return ic.issues;
  add(ic, C.planMultipleFiatCurrencies, `${ROOT}.addon.currency`);
  const from = plan.phases.findIndex((p) => p.key === fromPlanPhase);
  if (from < 0) return ic.issues;
  for (const ph of plan.phases.slice(from)) {
    for (const arc of addon.rateCards) {
      if (!arc.price) continue;
      const field = `${ROOT}.addon.${byKey('ratecards', arc.key)}.currency`;
      const prc = ph.rateCards.find((r) => r.key === arc.key);
      add(ic, prc?.price ? C.planAddonCurrencyMismatch : C.planMultipleFiatCurrencies, field);
    }
  }
  return ic.issues;
}

export function validatePlanAddonCompatibility(
  plan: PlanRecord,
  planStatus: PlanStatus,
  addon: AddonRecord,
  addonStatus: AddonStatus,
  pa: PlanAddonShape,
): ValidationIssue[] {
  const ic = new IssueCollector();
  if (planStatus !== 'draft' && planStatus !== 'active' && planStatus !== 'scheduled') add(ic, C.planAddonIncompatibleStatus, `${ROOT}.plan.status`);
  // an add-on with a scheduled end is not assignable either: add-ons have no scheduled changes
  if (addonStatus !== 'active' || addon.effectiveTo) add(ic, C.planAddonIncompatibleStatus, `${ROOT}.addon.status`);

  if (pa.maxQuantity !== undefined && pa.maxQuantity !== null) {
    if (addon.instanceType === 'multiple' && pa.maxQuantity <= 0) add(ic, C.planAddonMaxQuantityMustBeSet, `${ROOT}.maxQuantity`);
    if (addon.instanceType === 'single') add(ic, C.planAddonMaxQuantityMustNotBeSet, `${ROOT}.maxQuantity`);
  }

  // ValidateAddonBillingCadenceAreAlignedWithPlan reports the first unaligned cadence only
  const planCadence = parseIsoDuration(plan.billingCadence);
  const unaligned = addon.rateCards.some((rc) => {
    const c = rc.billingCadence ? parseIsoDuration(rc.billingCadence) : undefined;
    return c && planCadence && !isZeroDuration(c) && !cadencesAlign(c, planCadence);
  });
  if (unaligned) add(ic, C.rateCardBillingCadenceUnaligned, `${ROOT}.billingCadence`);

  const from = plan.phases.findIndex((p) => p.key === pa.fromPlanPhase);
  if (from < 0) {
    add(ic, C.planAddonUnknownPlanPhaseKey, `${ROOT}.fromPlanPhase`);
    return ic.issues;
  }
  for (const ph of plan.phases.slice(from)) {
    for (const arc of addon.rateCards) {
      const prc = ph.rateCards.find((r) => r.key === arc.key);
      if (prc) overlayIssues(ic, prc, arc);
    }
  }
  ic.issues.push(...validatePlanAddonCurrencies(plan, addon, pa.fromPlanPhase));
  return ic.issues;
}

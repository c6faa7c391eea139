/**
 * Every product-catalog rule, as pure functions returning issues. Each issue carries the real
 * service's severity (`severityOf`, from productcatalog/errors.go) and a JSONPath `field` that
 * selects phases and rate cards by key, the way the real service builds it
 * (pkg/models/fielddescriptor.go), e.g. `$.phases[?(@.key=='default')].ratecards[?(@.key=='api')].featureKey`.
 *
 * When each rule runs, as in the real service (plan/service/plan.go, addon/service/addon.go):
 *  - `validatePlan` / `validateAddon`: the structural rules (`Plan.Validate`, `Addon.Validate`).
 *    Create and update reject only the critical ones; the whole list is what a stored draft
 *    reports as `validationErrors`.
 *  - `resolveRateCardFeatures`: create and update resolve every featureKey; an unknown feature is
 *    a critical `rate_card_feature_not_found`.
 *  - `validateRateCardFeatures` (plans and add-ons) and `validateAddonPublishable`: checked only
 *    when publishing (features archived since, priced features without a meter, add-on price and
 *    cadence rules). Publish refuses on any issue, warning or critical.
 */
import { D, isDecimalString } from '../shared/money.ts';
import { IssueCollector, type ValidationIssue } from '../shared/errors.ts';
import { CATALOG_MESSAGES, CatalogIssueCode as C, severityOf } from './errors.ts';
import {
  cadencesAlign,
  durationsEqual,
  isAtLeastAnHour,
  isZeroDuration,
  parseIsoDuration,
  type IsoDuration,
} from './isoDuration.ts';
import type {
  Discounts,
  EntitlementTemplate,
  Feature,
  PlanPhase,
  Price,
  PriceTier,
  RateCard,
  TaxConfig,
} from './types.ts';

export const KEY_RE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const CURRENCY_RE = /^[A-Z]{3}$/;
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$/;
const STRIPE_TAX_CODE_RE = /^txcd_\d{8}$/;

/** Plan billing cadences the real service accepts (ErrPlanBillingCadenceAllowedValues), compared by value. */
const ALLOWED_PLAN_CADENCES = ['P1W', 'P2W', 'P4W', 'P1M', 'P3M', 'P6M', 'P12M', 'P1Y'].map((s) => parseIsoDuration(s)!);

/**
 * Resolves a feature key. Must return the live (non-archived) feature with that key, or, when
 * none is live, the most recently archived one — so "archived" and "unknown" can be told apart.
 */
export type FeatureResolver = (key: string) => Feature | undefined;

export interface CatalogContext {
  features: FeatureResolver;
}

export interface PlanShape {
  key: string;
  name: string;
  currency: string;
  billingCadence: string;
  phases: PlanPhase[];
}

export interface AddonShape {
  key: string;
  name: string;
  currency: string;
  instanceType: string;
  rateCards: RateCard[];
}

// ---------------------------------------------------------------------------------------------
// Paths and issues

/** JSONPath of a list member selected by key: `phases[?(@.key=='default')]`. */
export const byKey = (list: string, key: string): string => `${list}[?(@.key=='${key}')]`;
const join = (base: string, leaf: string): string => `${base}.${leaf}`;
export const ROOT = '$';

/** Adds an issue with the code's real severity (or `severity` when the same code can be both). */
function add(ic: IssueCollector, code: string, field: string | undefined, message?: string, severity = severityOf(code)): void {
  ic.add(code, message ?? CATALOG_MESSAGES[code] ?? code, field, { severity });
}

/** Issues that reject a create or update (the real IgnoreNonCriticalIssues filter). */
export const criticalOnly = (issues: ValidationIssue[]): ValidationIssue[] => issues.filter((i) => i.severity !== 'warning');

// ---------------------------------------------------------------------------------------------
// Primitives

export function validateKey(ic: IssueCollector, key: unknown, field: string): void {
  if (typeof key !== 'string' || key.length < 1 || key.length > 64 || !KEY_RE.test(key)) {
    add(ic, C.resourceKeyInvalid, field, `invalid key ${JSON.stringify(key)}: must match ^[a-z0-9]+(?:_[a-z0-9]+)*$ (1-64 characters)`);
  }
}

export function validateName(ic: IssueCollector, name: unknown, field: string): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 256) add(ic, C.nameRequired, field, 'name must be 1 to 256 characters');
}

export function validateCurrency(ic: IssueCollector, currency: unknown, field: string): void {
  if (typeof currency !== 'string' || !CURRENCY_RE.test(currency)) add(ic, C.currencyInvalid, field);
}

/** decimal string check; returns the value when it is a valid decimal */
function decimalAt(ic: IssueCollector, v: unknown, field: string, code: string = C.priceAmountInvalid) {
  if (!isDecimalString(v)) {
    add(ic, code, field, `${field.split('.').pop()} must be a decimal string, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return new D(v);
}

function nonNegativeAmount(ic: IssueCollector, v: unknown, field: string): void {
  const d = decimalAt(ic, v, field);
  if (d && d.isNegative()) add(ic, C.priceAmountNegative, field, 'the amount must not be negative');
}

export function validatePlanBillingCadence(ic: IssueCollector, cadence: unknown, field = join(ROOT, 'billingCadence')): IsoDuration | undefined {
  const d = typeof cadence === 'string' ? parseIsoDuration(cadence) : undefined;
  if (!d || !ALLOWED_PLAN_CADENCES.some((a) => durationsEqual(a, d))) {
    add(ic, C.planBillingCadenceInvalid, field);
    return undefined;
  }
  return d;
}

/**
 * A rate card cadence: zero or shorter than an hour is the real warning
 * `billing_cadence_invalid_value`; a string that is no duration at all cannot be stored.
 */
function rateCardCadence(ic: IssueCollector, cadence: unknown, field: string): IsoDuration | undefined {
  const d = typeof cadence === 'string' ? parseIsoDuration(cadence) : undefined;
  if (!d) {
    add(ic, C.billingCadenceInvalidValue, field, `invalid billing cadence ${JSON.stringify(cadence)}: not an ISO-8601 duration`, 'critical');
    return undefined;
  }
  if (isZeroDuration(d) || !isAtLeastAnHour(d)) add(ic, C.billingCadenceInvalidValue, field);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Prices (OpenMeter productcatalog/price.go)

function validateCommitments(ic: IssueCollector, p: { minimumAmount?: string; maximumAmount?: string }, field: string): void {
  let min: InstanceType<typeof D> | undefined;
  let max: InstanceType<typeof D> | undefined;
  if (p.minimumAmount !== undefined && p.minimumAmount !== null) {
    min = decimalAt(ic, p.minimumAmount, join(field, 'minimumAmount'));
    if (min?.isNegative()) add(ic, C.priceCommitmentNegative, join(field, 'minimumAmount'), 'the minimum amount must not be negative');
  }
  if (p.maximumAmount !== undefined && p.maximumAmount !== null) {
    max = decimalAt(ic, p.maximumAmount, join(field, 'maximumAmount'));
    if (max?.isNegative()) add(ic, C.priceCommitmentNegative, join(field, 'maximumAmount'), 'the maximum amount must not be negative');
  }
  // only compared when both are set and non-zero: a zero bound means "no bound"
  if (min && max && !min.isZero() && !max.isZero() && min.greaterThan(max)) {
    add(ic, C.priceMinimumAmountGreaterThanMaximum, join(field, 'minimumAmount'), 'the minimum amount must not be greater than the maximum amount');
  }
}

function validateTiers(ic: IssueCollector, tiers: PriceTier[] | undefined, field: string): void {
  const f = join(field, 'tiers');
  if (!Array.isArray(tiers) || tiers.length === 0) {
    add(ic, C.tieredPriceWithNoTiers, f, 'a tiered price needs at least one tier');
    return;
  }
  let open = 0;
  const seen = new Map<string, number>();
  tiers.forEach((t, i) => {
    const tf = `${f}[${i}]`;
    if (t.upToAmount === null || t.upToAmount === undefined) {
      open += 1;
    } else {
      const up = decimalAt(ic, t.upToAmount, join(tf, 'upToAmount'));
      if (up?.isNegative()) add(ic, C.priceAmountNegative, join(tf, 'upToAmount'), 'upToAmount must not be negative');
      if (up && !up.isZero()) {
        const k = up.toFixed();
        if (seen.has(k)) add(ic, C.tieredPriceDuplicatedUpToAmount, join(tf, 'upToAmount'), `duplicated upToAmount ${k} (tiers ${seen.get(k)} and ${i})`);
        else seen.set(k, i);
      }
    }
    if (!t.flatPrice && !t.unitPrice) add(ic, C.tieredPriceTierWithNoPrice, tf, 'a tier needs a flat price and/or a unit price');
    if (t.flatPrice) nonNegativeAmount(ic, t.flatPrice.amount, join(tf, 'flatPrice.amount'));
    if (t.unitPrice) nonNegativeAmount(ic, t.unitPrice.amount, join(tf, 'unitPrice.amount'));
  });
  if (open === 0) add(ic, C.tieredPriceMissingOpenEndedTier, f, 'a tiered price needs an open-ended last tier (no upToAmount)');
  if (open > 1) add(ic, C.tieredPriceMultipleOpenEndedTiers, f, 'a tiered price may have only one open-ended tier');
}

export function validatePrice(ic: IssueCollector, price: Price, field: string): void {
  switch (price.type) {
    case 'flat':
      nonNegativeAmount(ic, price.amount, join(field, 'amount'));
      if (price.paymentTerm !== undefined && price.paymentTerm !== 'in_advance' && price.paymentTerm !== 'in_arrears') {
        add(ic, C.pricePaymentTermInvalid, join(field, 'paymentTerm'), `invalid payment term ${JSON.stringify(price.paymentTerm)}`);
      }
      return;
    case 'unit':
      nonNegativeAmount(ic, price.amount, join(field, 'amount'));
      validateCommitments(ic, price, field);
      return;
    case 'tiered':
      if (price.mode !== 'volume' && price.mode !== 'graduated') {
        add(ic, C.tieredPriceModeInvalid, join(field, 'mode'), `invalid tiered price mode ${JSON.stringify(price.mode)}`);
      }
      validateTiers(ic, price.tiers, field);
      validateCommitments(ic, price, field);
      return;
    case 'package': {
      nonNegativeAmount(ic, price.amount, join(field, 'amount'));
      const q = decimalAt(ic, price.quantityPerPackage, join(field, 'quantityPerPackage'), C.packagePriceInvalidQuantityPerPackage);
      if (q && !q.greaterThan(0)) add(ic, C.packagePriceInvalidQuantityPerPackage, join(field, 'quantityPerPackage'), 'quantityPerPackage must be greater than 0');
      validateCommitments(ic, price, field);
      return;
    }
    case 'dynamic': {
      if (price.multiplier !== undefined) {
        const m = decimalAt(ic, price.multiplier, join(field, 'multiplier'), C.dynamicPriceNegativeMultiplier);
        if (m?.isNegative()) add(ic, C.dynamicPriceNegativeMultiplier, join(field, 'multiplier'), 'the multiplier must not be negative');
      }
      validateCommitments(ic, price, field);
      return;
    }
    default:
      add(ic, C.priceTypeInvalid, join(field, 'type'), `invalid price type ${JSON.stringify((price as { type?: unknown }).type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Discounts (productcatalog/discount.go)

export function validateDiscounts(ic: IssueCollector, discounts: Discounts, price: Price | null, field: string): void {
  if (!price && (discounts.percentage || discounts.usage)) {
    add(ic, C.rateCardDiscountsWithNoPrice, field, 'price is required for discounts');
  }
  if (discounts.percentage) {
    const raw = discounts.percentage.percentage;
    const p = typeof raw === 'number' || isDecimalString(raw) ? new D(raw) : undefined;
    if (!p || p.isNegative() || p.greaterThan(100)) add(ic, C.percentageDiscountInvalidValue, join(field, 'percentage.percentage'));
  }
  if (discounts.usage) {
    const q = isDecimalString(discounts.usage.quantity) ? new D(discounts.usage.quantity) : undefined;
    if (!q || q.isNegative()) add(ic, C.usageDiscountNegativeQuantity, join(field, 'usage.quantity'));
    // the real issue has no field of its own, so it is reported without one
    if (price?.type === 'flat') add(ic, C.usageDiscountWithFlatPrice, undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Entitlement templates (productcatalog/entitlement.go, ratecard.go RateCardMeta.Validate)

function validateEntitlementTemplate(ic: IssueCollector, t: EntitlementTemplate, rc: RateCard, rcPath: string): void {
  const field = join(rcPath, 'entitlementTemplate');
  if (!rc.featureKey) add(ic, C.entitlementTemplateWithNoFeature, join(rcPath, 'featureKey'));
  switch (t.type) {
    case 'metered': {
      if (t.issueAfterResetPriority !== undefined && t.issueAfterResetPriority !== null && (t.issueAfterReset === undefined || t.issueAfterReset === null)) {
        add(ic, C.entitlementTemplateInvalidIssueAfterResetWithPriority, join(field, 'issueAfterReset'));
      }
      // the usage period defaults to the rate card cadence (filled in by normalizeRateCard)
      const period = t.usagePeriod ?? rc.billingCadence ?? undefined;
      const f = join(field, 'usagePeriod');
      if (period === undefined || period === null) {
        add(ic, C.entitlementTemplateUsagePeriodInvalid, f, 'missing UsagePeriod for Metered EntitlementTemplate where cannot infer from BillingCadence');
      } else {
        const d = parseIsoDuration(period);
        if (!d) add(ic, C.entitlementTemplateUsagePeriodInvalid, f, `invalid usage period ${JSON.stringify(period)}`);
        else {
          if (isZeroDuration(d)) add(ic, C.entitlementTemplateNegativeUsagePeriod, f);
          if (!isAtLeastAnHour(d)) add(ic, C.entitlementTemplateUsagePeriodLessThenAnHour, f);
        }
      }
      if (t.issueAfterReset !== undefined && t.issueAfterReset !== null && !(t.issueAfterReset >= 0)) {
        add(ic, C.entitlementTemplateIssueAfterResetNegative, join(field, 'issueAfterReset'), 'issueAfterReset must not be negative');
      }
      // added to the real service in 2026-03 (ratecard.go RateCardMeta.Validate)
      if (t.issueAfterReset === undefined || t.issueAfterReset === null) add(ic, C.entitlementTemplateIssueAfterResetRequired, join(field, 'issueAfterReset'));
      return;
    }
    case 'static': {
      let ok = false;
      try {
        const parsed: unknown = JSON.parse(t.config);
        ok = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      } catch {
        ok = false;
      }
      if (!ok) add(ic, C.entitlementTemplateInvalidJsonConfig, join(field, 'config'));
      return;
    }
    case 'boolean':
      return;
    default:
      add(ic, C.entitlementTemplateTypeInvalid, join(field, 'type'), `invalid entitlement template type ${JSON.stringify((t as { type?: unknown }).type)}`);
  }
}

function validateTaxConfig(ic: IssueCollector, t: TaxConfig, field: string): void {
  if (t.behavior !== undefined && t.behavior !== 'inclusive' && t.behavior !== 'exclusive') {
    add(ic, C.taxConfigInvalid, join(field, 'behavior'), `invalid tax behavior ${JSON.stringify(t.behavior)}`);
  }
  if (t.stripe && !STRIPE_TAX_CODE_RE.test(t.stripe.code)) {
    add(ic, C.taxConfigInvalid, join(field, 'stripe.code'), `invalid Stripe tax code ${JSON.stringify(t.stripe.code)}: must match txcd_########`);
  }
  if (t.taxCodeId !== undefined && !ULID_RE.test(t.taxCodeId)) {
    add(ic, C.taxConfigInvalid, join(field, 'taxCodeId'), `invalid taxCodeId ${JSON.stringify(t.taxCodeId)}: must be a ULID`);
  }
}

// ---------------------------------------------------------------------------------------------
// Rate cards (productcatalog/ratecard.go)

/** One rate card's own rules; `rcPath` is its JSONPath (`…ratecards[?(@.key=='x')]`). */
export function validateRateCard(ic: IssueCollector, rc: RateCard, rcPath: string): void {
  validateKey(ic, rc.key, join(rcPath, 'key'));
  validateName(ic, rc.name, join(rcPath, 'name'));
  if (rc.type !== 'flat_fee' && rc.type !== 'usage_based') {
    add(ic, C.rateCardTypeInvalid, join(rcPath, 'type'), `invalid rate card type ${JSON.stringify((rc as { type?: unknown }).type)}`);
    return;
  }
  if (rc.entitlementTemplate) validateEntitlementTemplate(ic, rc.entitlementTemplate, rc, rcPath);
  if (rc.taxConfig) validateTaxConfig(ic, rc.taxConfig, join(rcPath, 'taxConfig'));

  const priceField = join(rcPath, 'price');
  if (rc.price) {
    if (rc.type === 'flat_fee' && rc.price.type !== 'flat') {
      add(ic, C.flatFeeRateCardWithNonFlatPrice, join(priceField, 'type'), 'a flat fee rate card only takes a flat price');
    } else {
      validatePrice(ic, rc.price, priceField);
    }
    if (rc.price.type !== 'flat' && !rc.featureKey) add(ic, C.usageBasedPriceWithNoFeature, join(rcPath, 'featureKey'));
  }
  if (rc.featureKey !== undefined && rc.featureKey !== null && rc.featureKey !== rc.key) {
    add(ic, C.rateCardKeyFeatureKeyMismatch, join(rcPath, 'key'));
  }
  if (rc.discounts) validateDiscounts(ic, rc.discounts, rc.price, join(rcPath, 'discounts'));

  // usage-based rate cards always recur; a flat fee with no cadence is a one-time fee
  const cadenceField = join(rcPath, 'billingCadence');
  if (rc.billingCadence === null || rc.billingCadence === undefined) {
    if (rc.type === 'usage_based') add(ic, C.rateCardBillingCadenceMissing, cadenceField, 'a usage-based rate card needs a billing cadence');
  } else {
    rateCardCadence(ic, rc.billingCadence, cadenceField);
  }
}

/** ValidateRateCards: duplicated keys plus each rate card, under `<base>.ratecards[?(@.key=='x')]`. */
function validateRateCards(ic: IssueCollector, rateCards: RateCard[], base: string): void {
  const seen = new Set<string>();
  for (const rc of rateCards) {
    const rcPath = join(base, byKey('ratecards', rc.key));
    if (seen.has(rc.key)) add(ic, C.rateCardDuplicatedKey, join(rcPath, 'key'));
    seen.add(rc.key);
    validateRateCard(ic, rc, rcPath);
  }
}

/**
 * Create/update: every featureKey must name a feature (featureresolver/ratecard.go). A feature
 * archived since is let through here and refused at publish.
 */
function resolveRateCardFeatures(ic: IssueCollector, rateCards: RateCard[], base: string, ctx: CatalogContext): void {
  for (const rc of rateCards) {
    if (rc.featureKey && !ctx.features(rc.featureKey)) add(ic, C.rateCardFeatureNotFound, join(join(base, byKey('ratecards', rc.key)), 'featureKey'));
  }
}

/** Publish: ValidateRateCardsWithFeatures (under `<base>.rateCards[?(@.key=='x')]`). */
function validateRateCardFeatures(ic: IssueCollector, rateCards: RateCard[], base: string, ctx: CatalogContext): void {
  for (const rc of rateCards) {
    if (!rc.featureKey) continue;
    const f = join(join(base, byKey('rateCards', rc.key)), 'featureKey');
    const feature = ctx.features(rc.featureKey);
    if (!feature) {
      add(ic, C.rateCardFeatureNotFound, f);
      continue;
    }
    if (feature.archivedAt) add(ic, C.rateCardFeatureArchived, f);
    if (rc.price && rc.price.type !== 'flat' && !feature.meterSlug) add(ic, C.usageBasedPriceWithFeatureAndNoMeter, f);
  }
}

// ---------------------------------------------------------------------------------------------
// Plans (productcatalog/plan.go, phase.go)

/** Plan.Validate: every structural rule, warnings included (a draft's `validationErrors`). */
export function validatePlan(plan: PlanShape): ValidationIssue[] {
  const ic = new IssueCollector();
  validateKey(ic, plan.key, join(ROOT, 'key'));
  validateName(ic, plan.name, join(ROOT, 'name'));
  const phases = Array.isArray(plan.phases) ? plan.phases : [];
  if (phases.length === 0) add(ic, C.planWithNoPhases, join(ROOT, 'phases'));

  const seen = new Set<string>();
  phases.forEach((ph, i) => {
    const phPath = join(ROOT, byKey('phases', ph.key));
    const last = i === phases.length - 1;
    const hasDuration = ph.duration !== undefined && ph.duration !== null;
    if (!last && !hasDuration) add(ic, C.planHasNonLastPhaseWithNoDuration, join(phPath, 'duration'));
    if (last && hasDuration) add(ic, C.planHasLastPhaseWithDuration, join(phPath, 'duration'));
    // the real selector names the key twice: phases[?(@.key=='a')].key plus the issue's own field
    if (seen.has(ph.key)) add(ic, C.planPhaseDuplicatedKey, join(join(phPath, 'key'), 'key'));
    seen.add(ph.key);

    validateKey(ic, ph.key, join(phPath, 'key'));
    validateName(ic, ph.name, join(phPath, 'name'));
    if (hasDuration) {
      const d = parseIsoDuration(ph.duration as string);
      if (!d) add(ic, C.planPhaseDurationInvalid, join(phPath, 'duration'), `invalid phase duration ${JSON.stringify(ph.duration)}`);
      else if (!isAtLeastAnHour(d)) add(ic, C.planPhaseDurationLessThenAnHour, join(phPath, 'duration'));
    }
    const rateCards = Array.isArray(ph.rateCards) ? ph.rateCards : [];
    if (rateCards.length === 0) add(ic, C.planPhaseHasNoRateCards, join(phPath, 'rateCards'));
    else validateRateCards(ic, rateCards, phPath);
  });

  validateCurrency(ic, plan.currency, join(ROOT, 'currency'));
  const planCadence = validatePlanBillingCadence(ic, plan.billingCadence);

  // ValidatePlanHasAlignedBillingCadences: billables only (a rate card with a price)
  if (planCadence) {
    for (const ph of phases) {
      for (const rc of Array.isArray(ph.rateCards) ? ph.rateCards : []) {
        if (!rc.price || !rc.billingCadence) continue;
        const c = parseIsoDuration(rc.billingCadence);
        if (c && !isZeroDuration(c) && !cadencesAlign(c, planCadence)) {
          add(ic, C.rateCardBillingCadenceUnaligned, join(join(join(ROOT, byKey('phases', ph.key)), byKey('rateCards', rc.key)), 'billingCadence'));
        }
      }
    }
  }
  return ic.issues;
}

/** Create/update of a plan: featureKeys that name no feature. */
export function resolvePlanFeatures(plan: PlanShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  for (const ph of plan.phases ?? []) resolveRateCardFeatures(ic, ph.rateCards ?? [], join(ROOT, byKey('phases', ph.key)), ctx);
  return ic.issues;
}

/** Publish of a plan: ValidatePlanWithFeatures. */
export function validatePlanFeatures(plan: PlanShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  for (const ph of plan.phases ?? []) validateRateCardFeatures(ic, ph.rateCards ?? [], join(ROOT, byKey('phases', ph.key)), ctx);
  return ic.issues;
}

// ---------------------------------------------------------------------------------------------
// Add-ons (productcatalog/addon.go)

/** Addon.Validate: the structural rules (a draft add-on's `validationErrors`). */
export function validateAddon(addon: AddonShape): ValidationIssue[] {
  const ic = new IssueCollector();
  validateKey(ic, addon.key, join(ROOT, 'key'));
  validateName(ic, addon.name, join(ROOT, 'name'));
  if (addon.instanceType !== 'single' && addon.instanceType !== 'multiple') {
    add(ic, C.addonInstanceTypeInvalid, join(ROOT, 'instanceType'), 'invalid instance type');
  }
  const rateCards = Array.isArray(addon.rateCards) ? addon.rateCards : [];
  if (rateCards.length === 0) add(ic, C.addonHasNoRateCards, join(ROOT, 'rateCards'));
  else validateRateCards(ic, rateCards, ROOT);
  validateCurrency(ic, addon.currency, join(ROOT, 'currency'));
  return ic.issues;
}

/** Create/update of an add-on: featureKeys that name no feature. */
export function resolveAddonFeatures(addon: AddonShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  resolveRateCardFeatures(ic, addon.rateCards ?? [], ROOT, ctx);
  return ic.issues;
}

/**
 * Addon.Publishable on top of Validate: billable rate cards share one cadence, and a
 * multiple-instance add-on sells only free or flat prices. Plus the feature checks.
 */
export function validateAddonPublishable(addon: AddonShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  const rateCards = Array.isArray(addon.rateCards) ? addon.rateCards : [];
  const cadences = new Set<string>();
  for (const rc of rateCards) {
    const c = rc.price && rc.billingCadence ? parseIsoDuration(rc.billingCadence) : undefined;
    if (c) cadences.add(`${c.months}:${c.seconds}`);
  }
  if (cadences.size > 1) add(ic, C.rateCardMultipleBillingCadence, join(join(ROOT, 'ratecards[*]'), 'billingCadence'));
  if (addon.instanceType === 'multiple') {
    // the real check stops at the first offending rate card
    const bad = rateCards.find((rc) => rc.price && rc.price.type !== 'flat');
    if (bad) add(ic, C.addonInvalidPriceForMultiInstance, join(join(ROOT, byKey('ratecards', bad.key)), 'price'));
  }
  validateRateCardFeatures(ic, rateCards, ROOT, ctx);
  return ic.issues;
}

// ---------------------------------------------------------------------------------------------
// Normalisation (defaults the real service fills in)

const canon = (v: string): string => (isDecimalString(v) ? new D(v).toFixed() : v);
const canonOpt = <T extends string | undefined | null>(v: T): T => (typeof v === 'string' ? (canon(v) as T) : v);

function normalizePrice(p: Price): Price {
  switch (p.type) {
    case 'flat':
      return { ...p, amount: canon(p.amount), paymentTerm: p.paymentTerm ?? 'in_advance' };
    case 'unit':
      return { ...p, amount: canon(p.amount), minimumAmount: canonOpt(p.minimumAmount), maximumAmount: canonOpt(p.maximumAmount) };
    case 'package':
      return {
        ...p,
        amount: canon(p.amount),
        quantityPerPackage: canon(p.quantityPerPackage),
        minimumAmount: canonOpt(p.minimumAmount),
        maximumAmount: canonOpt(p.maximumAmount),
      };
    case 'dynamic':
      return { ...p, multiplier: canon(p.multiplier ?? '1'), minimumAmount: canonOpt(p.minimumAmount), maximumAmount: canonOpt(p.maximumAmount) };
    case 'tiered': {
      const tiers = (p.tiers ?? []).map((t) => ({
        ...t,
        upToAmount: canonOpt(t.upToAmount),
        flatPrice: t.flatPrice ? { ...t.flatPrice, amount: canon(t.flatPrice.amount) } : t.flatPrice,
        unitPrice: t.unitPrice ? { ...t.unitPrice, amount: canon(t.unitPrice.amount) } : t.unitPrice,
      }));
      return { ...p, tiers: sortTiers(tiers), minimumAmount: canonOpt(p.minimumAmount), maximumAmount: canonOpt(p.maximumAmount) };
    }
    default:
      return p;
  }
}

/** Tiers ascending by upToAmount, open-ended last (TieredPrice.WithSortedTiers). */
export function sortTiers(tiers: PriceTier[]): PriceTier[] {
  const key = (t: PriceTier) => (t.upToAmount === null || t.upToAmount === undefined || !isDecimalString(t.upToAmount) ? undefined : new D(t.upToAmount));
  return [...tiers].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (!ka && !kb) return 0;
    if (!ka) return 1;
    if (!kb) return -1;
    return ka.comparedTo(kb);
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Fills defaults (flat payment term, dynamic multiplier, metered usage period), canonicalises decimals, sorts tiers. */
export function normalizeRateCard(rc: RateCard): RateCard {
  const out = { ...rc } as RateCard;
  if (out.price && typeof out.price === 'object') out.price = stripUndefined(normalizePrice(out.price)) as never;
  if (out.discounts?.usage && isDecimalString(out.discounts.usage.quantity)) {
    out.discounts = { ...out.discounts, usage: { ...out.discounts.usage, quantity: canon(out.discounts.usage.quantity) } };
  }
  if (out.entitlementTemplate?.type === 'metered') {
    const t = out.entitlementTemplate;
    // OpenMeter entitlement/metered/connector.go / v1 RateCardMeteredEntitlement defaults, filled here so a template saved
    // through any surface reads back the same (v3 has no preserve-overage or priority fields)
    out.entitlementTemplate = stripUndefined({
      ...t,
      isSoftLimit: t.isSoftLimit ?? false,
      preserveOverageAtReset: t.preserveOverageAtReset ?? false,
      // the priority only means something for the default grant, i.e. with issueAfterReset
      issueAfterResetPriority: t.issueAfterResetPriority ?? (t.issueAfterReset !== undefined && t.issueAfterReset !== null ? 1 : undefined),
      usagePeriod: t.usagePeriod || (out.billingCadence ?? undefined),
    });
  }
  if (out.type === 'flat_fee' && out.billingCadence === undefined) out.billingCadence = null;
  if (out.price === undefined) out.price = null;
  return stripUndefined(out);
}

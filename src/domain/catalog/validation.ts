/**
 * Every product-catalog rule, as pure functions that add issues to an IssueCollector.
 *
 * Two stages, as in the real service:
 *  - create/update (`validatePlanForCreate`, `validateAddonForCreate`): a malformed or
 *    self-contradicting value is rejected at once (bad durations, prices, discounts, duplicate
 *    keys, unknown features, unaligned cadences, ...);
 *  - publish (`validatePlanForPublish`, `validateAddonForPublish`): the create rules again plus
 *    completeness (phases, rate cards, feature still usable). A draft may be stored incomplete;
 *    these issues are exposed read-only as the draft's `validationErrors` and block publish.
 */
import { D, isDecimalString } from '../shared/money.ts';
import { IssueCollector, type ValidationIssue } from '../shared/errors.ts';
import { CatalogIssueCode as C } from './errors.ts';
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

/** Plan billing cadences the engine accepts (engine.md §3.1), compared by value (P12M = P1Y). */
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

type Stage = 'create' | 'publish';

const join = (base: string, leaf: string): string => (base ? `${base}.${leaf}` : leaf);

// ---------------------------------------------------------------------------------------------
// Primitives

export function validateKey(ic: IssueCollector, key: unknown, field: string): void {
  if (typeof key !== 'string' || key.length < 1 || key.length > 64 || !KEY_RE.test(key)) {
    ic.add(C.resourceKeyInvalid, `invalid key ${JSON.stringify(key)}: must match ^[a-z0-9]+(?:_[a-z0-9]+)*$ (1-64 characters)`, field);
  }
}

export function validateName(ic: IssueCollector, name: unknown, field: string): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 256) {
    ic.add(C.nameRequired, 'name must be 1 to 256 characters', field);
  }
}

export function validateCurrency(ic: IssueCollector, currency: unknown, field: string): void {
  if (typeof currency !== 'string' || !CURRENCY_RE.test(currency)) {
    ic.add(C.currencyInvalid, `invalid currency code ${JSON.stringify(currency)}: must be an ISO 4217 code`, field);
  }
}

/** decimal string check; returns the value when it is a valid decimal */
function decimalAt(ic: IssueCollector, v: unknown, field: string, code: string = C.priceAmountInvalid) {
  if (!isDecimalString(v)) {
    ic.add(code, `${field.split('.').pop()} must be a decimal string, got ${JSON.stringify(v)}`, field);
    return undefined;
  }
  return new D(v);
}

function nonNegativeAmount(ic: IssueCollector, v: unknown, field: string): void {
  const d = decimalAt(ic, v, field);
  if (d && d.isNegative()) ic.add(C.priceAmountNegative, 'the amount must not be negative', field);
}

export function validatePlanBillingCadence(ic: IssueCollector, cadence: unknown, field = 'billingCadence'): IsoDuration | undefined {
  const d = typeof cadence === 'string' ? parseIsoDuration(cadence) : undefined;
  if (!d || isZeroDuration(d) || !isAtLeastAnHour(d) || !ALLOWED_PLAN_CADENCES.some((a) => durationsEqual(a, d))) {
    ic.add(
      C.planBillingCadenceInvalid,
      `invalid plan billing cadence ${JSON.stringify(cadence)}: must be one of P1W, P2W, P4W, P1M, P3M, P6M, P12M, P1Y`,
      field,
    );
    return undefined;
  }
  return d;
}

/** a rate card cadence: a valid ISO duration of at least one hour */
function rateCardCadence(ic: IssueCollector, cadence: unknown, field: string): IsoDuration | undefined {
  const d = typeof cadence === 'string' ? parseIsoDuration(cadence) : undefined;
  if (!d || isZeroDuration(d) || !isAtLeastAnHour(d)) {
    ic.add(C.billingCadenceInvalidValue, `invalid billing cadence ${JSON.stringify(cadence)}: must be an ISO-8601 duration of at least 1 hour`, field);
    return undefined;
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Prices (engine.md §1.1)

function validateCommitments(ic: IssueCollector, p: { minimumAmount?: string; maximumAmount?: string }, field: string): void {
  let min: InstanceType<typeof D> | undefined;
  let max: InstanceType<typeof D> | undefined;
  if (p.minimumAmount !== undefined && p.minimumAmount !== null) {
    min = decimalAt(ic, p.minimumAmount, join(field, 'minimumAmount'));
    if (min?.isNegative()) ic.add(C.priceCommitmentNegative, 'the minimum amount must not be negative', join(field, 'minimumAmount'));
  }
  if (p.maximumAmount !== undefined && p.maximumAmount !== null) {
    max = decimalAt(ic, p.maximumAmount, join(field, 'maximumAmount'));
    if (max?.isNegative()) ic.add(C.priceCommitmentNegative, 'the maximum amount must not be negative', join(field, 'maximumAmount'));
  }
  // only compared when both are set and non-zero: a zero bound means "no bound"
  if (min && max && !min.isZero() && !max.isZero() && min.greaterThan(max)) {
    ic.add(C.priceMinimumAmountGreaterThanMaximum, 'the minimum amount must not be greater than the maximum amount', join(field, 'minimumAmount'));
  }
}

function validateTiers(ic: IssueCollector, tiers: PriceTier[] | undefined, field: string): void {
  const f = join(field, 'tiers');
  if (!Array.isArray(tiers) || tiers.length === 0) {
    ic.add(C.tieredPriceWithNoTiers, 'a tiered price needs at least one tier', f);
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
      if (up?.isNegative()) ic.add(C.priceAmountNegative, 'upToAmount must not be negative', join(tf, 'upToAmount'));
      if (up && !up.isZero()) {
        const k = up.toFixed();
        if (seen.has(k)) ic.add(C.tieredPriceDuplicatedUpToAmount, `duplicated upToAmount ${k} (tiers ${seen.get(k)} and ${i})`, join(tf, 'upToAmount'));
        else seen.set(k, i);
      }
    }
    if (!t.flatPrice && !t.unitPrice) ic.add(C.tieredPriceTierWithNoPrice, 'a tier needs a flat price and/or a unit price', tf);
    if (t.flatPrice) nonNegativeAmount(ic, t.flatPrice.amount, join(tf, 'flatPrice.amount'));
    if (t.unitPrice) nonNegativeAmount(ic, t.unitPrice.amount, join(tf, 'unitPrice.amount'));
  });
  if (open === 0) ic.add(C.tieredPriceMissingOpenEndedTier, 'a tiered price needs an open-ended last tier (no upToAmount)', f);
  if (open > 1) ic.add(C.tieredPriceMultipleOpenEndedTiers, 'a tiered price may have only one open-ended tier', f);
}

export function validatePrice(ic: IssueCollector, price: Price, field: string): void {
  switch (price.type) {
    case 'flat':
      nonNegativeAmount(ic, price.amount, join(field, 'amount'));
      if (price.paymentTerm !== undefined && price.paymentTerm !== 'in_advance' && price.paymentTerm !== 'in_arrears') {
        ic.add(C.pricePaymentTermInvalid, `invalid payment term ${JSON.stringify(price.paymentTerm)}`, join(field, 'paymentTerm'));
      }
      return;
    case 'unit':
      nonNegativeAmount(ic, price.amount, join(field, 'amount'));
      validateCommitments(ic, price, field);
      return;
    case 'tiered':
      if (price.mode !== 'volume' && price.mode !== 'graduated') {
        ic.add(C.tieredPriceModeInvalid, `invalid tiered price mode ${JSON.stringify(price.mode)}`, join(field, 'mode'));
      }
      validateTiers(ic, price.tiers, field);
      validateCommitments(ic, price, field);
      return;
    case 'package': {
      nonNegativeAmount(ic, price.amount, join(field, 'amount'));
      const q = decimalAt(ic, price.quantityPerPackage, join(field, 'quantityPerPackage'), C.packagePriceInvalidQuantityPerPackage);
      if (q && !q.greaterThan(0)) ic.add(C.packagePriceInvalidQuantityPerPackage, 'quantityPerPackage must be greater than 0', join(field, 'quantityPerPackage'));
      validateCommitments(ic, price, field);
      return;
    }
    case 'dynamic': {
      if (price.multiplier !== undefined) {
        const m = decimalAt(ic, price.multiplier, join(field, 'multiplier'), C.dynamicPriceNegativeMultiplier);
        if (m?.isNegative()) ic.add(C.dynamicPriceNegativeMultiplier, 'the multiplier must not be negative', join(field, 'multiplier'));
      }
      validateCommitments(ic, price, field);
      return;
    }
    default:
      ic.add(C.priceTypeInvalid, `invalid price type ${JSON.stringify((price as { type?: unknown }).type)}`, join(field, 'type'));
  }
}

// ---------------------------------------------------------------------------------------------
// Discounts (engine.md §1.7)

export function validateDiscounts(ic: IssueCollector, discounts: Discounts, price: Price | null, field: string): void {
  if (!price && (discounts.percentage || discounts.usage)) {
    ic.add(C.rateCardDiscountsWithNoPrice, 'discounts are only available when the rate card has a price', field);
  }
  if (discounts.percentage) {
    const f = join(field, 'percentage.percentage');
    const raw = discounts.percentage.percentage;
    const p = typeof raw === 'number' || isDecimalString(raw) ? new D(raw) : undefined;
    if (!p || p.isNegative() || p.greaterThan(100)) {
      ic.add(C.percentageDiscountInvalidValue, `invalid percentage ${JSON.stringify(raw)}: must be between 0 and 100`, f);
    }
  }
  if (discounts.usage) {
    const f = join(field, 'usage.quantity');
    const q = isDecimalString(discounts.usage.quantity) ? new D(discounts.usage.quantity) : undefined;
    if (!q || q.isNegative()) ic.add(C.usageDiscountNegativeQuantity, 'the usage discount quantity must not be negative', f);
    if (price?.type === 'flat') ic.add(C.usageDiscountWithFlatPrice, 'usage discounts are not allowed on flat prices', join(field, 'usage'));
  }
}

// ---------------------------------------------------------------------------------------------
// Entitlement templates

function validateEntitlementTemplate(
  ic: IssueCollector,
  t: EntitlementTemplate,
  rc: RateCard,
  feature: Feature | undefined,
  field: string,
): void {
  if (!rc.featureKey) ic.add(C.entitlementTemplateWithNoFeature, 'an entitlement template needs a featureKey on the rate card', field);
  switch (t.type) {
    case 'metered': {
      if (feature && !feature.meterSlug) {
        ic.add(C.entitlementTemplateMeteredFeatureWithNoMeter, `a metered entitlement needs a metered feature; ${feature.key} has no meter`, field);
      }
      // the usage period defaults to the rate card cadence (filled in by normalizeRateCard)
      const period = t.usagePeriod ?? rc.billingCadence ?? undefined;
      const f = join(field, 'usagePeriod');
      if (period === undefined || period === null) {
        ic.add(C.entitlementTemplateUsagePeriodInvalid, 'a metered entitlement needs a usage period (the rate card has no billing cadence)', f);
      } else {
        const d = parseIsoDuration(period);
        if (!d || isZeroDuration(d)) ic.add(C.entitlementTemplateUsagePeriodInvalid, `invalid usage period ${JSON.stringify(period)}`, f);
        else if (!isAtLeastAnHour(d)) ic.add(C.entitlementTemplateUsagePeriodLessThenAnHour, 'the usage period must be at least 1 hour', f);
      }
      if (t.issueAfterReset !== undefined && t.issueAfterReset !== null && !(t.issueAfterReset >= 0)) {
        ic.add(C.entitlementTemplateIssueAfterResetNegative, 'issueAfterReset must not be negative', join(field, 'issueAfterReset'));
      }
      if (t.issueAfterResetPriority !== undefined && t.issueAfterResetPriority !== null) {
        const p = t.issueAfterResetPriority;
        if (t.issueAfterReset === undefined || t.issueAfterReset === null || !Number.isInteger(p) || p < 1 || p > 255) {
          ic.add(
            C.entitlementTemplateInvalidIssueAfterResetWithPriority,
            'issueAfterResetPriority needs issueAfterReset and must be an integer between 1 and 255',
            join(field, 'issueAfterResetPriority'),
          );
        }
      }
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
      if (!ok) ic.add(C.entitlementTemplateInvalidJsonConfig, 'config must be the JSON text of an object', join(field, 'config'));
      return;
    }
    case 'boolean':
      return;
    default:
      ic.add(C.entitlementTemplateTypeInvalid, `invalid entitlement template type ${JSON.stringify((t as { type?: unknown }).type)}`, join(field, 'type'));
  }
}

function validateTaxConfig(ic: IssueCollector, t: TaxConfig, field: string): void {
  if (t.behavior !== undefined && t.behavior !== 'inclusive' && t.behavior !== 'exclusive') {
    ic.add(C.taxConfigInvalid, `invalid tax behavior ${JSON.stringify(t.behavior)}`, join(field, 'behavior'));
  }
  if (t.stripe && !STRIPE_TAX_CODE_RE.test(t.stripe.code)) {
    ic.add(C.taxConfigInvalid, `invalid Stripe tax code ${JSON.stringify(t.stripe.code)}: must match txcd_########`, join(field, 'stripe.code'));
  }
  if (t.taxCodeId !== undefined && !ULID_RE.test(t.taxCodeId)) {
    ic.add(C.taxConfigInvalid, `invalid taxCodeId ${JSON.stringify(t.taxCodeId)}: must be a ULID`, join(field, 'taxCodeId'));
  }
}

// ---------------------------------------------------------------------------------------------
// Rate cards

/**
 * One rate card. `planCadence` (when the container has one) drives the alignment rule:
 * a recurring rate card's cadence must equal, divide or be divisible by the plan cadence.
 */
export function validateRateCard(
  ic: IssueCollector,
  rc: RateCard,
  field: string,
  ctx: CatalogContext,
  stage: Stage,
  planCadence?: IsoDuration,
): void {
  validateKey(ic, rc.key, join(field, 'key'));
  validateName(ic, rc.name, join(field, 'name'));
  if (rc.type !== 'flat_fee' && rc.type !== 'usage_based') {
    ic.add(C.rateCardTypeInvalid, `invalid rate card type ${JSON.stringify((rc as { type?: unknown }).type)}`, join(field, 'type'));
    return;
  }

  let feature: Feature | undefined;
  if (rc.featureKey !== undefined && rc.featureKey !== null) {
    if (rc.featureKey !== rc.key) {
      ic.add(C.rateCardKeyFeatureKeyMismatch, `rate card key ${rc.key} must equal its feature key ${rc.featureKey}`, join(field, 'featureKey'));
    }
    feature = ctx.features(rc.featureKey);
    if (!feature) {
      ic.add(C.rateCardFeatureNotFound, `feature ${rc.featureKey} not found`, join(field, 'featureKey'));
    } else if (feature.archivedAt && stage === 'publish') {
      ic.add(C.rateCardFeatureArchived, `feature ${rc.featureKey} is archived`, join(field, 'featureKey'));
    }
  }

  // cadence: usage-based rate cards always recur; a flat fee with no cadence is a one-time fee
  const cadenceField = join(field, 'billingCadence');
  let cadence: IsoDuration | undefined;
  if (rc.billingCadence === null || rc.billingCadence === undefined) {
    if (rc.type === 'usage_based') ic.add(C.rateCardBillingCadenceMissing, 'a usage-based rate card needs a billing cadence', cadenceField);
  } else {
    cadence = rateCardCadence(ic, rc.billingCadence, cadenceField);
  }
  if (cadence && planCadence && !cadencesAlign(cadence, planCadence)) {
    ic.add(
      C.rateCardBillingCadenceUnaligned,
      `rate card billing cadence ${rc.billingCadence} does not align with the plan billing cadence (must be equal, a multiple or a divisor)`,
      cadenceField,
    );
  }

  const priceField = join(field, 'price');
  if (rc.price) {
    if (rc.type === 'flat_fee' && rc.price.type !== 'flat') {
      ic.add(C.flatFeeRateCardWithNonFlatPrice, 'a flat fee rate card only takes a flat price', join(priceField, 'type'));
    } else {
      validatePrice(ic, rc.price, priceField);
    }
    if (rc.type === 'usage_based' && rc.price.type !== 'flat') {
      // a usage price needs a metered feature to rate
      if (!rc.featureKey) {
        if (stage === 'publish') ic.add(C.usageBasedPriceWithNoFeature, 'a usage-based price needs a feature', join(field, 'featureKey'));
      } else if (feature && !feature.meterSlug) {
        ic.add(C.usageBasedPriceWithFeatureAndNoMeter, `a usage-based price needs a metered feature; ${feature.key} has no meter`, join(field, 'featureKey'));
      }
    }
  }

  if (rc.discounts) validateDiscounts(ic, rc.discounts, rc.price, join(field, 'discounts'));
  if (rc.entitlementTemplate) validateEntitlementTemplate(ic, rc.entitlementTemplate, rc, feature, join(field, 'entitlementTemplate'));
  if (rc.taxConfig) validateTaxConfig(ic, rc.taxConfig, join(field, 'taxConfig'));
}

function validateRateCards(
  ic: IssueCollector,
  rateCards: RateCard[],
  base: string,
  ctx: CatalogContext,
  stage: Stage,
  planCadence?: IsoDuration,
): void {
  const seen = new Set<string>();
  rateCards.forEach((rc, j) => {
    const f = `${join(base, 'rateCards')}[${j}]`;
    if (seen.has(rc.key)) ic.add(C.rateCardDuplicatedKey, `duplicated rate card key ${rc.key}`, join(f, 'key'));
    seen.add(rc.key);
    validateRateCard(ic, rc, f, ctx, stage, planCadence);
  });
}

// ---------------------------------------------------------------------------------------------
// Plans

function validatePlan(ic: IssueCollector, plan: PlanShape, ctx: CatalogContext, stage: Stage): void {
  validateKey(ic, plan.key, 'key');
  validateName(ic, plan.name, 'name');
  validateCurrency(ic, plan.currency, 'currency');
  const planCadence = validatePlanBillingCadence(ic, plan.billingCadence);
  const phases = Array.isArray(plan.phases) ? plan.phases : [];

  if (phases.length === 0 && stage === 'publish') ic.add(C.planWithNoPhases, 'a plan needs at least one phase', 'phases');

  const seen = new Set<string>();
  phases.forEach((ph, i) => {
    const f = `phases[${i}]`;
    validateKey(ic, ph.key, join(f, 'key'));
    validateName(ic, ph.name, join(f, 'name'));
    if (seen.has(ph.key)) ic.add(C.planPhaseDuplicatedKey, `duplicated plan phase key ${ph.key}`, join(f, 'key'));
    seen.add(ph.key);

    const hasDuration = ph.duration !== undefined && ph.duration !== null;
    if (hasDuration) {
      const d = parseIsoDuration(ph.duration as string);
      if (!d || isZeroDuration(d)) ic.add(C.planPhaseDurationInvalid, `invalid phase duration ${JSON.stringify(ph.duration)}`, join(f, 'duration'));
    }
    if (stage === 'publish') {
      const last = i === phases.length - 1;
      if (!last && !hasDuration) ic.add(C.planHasNonLastPhaseWithNoDuration, `phase ${ph.key} is not the last phase and has no duration`, join(f, 'duration'));
      if (last && hasDuration) ic.add(C.planHasLastPhaseWithDuration, `the last phase ${ph.key} must not have a duration`, join(f, 'duration'));
      if (!Array.isArray(ph.rateCards) || ph.rateCards.length === 0) {
        ic.add(C.planPhaseHasNoRateCards, `phase ${ph.key} has no rate cards`, join(f, 'rateCards'));
      }
    }
    validateRateCards(ic, Array.isArray(ph.rateCards) ? ph.rateCards : [], f, ctx, stage, planCadence);
  });
}

/** Rules that reject a create/update of a plan. */
export function validatePlanForCreate(plan: PlanShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  validatePlan(ic, plan, ctx, 'create');
  return ic.issues;
}

/** Rules that block publishing (a superset of the create rules); also a draft's `validationErrors`. */
export function validatePlanForPublish(plan: PlanShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  validatePlan(ic, plan, ctx, 'publish');
  return ic.issues;
}

// ---------------------------------------------------------------------------------------------
// Add-ons

function validateAddon(ic: IssueCollector, addon: AddonShape, ctx: CatalogContext, stage: Stage): void {
  validateKey(ic, addon.key, 'key');
  validateName(ic, addon.name, 'name');
  validateCurrency(ic, addon.currency, 'currency');
  if (addon.instanceType !== 'single' && addon.instanceType !== 'multiple') {
    ic.add(C.addonInstanceTypeInvalid, `invalid instance type ${JSON.stringify(addon.instanceType)}`, 'instanceType');
  }
  const rateCards = Array.isArray(addon.rateCards) ? addon.rateCards : [];
  if (rateCards.length === 0 && stage === 'publish') ic.add(C.addonWithNoRateCards, 'an add-on needs at least one rate card', 'rateCards');
  validateRateCards(ic, rateCards, '', ctx, stage);
  if (addon.instanceType === 'multiple') {
    // a boolean entitlement cannot be "bought" more than once
    rateCards.forEach((rc, j) => {
      if (rc.entitlementTemplate?.type === 'boolean') {
        ic.add(
          C.addonMultipleInstanceWithBooleanEntitlement,
          'a multiple-instance add-on cannot grant a boolean entitlement',
          `rateCards[${j}].entitlementTemplate`,
        );
      }
    });
  }
}

export function validateAddonForCreate(addon: AddonShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  validateAddon(ic, addon, ctx, 'create');
  return ic.issues;
}

export function validateAddonForPublish(addon: AddonShape, ctx: CatalogContext): ValidationIssue[] {
  const ic = new IssueCollector();
  validateAddon(ic, addon, ctx, 'publish');
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
    // engine.md §4.2 / v1 RateCardMeteredEntitlement defaults, filled here so a template saved
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

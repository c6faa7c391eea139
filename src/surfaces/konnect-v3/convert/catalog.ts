import type { CreateAddonInput, UpdateAddonInput } from '../../../domain/catalog/AddonService.ts';
import type { CreateFeatureInput } from '../../../domain/catalog/FeatureService.ts';
import type { CreatePlanAddonInput, UpdatePlanAddonInput } from '../../../domain/catalog/PlanAddonService.ts';
import type { CreatePlanInput, UpdatePlanInput } from '../../../domain/catalog/PlanService.ts';
import type {
  Addon,
  Commitments,
  EntitlementTemplate,
  Feature,
  FeatureUnitCost,
  FilterString,
  Plan,
  PlanAddon,
  PlanPhase,
  Price,
  PriceTier,
  RateCard,
} from '../../../domain/catalog/types.ts';
import { validationError, type ValidationIssue } from '../../../domain/shared/errors.ts';
import { CatalogIssueCode } from '../../../domain/catalog/errors.ts';
import type { components } from '../api.gen.ts';
import { fromApiQueryFilter, toApiQueryFilter } from './metering.ts';

type S = components['schemas'];
export type ApiFeature = S['Feature'];
export type ApiPlan = S['BillingPlan'];
export type ApiAddon = S['Addon'];
export type ApiRateCard = S['BillingRateCard'];
export type ApiPrice = S['BillingPrice'];
export type ApiPlanAddon = S['PlanAddon'];

const dropUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const nonEmpty = <T extends object>(o: T | undefined | null): T | undefined => (o && Object.keys(o).length > 0 ? o : undefined);

// ---------------------------------------------------------------------------------- features

export function toApiUnitCost(u: FeatureUnitCost): S['BillingFeatureUnitCost'] {
  if (u.type === 'manual') return { type: 'manual', amount: u.amount };
  return dropUndefined({
    type: 'llm' as const,
    provider_property: u.providerProperty,
    provider: u.provider,
    model_property: u.modelProperty,
    model: u.model,
    token_type_property: u.tokenTypeProperty,
    token_type: u.tokenType as S['BillingFeatureLLMTokenType'] | undefined,
  });
}

export function fromApiUnitCost(u: S['BillingFeatureUnitCost']): FeatureUnitCost {
  if (u.type === 'manual') return { type: 'manual', amount: (u as S['BillingFeatureManualUnitCost']).amount };
  const l = u as S['BillingFeatureLLMUnitCost'];
  return dropUndefined({
    type: 'llm' as const,
    providerProperty: l.provider_property,
    provider: l.provider,
    modelProperty: l.model_property,
    model: l.model,
    tokenTypeProperty: l.token_type_property,
    tokenType: l.token_type,
  });
}

export function toApiFeature(f: Feature): ApiFeature {
  const filters = f.advancedMeterGroupByFilters ?? (f.meterGroupByFilters ? Object.fromEntries(Object.entries(f.meterGroupByFilters).map(([k, v]) => [k, { $eq: v }])) : undefined);
  return dropUndefined({
    id: f.id,
    name: f.name,
    labels: nonEmpty(f.metadata),
    created_at: f.createdAt,
    updated_at: f.updatedAt,
    deleted_at: f.archivedAt,
    key: f.key,
    meter: f.meterId
      ? dropUndefined({ id: f.meterId, filters: filters ? Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, toApiQueryFilter(v)])) : undefined })
      : undefined,
    unit_cost: f.unitCost ? toApiUnitCost(f.unitCost) : undefined,
  });
}

export function fromApiFeatureCreate(b: S['CreateFeatureRequest']): CreateFeatureInput {
  const filters: Record<string, FilterString> | undefined = b.meter?.filters
    ? Object.fromEntries(Object.entries(b.meter.filters).map(([k, v]) => [k, fromApiQueryFilter(v)]))
    : undefined;
  return dropUndefined({
    key: b.key,
    name: b.name,
    meterId: b.meter?.id,
    advancedMeterGroupByFilters: filters,
    unitCost: b.unit_cost ? fromApiUnitCost(b.unit_cost as unknown as S['BillingFeatureUnitCost']) : undefined,
    metadata: b.labels,
  });
}

// ---------------------------------------------------------------------------------- prices

const toApiTier = (t: PriceTier): S['BillingPriceTier'] =>
  dropUndefined({
    up_to_amount: t.upToAmount ?? undefined,
    flat_price: t.flatPrice ? { type: 'flat' as const, amount: t.flatPrice.amount } : undefined,
    unit_price: t.unitPrice ? { type: 'unit' as const, amount: t.unitPrice.amount } : undefined,
  });

export const fromApiTier = (t: S['BillingPriceTier']): PriceTier =>
  dropUndefined({
    upToAmount: t.up_to_amount,
    flatPrice: t.flat_price ? { type: 'flat' as const, amount: t.flat_price.amount } : undefined,
    unitPrice: t.unit_price ? { type: 'unit' as const, amount: t.unit_price.amount } : undefined,
  });

/**
 * v3 has no package or dynamic price: the real service shows a v1 one as a unit price plus the
 * `unit_config` that says what v1 did implicitly (api/v3/handlers/plans/convert.go
 * ToAPIBillingPrice, ToAPIBillingRateCardUnitConfig): a dynamic price is a unit price of 1 on
 * the usage multiplied by the multiplier; a package price is its package amount per
 * ceil(usage / quantityPerPackage).
 */
export function toApiPrice(p: Price | null): ApiPrice {
  if (!p) return { type: 'free' };
  switch (p.type) {
    case 'flat':
      return { type: 'flat', amount: p.amount };
    case 'unit':
      return { type: 'unit', amount: p.amount };
    case 'tiered':
      return { type: p.mode, tiers: p.tiers.map(toApiTier) } as ApiPrice;
    case 'dynamic':
      return { type: 'unit', amount: '1' };
    case 'package':
      return { type: 'unit', amount: p.amount };
  }
}

function unitConfigOfPrice(p: Price | null): Record<string, unknown> | undefined {
  if (p?.type === 'dynamic') return { operation: 'multiply', conversion_factor: p.multiplier ?? '1' };
  if (p?.type === 'package') return { operation: 'divide', conversion_factor: p.quantityPerPackage, rounding: 'ceiling' };
  return undefined;
}

const commitmentsOf = (p: Price | null): Commitments | undefined =>
  p && p.type !== 'flat' ? nonEmpty(dropUndefined({ minimumAmount: p.minimumAmount, maximumAmount: p.maximumAmount })) : undefined;

// ---------------------------------------------------------------------------------- entitlements

function toApiEntitlement(t: EntitlementTemplate): S['BillingRateCardEntitlement'] {
  switch (t.type) {
    case 'metered':
      return dropUndefined({ type: 'metered' as const, is_soft_limit: t.isSoftLimit ?? false, limit: t.issueAfterReset, usage_period: t.usagePeriod });
    case 'static': {
      let config: unknown = t.config;
      try {
        config = JSON.parse(t.config);
      } catch {
        // stored as given
      }
      return { type: 'static', config };
    }
    case 'boolean':
      return { type: 'boolean' };
  }
}

function fromApiEntitlement(e: S['BillingRateCardEntitlement']): EntitlementTemplate {
  switch (e.type) {
    case 'metered': {
      const m = e as S['BillingRateCardMeteredEntitlement'];
      return dropUndefined({ type: 'metered' as const, isSoftLimit: m.is_soft_limit, issueAfterReset: m.limit, usagePeriod: m.usage_period });
    }
    case 'static': {
      const s = e as S['BillingRateCardStaticEntitlement'];
      return { type: 'static', config: typeof s.config === 'string' ? s.config : JSON.stringify(s.config ?? null) };
    }
    default:
      return { type: 'boolean' };
  }
}

// ---------------------------------------------------------------------------------- rate cards

/** `withLabels`: add-on rate cards show their labels, plan rate cards do not (plans/convert.go vs addons/convert.go). */
export function toApiRateCard(rc: RateCard, withLabels: boolean): ApiRateCard {
  return toApiRateCardLoose(rc, withLabels) as unknown as ApiRateCard;
}

function toApiRateCardLoose(rc: RateCard, withLabels: boolean): Record<string, unknown> {
  const price = rc.price as Price | null;
  const c = commitmentsOf(price);
  const pct = rc.discounts?.percentage?.percentage;
  const discounts = rc.discounts
    ? nonEmpty(dropUndefined({ percentage: pct === undefined ? undefined : Number(pct), usage: rc.discounts.usage?.quantity }))
    : undefined;
  return dropUndefined({
    name: rc.name,
    labels: withLabels ? nonEmpty(rc.metadata) : undefined,
    key: rc.key,
    feature: rc.featureId ? { id: rc.featureId } : undefined,
    // `currency` is shown only for a per-rate-card override, which localmeter does not store
    billing_cadence: rc.billingCadence ?? undefined,
    price: toApiPrice(price),
    unit_config: rc.unitConfig
      ? dropUndefined({
          operation: rc.unitConfig.operation,
          conversion_factor: rc.unitConfig.conversionFactor,
          rounding: rc.unitConfig.rounding,
          precision: rc.unitConfig.precision,
          display_unit: rc.unitConfig.displayUnit,
        })
      : unitConfigOfPrice(price),
    payment_term: price?.type === 'flat' ? (price.paymentTerm ?? 'in_advance') : undefined,
    // commitments belong to usage-based rate cards only
    commitments: c && rc.type === 'usage_based' ? dropUndefined({ minimum_amount: c.minimumAmount, maximum_amount: c.maximumAmount }) : undefined,
    discounts,
    tax_config: rc.taxConfig?.taxCodeId ? dropUndefined({ behavior: rc.taxConfig.behavior, code: { id: rc.taxConfig.taxCodeId } }) : undefined,
    entitlement: rc.entitlementTemplate ? toApiEntitlement(rc.entitlementTemplate) : undefined,
  });
}

/** resolves a v3 feature reference (by id) to the feature key the domain works with */
export type FeatureKeyOf = (featureId: string, field: string) => string;

/**
 * v3 rate cards carry no type: a flat price makes a flat-fee rate card; free with no usage
 * entitlement stays a (free) flat fee; everything else is usage based.
 */
export function fromApiRateCard(r: ApiRateCard, featureKeyOf: FeatureKeyOf, field: string): RateCard {
  const p = r.price as unknown as ApiPrice;
  const ent = r.entitlement as unknown as S['BillingRateCardEntitlement'] | undefined;
  const commitments = dropUndefined({ minimumAmount: r.commitments?.minimum_amount, maximumAmount: r.commitments?.maximum_amount });
  let price: Price | null;
  switch (p.type) {
    case 'free':
      price = null;
      break;
    case 'flat':
      price = dropUndefined({ type: 'flat' as const, amount: (p as S['BillingPriceFlat']).amount, paymentTerm: r.payment_term });
      break;
    case 'unit':
      price = { type: 'unit', amount: (p as S['BillingPriceUnit']).amount, ...commitments };
      break;
    default:
      price = { type: 'tiered', mode: p.type as 'graduated' | 'volume', tiers: (p as S['BillingPriceGraduated']).tiers.map(fromApiTier), ...commitments };
  }
  // "In advance payment term can only be used for flat prices" (v3 BillingRateCard.payment_term);
  // every other price is billed in arrears (OpenMeter productcatalog/price.go), so dropping it would silently lie
  if (r.payment_term === 'in_advance' && p.type !== 'flat') {
    const message = `payment term in_advance can only be used with a flat price, not ${p.type}`;
    throw validationError(CatalogIssueCode.pricePaymentTermInvalid, message, [
      { code: CatalogIssueCode.pricePaymentTermInvalid, message, field: `${field}.payment_term`, severity: 'critical' },
    ]);
  }
  const usageBased = p.type !== 'flat' && !(p.type === 'free' && (r.billing_cadence === undefined || ent?.type !== 'metered'));
  const discounts = r.discounts
    ? nonEmpty(
        dropUndefined({
          percentage: r.discounts.percentage !== undefined ? { percentage: r.discounts.percentage } : undefined,
          usage: r.discounts.usage !== undefined ? { quantity: r.discounts.usage } : undefined,
        }),
      )
    : undefined;
  const base = dropUndefined({
    key: r.key,
    name: r.name,
    metadata: r.labels,
    featureKey: r.feature ? featureKeyOf(r.feature.id, `${field}.feature.id`) : undefined,
    entitlementTemplate: ent ? fromApiEntitlement(ent) : undefined,
    taxConfig: r.tax_config ? dropUndefined({ behavior: r.tax_config.behavior, taxCodeId: r.tax_config.code.id }) : undefined,
    discounts,
    unitConfig: r.unit_config
      ? dropUndefined({
          operation: r.unit_config.operation,
          conversionFactor: r.unit_config.conversion_factor,
          rounding: r.unit_config.rounding,
          precision: r.unit_config.precision,
          displayUnit: r.unit_config.display_unit,
        })
      : undefined,
  });
  if (usageBased) return { ...base, type: 'usage_based', billingCadence: r.billing_cadence as string, price };
  return { ...base, type: 'flat_fee', billingCadence: r.billing_cadence ?? null, price: price as RateCard['price'] & ({ type: 'flat' } | null) };
}

// ---------------------------------------------------------------------------------- plans

/** `code`, `field` (the same JSONPath as v1, camelCase names) and `message` only (plans/convert.go). */
const toApiValidationErrors = (issues: ValidationIssue[]): S['ProductCatalogValidationError'][] | undefined =>
  issues.length ? issues.map((i) => ({ code: i.code, message: i.message, field: i.field ?? '' })) : undefined;

/** Plan reads carry no labels on the plan, its phases or rate cards (plans/convert.go ToAPIBillingPlan). */
const toApiPhase = (ph: PlanPhase): S['BillingPlanPhase'] =>
  dropUndefined({
    name: ph.name,
    key: ph.key,
    duration: ph.duration ?? undefined,
    rate_cards: ph.rateCards.map((rc) => toApiRateCard(rc, false)),
  });

export function toApiPlan(p: Plan): ApiPlan {
  return dropUndefined({
    id: p.id,
    name: p.name,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    deleted_at: p.deletedAt,
    key: p.key,
    version: p.version,
    currency: p.currency,
    billing_cadence: p.billingCadence,
    pro_rating_enabled: p.proRatingConfig.enabled,
    effective_from: p.effectiveFrom,
    effective_to: p.effectiveTo,
    status: p.status,
    phases: p.phases.map(toApiPhase),
    settlement_mode: p.settlementMode ?? 'credit_then_invoice',
    validation_errors: toApiValidationErrors(p.validationErrors),
  });
}

const fromApiPhases = (phases: S['BillingPlanPhase'][], featureKeyOf: FeatureKeyOf): PlanPhase[] =>
  phases.map((ph, i) =>
    dropUndefined({
      key: ph.key,
      name: ph.name,
      metadata: ph.labels,
      duration: ph.duration ?? null,
      rateCards: ph.rate_cards.map((rc, j) => fromApiRateCard(rc, featureKeyOf, `phases[${i}].rate_cards[${j}]`)),
    }),
  );

export function fromApiPlanCreate(b: S['CreatePlanRequest'], featureKeyOf: FeatureKeyOf): CreatePlanInput {
  return dropUndefined({
    key: b.key,
    name: b.name,
    currency: b.currency,
    billingCadence: b.billing_cadence,
    proRatingConfig: { enabled: b.pro_rating_enabled ?? true, mode: 'prorate_prices' as const },
    phases: fromApiPhases(b.phases, featureKeyOf),
    metadata: b.labels,
  });
}

/** PUT replaces what v3 can say; the cadence (not on the v3 upsert body) and settlement mode stay */
export function fromApiPlanUpdate(id: string, b: S['UpsertPlanRequest'], cur: Plan, featureKeyOf: FeatureKeyOf): UpdatePlanInput {
  return dropUndefined({
    id,
    name: b.name,
    description: cur.description,
    billingCadence: cur.billingCadence,
    proRatingConfig: { enabled: b.pro_rating_enabled ?? true, mode: 'prorate_prices' as const },
    alignment: cur.alignment,
    settlementMode: cur.settlementMode,
    phases: fromApiPhases(b.phases, featureKeyOf),
    metadata: b.labels,
  });
}

// ---------------------------------------------------------------------------------- add-ons

export function toApiAddon(a: Addon): ApiAddon {
  return dropUndefined({
    id: a.id,
    name: a.name,
    labels: nonEmpty(a.metadata),
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    deleted_at: a.deletedAt,
    key: a.key,
    version: a.version,
    instance_type: a.instanceType,
    currency: a.currency,
    effective_from: a.effectiveFrom,
    effective_to: a.effectiveTo,
    status: a.status,
    rate_cards: a.rateCards.map((rc) => toApiRateCard(rc, true)),
    validation_errors: toApiValidationErrors(a.validationErrors),
  });
}

export function fromApiAddonCreate(b: S['CreateAddonRequest'], featureKeyOf: FeatureKeyOf): CreateAddonInput {
  return dropUndefined({
    key: b.key,
    name: b.name,
    instanceType: b.instance_type,
    currency: b.currency,
    rateCards: b.rate_cards.map((rc, j) => fromApiRateCard(rc, featureKeyOf, `rate_cards[${j}]`)),
    metadata: b.labels,
  });
}

export function fromApiAddonUpdate(id: string, b: S['UpsertAddonRequest'], cur: Addon, featureKeyOf: FeatureKeyOf): UpdateAddonInput {
  return dropUndefined({
    id,
    name: b.name,
    description: cur.description,
    instanceType: b.instance_type,
    rateCards: b.rate_cards.map((rc, j) => fromApiRateCard(rc, featureKeyOf, `rate_cards[${j}]`)),
    metadata: b.labels,
  });
}

// ---------------------------------------------------------------------------------- plan add-ons

export function toApiPlanAddon(pa: PlanAddon): ApiPlanAddon {
  return dropUndefined({
    id: pa.id,
    name: pa.name ?? pa.addon.name,
    labels: nonEmpty(pa.metadata),
    created_at: pa.createdAt,
    updated_at: pa.updatedAt,
    deleted_at: pa.deletedAt,
    addon: { id: pa.addonId },
    from_plan_phase: pa.fromPlanPhase,
    max_quantity: pa.maxQuantity,
    validation_errors: toApiValidationErrors(pa.validationErrors),
  });
}

export function fromApiPlanAddonCreate(planId: string, b: S['CreatePlanAddonRequest']): CreatePlanAddonInput {
  return dropUndefined({ planId, addonId: b.addon.id, fromPlanPhase: b.from_plan_phase, maxQuantity: b.max_quantity, name: b.name, metadata: b.labels });
}

export function fromApiPlanAddonUpdate(planId: string, planAddonId: string, b: S['UpsertPlanAddonRequest']): UpdatePlanAddonInput {
  return dropUndefined({ planId, planAddonId, fromPlanPhase: b.from_plan_phase, maxQuantity: b.max_quantity, name: b.name, metadata: b.labels });
}

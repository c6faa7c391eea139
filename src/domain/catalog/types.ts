import type { Page, PageInput } from '../shared/paging.ts';
export type { Page, PageInput };
import type { FilterString } from '../shared/filters.ts';
/**
 * Product-catalog domain model. Mirrors the OpenMeter v1 model (camelCase) so both the v1 and
 * the Konnect v3 surfaces can convert to and from it. Amounts are decimal strings, instants
 * ISO-8601 strings, cadences and durations ISO-8601 duration strings.
 */
import type { ValidationIssue } from '../shared/errors.ts';

export type Metadata = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Features

/** A string filter on a meter group-by value (v1 `FilterString`). */
export type { FilterString };

export const FeatureUnitCostType = { manual: 'manual', llm: 'llm' } as const;
export type FeatureUnitCostType = (typeof FeatureUnitCostType)[keyof typeof FeatureUnitCostType];

export type FeatureUnitCost =
  | { type: 'manual'; amount: string }
  | {
      type: 'llm';
      providerProperty?: string;
      provider?: string;
      modelProperty?: string;
      model?: string;
      tokenTypeProperty?: string;
      tokenType?: string;
    };

export interface Feature {
  id: string;
  key: string;
  name: string;
  /** key of the meter (v1 `meterSlug`); absent for static features */
  meterSlug?: string;
  /** id of the same meter (v3 `meter.id`) */
  meterId?: string;
  /** simple equality filters; present only when every advanced filter is a plain `$eq` */
  meterGroupByFilters?: Record<string, string>;
  advancedMeterGroupByFilters?: Record<string, FilterString>;
  unitCost?: FeatureUnitCost;
  metadata?: Metadata;
  description?: string;
  createdAt: string;
  updatedAt: string;
  /** set by v1 DELETE: the feature can no longer be used by new plans/entitlements */
  archivedAt?: string;
}

/** What the catalog knows of a meter (metering owns meters; see ports.ts). */
export interface MeterRef {
  id: string;
  key: string;
  eventType: string;
  aggregation: string;
  groupBy: Record<string, string>;
  deletedAt?: string;
}

// ---------------------------------------------------------------------------------------------
// Prices

export const PaymentTerm = { inAdvance: 'in_advance', inArrears: 'in_arrears' } as const;
export type PaymentTerm = (typeof PaymentTerm)[keyof typeof PaymentTerm];

export const TieredPriceMode = { volume: 'volume', graduated: 'graduated' } as const;
export type TieredPriceMode = (typeof TieredPriceMode)[keyof typeof TieredPriceMode];

export const PriceType = { flat: 'flat', unit: 'unit', tiered: 'tiered', package: 'package', dynamic: 'dynamic' } as const;
export type PriceType = (typeof PriceType)[keyof typeof PriceType];

/** Spend commitments (not on flat prices). */
export interface Commitments {
  minimumAmount?: string;
  maximumAmount?: string;
}

export interface FlatPrice {
  type: 'flat';
  amount: string;
  /** default in_advance */
  paymentTerm?: PaymentTerm;
}

export interface UnitPrice extends Commitments {
  type: 'unit';
  amount: string;
}

export interface PriceTier {
  /** inclusive upper bound; null/absent = open-ended (last) tier */
  upToAmount?: string | null;
  flatPrice?: { type: 'flat'; amount: string } | null;
  unitPrice?: { type: 'unit'; amount: string } | null;
}

export interface TieredPrice extends Commitments {
  type: 'tiered';
  mode: TieredPriceMode;
  tiers: PriceTier[];
}

export interface PackagePrice extends Commitments {
  type: 'package';
  amount: string;
  quantityPerPackage: string;
}

export interface DynamicPrice extends Commitments {
  type: 'dynamic';
  /** default "1" */
  multiplier?: string;
}

export type Price = FlatPrice | UnitPrice | TieredPrice | PackagePrice | DynamicPrice;

/** a flat price paid in advance (a flat price's term defaults to in advance) */
export const isInAdvanceFlat = (p: Price | null | undefined): p is FlatPrice => p?.type === 'flat' && (p.paymentTerm ?? PaymentTerm.inAdvance) === PaymentTerm.inAdvance;

// ---------------------------------------------------------------------------------------------
// Discounts, entitlement templates, tax

export interface Discounts {
  percentage?: { percentage: number | string; correlationId?: string };
  usage?: { quantity: string; correlationId?: string };
}

export const EntitlementTemplateType = { metered: 'metered', static: 'static', boolean: 'boolean' } as const;
export type EntitlementTemplateType = (typeof EntitlementTemplateType)[keyof typeof EntitlementTemplateType];

export interface MeteredEntitlementTemplate {
  type: 'metered';
  metadata?: Metadata;
  isSoftLimit?: boolean;
  issueAfterReset?: number;
  issueAfterResetPriority?: number;
  preserveOverageAtReset?: boolean;
  /** defaults to the rate card billing cadence */
  usagePeriod?: string;
}

export interface StaticEntitlementTemplate {
  type: 'static';
  metadata?: Metadata;
  /** JSON text of an object */
  config: string;
}

export interface BooleanEntitlementTemplate {
  type: 'boolean';
  metadata?: Metadata;
}

export type EntitlementTemplate = MeteredEntitlementTemplate | StaticEntitlementTemplate | BooleanEntitlementTemplate;

export interface TaxConfig {
  behavior?: 'inclusive' | 'exclusive';
  stripe?: { code: string };
  customInvoicing?: { code: string };
  taxCodeId?: string;
}

/** v3-only unit conversion (deploy flag `unitConfig.enabled`); kept so v3 round-trips. */
export interface UnitConfig {
  operation: 'multiply' | 'divide';
  conversionFactor: string;
  rounding?: 'none' | 'ceiling' | 'floor' | 'half_up';
  precision?: number;
  displayUnit?: string;
}

// ---------------------------------------------------------------------------------------------
// Rate cards

export const RateCardType = { flatFee: 'flat_fee', usageBased: 'usage_based' } as const;
export type RateCardType = (typeof RateCardType)[keyof typeof RateCardType];

interface RateCardBase {
  key: string;
  name: string;
  description?: string;
  metadata?: Metadata;
  featureKey?: string;
  /** resolved at create/update from featureKey (v3 references features by id) */
  featureId?: string;
  entitlementTemplate?: EntitlementTemplate;
  taxConfig?: TaxConfig;
  discounts?: Discounts;
  unitConfig?: UnitConfig;
}

export interface FlatFeeRateCard extends RateCardBase {
  type: 'flat_fee';
  /** null = one-time fee */
  billingCadence: string | null;
  /** null = free */
  price: FlatPrice | null;
}

export interface UsageBasedRateCard extends RateCardBase {
  type: 'usage_based';
  billingCadence: string;
  price: Price | null;
}

export type RateCard = FlatFeeRateCard | UsageBasedRateCard;

// ---------------------------------------------------------------------------------------------
// Plans

export const PlanStatus = { draft: 'draft', active: 'active', archived: 'archived', scheduled: 'scheduled' } as const;
export type PlanStatus = (typeof PlanStatus)[keyof typeof PlanStatus];

export interface ProRatingConfig {
  enabled: boolean;
  /**
   * `prorate_prices` (OpenMeter): a flat fee is prorated by the time its service period covers.
   * `max_consumption_based` (Zuplo's fork, the only mode of a Zuplo bucket's own plans): flat fees
   * are never prorated by time; a plan change gives a proration credit instead (decision 0032).
   */
  mode: 'prorate_prices' | 'max_consumption_based';
}

export interface Alignment {
  /** deprecated; the engine always behaves as if true */
  billablesMustAlign?: boolean;
}

export const SettlementMode = { creditThenInvoice: 'credit_then_invoice', creditOnly: 'credit_only' } as const;
export type SettlementMode = (typeof SettlementMode)[keyof typeof SettlementMode];

export interface PlanPhase {
  key: string;
  name: string;
  description?: string;
  /** null = runs until the subscription ends (only the last phase) */
  duration?: string | null;
  rateCards: RateCard[];
  metadata?: Metadata;
}

/** What is stored in the `plans` collection. */
export interface PlanRecord {
  id: string;
  key: string;
  version: number;
  name: string;
  description?: string;
  currency: string;
  billingCadence: string;
  proRatingConfig: ProRatingConfig;
  alignment?: Alignment;
  settlementMode?: SettlementMode;
  phases: PlanPhase[];
  effectiveFrom?: string;
  effectiveTo?: string;
  metadata?: Metadata;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

/** A plan as services return it: status computed against the clock. */
export interface Plan extends PlanRecord {
  status: PlanStatus;
  /** publish blockers of a draft/scheduled plan; empty for active/archived plans */
  validationErrors: ValidationIssue[];
}

// ---------------------------------------------------------------------------------------------
// Add-ons

export const AddonStatus = { draft: 'draft', active: 'active', archived: 'archived' } as const;
export type AddonStatus = (typeof AddonStatus)[keyof typeof AddonStatus];

export const AddonInstanceType = { single: 'single', multiple: 'multiple' } as const;
export type AddonInstanceType = (typeof AddonInstanceType)[keyof typeof AddonInstanceType];

export interface AddonRecord {
  id: string;
  key: string;
  version: number;
  name: string;
  description?: string;
  instanceType: AddonInstanceType;
  currency: string;
  rateCards: RateCard[];
  effectiveFrom?: string;
  effectiveTo?: string;
  metadata?: Metadata;
  annotations?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface Addon extends AddonRecord {
  status: AddonStatus;
  validationErrors: ValidationIssue[];
}

// ---------------------------------------------------------------------------------------------
// Plan add-ons

export interface PlanAddonRecord {
  id: string;
  planId: string;
  addonId: string;
  /** key of the plan phase from which the add-on can be purchased */
  fromPlanPhase: string;
  /** only for multiple-instance add-ons; absent = unlimited */
  maxQuantity?: number;
  /** v3 carries a display name/description on the assignment */
  name?: string;
  description?: string;
  metadata?: Metadata;
  annotations?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface PlanAddon extends PlanAddonRecord {
  addon: Addon;
  validationErrors: ValidationIssue[];
}

// ---------------------------------------------------------------------------------------------
// Lists

export const SortOrder = { asc: 'ASC', desc: 'DESC' } as const;
export type SortOrder = (typeof SortOrder)[keyof typeof SortOrder];

/** collection names this domain owns */
export const CatalogCollections = {
  features: 'features',
  plans: 'plans',
  addons: 'addons',
  planAddons: 'planAddons',
  /** read only; owned by metering */
} as const;

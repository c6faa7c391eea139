import type { Discounts, Price, TaxConfig } from '../../catalog/types.ts';
import type { SettlementMode } from '../credits/types.ts';
import type { IsoPeriod } from '../../shared/period.ts';
import type { ChargeLine } from './deltaRating.ts';

export const ChargeType = { flatFee: 'flat_fee', usageBased: 'usage_based' } as const;
export type ChargeType = (typeof ChargeType)[keyof typeof ChargeType];

/** The short (meta) status the API shows. */
export const ChargeStatus = { created: 'created', active: 'active', final: 'final', deleted: 'deleted' } as const;
export type ChargeStatus = (typeof ChargeStatus)[keyof typeof ChargeStatus];

export const ProrationMode = { prorate: 'prorate_prices', none: 'no_proration' } as const;
export type ProrationMode = (typeof ProrationMode)[keyof typeof ProrationMode];

export type Period = IsoPeriod;

/** Who advances the charge: the system (a subscription's charge) or the API user (a manual charge). */
export const LifecycleController = { system: 'system', manual: 'manual' } as const;
export type LifecycleController = (typeof LifecycleController)[keyof typeof LifecycleController];

export interface ChargeSubscriptionRef {
  subscriptionId: string;
  phaseId: string;
  itemId: string;
}

/**
 * One billing period of a subscription item whose subscription settles through charges
 * (subscriptionsync reconciler/patchchargeflatfee.go, patchchargeusagebased.go). The subscription
 * sync hands these over as it finds them; the unique reference id is the item period's.
 */
export interface SubscriptionChargeItem {
  /** `{subscriptionId}/{phaseKey}/{itemKey}/v[{version}]/period[{n}]` */
  childUniqueReferenceId: string;
  subscriptionId: string;
  phaseId: string;
  itemId: string;
  name: string;
  currency: string;
  price: Price;
  featureKey?: string;
  discounts?: Discounts;
  taxConfig?: TaxConfig;
  servicePeriod: Period;
  /** the period a prorated flat amount is measured against (charges only) */
  fullServicePeriod?: Period;
  billingPeriod: Period;
  invoiceAt: string;
  /** the subscription's settlement mode (`credit_then_invoice` | `credit_only` | `invoice_only`) */
  settlementMode?: string;
  /** a flat price's amount before proration and the subscription's proration mode (charges only) */
  amountBeforeProration?: string;
  prorationMode?: string;
  /** usage of the line = the events naming the subscription (decision 0031) */
  usageBySubscription?: boolean;
}

/** A flat-fee or usage-based charge (stored in `charges`). Amounts are decimal strings. */
export interface Charge {
  id: string;
  type: ChargeType;
  customerId: string;
  name: string;
  description?: string;
  labels?: Record<string, string>;
  currency: string;
  invoiceAt: string;
  servicePeriod: Period;
  fullServicePeriod: Period;
  billingPeriod: Period;
  settlementMode: SettlementMode;
  uniqueReferenceId?: string;
  taxConfig?: { behavior?: string; taxCodeId?: string };
  featureId?: string;
  featureKey?: string;
  status: Exclude<ChargeStatus, 'deleted'>;
  /** the subscription item period the charge was made for (its lifecycle is then the system's) */
  subscription?: ChargeSubscriptionRef;
  /** usage counts only the events naming the subscription (a subscription with `usageScope`, decision 0031) */
  usageBySubscription?: true;
  /** flat fee */
  paymentTerm?: 'in_advance' | 'in_arrears';
  prorationMode?: ProrationMode;
  amountBeforeProration?: string;
  amountAfterProration?: string;
  /** flat fee: percentage only; usage based: percentage and usage */
  discounts?: Discounts;
  /** usage based */
  price?: Price;
  /** the final realization ran (flat: the fee was realized) */
  realized?: boolean;
  /** `credit_then_invoice`: what the credits did not cover and invoicing still has to bill */
  invoiceableAmount?: string;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

/** One realization run of a charge (stored in `chargeRuns`). */
export interface ChargeRun {
  id: string;
  chargeId: string;
  /** the run's period: lines are stamped to it */
  period: Period;
  final: boolean;
  /** metered usage of [servicePeriod.from, period.to) (usage-based) */
  cumulativeQuantity?: string;
  lines: ChargeLine[];
  /** credit this run consumed (negative: returned by a correction) */
  creditsTotal: string;
  /** Σ line totals − creditsTotal: what is left for an invoice (always 0 for credit_only) */
  total: string;
  createdAt: string;
}

export interface ChargeTotals {
  amount: string;
  chargesTotal: string;
  discountsTotal: string;
  creditsTotal: string;
  taxesTotal: string;
  taxesInclusiveTotal: string;
  taxesExclusiveTotal: string;
  total: string;
}

/** A charge with what reads compute: booked totals, the next advance, the optional real-time totals. */
export interface ChargeView {
  charge: Charge;
  booked?: ChargeTotals;
  realtime?: ChargeTotals;
  advanceAfter?: string;
}

/** What every create names, as the charge stores it; the full and billing periods default to the service period. */
type CreateChargeBase = Pick<
  Charge,
  'customerId' | 'name' | 'description' | 'labels' | 'currency' | 'invoiceAt' | 'servicePeriod' | 'settlementMode' | 'uniqueReferenceId' | 'taxConfig'
> &
  Partial<Pick<Charge, 'fullServicePeriod' | 'billingPeriod'>>;

export interface CreateFlatFeeChargeInput extends CreateChargeBase {
  type: 'flat_fee';
  paymentTerm: 'in_advance' | 'in_arrears';
  prorationMode: ProrationMode;
  amountBeforeProration: { amount: string; currency: string };
  percentageDiscount?: number;
  featureId?: string;
}

export interface CreateUsageBasedChargeInput extends CreateChargeBase {
  type: 'usage_based';
  featureId: string;
  price: Price;
  discounts?: Discounts;
}

export type CreateChargeInput = CreateFlatFeeChargeInput | CreateUsageBasedChargeInput;

export const ChargeCollections = { charges: 'charges', runs: 'chargeRuns' } as const;

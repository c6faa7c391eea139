import type { PaymentTerm, Price, ProRatingConfig, RateCard, TaxConfig } from '../../catalog/types.ts';
import type { Period } from '../../shared/period.ts';

export const SubscriptionEndProrationMode = {
  billActualPeriod: 'bill_actual_period',
  billFullPeriod: 'bill_full_period',
} as const;
export type SubscriptionEndProrationMode = (typeof SubscriptionEndProrationMode)[keyof typeof SubscriptionEndProrationMode];

export const SubscriptionStatus = {
  scheduled: 'scheduled',
  active: 'active',
  canceled: 'canceled',
  inactive: 'inactive',
} as const;
export type SubscriptionStatus = (typeof SubscriptionStatus)[keyof typeof SubscriptionStatus];

/** One version of an item (a rate card placed in a phase). */
export interface SubscriptionItemSpec {
  key: string;
  rateCard: RateCard;
  /** ISO-8601 duration after the phase start at which this item version starts (default: phase start) */
  activeFromOverride?: string;
  /** ISO-8601 duration after the phase start at which this item version ends (default: phase end) */
  activeToOverride?: string;
  /** index in the item key's version history; default 0 */
  version?: number;
}

export interface SubscriptionPhaseSpec {
  key: string;
  /** ISO-8601 duration offset from the subscription's activeFrom ("P0D" for the first phase) */
  startAfter: string;
  items: SubscriptionItemSpec[];
}

/**
 * Everything the target-state engine needs to know about a subscription. Instants are RFC 3339
 * strings, exactly as they are stored, so a persisted record maps onto this without conversion.
 */
export interface SubscriptionSpec {
  id: string;
  customerId: string;
  currency: string;
  activeFrom: string;
  /** set by cancel; absent = runs until canceled */
  activeTo?: string;
  billingAnchor: string;
  /** ISO-8601 duration (P1M, P1W, …) */
  billingCadence: string;
  proRatingConfig: ProRatingConfig;
  /** default bill_actual_period */
  subscriptionEndProrationMode?: SubscriptionEndProrationMode;
  phases: SubscriptionPhaseSpec[];
}

/** A line the subscription wants on the customer's invoices (the gathering invoice's target state). */
export interface TargetLine {
  /** `{subscriptionId}/{phaseKey}/{itemKey}/v[{version}]/period[{periodIndex}]`; one-time: no `/period[...]` */
  childUniqueReferenceId: string;
  name: string;
  phaseKey: string;
  itemKey: string;
  price: Price;
  featureKey?: string;
  /** the rate card's tax config, carried to the line (targetstateitem.go) */
  taxConfig?: TaxConfig;
  /** what is actually charged for: fullServicePeriod ∩ the item's active interval */
  servicePeriod: Period;
  /** the whole rate-card-cadence period the service period belongs to (proration denominator) */
  fullServicePeriod: Period;
  /** the aligned billing period (plan cadence from the anchor, clipped to the phase) at servicePeriod.from */
  billingPeriod: Period;
  /** when the line becomes due: billingPeriod.from for in-advance flat, else max(servicePeriod.to, billingPeriod.to) */
  invoiceAt: Date;
  /** flat prices only: the (prorated) amount rounded to the currency, as a decimal string */
  amount?: string;
  paymentTerm: PaymentTerm;
}

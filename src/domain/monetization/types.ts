import type { Plan } from '../catalog/types.ts';
import type { Subscription, SubscriptionView } from '../subscriptions/types.ts';
import type { ApiKey, ConsumerView } from '../apikeys/types.ts';

/** collections this domain owns (each in the metering bucket's namespace) */
export const MonetizationCollections = {
  configuration: 'monetizationConfiguration',
  planInvites: 'monetizationPlanInvites',
  /** one record per subscription created through monetization: its consumer and access block */
  subscriptionKeys: 'monetizationSubscriptionKeys',
  /** the pending credits fixture of a customer (open question 19; decision 0033) */
  pendingCredits: 'monetizationPendingCredits',
} as const;

/** One credit the portal lists as waiting (P5): units of a feature, from a named source. */
export interface PendingCredit {
  featureKey: string;
  /** a decimal string */
  units: string;
  appliesToInvoiceAt?: string;
  source: string;
}

/** A customer's pending credits as a fixture set them (id = the customer id). */
export interface PendingCreditsRecord {
  id: string;
  pendingCredits: PendingCredit[];
  updatedAt: string;
}

/** The grace default when neither customer, plan nor bucket names one (reference §4). */
export const DEFAULT_MAX_PAYMENT_OVERDUE_DAYS = 3;

/** Customer / plan metadata key that overrides the bucket's grace period. */
export const MAX_PAYMENT_OVERDUE_DAYS_KEY = 'zuplo_max_payment_overdue_days';

/** Plan metadata that hides a plan from everyone but invited emails. */
export const PRIVATE_PLAN_KEY = 'zuplo_private_plan';

/** Zuplo bucket environments; working-copy and preview take Stripe test keys, production live keys. */
export const BucketEnvironment = { production: 'production', preview: 'preview', workingCopy: 'working-copy' } as const;
export type BucketEnvironment = (typeof BucketEnvironment)[keyof typeof BucketEnvironment];

export interface PlanSettings {
  visiblePhases?: string[];
}

/** `monetizationConfiguration` collection: one record (id `configuration`) per bucket. */
export interface MonetizationConfiguration {
  id: string;
  multipleSubscriptionsEnabled: boolean;
  /** plan keys, lowest first: a target at a higher or equal index is an upgrade */
  planOrder: string[];
  planSettings: Record<string, PlanSettings>;
  maxPaymentOverdueDays: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface UpdateConfigurationInput {
  multipleSubscriptionsEnabled?: boolean;
  planOrder?: string[];
  planSettings?: Record<string, PlanSettings>;
  maxPaymentOverdueDays?: number;
}

/** `monetizationPlanInvites` collection. */
export interface PlanInvite {
  id: string;
  email: string;
  planId: string;
  createdAt: string;
}

/**
 * `monetizationSubscriptionKeys` collection, keyed by subscription id. The consumer outlives a
 * plan change: the next subscription gets a record naming the same consumer.
 */
export interface SubscriptionKeyRecord {
  id: string;
  customerId: string;
  /** consumer name in the key bucket (the first subscription's ULID, lower-cased) */
  consumerName: string;
  keyBucketName: string;
  accessBlocked: boolean;
  createdAt: string;
  updatedAt: string;
}

export const PaymentStatusValue = {
  paid: 'paid',
  notRequired: 'not_required',
  pending: 'pending',
  failed: 'failed',
  uncollectible: 'uncollectible',
} as const;
export type PaymentStatusValue = (typeof PaymentStatusValue)[keyof typeof PaymentStatusValue];

export interface PaymentStatus {
  status: PaymentStatusValue;
  isFirstPayment: boolean;
  lastPaymentFailedAt?: string;
  lastPaymentSucceededAt?: string;
  /** resolved grace (customer → plan → bucket → 3) */
  maxPaymentOverdueDays: number;
}

export interface EntitlementAccess {
  hasAccess: boolean;
  balance?: string;
  usage?: string;
  overage?: string;
  config?: string;
}

/** B8 `SubscriptionAccess` (and the portal's usage view). */
export interface SubscriptionAccess {
  subscriptionId: string;
  customerId: string;
  planKey?: string;
  entitlements: Record<string, EntitlementAccess>;
  paymentStatus?: PaymentStatus;
  accessBlocked: boolean;
}

/** R1's `subscription`: what the gateway policy reads (RT `MonetizationSubscription`). */
export interface GatewaySubscription {
  subscription: Subscription;
  currentPeriod?: { from: string; to: string };
  entitlements: Record<string, { balance: number; hasAccess: boolean; overage: number; usage: number }>;
  paymentStatus: Omit<PaymentStatus, 'maxPaymentOverdueDays'>;
  maxPaymentOverdueDays: number;
  accessBlocked: boolean;
}

/** R1's answer before the surface encodes it. */
export interface ValidatedKey {
  apiKey: ApiKey;
  consumer: { name: string; metadata: Record<string, unknown> };
}

/** Where a metering bucket keeps its subscriptions' consumers. */
export interface KeyBucketRef {
  accountName: string;
  keyBucketName: string;
  environment: BucketEnvironment;
}

/** What subscribe and change both take: the plan, the timing and the new subscription's details. */
export interface MonetizedPlanChoice {
  /** `{key, version?}` or a plan id */
  plan?: { key?: string; id?: string; version?: number };
  planId?: string;
  /** omitted on change: chosen from the plan order (upgrade immediate, downgrade next_billing_cycle) */
  timing?: string;
  name?: string;
  description?: string;
  metadata?: Record<string, string>;
  billingAnchor?: string;
  startingPhase?: string;
}

/** B1 (and P3) input. */
export interface MonetizedSubscribeInput extends MonetizedPlanChoice {
  customerId?: string;
  customerKey?: string;
  /** SEED `CreateSubscriptionRequestBody`: the customer by subject, created when missing */
  customerSub?: string;
  customerEmail?: string;
  /** the key bucket the consumer is created in */
  keyBucket: KeyBucketRef;
  /** who manages the consumer (the portal passes the signed-in user) */
  managers?: Array<{ email: string; sub: string }>;
}

export interface MonetizedChangeInput extends MonetizedPlanChoice {
  id: string;
}

export interface CreditEstimate {
  creditAmount: string;
  currency: string;
  maxPercentage: string;
  timePercentage: string;
  consumptionPercentage: string;
  upfrontCost: string;
  /**
   * What the subscription's own proration credit (from an earlier change) left unused, passed on
   * to the next subscription (multi-hop A→B→C); part of `creditAmount`
   */
  overflowCredit: string;
  /** this change's credit alone (`creditAmount` − `overflowCredit`) */
  changeCredit: string;
  /** the timing the change would use */
  timing: string;
  isUpgrade: boolean;
}

/** SubscriptionWithAPIKeysResponse before encoding. */
export interface SubscriptionWithConsumer {
  subscription: SubscriptionView;
  consumer?: ConsumerView;
}

/** A plan as the pricing page lists it. */
export interface PricingPlan {
  plan: Plan;
  paymentRequired: boolean;
  isPrivate: boolean;
}

export interface BillingReadiness {
  hasStripeApp: boolean;
  stripeAppId: string | null;
  hasDefaultBillingProfile: boolean;
  defaultBillingProfileId: string | null;
}

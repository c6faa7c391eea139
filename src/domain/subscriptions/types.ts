import type { AddonInstanceType, Feature, Metadata, PlanPhase, ProRatingConfig, RateCard, SettlementMode } from '../catalog/types.ts';
import type { EntitlementView } from '../entitlements/types.ts';
import type { PageInput } from '../shared/paging.ts';
import { SubscriptionStatus } from './engine/types.ts';
export { SubscriptionStatus };

/** collections this domain owns (and nobody else opens) */
export const SubscriptionCollections = { subscriptions: 'subscriptions', subscriptionAddons: 'subscriptionAddons' } as const;

export const CostBasisMode = { dynamic: 'dynamic', pinned: 'pinned' } as const;
export type CostBasisMode = (typeof CostBasisMode)[keyof typeof CostBasisMode];

/** Annotation keys the real service writes (openmeter/subscription/annotations.go). */
export const SubscriptionAnnotation = {
  previousSubscriptionId: 'subscription.previous.id',
  supersedingSubscriptionId: 'subscription.superseding.id',
  subscriptionId: 'subscription.id',
} as const;

/**
 * One version of an item: a rate card placed in a phase. Versions of one key follow each other
 * in time (an edit of the running phase closes the active version and opens the next one).
 */
export interface SubscriptionItemRecord {
  id: string;
  key: string;
  name: string;
  description?: string;
  metadata?: Metadata;
  rateCard: RateCard;
  /** ISO duration after the phase start (absent: the phase start) */
  activeFromOverride?: string;
  /** ISO duration after the phase start (absent: the phase end) */
  activeToOverride?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface SubscriptionPhaseRecord {
  id: string;
  key: string;
  name: string;
  description?: string;
  metadata?: Metadata;
  /** ISO duration after the subscription's activeFrom */
  startAfter: string;
  items: SubscriptionItemRecord[];
  createdAt: string;
  updatedAt: string;
}

/** One entitlement this subscription created for an item version (its access window). */
export interface ManagedEntitlementRef {
  itemId: string;
  entitlementId: string;
  /** what the entitlement was created from: a later difference (add-on step) replaces it */
  fingerprint: string;
}

/** `subscriptions` collection. */
export interface SubscriptionRecord {
  id: string;
  name: string;
  description?: string;
  metadata?: Metadata;
  annotations?: Record<string, unknown>;
  customerId: string;
  plan?: { id: string; key: string; version: number };
  currency: string;
  billingCadence: string;
  billingAnchor: string;
  proRatingConfig: ProRatingConfig;
  settlementMode: SettlementMode;
  /**
   * the items are charges (decision 0030): the mode is `credit_only` (OpenMeter settles it only
   * through charges) or the subscription request named its settlement mode; a plan's
   * `credit_then_invoice` (the default every plan gets) keeps invoice lines
   */
  settledByCharges?: true;
  costBasisMode: CostBasisMode;
  activeFrom: string;
  /** set by cancel / change; absent = runs until canceled */
  activeTo?: string;
  phases: SubscriptionPhaseRecord[];
  createdAt: string;
  updatedAt: string;
  /** only scheduled subscriptions can be deleted; a deleted one is inactive everywhere */
  deletedAt?: string;
  /** entitlements currently held for item versions */
  entitlements: ManagedEntitlementRef[];
  /** the next instant at which the managed entitlements must be reconciled (job due time) */
  nextSyncAt?: string;
  /**
   * `subscription`: made while the namespace let a customer hold overlapping subscriptions on one
   * feature (a Zuplo bucket with `multipleSubscriptionsEnabled`, decision 0031): its entitlements
   * and its usage lines count only the events whose `subscription` names it. Absent = the
   * customer's usage (OpenMeter).
   */
  usageScope?: 'subscription';
}

/**
 * How many subscriptions a customer may run at once in a namespace (decision 0031).
 * `single`: one (OpenMeter's default, `only_single_subscription_allowed_per_customer_at_a_time`).
 * `byFeature`: OpenMeter's `multi-subscription-enabled` namespaces: several, as long as no two
 * items with an entitlement or a price share a key at the same time
 * (`only_single_subscription_item_allowed_at_a_time`).
 * `bySubscription`: a Zuplo bucket with `multipleSubscriptionsEnabled`: several, features may
 * overlap; each subscription's entitlements and usage lines follow the events naming it.
 */
export const MultiSubscriptionMode = { single: 'single', byFeature: 'byFeature', bySubscription: 'bySubscription' } as const;
export type MultiSubscriptionMode = (typeof MultiSubscriptionMode)[keyof typeof MultiSubscriptionMode];

/** A subscription as services return it: the status derived from the clock. */
export interface Subscription extends SubscriptionRecord {
  status: SubscriptionStatus;
}

/** A phase with its resolved window (phases are returned in start order). */
export interface SubscriptionPhaseView extends SubscriptionPhaseRecord {
  activeFrom: string;
  activeTo?: string;
  items: SubscriptionItemView[];
}

export interface SubscriptionItemView extends SubscriptionItemRecord {
  activeFrom: string;
  activeTo?: string;
  /** the entitlement this item version holds, if any */
  entitlementId?: string;
  /** the feature of the rate card (v1 `included.feature`) */
  feature?: Feature;
  /** the entitlement it holds now (v1 `included.entitlement`) */
  entitlement?: EntitlementView;
}

/** Everything the surfaces render: resolved phases and the current aligned billing period. */
export interface SubscriptionView extends Subscription {
  /** the instant the view was computed at (which phase is current, which item version shows) */
  asOf: string;
  phaseViews: SubscriptionPhaseView[];
  currentPeriod?: { from: string; to: string };
}

export type Timing = string;

export interface PlanRef {
  id?: string;
  key?: string;
  version?: number;
}

export interface CustomPlanInput {
  name: string;
  description?: string;
  metadata?: Metadata;
  currency?: string;
  billingCadence: string;
  proRatingConfig?: ProRatingConfig;
  settlementMode?: SettlementMode;
  phases: PlanPhase[];
}

/** What create and change share: the plan (a reference or a custom plan) and the subscription's own fields. */
export interface SubscriptionPlanChoice {
  plan?: PlanRef;
  customPlan?: CustomPlanInput;
  /** v3 selects the highest version regardless of status (then requires it to be active) */
  planKeyLatest?: boolean;
  billingAnchor?: string;
  name?: string;
  description?: string;
  metadata?: Metadata;
  settlementMode?: SettlementMode;
  costBasisMode?: CostBasisMode;
  startingPhase?: string;
}

export interface CreateSubscriptionInput extends SubscriptionPlanChoice {
  customer: { id?: string; key?: string };
  /** v3 names the subscription `<plan key> v<version>` */
  nameAsPlanVersion?: boolean;
  timing?: Timing;
}

export interface ChangeSubscriptionInput extends SubscriptionPlanChoice {
  id: string;
  timing: Timing;
  /** v3: the next subscription keeps the current name (and labels unless given) */
  inheritName?: boolean;
}

export interface MigrateSubscriptionInput {
  id: string;
  timing?: Timing;
  targetVersion?: number;
  startingPhase?: string;
  billingAnchor?: string;
}

export type EditOperation =
  | { op: 'add_item'; phaseKey: string; rateCard: RateCard }
  | { op: 'remove_item'; phaseKey: string; itemKey: string }
  | { op: 'add_phase'; phase: { key: string; name: string; description?: string; startAfter: string | null; duration?: string } }
  | { op: 'remove_phase'; phaseKey: string; shift: 'next' | 'prev' }
  | { op: 'stretch_phase'; phaseKey: string; extendBy: string }
  | { op: 'unschedule_edit' };

export interface EditSubscriptionInput {
  id: string;
  customizations: EditOperation[];
  timing?: Timing;
}

export const SubscriptionOrderBy = { activeFrom: 'activeFrom', activeTo: 'activeTo', id: 'id' } as const;
export type SubscriptionOrderBy = (typeof SubscriptionOrderBy)[keyof typeof SubscriptionOrderBy];

export interface ListSubscriptionsInput extends PageInput {
  /** customer id or key (v1 per-customer list) */
  customer?: string;
  ids?: string[];
  customerIds?: string[];
  planIds?: string[];
  planKeys?: string[];
  status?: SubscriptionStatus[];
  orderBy?: SubscriptionOrderBy;
  /** v1: no page parameters = every subscription, answered with page 0 / pageSize 0 */
  unpaged?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Add-ons

/** One step of an add-on's quantity timeline: from `activeFrom` the quantity is `quantity`. */
export interface AddonQuantityStep {
  activeFrom: string;
  quantity: number;
}

/** `subscriptionAddons` collection. */
export interface SubscriptionAddonRecord {
  id: string;
  subscriptionId: string;
  name: string;
  description?: string;
  metadata?: Metadata;
  addon: { id: string; key: string; version: number; instanceType: AddonInstanceType };
  rateCards: RateCard[];
  /** sorted by activeFrom; a later step replaces an earlier one at the same instant */
  quantities: AddonQuantityStep[];
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface AddonTimelineSegment {
  activeFrom: string;
  activeTo?: string;
  quantity: number;
}

export interface SubscriptionAddonView extends SubscriptionAddonRecord {
  quantity: number;
  quantityAt: string;
  activeFrom: string;
  activeTo?: string;
  timeline: AddonTimelineSegment[];
  /** per add-on rate card: the subscription item ids (item versions) it changes */
  affectedItemIds: Record<string, string[]>;
}

export interface CreateSubscriptionAddonInput {
  subscriptionId: string;
  addonId: string;
  quantity: number;
  timing: Timing;
  name?: string;
  description?: string;
  metadata?: Metadata;
}

export interface UpdateSubscriptionAddonInput {
  subscriptionId: string;
  subscriptionAddonId: string;
  quantity?: number;
  timing?: Timing;
  name?: string;
  metadata?: Metadata;
}

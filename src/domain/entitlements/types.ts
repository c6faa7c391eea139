import type { Page, PageInput } from '../shared/paging.ts';
export type { Page, PageInput };
import type { Customer } from '../customers/types.ts';
import type { ExpirationDuration } from '../credit/types.ts';

export const EntitlementType = { metered: 'metered', static: 'static', boolean: 'boolean' } as const;
export type EntitlementType = (typeof EntitlementType)[keyof typeof EntitlementType];

/** `interval` as given on the wire (DAY/WEEK/MONTH/YEAR or an ISO duration); `anchor` ISO instant. */
export interface UsagePeriodRecord {
  interval: string;
  anchor: string;
}

/** A saved engine snapshot (decimal strings at rest): the state right after the last manual reset. */
export interface SnapshotRecord {
  at: string;
  balances: Record<string, string>;
  overage: string;
  /** overage the reset paid from rolled-over grants: grant usage of the new period */
  grantUsage?: string;
}

/**
 * `entitlements` collection. Timestamps: `activeFrom` = createdAt (no scheduling yet);
 * `measureUsageFrom` start of the first usage period; `lastManualResetAt` the last manual reset
 * (automatic resets are not stored, the engine derives them from `usagePeriod`);
 * `deletedAt` soft delete (also the end of access).
 */
export interface EntitlementRecord {
  id: string;
  type: EntitlementType;
  customerId: string;
  featureId: string;
  featureKey: string;
  metadata?: Record<string, string>;
  /** static: JSON text */
  config?: string;
  usagePeriod?: UsagePeriodRecord;
  measureUsageFrom?: string;
  isSoftLimit?: boolean;
  preserveOverageAtReset?: boolean;
  issueAfterReset?: { amount: string; priority?: number };
  lastManualResetAt?: string;
  resetSnapshot?: SnapshotRecord;
  activeFrom: string;
  activeTo?: string;
  /** system key/values; a subscription-managed entitlement has `subscription.id` */
  annotations?: Record<string, unknown>;
  /**
   * the subscription whose events alone are its usage (decision 0031): set on the managed
   * entitlements of a subscription made with several allowed per feature (a Zuplo bucket with
   * `multipleSubscriptionsEnabled`); absent = all of the customer's usage
   */
  usageSubscriptionId?: string;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

/**
 * `grants` collection. `effectiveAt` floored to the minute; `expiresAt` = effectiveAt + expiration
 * (Go AddDate); `voidedAt` first instant it no longer burns.
 */
export interface GrantRecord {
  id: string;
  entitlementId: string;
  customerId: string;
  featureKey: string;
  amount: string;
  priority?: number;
  effectiveAt: string;
  expiration?: { duration: ExpirationDuration; count: number };
  expiresAt?: string;
  maxRolloverAmount: string;
  minRolloverAmount: string;
  recurrence?: { interval: string; anchor: string };
  metadata?: Record<string, string>;
  annotations?: Record<string, unknown>;
  voidedAt?: string;
  deletedAt?: string;
  createdAt: string;
  updatedAt: string;
}

/** a customer id or key, or (legacy subject routes) the subject key of a customer */
export type CustomerRef = string | { subject: string };

export interface CreateEntitlementInput {
  customer: CustomerRef;
  type: EntitlementType;
  featureKey?: string;
  featureId?: string;
  metadata?: Record<string, string>;
  config?: string;
  usagePeriod?: { interval: string; anchor?: Date };
  /** a time, or the presets */
  measureUsageFrom?: Date | 'NOW' | 'CURRENT_PERIOD_START';
  isSoftLimit?: boolean;
  preserveOverageAtReset?: boolean;
  issueAfterReset?: { amount: string; priority?: number };
  /** v2 create: grants issued together with the entitlement (v2 rollover defaults) */
  grants?: Omit<CreateGrantInput, 'customer' | 'entitlement' | 'apiVersion'>[];
}

export interface CreateGrantInput {
  customer: CustomerRef;
  /** entitlement id or feature key */
  entitlement: string;
  apiVersion: 'v1' | 'v2';
  amount: string;
  priority?: number;
  effectiveAt: Date;
  expiration?: { duration: ExpirationDuration; count: number };
  maxRolloverAmount?: string;
  minRolloverAmount?: string;
  recurrence?: { interval: string; anchor?: Date };
  metadata?: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface ListEntitlementsInput extends PageInput {
  /** feature keys or ids */
  feature?: string[];
  /** customer ids or keys */
  customers?: string[];
  /** legacy: subject keys, resolved to customers */
  subjects?: string[];
  types?: string[];
  excludeInactive?: boolean;
  includeDeleted?: boolean;
  order?: 'ASC' | 'DESC';
  orderBy?: 'createdAt' | 'updatedAt';
}

export interface ListGrantsInput extends PageInput {
  feature?: string[];
  customers?: string[];
  subjects?: string[];
  /** only the grants of this entitlement */
  entitlementId?: string;
  includeDeleted?: boolean;
  order?: 'ASC' | 'DESC';
  orderBy?: 'id' | 'createdAt' | 'updatedAt';
}

/** An entitlement with the values derived at read time. */
export interface EntitlementView extends EntitlementRecord {
  customerKey?: string;
  /** subject key for the legacy v1 shape */
  subjectKey: string;
  /** metered (and any entitlement with a usage period): the period containing now */
  currentUsagePeriod?: { from: string; to: string };
  /** metered: start of the current usage period (last manual or automatic reset, or measureUsageFrom) */
  lastReset?: string;
}

export interface EntitlementValueView {
  /** the entitlement's type; absent when the customer has no entitlement for the feature */
  type?: EntitlementType;
  hasAccess: boolean;
  balance?: string;
  usage?: string;
  overage?: string;
  totalAvailableGrantAmount?: string;
  config?: string;
  grantBalances?: Record<string, string>;
}

export interface ResetInput {
  customer: CustomerRef;
  entitlement: string;
  effectiveAt?: Date;
  retainAnchor?: boolean;
  preserveOverage?: boolean;
}

export interface HistoryRequest {
  customer: CustomerRef;
  entitlement: string;
  from?: Date;
  to?: Date;
  windowSize: string;
  windowTimeZone?: string;
}

export interface HistoryView {
  windows: { from: string; to: string; usage: string; balanceAtStart: string; overageAtStart: string }[];
  segments: {
    from: string;
    to: string;
    usage: string;
    overage: string;
    balanceAtStart: string;
    grantBalancesAtStart: Record<string, string>;
    balanceAtEnd: string;
    grantBalancesAtEnd: Record<string, string>;
    grantUsages: { grantId: string; usage: string }[];
  }[];
}

export const AccessReasonCode = {
  usageLimitReached: 'usage_limit_reached',
  featureUnavailable: 'feature_unavailable',
  featureNotFound: 'feature_not_found',
} as const;
export type AccessReasonCode = (typeof AccessReasonCode)[keyof typeof AccessReasonCode];

/** One customer's answer to an access query (Konnect `query-entitlement-access`). */
export interface AccessQueryResult {
  /** the requested keys that resolved to this customer */
  matched: string[];
  customer: Customer;
  features: Record<string, { hasAccess: boolean; reason?: { code: AccessReasonCode; message: string } }>;
}

export interface AccessQueryOutcome {
  results: AccessQueryResult[];
  /** requested customer keys that match no customer */
  missingCustomers: string[];
}

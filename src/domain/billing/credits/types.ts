export const FundingMethod = { none: 'none', invoice: 'invoice', external: 'external' } as const;
export type FundingMethod = (typeof FundingMethod)[keyof typeof FundingMethod];

/** What the grant reads as (computed at read time, konnect-billing.md §4.1). */
export const GrantStatus = { pending: 'pending', active: 'active', expired: 'expired', voided: 'voided' } as const;
export type GrantStatus = (typeof GrantStatus)[keyof typeof GrantStatus];

/** The lifecycle of the credit-purchase charge behind a grant: `created` until the credit is booked. */
export const PurchaseChargeStatus = { created: 'created', active: 'active', final: 'final' } as const;
export type PurchaseChargeStatus = (typeof PurchaseChargeStatus)[keyof typeof PurchaseChargeStatus];

export const SettlementStatus = { pending: 'pending', authorized: 'authorized', settled: 'settled' } as const;
export type SettlementStatus = (typeof SettlementStatus)[keyof typeof SettlementStatus];

export const TransactionType = { funded: 'funded', consumed: 'consumed', expired: 'expired', voided: 'voided' } as const;
export type TransactionType = (typeof TransactionType)[keyof typeof TransactionType];

export const SettlementMode = { creditThenInvoice: 'credit_then_invoice', creditOnly: 'credit_only' } as const;
export type SettlementMode = (typeof SettlementMode)[keyof typeof SettlementMode];

/** A credit grant (stored in `creditGrants`). Amounts are decimal strings. */
export interface CreditGrant {
  id: string;
  customerId: string;
  name: string;
  description?: string;
  labels?: Record<string, string>;
  currency: string;
  /** credit amount, > 0 */
  amount: string;
  fundingMethod: FundingMethod;
  /** funded grants only */
  purchase?: {
    currency: string;
    perUnitCostBasis: string;
    /** round(amount × perUnitCostBasis) at the purchase currency's precision */
    amount: string;
    /** external funding only */
    availabilityPolicy?: 'on_creation';
    settlementStatus: SettlementStatus;
  };
  taxConfig?: { behavior?: string; taxCodeId?: string };
  /** the credit may only pay for these features; absent = any */
  featureKeys?: string[];
  /** 1–1000, lower is consumed first */
  priority: number;
  /** as sent; the response shows it only then */
  effectiveAt?: string;
  /** when the credit becomes available: `effectiveAt`, else creation */
  availableFrom: string;
  expiresAt?: string;
  /** unique per customer among grants */
  key?: string;
  chargeStatus: PurchaseChargeStatus;
  voidedAt?: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * One booked movement of customer credit (stored in `creditLedger`). Expiries are not stored:
 * they are derived from the grant's remainder at `expiresAt` when read.
 */
export interface CreditEntry {
  id: string;
  customerId: string;
  currency: string;
  type: Exclude<TransactionType, 'expired'>;
  /** signed decimal string: funded > 0; consumed < 0 (a correction that returns credit is > 0); voided < 0 */
  amount: string;
  bookedAt: string;
  createdAt: string;
  /** the grant whose credit moved; absent for a `credit_only` shortfall (the advance) */
  grantId?: string;
  /** the charge that consumed the credit */
  chargeId?: string;
  name: string;
  labels?: Record<string, string>;
}

export interface CreateGrantInput {
  customerId: string;
  name: string;
  description?: string;
  labels?: Record<string, string>;
  fundingMethod: FundingMethod;
  currency: string;
  amount: string;
  purchase?: { currency: string; perUnitCostBasis?: string; availabilityPolicy?: string };
  taxConfig?: { behavior?: string; taxCodeId?: string };
  featureKeys?: string[];
  /** default 10 (the v3 validator injects it) */
  priority?: number;
  effectiveAt?: string;
  /** ISO 8601 duration */
  expiresAfter?: string;
  key?: string;
}

export interface ListGrantsInput {
  customerId: string;
  status?: GrantStatus;
  currency?: string;
  /** a predicate on the key (the surface decides the operators) */
  key?: (key: string | undefined) => boolean;
}

/** `exists: false` = unrestricted credit only; `key` = unrestricted plus credit restricted to that feature. */
export type FeatureView = { key: string } | { exists: false } | undefined;

export interface CreditBalance {
  currency: string;
  live: string;
  settled: string;
  pending: string;
}

export interface CreditTransaction {
  id: string;
  name: string;
  labels?: Record<string, string>;
  createdAt: string;
  bookedAt: string;
  type: TransactionType;
  currency: string;
  amount: string;
  balanceBefore: string;
  balanceAfter: string;
}

export interface TransactionCursor {
  bookedAt: string;
  createdAt: string;
  id: string;
}

export interface ListTransactionsInput {
  customerId: string;
  size: number;
  after?: TransactionCursor;
  before?: TransactionCursor;
  type?: TransactionType;
  currency?: string;
  feature?: FeatureView;
}

export interface TransactionPage {
  items: CreditTransaction[];
  next?: TransactionCursor;
  previous?: TransactionCursor;
}

/** What a charge still wants from credit (the charges domain reports it for `live`). */
export interface OutstandingImpact {
  chargeId: string;
  currency: string;
  featureKey?: string;
  settlementMode: SettlementMode;
  /** amount still due and not yet allocated credit, > 0 */
  outstanding: string;
  createdAt: string;
}

/** One grant's share of a consumption, as the rating engine's `creditsApplied` wants it. */
export interface CreditAllocation {
  grantId?: string;
  amount: string;
  entryId: string;
}

export const CreditCollections = { grants: 'creditGrants', ledger: 'creditLedger' } as const;

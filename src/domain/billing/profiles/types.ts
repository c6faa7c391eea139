import type { Address } from '../../customers/types.ts';

export const CollectionMethod = { chargeAutomatically: 'charge_automatically', sendInvoice: 'send_invoice' } as const;
export type CollectionMethod = (typeof CollectionMethod)[keyof typeof CollectionMethod];

export const ProrationMode = { billFullPeriod: 'bill_full_period', billActualPeriod: 'bill_actual_period' } as const;
export type ProrationMode = (typeof ProrationMode)[keyof typeof ProrationMode];

export type CollectionAlignment = { type: 'subscription' } | { type: 'anchored'; recurringPeriod: { interval: string; anchor: string } };

/** A complete workflow: every setting has a value (OpenMeter billing/defaults.go, billing/service/invoicecalc). */
export interface BillingWorkflow {
  collection: { alignment: CollectionAlignment; interval: string };
  invoicing: {
    autoAdvance: boolean;
    draftPeriod: string;
    dueAfter: string;
    progressiveBilling: boolean;
    subscriptionEndProrationMode: ProrationMode;
    /** v1 `TaxConfig`, kept as given */
    defaultTaxConfig?: Record<string, unknown>;
  };
  payment: { collectionMethod: CollectionMethod };
  tax: { enabled: boolean; enforced: boolean };
}

/** What a caller may send: any subset; missing values take the defaults. */
export interface BillingWorkflowInput {
  collection?: { alignment?: CollectionAlignment; interval?: string };
  invoicing?: Partial<BillingWorkflow['invoicing']>;
  payment?: Partial<BillingWorkflow['payment']>;
  tax?: Partial<BillingWorkflow['tax']>;
}

export interface BillingParty {
  id?: string;
  key?: string;
  name?: string;
  taxId?: { code?: string };
  addresses?: Address[];
}

/** app ids per capability */
export interface BillingProfileApps {
  tax: string;
  invoicing: string;
  payment: string;
}

/** Stored in `billingProfiles`. */
export interface BillingProfile {
  id: string;
  name: string;
  description?: string;
  metadata?: Record<string, string>;
  supplier: BillingParty;
  workflow: BillingWorkflow;
  apps: BillingProfileApps;
  /** exactly one live profile per namespace has it */
  default: boolean;
  createdAt: string;
  updatedAt: string;
  /** soft delete: still readable by id, no longer listed (unless includeArchived), not usable */
  deletedAt?: string;
}

export interface CreateBillingProfileInput {
  name: string;
  description?: string;
  metadata?: Record<string, string> | null;
  supplier: BillingParty;
  default: boolean;
  workflow?: BillingWorkflowInput;
  apps: BillingProfileApps;
}

/** PUT: everything but the apps is replaced (apps cannot change after creation). */
export interface UpdateBillingProfileInput extends Omit<CreateBillingProfileInput, 'apps'> {
  id: string;
}

export const BillingProfileOrderBy = { createdAt: 'createdAt', updatedAt: 'updatedAt', default: 'default', name: 'name' } as const;
export type BillingProfileOrderBy = (typeof BillingProfileOrderBy)[keyof typeof BillingProfileOrderBy];

export interface ListBillingProfilesInput {
  page?: number;
  pageSize?: number;
  includeArchived?: boolean;
  order?: 'ASC' | 'DESC';
  orderBy?: BillingProfileOrderBy;
}

/** Stored in `billingCustomerOverrides`, keyed by customer id: pins a customer to a profile. */
export interface BillingCustomerOverride {
  /** = customerId */
  id: string;
  customerId: string;
  /** absent: the override pins nothing and the customer follows the default profile */
  billingProfileId?: string;
  createdAt: string;
  updatedAt: string;
}

/** The profile that applies to a customer, as v1 `BillingProfileCustomerOverrideWithDetails` reports it. */
export interface CustomerBillingDetails {
  customerId: string;
  override?: BillingCustomerOverride;
  /** the override's profile, else the default */
  baseProfile: BillingProfile;
  /** the settings in force: supplier, merged workflow, apps */
  effective: { supplier: BillingParty; workflow: BillingWorkflow; apps: BillingProfileApps };
}

export const OverrideOrderBy = {
  customerId: 'customerId',
  customerName: 'customerName',
  customerKey: 'customerKey',
  customerPrimaryEmail: 'customerPrimaryEmail',
  customerCreatedAt: 'customerCreatedAt',
} as const;
export type OverrideOrderBy = (typeof OverrideOrderBy)[keyof typeof OverrideOrderBy];

export interface ListCustomerOverridesInput {
  page?: number;
  pageSize?: number;
  /** only customers whose effective profile is one of these */
  billingProfileIds?: string[];
  /** only customers without a pinned profile (implies all customers) */
  customersWithoutPinnedProfile?: boolean;
  /** customers without an override too (then reported with the default profile) */
  includeAllCustomers?: boolean;
  customerIds?: string[];
  /** case-insensitive partial matches */
  customerName?: string;
  customerKey?: string;
  customerPrimaryEmail?: string;
  order?: 'ASC' | 'DESC';
  orderBy?: OverrideOrderBy;
}

export const BillingProfileCollections = { profiles: 'billingProfiles', overrides: 'billingCustomerOverrides', provisioning: 'billingProvisioning' } as const;

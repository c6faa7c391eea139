import type { Page, PageInput } from '../shared/paging.ts';
export type { Page, PageInput };
/** Wire spelling of OpenMeter v1 (v3 says `external_invoicing` for `custom_invoicing`). */
export const AppType = { sandbox: 'sandbox', stripe: 'stripe', customInvoicing: 'custom_invoicing' } as const;
export type AppType = (typeof AppType)[keyof typeof AppType];

export const CapabilityType = {
  reportUsage: 'reportUsage',
  reportEvents: 'reportEvents',
  calculateTax: 'calculateTax',
  invoiceCustomers: 'invoiceCustomers',
  collectPayments: 'collectPayments',
} as const;
export type CapabilityType = (typeof CapabilityType)[keyof typeof CapabilityType];

export const InstallMethod = { oauth2: 'with_oauth2', apiKey: 'with_api_key', noCredentials: 'no_credentials_required' } as const;
export type InstallMethod = (typeof InstallMethod)[keyof typeof InstallMethod];

export const AppStatus = { ready: 'ready', unauthorized: 'unauthorized' } as const;
export type AppStatus = (typeof AppStatus)[keyof typeof AppStatus];

export interface Capability {
  type: CapabilityType;
  key: string;
  name: string;
  description: string;
}

export interface MarketplaceListing {
  type: AppType;
  name: string;
  description: string;
  capabilities: Capability[];
  installMethods: InstallMethod[];
}

/** An installed app, stored in the `apps` collection. Type-specific fields are set only for that type. */
export interface App {
  id: string;
  type: AppType;
  name: string;
  description?: string;
  metadata?: Record<string, string>;
  status: AppStatus;
  createdAt: string;
  updatedAt: string;
  /** uninstall is a soft delete; uninstalled apps are invisible to get/list */
  deletedAt?: string;
  /** custom_invoicing */
  enableDraftSyncHook?: boolean;
  enableIssuingSyncHook?: boolean;
  /** stripe */
  stripeAccountId?: string;
  livemode?: boolean;
  /** first 8 and last 3 characters of the key; the key itself is never stored */
  maskedApiKey?: string;
}

export interface InstallAppInput {
  type: AppType;
  /** defaults to the listing's name */
  name?: string;
  description?: string;
  metadata?: Record<string, string> | null;
  enableDraftSyncHook?: boolean;
  enableIssuingSyncHook?: boolean;
}

export interface InstallStripeAppInput {
  name?: string;
  apiKey: string;
  /** what the runtime learnt from Stripe before the command (absent → the install is refused) */
  stripe?: StripeInstallFacts;
}

/** Asked of Stripe before the install command: the account, and the endpoint registered for the app. */
export interface StripeInstallFacts {
  /** generated before the call: the webhook URL names it */
  appId: string;
  accountId: string;
  /** `business_profile.name` and `country` (the supplier of a live app's billing profile) */
  businessName?: string | null;
  country?: string | null;
  webhookId: string;
  webhookSecret: string;
}

/** A Stripe app's credentials (the real service keeps them in its secret store). */
export interface StripeAppSecrets {
  /** the app id */
  id: string;
  apiKey: string;
  webhookId?: string;
  webhookSecret?: string;
}

export interface UpdateAppInput {
  id: string;
  /** the type the caller believes the app has (the body discriminator); must match */
  type: AppType;
  name: string;
  description?: string;
  metadata?: Record<string, string> | null;
  enableDraftSyncHook?: boolean;
  enableIssuingSyncHook?: boolean;
  /** stripe: a new key (the runtime verified it with Stripe and passes the account it belongs to) */
  secretApiKey?: string;
  stripeAccountId?: string;
}

/** Per-customer data an app keeps (v1 `CustomerAppData`), one record per customer and app. */
export interface CustomerAppData {
  /** `${customerId}/${appId}` */
  id: string;
  customerId: string;
  appId: string;
  type: AppType;
  stripeCustomerId?: string;
  stripeDefaultPaymentMethodId?: string;
  metadata?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface CustomerAppDataItemInput {
  /** app id; absent → the oldest installed app of `type` */
  appId?: string;
  type: AppType;
  stripeCustomerId?: string;
  stripeDefaultPaymentMethodId?: string;
  metadata?: Record<string, string>;
}

export const AppCollections = { apps: 'apps', customerAppData: 'customerAppData', bootstrap: 'billingBootstrap', secrets: 'appSecrets' } as const;

/** Marks the sandbox app provisioned for a namespace, so an uninstalled one is not provisioned again. */
export interface BillingBootstrap {
  id: 'bootstrap';
  sandboxAppId?: string;
  /** written by earlier versions; billing keeps its own marker now */
  defaultProfileId?: string;
}

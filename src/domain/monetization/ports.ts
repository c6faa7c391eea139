/**
 * What monetization needs from other domains. The wiring (runtime/services.ts) passes the
 * owning services; monetization opens only its own collections.
 */
import type { ApiKey, Consumer, ConsumerCreateInput, ConsumerView, KeyBucket } from '../apikeys/types.ts';
import type { App } from '../apps/types.ts';
import type { BillingProfile, UpdateBillingProfileInput } from '../billing/profiles/types.ts';
import type { InvoiceView, ListInvoicesInput, ProrationCredit, ProrationCreditView } from '../billing/invoices/types.ts';
import type { Plan } from '../catalog/types.ts';
import type { CreateCustomerInput, Customer } from '../customers/types.ts';
import type { EntitlementValueView } from '../entitlements/types.ts';
import type { Page } from '../shared/paging.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type {
  ChangeSubscriptionInput,
  CreateSubscriptionInput,
  ListSubscriptionsInput,
  Subscription,
  SubscriptionView,
} from '../subscriptions/types.ts';

export interface MonetizationCustomers {
  getCustomer(tx: UnitOfWork, input: { idOrKey: string }): Customer;
  findCustomer(tx: UnitOfWork, idOrKey: string): Customer | undefined;
  createCustomer(tx: UnitOfWork, input: CreateCustomerInput): Customer;
  addSubjectKey(tx: UnitOfWork, input: { idOrKey: string; subjectKey: string }): Customer;
}

export interface MonetizationPlans {
  getPlan(tx: UnitOfWork, input: { idOrKey: string; includeLatest?: boolean; version?: number }): Plan;
  listPlans(tx: UnitOfWork, input: { key?: string[]; status?: Array<'draft' | 'active' | 'archived' | 'scheduled'>; pageSize?: number }): Page<Plan>;
}

export interface MonetizationSubscriptions {
  createSubscription(tx: UnitOfWork, input: CreateSubscriptionInput): Subscription;
  changeSubscription(tx: UnitOfWork, input: ChangeSubscriptionInput): { current: Subscription; next: SubscriptionView };
  cancelSubscription(tx: UnitOfWork, input: { id: string; timing?: string }): Subscription;
  unscheduleCancelation(tx: UnitOfWork, input: { id: string }): Subscription;
  restoreSubscription(tx: UnitOfWork, input: { id: string }): Subscription;
  getSubscription(tx: UnitOfWork, input: { id: string }): SubscriptionView;
  getSubscriptions(tx: UnitOfWork, input: { ids: string[] }): SubscriptionView[];
  listSubscriptions(tx: UnitOfWork, input?: ListSubscriptionsInput): Page<Subscription>;
}

export interface MonetizationEntitlements {
  /** `entitlement` = an entitlement id or a feature key */
  /** `customer` = a customer id or key; `entitlement` = an entitlement id or a feature key */
  getEntitlementValue(tx: UnitOfWork, input: { customer: string; entitlement: string; at?: Date }): EntitlementValueView;
}

export interface MonetizationInvoices {
  listInvoices(tx: UnitOfWork, input?: ListInvoicesInput): Page<InvoiceView>;
  /** decision 0032: the credit an upgrade gives, paid out on the new subscription's in-advance lines */
  recordProrationCredit(tx: UnitOfWork, input: Omit<ProrationCredit, 'id' | 'createdAt' | 'carriedTo'>): ProrationCredit | undefined;
  prorationCreditOf(tx: UnitOfWork, input: { subscriptionId: string }): ProrationCreditView | undefined;
}

export interface MonetizationBilling {
  liveApps(tx: UnitOfWork): App[];
  listProfiles(tx: UnitOfWork, input?: { pageSize?: number }): Page<BillingProfile>;
  updateProfile(tx: UnitOfWork, input: UpdateBillingProfileInput): BillingProfile;
}

/** The Zuplo account's key buckets, consumers and keys (in the account's namespace). */
export interface MonetizationApiKeys {
  listBuckets(tx: UnitOfWork, tags?: Record<string, string>): KeyBucket[];
  createBucket(tx: UnitOfWork, input: { name: string; tags?: Record<string, string> }): KeyBucket;
  createConsumer(tx: UnitOfWork, bucket: string, input: ConsumerCreateInput): ConsumerView;
  getConsumer(tx: UnitOfWork, bucket: string, name: string): ConsumerView;
  updateConsumer(tx: UnitOfWork, bucket: string, name: string, input: { tags?: Record<string, string>; metadata?: Record<string, unknown> }): ConsumerView;
  findKey(tx: UnitOfWork, key: string): { bucket: KeyBucket; consumer: Consumer; apiKey: ApiKey } | undefined;
}

/**
 * What the developer portal needs from other domains; the wiring (runtime/services.ts) passes the
 * owning services. The portal owns no collection.
 */
import type { ApiKey, ConsumerView } from '../apikeys/types.ts';
import type { CustomerStripeContext } from '../apps/StripeAppService.ts';
import type { Plan } from '../catalog/types.ts';
import type { Customer } from '../customers/types.ts';
import type {
  CreditEstimate,
  KeyBucketRef,
  MonetizationConfiguration,
  MonetizedChangeInput,
  MonetizedSubscribeInput,
  PendingCredit,
  PricingPlan,
  SubscriptionAccess,
  SubscriptionKeyRecord,
} from '../monetization/types.ts';
import type { Page } from '../shared/paging.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type { Subscription, SubscriptionView } from '../subscriptions/types.ts';

export interface PortalMonetization {
  getConfiguration(tx: UnitOfWork): MonetizationConfiguration;
  pricingPlans(tx: UnitOfWork, input: { email?: string }): PricingPlan[];
  findOrCreateCustomer(tx: UnitOfWork, input: { sub: string; email?: string }): Customer;
  listCustomerSubscriptions(tx: UnitOfWork, input: { customer: string }): Subscription[];
  consumerOf(tx: UnitOfWork, input: { subscriptionId: string }): SubscriptionKeyRecord | undefined;
  subscribe(tx: UnitOfWork, input: MonetizedSubscribeInput): SubscriptionView;
  changeSubscription(tx: UnitOfWork, input: MonetizedChangeInput): { next: SubscriptionView };
  estimateChangeCredit(tx: UnitOfWork, input: { id: string; planId?: string; timing?: string }): CreditEstimate;
  cancelSubscription(tx: UnitOfWork, input: { id: string; timing?: string }): Subscription;
  unscheduleCancelation(tx: UnitOfWork, input: { id: string }): Subscription;
  subscriptionAccess(tx: UnitOfWork, input: { id: string }): SubscriptionAccess;
  pendingCredits(tx: UnitOfWork, input: { customerId: string }): PendingCredit[];
}

export type { KeyBucketRef };

export interface PortalCustomers {
  findCustomer(tx: UnitOfWork, idOrKey: string): Customer | undefined;
}

export interface PortalSubscriptions {
  getSubscription(tx: UnitOfWork, input: { id: string }): SubscriptionView;
}

export interface PortalPlans {
  getPlan(tx: UnitOfWork, input: { idOrKey: string }): Plan;
}

export interface PortalApiKeys {
  listConsumers(tx: UnitOfWork, bucket: string, input: { tags?: Record<string, string>; limit?: number }): Page<ConsumerView>;
  getConsumer(tx: UnitOfWork, bucket: string, name: string): ConsumerView;
  rollKey(tx: UnitOfWork, bucket: string, name: string, expiresOn: string): ApiKey;
  deleteKey(tx: UnitOfWork, bucket: string, consumer: string, keyId: string): void;
}

export interface PortalStripe {
  customerContext(tx: UnitOfWork, input: { customerIdOrKey: string }): CustomerStripeContext;
}

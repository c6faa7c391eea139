import type { ApiKey, ConsumerView } from '../apikeys/types.ts';
import type { Plan } from '../catalog/types.ts';
import type { Customer } from '../customers/types.ts';
import { planHasPrice } from '../monetization/MonetizationService.ts';
import type { Clock } from '../shared/clock.ts';
import { DomainError, ErrorKind, notFound } from '../shared/errors.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import type { SubscriptionView } from '../subscriptions/types.ts';
import type { CreditEstimate, KeyBucketRef, PendingCredit, SubscriptionAccess } from '../monetization/types.ts';
import type { PortalApiKeys, PortalCustomers, PortalMonetization, PortalPlans, PortalStripe, PortalSubscriptions } from './ports.ts';

/** The signed-in developer as the portal's token names them (decoded, not verified). */
export interface PortalUser {
  /** the IdP subject: the customer's key */
  sub: string;
  email?: string;
}

/** A plan as the portal sells it: paid plans need a payment method first. */
export interface PortalPlan {
  plan: Plan;
  paymentRequired: boolean;
}

export interface PortalSubscription {
  subscription: SubscriptionView;
  plan?: PortalPlan;
  /** where its API-key consumer lives (account namespace); absent for one made outside monetization */
  consumer?: { keyBucketName: string; consumerName: string };
}

/** The portal's roll: the consumer's current keys stop working after this many days (ZDK ConfirmRollKeyAlert). */
export const ROLLED_KEY_GRACE_DAYS = 7;

const DAY_MS = 86_400_000;

/**
 * The developer portal's view of a metering bucket (the Zudoku monetization plugin's calls,
 * reference zuplo-monetization.md §2c): everything is scoped to the signed-in customer (key =
 * the token's `sub`); another customer's subscription or consumer is "not found". Commands run in
 * the bucket's namespace, except the consumer ones, which run in the Zuplo account's namespace
 * where the key buckets live.
 */
export class PortalService {
  constructor(
    private readonly deps: {
      clock: Clock;
      monetization: PortalMonetization;
      customers: PortalCustomers;
      subscriptions: PortalSubscriptions;
      plans: PortalPlans;
      apiKeys: PortalApiKeys;
      stripe: PortalStripe;
    },
  ) {}

  /** P1: published plans in plan order; private ones only for an invited email. */
  pricingPage(tx: UnitOfWork, input: { email?: string }): { plans: PortalPlan[]; multipleSubscriptionsEnabled: boolean } {
    const plans = this.deps.monetization.pricingPlans(tx, input.email ? { email: input.email } : {});
    return { plans: plans.map((p) => ({ plan: p.plan, paymentRequired: p.paymentRequired })), multipleSubscriptionsEnabled: this.deps.monetization.getConfiguration(tx).multipleSubscriptionsEnabled };
  }

  /** P10 (and the plan checks of P3, P7, P11): a plan this visitor may buy, else not found. */
  purchasablePlan(tx: UnitOfWork, input: { planId: string; email?: string }): PortalPlan {
    const found = this.deps.monetization.pricingPlans(tx, input.email ? { email: input.email } : {}).find((p) => p.plan.id === input.planId);
    if (!found) throw notFound('plan_not_found', `plan ${input.planId} not found`);
    return { plan: found.plan, paymentRequired: found.paymentRequired };
  }

  /** The customer the user is, if they ever subscribed or checked out. */
  findCustomer(tx: UnitOfWork, user: PortalUser): Customer | undefined {
    const c = this.deps.customers.findCustomer(tx, user.sub);
    return c && !c.deletedAt ? c : undefined;
  }

  /** P2: every subscription of the user, newest first, past ones included. */
  listSubscriptions(tx: UnitOfWork, user: PortalUser): PortalSubscription[] {
    const customer = this.findCustomer(tx, user);
    if (!customer) return [];
    return this.deps.monetization.listCustomerSubscriptions(tx, { customer: customer.id }).map((s) => this.portalSubscription(tx, s.id));
  }

  /** One of the user's subscriptions; another customer's is not found (P4–P9). */
  ownSubscription(tx: UnitOfWork, user: PortalUser, id: string): PortalSubscription {
    const customer = this.findCustomer(tx, user);
    let view: SubscriptionView | undefined;
    try {
      view = this.deps.subscriptions.getSubscription(tx, { id });
    } catch (e) {
      if (!(e instanceof DomainError && e.kind === ErrorKind.notFound)) throw e;
    }
    if (!view || !customer || view.customerId !== customer.id) throw notFound('subscription_not_found', `subscription ${id} not found`);
    return this.portalSubscription(tx, id);
  }

  /** P5: the credits waiting for the subscription's customer (a fixture; open question 19). */
  pendingCredits(tx: UnitOfWork, input: { user: PortalUser; id: string }): PendingCredit[] {
    const own = this.ownSubscription(tx, input.user, input.id);
    return this.deps.monetization.pendingCredits(tx, { customerId: own.subscription.customerId });
  }

  /** A subscription with its plan and where its consumer lives. */
  portalSubscription(tx: UnitOfWork, id: string): PortalSubscription {
    const subscription = this.deps.subscriptions.getSubscription(tx, { id });
    const plan = subscription.plan ? this.planOf(tx, subscription.plan.id) : undefined;
    const link = this.deps.monetization.consumerOf(tx, { subscriptionId: id });
    return {
      subscription,
      ...(plan ? { plan: { plan, paymentRequired: planHasPrice(plan) } } : {}),
      ...(link && link.consumerName ? { consumer: { keyBucketName: link.keyBucketName, consumerName: link.consumerName } } : {}),
    };
  }

  /**
   * P3: subscribes the user (their customer is created on first use, key = `sub`) to a plan they
   * may buy; the subscription gets its own consumer and key, managed by the user.
   */
  subscribe(tx: UnitOfWork, input: { user: PortalUser; planId: string; keyBucket: KeyBucketRef }): PortalSubscription {
    const { user } = input;
    this.purchasablePlan(tx, { planId: input.planId, ...(user.email ? { email: user.email } : {}) });
    const created = this.deps.monetization.subscribe(tx, {
      planId: input.planId,
      customerSub: user.sub,
      ...(user.email ? { customerEmail: user.email, managers: [{ email: user.email, sub: user.sub }] } : {}),
      keyBucket: input.keyBucket,
    });
    return this.portalSubscription(tx, created.id);
  }

  /** P7: the timing comes from the plan order (upgrade now, downgrade at the period end); the keys carry over. */
  change(tx: UnitOfWork, input: { user: PortalUser; id: string; planId: string }): PortalSubscription {
    this.ownSubscription(tx, input.user, input.id);
    this.purchasablePlan(tx, { planId: input.planId, ...(input.user.email ? { email: input.user.email } : {}) });
    const { next } = this.deps.monetization.changeSubscription(tx, { id: input.id, planId: input.planId });
    return this.portalSubscription(tx, next.id);
  }

  /** P6: the credit for leaving the subscription with this timing (a downgrade earns none). */
  estimateCredit(tx: UnitOfWork, input: { user: PortalUser; id: string; timing: string; planId?: string }): CreditEstimate {
    this.ownSubscription(tx, input.user, input.id);
    return this.deps.monetization.estimateChangeCredit(tx, { id: input.id, timing: input.timing, ...(input.planId ? { planId: input.planId } : {}) });
  }

  /** P8: `next_billing_cycle` is refused for a plan without a price (monetization's rule). */
  cancel(tx: UnitOfWork, input: { user: PortalUser; id: string; timing?: string }): PortalSubscription {
    this.ownSubscription(tx, input.user, input.id);
    this.deps.monetization.cancelSubscription(tx, { id: input.id, ...(input.timing ? { timing: input.timing } : {}) });
    return this.portalSubscription(tx, input.id);
  }

  /** P9: the portal's "resume" is B6, unscheduling the cancelation (open question 12's mapping, I). */
  restore(tx: UnitOfWork, input: { user: PortalUser; id: string }): PortalSubscription {
    this.ownSubscription(tx, input.user, input.id);
    this.deps.monetization.unscheduleCancelation(tx, { id: input.id });
    return this.portalSubscription(tx, input.id);
  }

  /** P4: B8's access of one of the user's subscriptions, with its annotations (`subscription.previous.id`). */
  usage(tx: UnitOfWork, input: { user: PortalUser; id: string }): { access: SubscriptionAccess; annotations?: Record<string, unknown> } {
    const s = this.ownSubscription(tx, input.user, input.id);
    const annotations = s.subscription.annotations;
    return { access: this.deps.monetization.subscriptionAccess(tx, { id: input.id }), ...(annotations ? { annotations } : {}) };
  }

  /**
   * P11, before Stripe is called: the customer (created on first use) and whether a Checkout is
   * needed at all. A free plan, or a customer whose Stripe customer already has a default payment
   * method, goes straight to the success URL (SEED `CreatePaymentCheckoutSessionResponseBody`).
   */
  prepareCheckout(tx: UnitOfWork, input: { user: PortalUser; planId: string }): { customer: Customer; checkoutNeeded: boolean } {
    const plan = this.purchasablePlan(tx, { planId: input.planId, ...(input.user.email ? { email: input.user.email } : {}) });
    const customer = this.deps.monetization.findOrCreateCustomer(tx, { sub: input.user.sub, ...(input.user.email ? { email: input.user.email } : {}) });
    if (!plan.paymentRequired) return { customer, checkoutNeeded: false };
    return { customer, checkoutNeeded: !this.hasPaymentMethod(tx, customer) };
  }

  /** P12: the user's customer; a user who never checked out has nothing to manage. */
  billingCustomer(tx: UnitOfWork, user: PortalUser): Customer {
    const customer = this.findCustomer(tx, user);
    if (!customer) throw notFound('customer_not_found', `no customer for subject ${user.sub}`);
    return customer;
  }

  /** One of the customer's consumers in the key bucket, by id or name (account namespace); another's is not found. */
  ownConsumer(accountTx: UnitOfWork, input: { keyBucketName: string; customerId: string; consumerId: string }): ConsumerView {
    let mine: ConsumerView[] = [];
    try {
      mine = this.deps.apiKeys.listConsumers(accountTx, input.keyBucketName, { tags: { zuploCustomerId: input.customerId }, limit: 1000 }).items;
    } catch (e) {
      if (!(e instanceof DomainError && e.kind === ErrorKind.notFound)) throw e;
    }
    const found = mine.find((v) => v.consumer.id === input.consumerId || v.consumer.name === input.consumerId);
    if (!found) throw notFound('consumer_not_found', `consumer ${input.consumerId} not found`);
    return found;
  }

  /** P13: a new key; every current key expires in 7 days (the portal's wording, open question 15). */
  rollKey(accountTx: UnitOfWork, input: { keyBucketName: string; customerId: string; consumerId: string }): ConsumerView {
    const c = this.ownConsumer(accountTx, input);
    const expiresOn = new Date(this.deps.clock.now().getTime() + ROLLED_KEY_GRACE_DAYS * DAY_MS).toISOString();
    this.deps.apiKeys.rollKey(accountTx, input.keyBucketName, c.consumer.name, expiresOn);
    return this.deps.apiKeys.getConsumer(accountTx, input.keyBucketName, c.consumer.name);
  }

  /** P14: the key stops authenticating at once. */
  deleteKey(accountTx: UnitOfWork, input: { keyBucketName: string; customerId: string; consumerId: string; keyId: string }): void {
    const c = this.ownConsumer(accountTx, input);
    const key: ApiKey | undefined = c.apiKeys.find((k) => k.id === input.keyId);
    if (!key) throw notFound('api_key_not_found', `key ${input.keyId} not found`);
    this.deps.apiKeys.deleteKey(accountTx, input.keyBucketName, c.consumer.name, key.id);
  }

  private hasPaymentMethod(tx: UnitOfWork, customer: Customer): boolean {
    try {
      return this.deps.stripe.customerContext(tx, { customerIdOrKey: customer.id }).data?.stripeDefaultPaymentMethodId !== undefined;
    } catch (e) {
      // no Stripe app on the customer's profile: the Checkout call itself says why
      if (e instanceof DomainError) return false;
      throw e;
    }
  }

  private planOf(tx: UnitOfWork, id: string): Plan | undefined {
    try {
      return this.deps.plans.getPlan(tx, { idOrKey: id });
    } catch (e) {
      if (e instanceof DomainError && e.kind === ErrorKind.notFound) return undefined;
      throw e;
    }
  }
}

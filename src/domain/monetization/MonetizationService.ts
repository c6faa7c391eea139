import type { ConsumerView } from '../apikeys/types.ts';
import { AppType } from '../apps/types.ts';
import type { BillingProfile } from '../billing/profiles/types.ts';
import { InvoiceStatus, type InvoiceView } from '../billing/invoices/types.ts';
import type { Plan, RateCard } from '../catalog/types.ts';
import { isInAdvanceFlat } from '../catalog/types.ts';
import type { Customer } from '../customers/types.ts';
import type { EntitlementValueView } from '../entitlements/types.ts';
import type { Clock } from '../shared/clock.ts';
import { EffectType } from '../shared/effects.ts';
import { conflict, DomainError, ErrorKind, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { dec, roundMoney, toDecimalString, type Dec } from '../shared/money.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { SubscriptionStatus, type Subscription, type SubscriptionView } from '../subscriptions/types.ts';
import { MonetizationErrorCode as E } from './errors.ts';
import type {
  MonetizationApiKeys,
  MonetizationBilling,
  MonetizationCustomers,
  MonetizationEntitlements,
  MonetizationInvoices,
  MonetizationPlans,
  MonetizationSubscriptions,
} from './ports.ts';
import {
  BucketEnvironment,
  DEFAULT_MAX_PAYMENT_OVERDUE_DAYS,
  MAX_PAYMENT_OVERDUE_DAYS_KEY,
  MonetizationCollections as Col,
  PaymentStatusValue,
  PRIVATE_PLAN_KEY,
  type BillingReadiness,
  type CreditEstimate,
  type EntitlementAccess,
  type GatewaySubscription,
  type KeyBucketRef,
  type MonetizationConfiguration,
  type MonetizedChangeInput,
  type MonetizedSubscribeInput,
  type PaymentStatus,
  type PendingCredit,
  type PendingCreditsRecord,
  type PlanInvite,
  type PricingPlan,
  type SubscriptionAccess,
  type SubscriptionKeyRecord,
  type UpdateConfigurationInput,
  type ValidatedKey,
} from './types.ts';

export interface MonetizationServiceDeps {
  clock: Clock;
  ids: IdGenerator;
  /** the Zuplo account whose key buckets hold the subscriptions' consumers */
  accountName: string;
  customers: MonetizationCustomers;
  plans: MonetizationPlans;
  subscriptions: MonetizationSubscriptions;
  entitlements: MonetizationEntitlements;
  invoices: MonetizationInvoices;
  billing: MonetizationBilling;
  apiKeys: MonetizationApiKeys;
}

/** What the `monetization.provisionConsumer` effect carries (performed in the account's namespace). */
export interface ProvisionConsumerInput {
  keyBucketName: string;
  environment: string;
  meteringBucketId?: string;
  consumerName: string;
  subscriptionId: string;
  customerId: string;
  planKey?: string;
  managers?: Array<{ email: string; sub: string }>;
}

const CONFIG_ID = 'configuration';
const RUNNING: ReadonlySet<string> = new Set([SubscriptionStatus.active, SubscriptionStatus.canceled]);

const ms = (iso: string): number => Date.parse(iso);
const ratio = (d: Dec): string => toDecimalString(d.toDecimalPlaces(6));
const num = (s: string | undefined): number => (s === undefined ? 0 : Number(s));

/**
 * Zuplo monetization over the shared engine: a metering bucket's configuration, plan invites,
 * subscriptions that own an API-key consumer, their access (entitlements, payment status,
 * administrative block) and what the gateway's validate-api-key answers.
 *
 * Commands run in the bucket's namespace except `provisionConsumer`, `subscriptionConsumer`,
 * `keyBucketFor` and `findApiKey`, which run in the Zuplo account's namespace (where key
 * buckets live); the bucket side reaches the account side only through an effect.
 */
export class MonetizationService {
  constructor(private readonly deps: MonetizationServiceDeps) {}

  get accountName(): string {
    return this.deps.accountName;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  // ------------------------------------------------------------------------------ buckets

  /**
   * The key bucket that holds a metering bucket's consumers (decision 0022): a key bucket of the
   * account whose name or id equals the metering bucket id (a project's `zprj-<p>-<env>` bucket),
   * else one named after it, created by the first subscription. The environment comes from the key
   * bucket's `environmentType` tag, else from the name's suffix, else working-copy.
   * Runs in the account's namespace.
   */
  keyBucketFor(accountTx: UnitOfWork, meteringBucketId: string): KeyBucketRef {
    const existing = this.deps.apiKeys.listBuckets(accountTx).find((b) => b.name === meteringBucketId || b.id === meteringBucketId);
    const name = existing?.name ?? keyBucketNameOf(meteringBucketId);
    const tagged = existing?.tags.environmentType;
    const environment = isEnvironment(tagged) ? tagged : environmentOfName(meteringBucketId);
    return { accountName: this.deps.accountName, keyBucketName: name, environment };
  }

  /** Working-copy and preview buckets take only test keys, production only live keys (reference §1.4). */
  assertStripeKeyMode(environment: BucketEnvironment, apiKey: string): void {
    const m = /^(sk|rk)_(test|live)_/.exec(apiKey);
    if (!m) throw validationError(E.stripeKeyInvalid, 'the Stripe key must be a secret (sk_) or restricted (rk_) key');
    const live = m[2] === 'live';
    if (live !== (environment === BucketEnvironment.production)) {
      throw validationError(
        E.stripeKeyMode,
        environment === BucketEnvironment.production
          ? 'a production bucket takes only live Stripe keys (sk_live_ or rk_live_)'
          : `a ${environment} bucket takes only test Stripe keys (sk_test_ or rk_test_)`,
      );
    }
  }

  // ------------------------------------------------------------------------------ configuration

  getConfiguration(tx: UnitOfWork): MonetizationConfiguration {
    return (
      tx.collection<MonetizationConfiguration>(Col.configuration).get(CONFIG_ID) ?? {
        id: CONFIG_ID,
        multipleSubscriptionsEnabled: false,
        planOrder: [],
        planSettings: {},
        maxPaymentOverdueDays: DEFAULT_MAX_PAYMENT_OVERDUE_DAYS,
      }
    );
  }

  /** Partial upsert: at least one field; the others keep their value. */
  updateConfiguration(tx: UnitOfWork, input: UpdateConfigurationInput): MonetizationConfiguration {
    const given = Object.entries(input).filter(([, v]) => v !== undefined);
    if (given.length === 0) throw validationError(E.emptyConfiguration, 'at least one of multipleSubscriptionsEnabled, planOrder, planSettings, maxPaymentOverdueDays is required');
    if (input.maxPaymentOverdueDays !== undefined && (!Number.isInteger(input.maxPaymentOverdueDays) || input.maxPaymentOverdueDays < 0)) {
      throw validationError(E.invalidConfiguration, 'maxPaymentOverdueDays must be an integer ≥ 0');
    }
    if (input.planOrder && new Set(input.planOrder).size !== input.planOrder.length) {
      throw validationError(E.invalidConfiguration, 'planOrder must not repeat a plan key');
    }
    const cur = this.getConfiguration(tx);
    const now = this.now().toISOString();
    const next: MonetizationConfiguration = {
      ...cur,
      ...(input.multipleSubscriptionsEnabled !== undefined ? { multipleSubscriptionsEnabled: input.multipleSubscriptionsEnabled } : {}),
      ...(input.planOrder !== undefined ? { planOrder: [...input.planOrder] } : {}),
      ...(input.planSettings !== undefined ? { planSettings: structuredClone(input.planSettings) } : {}),
      ...(input.maxPaymentOverdueDays !== undefined ? { maxPaymentOverdueDays: input.maxPaymentOverdueDays } : {}),
      createdAt: cur.createdAt ?? now,
      updatedAt: now,
    };
    tx.collection<MonetizationConfiguration>(Col.configuration).put(next);
    return next;
  }

  /** Back to the defaults. */
  deleteConfiguration(tx: UnitOfWork): void {
    tx.collection<MonetizationConfiguration>(Col.configuration).delete(CONFIG_ID);
  }

  // ------------------------------------------------------------------------------ pending credits

  /**
   * Open question 19: the portal's pending credits have no source in the engine (a proration
   * credit is money on the next invoice, not units of a feature), so they are a fixture a test
   * sets per customer; an empty list clears it (decision 0033).
   */
  setPendingCredits(tx: UnitOfWork, input: { customer: string; pendingCredits: PendingCredit[] }): PendingCredit[] {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customer });
    input.pendingCredits.forEach((c, i) => {
      const bad = (m: string) => validationError(E.invalidPendingCredits, `pendingCredits[${i}]: ${m}`);
      if (typeof c.featureKey !== 'string' || c.featureKey === '') throw bad('featureKey is required');
      if (typeof c.source !== 'string' || c.source === '') throw bad('source is required');
      if (typeof c.units !== 'string') throw bad('units is required (a decimal string)');
      let units: Dec;
      try {
        units = dec(c.units);
      } catch {
        throw bad(`units is not a decimal: ${String(c.units)}`);
      }
      if (units.isNegative()) throw bad('units must not be negative');
      if (c.appliesToInvoiceAt !== undefined && Number.isNaN(Date.parse(c.appliesToInvoiceAt))) throw bad('appliesToInvoiceAt is not an RFC 3339 instant');
    });
    const col = tx.collection<PendingCreditsRecord>(Col.pendingCredits);
    const credits = input.pendingCredits.map((c) => ({
      featureKey: c.featureKey,
      units: toDecimalString(dec(c.units)),
      ...(c.appliesToInvoiceAt !== undefined ? { appliesToInvoiceAt: new Date(c.appliesToInvoiceAt).toISOString() } : {}),
      source: c.source,
    }));
    if (credits.length === 0) col.delete(customer.id);
    else col.put({ id: customer.id, pendingCredits: credits, updatedAt: this.deps.clock.now().toISOString() });
    return credits;
  }

  /** P5: the customer's pending credits (none unless a fixture set them). */
  pendingCredits(tx: UnitOfWork, input: { customerId: string }): PendingCredit[] {
    return tx.collection<PendingCreditsRecord>(Col.pendingCredits).get(input.customerId)?.pendingCredits ?? [];
  }

  // ------------------------------------------------------------------------------ plan invites and the pricing page

  createPlanInvite(tx: UnitOfWork, input: { email: string; planId: string }): PlanInvite {
    const plan = this.planById(tx, input.planId);
    const email = input.email.trim().toLowerCase();
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw validationError(E.invalidConfiguration, `invalid email: ${input.email}`);
    const col = tx.collection<PlanInvite>(Col.planInvites);
    const dup = col.findOne((i) => i.planId === plan.id && i.email === email);
    if (dup) return dup;
    const invite: PlanInvite = { id: this.deps.ids.next(), email, planId: plan.id, createdAt: this.now().toISOString() };
    col.put(invite);
    return invite;
  }

  listPlanInvites(tx: UnitOfWork, input: { planId?: string; email?: string } = {}): PlanInvite[] {
    const email = input.email?.toLowerCase();
    return tx
      .collection<PlanInvite>(Col.planInvites)
      .find((i) => (input.planId === undefined || i.planId === input.planId) && (email === undefined || i.email === email))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  getPlanInvite(tx: UnitOfWork, input: { id: string }): PlanInvite {
    const i = tx.collection<PlanInvite>(Col.planInvites).get(input.id);
    if (!i) throw notFound(E.planInviteNotFound, `plan invite ${input.id} not found`);
    return i;
  }

  deletePlanInvite(tx: UnitOfWork, input: { id: string }): void {
    this.getPlanInvite(tx, input);
    tx.collection<PlanInvite>(Col.planInvites).delete(input.id);
  }

  /**
   * The published plans a visitor may buy, in `planOrder` (plans not in it follow, by key):
   * a private plan (`zuplo_private_plan: "true"`) only for an email invited to it; each phase
   * list cut to the plan's `visiblePhases` when configured.
   */
  pricingPlans(tx: UnitOfWork, input: { email?: string } = {}): PricingPlan[] {
    const cfg = this.getConfiguration(tx);
    const invited = new Set(input.email ? this.listPlanInvites(tx, { email: input.email }).map((i) => i.planId) : []);
    const plans = this.deps.plans.listPlans(tx, { status: ['active'], pageSize: 1000 }).items;
    const order = (p: Plan) => {
      const i = cfg.planOrder.indexOf(p.key);
      return i < 0 ? cfg.planOrder.length : i;
    };
    return plans
      .filter((p) => !isPrivatePlan(p) || invited.has(p.id))
      .sort((a, b) => order(a) - order(b) || a.key.localeCompare(b.key))
      .map((p) => {
        const visible = cfg.planSettings[p.key]?.visiblePhases;
        const plan = visible && visible.length > 0 ? { ...p, phases: p.phases.filter((ph) => visible.includes(ph.key)) } : p;
        return { plan, paymentRequired: planHasPrice(p), isPrivate: isPrivatePlan(p) };
      });
  }

  // ------------------------------------------------------------------------------ customers

  /** The customer a signed-in subject is (key = `sub`), created on first use with the email. */
  findOrCreateCustomer(tx: UnitOfWork, input: { sub: string; email?: string }): Customer {
    const found = this.deps.customers.findCustomer(tx, input.sub);
    if (found && !found.deletedAt) return found;
    return this.deps.customers.createCustomer(tx, { name: input.email ?? input.sub, key: input.sub, ...(input.email ? { primaryEmail: input.email } : {}) });
  }

  // ------------------------------------------------------------------------------ subscriptions

  /**
   * B1 / P3: subscribes a customer to a plan and gives the subscription its own API-key consumer
   * (named after the subscription, decision 0022) with one key, in the bucket's key bucket. The
   * consumer is created after the commit (it lives in the account's namespace); read it with
   * `subscriptionConsumer`. The consumer's name becomes a subject key of the customer, so the
   * gateway's events (subject = consumer name) are the customer's usage.
   */
  subscribe(tx: UnitOfWork, input: MonetizedSubscribeInput): SubscriptionView {
    const customer = this.subscriberOf(tx, input);
    const plan = this.planOf(tx, input.plan, input.planId);
    this.assertCap(tx, customer, plan);
    const created = this.deps.subscriptions.createSubscription(tx, {
      customer: { id: customer.id },
      plan: { id: plan.id },
      ...(input.timing !== undefined ? { timing: input.timing } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      ...(input.billingAnchor !== undefined ? { billingAnchor: input.billingAnchor } : {}),
      ...(input.startingPhase !== undefined ? { startingPhase: input.startingPhase } : {}),
    });
    const consumerName = created.id.toLowerCase();
    this.deps.customers.addSubjectKey(tx, { idOrKey: customer.id, subjectKey: consumerName });
    const now = this.now().toISOString();
    tx.collection<SubscriptionKeyRecord>(Col.subscriptionKeys).put({
      id: created.id,
      customerId: customer.id,
      consumerName,
      keyBucketName: input.keyBucket.keyBucketName,
      accessBlocked: false,
      createdAt: now,
      updatedAt: now,
    });
    const provision: ProvisionConsumerInput = {
      keyBucketName: input.keyBucket.keyBucketName,
      environment: input.keyBucket.environment,
      consumerName,
      subscriptionId: created.id,
      customerId: customer.id,
      planKey: plan.key,
      ...(input.managers ? { managers: input.managers } : {}),
    };
    tx.afterCommit({ type: EffectType.provisionSubscriptionConsumer, accountName: input.keyBucket.accountName, ...provision });
    return this.deps.subscriptions.getSubscription(tx, { id: created.id });
  }

  /**
   * The effect's work, in the account's namespace: creates the key bucket when missing and the
   * consumer with one key, or — for a plan change — re-points the existing consumer's tags and
   * metadata at the new subscription (its keys stay).
   */
  provisionConsumer(accountTx: UnitOfWork, input: ProvisionConsumerInput): ConsumerView {
    const keys = this.deps.apiKeys;
    if (!keys.listBuckets(accountTx).some((b) => b.name === input.keyBucketName)) {
      keys.createBucket(accountTx, { name: input.keyBucketName, tags: { account: this.deps.accountName, environmentType: input.environment, monetization: 'true' } });
    }
    const tags = { zuploSubscriptionId: input.subscriptionId, zuploCustomerId: input.customerId };
    const metadata = { subscriptionId: input.subscriptionId, customerId: input.customerId, ...(input.planKey ? { planKey: input.planKey } : {}) };
    const existing = this.subscriptionConsumer(accountTx, { keyBucketName: input.keyBucketName, consumerName: input.consumerName });
    if (existing) return keys.updateConsumer(accountTx, input.keyBucketName, input.consumerName, { tags, metadata });
    return keys.createConsumer(accountTx, input.keyBucketName, { name: input.consumerName, tags, metadata, managers: input.managers ?? [], withApiKey: true });
  }

  /** A subscription's consumer with its keys and managers (account namespace); undefined when not (yet) there. */
  subscriptionConsumer(accountTx: UnitOfWork, input: { keyBucketName: string; consumerName: string }): ConsumerView | undefined {
    try {
      return this.deps.apiKeys.getConsumer(accountTx, input.keyBucketName, input.consumerName);
    } catch (e) {
      if (e instanceof DomainError && e.kind === ErrorKind.notFound) return undefined;
      throw e;
    }
  }

  /** Which consumer a subscription's key belongs to (bucket namespace); undefined for a subscription made outside monetization. */
  consumerOf(tx: UnitOfWork, input: { subscriptionId: string }): SubscriptionKeyRecord | undefined {
    return tx.collection<SubscriptionKeyRecord>(Col.subscriptionKeys).get(input.subscriptionId);
  }

  /** A customer's subscriptions, newest first, past ones included (the portal lists them all). */
  listCustomerSubscriptions(tx: UnitOfWork, input: { customer: string }): Subscription[] {
    return this.deps.subscriptions
      .listSubscriptions(tx, { customer: input.customer, unpaged: true })
      .items.slice()
      .sort((a, b) => b.activeFrom.localeCompare(a.activeFrom) || b.id.localeCompare(a.id));
  }

  /**
   * Whether moving from the subscription's plan to `target` is an upgrade: a target at an equal or
   * higher index of `planOrder` (or a newer version of the same key) is; keys missing from the
   * order count as equal (upgrade, applied at once).
   */
  isUpgrade(tx: UnitOfWork, input: { from?: { key: string; version: number }; to: Plan }): boolean {
    return isUpgradeByOrder(this.getConfiguration(tx).planOrder, input.from, input.to);
  }

  /**
   * B3 / P7: change = end the current subscription and start the next from the plan. Without a
   * timing, an upgrade applies now and a downgrade at the next billing cycle. The consumer (and its
   * keys) carries over to the next subscription.
   */
  changeSubscription(tx: UnitOfWork, input: MonetizedChangeInput): { current: Subscription; next: SubscriptionView; timing: string } {
    const cur = this.deps.subscriptions.getSubscription(tx, { id: input.id });
    const plan = this.planOf(tx, input.plan, input.planId);
    const timing = input.timing ?? (this.isUpgrade(tx, { from: cur.plan, to: plan }) ? 'immediate' : 'next_billing_cycle');
    // measured before the change ends the subscription (its quota and period as they are now)
    const credit = this.creditOf(tx, cur, timing);
    const out = this.deps.subscriptions.changeSubscription(tx, {
      id: cur.id,
      timing,
      plan: { id: plan.id },
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      ...(input.billingAnchor !== undefined ? { billingAnchor: input.billingAnchor } : {}),
      ...(input.startingPhase !== undefined ? { startingPhase: input.startingPhase } : {}),
    });
    // decision 0032: the new subscription's in-advance lines take it as a proration_credit discount
    // (the subscription sync after the commit invoices them; the credit is there by then)
    this.deps.invoices.recordProrationCredit(tx, {
      customerId: cur.customerId,
      subscriptionId: out.next.id,
      previousSubscriptionId: cur.id,
      currency: cur.currency,
      amount: credit.creditAmount,
      overflow: credit.overflowCredit,
      maxPercentage: credit.maxPercentage,
    });
    const link = this.consumerOf(tx, { subscriptionId: cur.id });
    if (link) {
      const now = this.now().toISOString();
      // an administrator's block outlives a plan change: it is on the key's holder, not on a plan
      tx.collection<SubscriptionKeyRecord>(Col.subscriptionKeys).put({ ...link, id: out.next.id, createdAt: now, updatedAt: now });
      const provision: ProvisionConsumerInput = {
        keyBucketName: link.keyBucketName,
        environment: '',
        consumerName: link.consumerName,
        subscriptionId: out.next.id,
        customerId: link.customerId,
        planKey: plan.key,
      };
      tx.afterCommit({ type: EffectType.provisionSubscriptionConsumer, accountName: this.deps.accountName, ...provision });
    }
    return { ...out, timing };
  }

  /**
   * B4 / P6, the `max_consumption_based` proration (reference §4): credit = the current period's
   * in-advance fees × (1 − max(time elapsed, quota used)). A downgrade (next billing cycle) earns
   * no credit. What the change records and the invoices discount is this same answer (decision 0032).
   */
  estimateChangeCredit(tx: UnitOfWork, input: { id: string; plan?: { key?: string; id?: string; version?: number }; planId?: string; timing?: string }): CreditEstimate {
    const cur = this.deps.subscriptions.getSubscription(tx, { id: input.id });
    const target = input.plan || input.planId ? this.planOf(tx, input.plan, input.planId) : undefined;
    const isUpgrade = target ? this.isUpgrade(tx, { from: cur.plan, to: target }) : input.timing !== 'next_billing_cycle';
    const timing = input.timing ?? (isUpgrade ? 'immediate' : 'next_billing_cycle');
    return { ...this.creditOf(tx, cur, timing), isUpgrade };
  }

  /**
   * A change's credit (decision 0032): `immediate` on a running subscription with an in-advance
   * fee earns fees × (1 − max(time, quota)), rounded once at the currency precision; plus whatever
   * the subscription's own proration credit left unused (multi-hop overflow), whatever the timing.
   * Under OpenMeter's `prorate_prices` a fee not yet on an issued invoice earns nothing: the
   * subscription sync prorates that still-mutable line by time itself, and a credit on top would
   * pay the customer twice. Under `max_consumption_based` (or proration off) the shortened line
   * keeps its full fee, so the credit is the only refund.
   */
  private creditOf(tx: UnitOfWork, cur: SubscriptionView, timing: string): Omit<CreditEstimate, 'isUpgrade'> {
    const now = this.now().getTime();
    const period = cur.currentPeriod;
    let timePct = dec(0);
    if (period) {
      const len = ms(period.to) - ms(period.from);
      if (len > 0) timePct = clamp01(dec(now - ms(period.from)).div(len));
    }
    const upfront = this.upfrontCost(cur);
    let consumption = dec(0);
    for (const v of Object.values(this.subscriptionEntitlementValues(tx, cur))) {
      const used = dec(v.usage ?? 0);
      const total = used.add(dec(v.balance ?? 0));
      if (total.gt(0)) consumption = maxDec(consumption, clamp01(used.div(total)));
    }
    const maxPct = maxDec(timePct, consumption);
    const syncProratesFee = cur.proRatingConfig.enabled && cur.proRatingConfig.mode === 'prorate_prices';
    const earns = timing === 'immediate' && cur.status === SubscriptionStatus.active && upfront.gt(0) && (!syncProratesFee || this.periodFeeIssued(tx, cur));
    const credit = earns ? roundMoney(upfront.mul(dec(1).sub(maxPct)), cur.currency) : dec(0);
    const overflow = dec(this.deps.invoices.prorationCreditOf(tx, { subscriptionId: cur.id })?.remaining ?? '0');
    return {
      creditAmount: toDecimalString(credit.add(overflow)),
      changeCredit: toDecimalString(credit),
      overflowCredit: toDecimalString(overflow),
      currency: cur.currency,
      maxPercentage: ratio(maxPct),
      timePercentage: ratio(timePct),
      consumptionPercentage: ratio(consumption),
      upfrontCost: toDecimalString(upfront),
      timing,
    };
  }

  /** whether the current period's in-advance fee of the subscription is on an issued (immutable) invoice */
  private periodFeeIssued(tx: UnitOfWork, sub: SubscriptionView): boolean {
    const at = this.now().getTime();
    return this.subscriptionInvoices(tx, sub).some(
      (inv) =>
        inv.statusDetails.immutable &&
        inv.lines.some(
          (l) =>
            !l.deletedAt &&
            l.subscription?.subscriptionId === sub.id &&
            isInAdvanceFlat(l.price) &&
            ms(l.period.from) <= at &&
            at < ms(l.period.to),
        ),
    );
  }

  /**
   * B5 / P8: omitted timing = immediate. `next_billing_cycle` is refused for a subscription whose
   * current phase has no priced item (a free plan has no billing cycle to end with).
   */
  cancelSubscription(tx: UnitOfWork, input: { id: string; timing?: string }): Subscription {
    const cur = this.deps.subscriptions.getSubscription(tx, { id: input.id });
    if (input.timing === 'next_billing_cycle' && !this.currentItems(cur).some((i) => rateCardHasPrice(i.rateCard))) {
      throw validationError(E.cancelWithoutBillables, 'cannot cancel at the next billing cycle: the active phase has no priced item; cancel immediately instead');
    }
    return this.deps.subscriptions.cancelSubscription(tx, { id: input.id, ...(input.timing !== undefined ? { timing: input.timing } : {}) });
  }

  /** B6 / P9: a canceled subscription whose end has not come runs on. */
  unscheduleCancelation(tx: UnitOfWork, input: { id: string }): Subscription {
    const cur = this.deps.subscriptions.getSubscription(tx, { id: input.id });
    if (cur.status !== SubscriptionStatus.canceled) {
      throw validationError(E.notScheduledForCancel, `subscription ${cur.id} is ${cur.status}: only a subscription canceled for a future instant can be resumed`);
    }
    return this.deps.subscriptions.unscheduleCancelation(tx, input);
  }

  /** B7 (deprecated): as OpenMeter's restore. */
  restoreSubscription(tx: UnitOfWork, input: { id: string }): Subscription {
    return this.deps.subscriptions.restoreSubscription(tx, input);
  }

  // ------------------------------------------------------------------------------ access

  /** B9 / B10: the administrator's block; the gateway refuses the subscription's key while set. */
  setAccessBlocked(tx: UnitOfWork, input: { id: string; blocked: boolean }): { subscriptionId: string; accessBlocked: boolean } {
    const sub = this.deps.subscriptions.getSubscription(tx, { id: input.id });
    const col = tx.collection<SubscriptionKeyRecord>(Col.subscriptionKeys);
    const now = this.now().toISOString();
    const rec = col.get(sub.id) ?? { id: sub.id, customerId: sub.customerId, consumerName: '', keyBucketName: '', accessBlocked: false, createdAt: now, updatedAt: now };
    col.put({ ...rec, accessBlocked: input.blocked, updatedAt: now });
    return { subscriptionId: sub.id, accessBlocked: input.blocked };
  }

  /** B8 (and the portal's usage): the subscription's entitlements now, its payment status and block. */
  subscriptionAccess(tx: UnitOfWork, input: { id: string }): SubscriptionAccess {
    const sub = this.deps.subscriptions.getSubscription(tx, { id: input.id });
    return {
      subscriptionId: sub.id,
      customerId: sub.customerId,
      ...(sub.plan ? { planKey: sub.plan.key } : {}),
      entitlements: this.subscriptionEntitlements(tx, sub),
      paymentStatus: this.paymentStatus(tx, { subscriptionId: sub.id }),
      accessBlocked: this.consumerOf(tx, { subscriptionId: sub.id })?.accessBlocked ?? false,
    };
  }

  /** B17: per running subscription of the customer, its entitlements and payment status. */
  customerAccess(tx: UnitOfWork, input: { customer: string }): Array<{ subscriptionId: string; entitlements: Record<string, EntitlementAccess>; paymentStatus: PaymentStatus }> {
    const customer = this.deps.customers.getCustomer(tx, { idOrKey: input.customer });
    return this.listCustomerSubscriptions(tx, { customer: customer.id })
      .filter((s) => RUNNING.has(s.status))
      .map((s) => {
        const view = this.deps.subscriptions.getSubscription(tx, { id: s.id });
        return { subscriptionId: s.id, entitlements: this.subscriptionEntitlements(tx, view), paymentStatus: this.paymentStatus(tx, { subscriptionId: s.id }) };
      });
  }

  /**
   * Payment status from the subscription's invoices (decision 0022, open questions 6–9):
   * `not_required` for a plan without a price, and for one without in-advance fees until its first
   * invoice; else the latest invoice's state (paid, failed, uncollectible, anything else pending).
   * `isFirstPayment` = no invoice of it was ever paid; `lastPaymentFailedAt` = when the oldest
   * unpaid invoice first failed (kept across retries, gone once it is paid).
   */
  paymentStatus(tx: UnitOfWork, input: { subscriptionId: string }): PaymentStatus {
    const sub = this.deps.subscriptions.getSubscription(tx, { id: input.subscriptionId });
    const maxPaymentOverdueDays = this.maxPaymentOverdueDays(tx, sub);
    const items = sub.phaseViews.flatMap((p) => p.items);
    if (!items.some((i) => rateCardHasPrice(i.rateCard))) return { status: PaymentStatusValue.notRequired, isFirstPayment: true, maxPaymentOverdueDays };
    const invoices = this.subscriptionInvoices(tx, sub);
    const paid = invoices.filter((i) => i.status === InvoiceStatus.paid);
    const isFirstPayment = paid.length === 0;
    const lastPaymentSucceededAt = paid.length > 0 ? paid[paid.length - 1]!.updatedAt : undefined;
    const failedUnpaid = invoices.filter((i) => isPaymentFailed(i) || i.status === InvoiceStatus.uncollectible);
    // the oldest unpaid invoice's first failure, as billing recorded it (decision 0033)
    const lastPaymentFailedAt = failedUnpaid.length > 0 ? (failedUnpaid[0]!.paymentFailedAt ?? failedUnpaid[0]!.updatedAt) : undefined;
    const extra = { ...(lastPaymentFailedAt ? { lastPaymentFailedAt } : {}), ...(lastPaymentSucceededAt ? { lastPaymentSucceededAt } : {}), maxPaymentOverdueDays };
    const latest = invoices[invoices.length - 1];
    if (!latest) {
      const inAdvance = items.some((i) => rateCardInAdvance(i.rateCard));
      return { status: inAdvance ? PaymentStatusValue.pending : PaymentStatusValue.notRequired, isFirstPayment: true, ...extra };
    }
    const status =
      latest.status === InvoiceStatus.paid
        ? PaymentStatusValue.paid
        : latest.status === InvoiceStatus.uncollectible
          ? PaymentStatusValue.uncollectible
          : isPaymentFailed(latest)
            ? PaymentStatusValue.failed
            : PaymentStatusValue.pending;
    return { status, isFirstPayment, ...extra };
  }

  /** customer metadata → plan metadata → bucket configuration → 3 */
  maxPaymentOverdueDays(tx: UnitOfWork, sub: Subscription): number {
    const parse = (v: unknown): number | undefined => {
      if (typeof v !== 'string' && typeof v !== 'number') return undefined;
      const n = Number(v);
      return Number.isInteger(n) && n >= 0 ? n : undefined;
    };
    const customer = this.deps.customers.findCustomer(tx, sub.customerId);
    const fromCustomer = parse(customer?.metadata?.[MAX_PAYMENT_OVERDUE_DAYS_KEY]);
    if (fromCustomer !== undefined) return fromCustomer;
    if (sub.plan) {
      const plan = this.findPlan(tx, sub.plan.id);
      const fromPlan = parse(plan?.metadata?.[MAX_PAYMENT_OVERDUE_DAYS_KEY]);
      if (fromPlan !== undefined) return fromPlan;
    }
    return this.getConfiguration(tx).maxPaymentOverdueDays;
  }

  // ------------------------------------------------------------------------------ gateway

  /**
   * R1, account side: the presented key and its consumer; undefined = 401 (unknown or deleted
   * key, or a key of another key bucket than the metering bucket's when one is named).
   */
  findApiKey(accountTx: UnitOfWork, input: { apiKey: string; keyBucketName?: string }): ValidatedKey | undefined {
    const hit = this.deps.apiKeys.findKey(accountTx, input.apiKey);
    if (!hit) return undefined;
    if (input.keyBucketName !== undefined && hit.bucket.name !== input.keyBucketName) return undefined;
    return { apiKey: hit.apiKey, consumer: { name: hit.consumer.name, metadata: hit.consumer.metadata } };
  }

  /**
   * R1, bucket side: the subscription a consumer's key stands for (decision 0022, open questions
   * 4–5): the one running now, else the latest that ended (so the gateway says "expired"); never a
   * scheduled one; null when the consumer was never bound to a subscription.
   */
  gatewaySubscription(tx: UnitOfWork, input: { consumerName: string }): GatewaySubscription | null {
    const links = tx.collection<SubscriptionKeyRecord>(Col.subscriptionKeys).find((r) => r.consumerName === input.consumerName);
    if (links.length === 0) return null;
    const subs = this.deps.subscriptions.getSubscriptions(tx, { ids: links.map((l) => l.id) });
    const running = subs.filter((s) => RUNNING.has(s.status)).sort((a, b) => b.activeFrom.localeCompare(a.activeFrom));
    const ended = subs.filter((s) => s.status === SubscriptionStatus.inactive).sort((a, b) => (b.activeTo ?? '').localeCompare(a.activeTo ?? ''));
    const sub = running[0] ?? ended[0];
    if (!sub) return null;
    const payment = this.paymentStatus(tx, { subscriptionId: sub.id });
    const { maxPaymentOverdueDays, ...paymentStatus } = payment;
    const entitlements: GatewaySubscription['entitlements'] = {};
    for (const [k, v] of Object.entries(this.subscriptionEntitlements(tx, sub))) {
      entitlements[k] = { balance: num(v.balance), hasAccess: v.hasAccess, overage: num(v.overage), usage: num(v.usage) };
    }
    return {
      subscription: sub,
      ...(sub.currentPeriod ? { currentPeriod: sub.currentPeriod } : {}),
      entitlements,
      paymentStatus,
      maxPaymentOverdueDays,
      accessBlocked: links.find((l) => l.id === sub.id)?.accessBlocked ?? false,
    };
  }

  /** The plan a subscription was made from, for the gateway's `plan.name` (undefined for a custom plan). */
  planOfSubscription(tx: UnitOfWork, sub: Subscription): Plan | undefined {
    return sub.plan ? this.findPlan(tx, sub.plan.id) : undefined;
  }

  // ------------------------------------------------------------------------------ billing setup

  /** B26: whether the bucket can bill through Stripe. */
  billingReadiness(tx: UnitOfWork): BillingReadiness {
    const stripe = this.deps.billing.liveApps(tx).find((a) => a.type === AppType.stripe);
    const profile = this.stripeProfile(tx, stripe?.id);
    return {
      hasStripeApp: stripe !== undefined,
      stripeAppId: stripe?.id ?? null,
      hasDefaultBillingProfile: profile !== undefined && profile.default,
      defaultBillingProfileId: profile?.default ? profile.id : null,
    };
  }

  /**
   * B23's second half: the profile the Stripe install created becomes the bucket's default, with
   * the supplier country and tax switches of the setup body.
   */
  configureStripeProfile(tx: UnitOfWork, input: { stripeAppId: string; country?: string; taxEnabled?: boolean; taxEnforced?: boolean }): BillingProfile | undefined {
    const profile = this.stripeProfile(tx, input.stripeAppId);
    if (!profile) return undefined;
    const addresses = profile.supplier.addresses?.length ? profile.supplier.addresses : [{}];
    return this.deps.billing.updateProfile(tx, {
      id: profile.id,
      name: profile.name,
      ...(profile.description !== undefined ? { description: profile.description } : {}),
      ...(profile.metadata !== undefined ? { metadata: profile.metadata } : {}),
      supplier: { ...profile.supplier, addresses: addresses.map((a, i) => (i === 0 ? { ...a, country: input.country ?? 'US' } : a)) },
      default: true,
      workflow: { ...profile.workflow, tax: { enabled: input.taxEnabled ?? false, enforced: input.taxEnforced ?? false } },
    });
  }

  /** The bucket's billing profile that invoices through the given Stripe app (the default one first). */
  stripeProfile(tx: UnitOfWork, stripeAppId: string | undefined): BillingProfile | undefined {
    if (!stripeAppId) return undefined;
    const profiles = this.deps.billing.listProfiles(tx, { pageSize: 1000 }).items.filter((p) => p.apps.invoicing === stripeAppId);
    return profiles.find((p) => p.default) ?? profiles[0];
  }

  // ------------------------------------------------------------------------------ helpers

  private subscriberOf(tx: UnitOfWork, input: MonetizedSubscribeInput): Customer {
    if (input.customerId) return this.liveCustomer(tx, input.customerId);
    if (input.customerKey) return this.liveCustomer(tx, input.customerKey);
    if (input.customerSub) return this.findOrCreateCustomer(tx, { sub: input.customerSub, ...(input.customerEmail ? { email: input.customerEmail } : {}) });
    throw validationError(E.invalidSubscribe, 'one of customerId, customerKey or customerSub is required');
  }

  private liveCustomer(tx: UnitOfWork, idOrKey: string): Customer {
    const c = this.deps.customers.getCustomer(tx, { idOrKey });
    if (c.deletedAt) throw new DomainError(ErrorKind.preconditionFailed, 'customer_deleted', `customer is deleted [customer.id=${c.id}]`);
    return c;
  }

  private planOf(tx: UnitOfWork, ref: { key?: string; id?: string; version?: number } | undefined, planId: string | undefined): Plan {
    if (planId) return this.planById(tx, planId);
    if (ref?.id) return this.planById(tx, ref.id);
    if (ref?.key) return this.deps.plans.getPlan(tx, { idOrKey: ref.key, ...(ref.version !== undefined ? { version: ref.version } : {}) });
    throw validationError(E.invalidSubscribe, 'a plan is required: plan.key (with an optional version) or planId');
  }

  private planById(tx: UnitOfWork, id: string): Plan {
    const p = this.findPlan(tx, id);
    if (!p || p.deletedAt) throw notFound(E.planNotFound, `plan not found: ${id}`);
    return p;
  }

  private findPlan(tx: UnitOfWork, id: string): Plan | undefined {
    try {
      return this.deps.plans.getPlan(tx, { idOrKey: id });
    } catch (e) {
      if (e instanceof DomainError && e.kind === ErrorKind.notFound) return undefined;
      throw e;
    }
  }

  /**
   * Open question 17: one running subscription per customer (`canceled` counts) → 409; with
   * `multipleSubscriptionsEnabled` only a second one on the same plan key conflicts.
   */
  private assertCap(tx: UnitOfWork, customer: Customer, plan: Plan): void {
    const cfg = this.getConfiguration(tx);
    const running = this.deps.subscriptions
      .listSubscriptions(tx, { customerIds: [customer.id], unpaged: true })
      .items.filter((s) => RUNNING.has(s.status) || s.status === SubscriptionStatus.scheduled);
    const clash = cfg.multipleSubscriptionsEnabled ? running.filter((s) => s.plan?.key === plan.key) : running;
    if (clash.length > 0) {
      throw conflict(E.subscriptionLimit, 'the maximum number of active subscriptions has been reached', { conflictingEntityId: clash[0]!.id });
    }
  }

  private currentItems(sub: SubscriptionView): SubscriptionView['phaseViews'][number]['items'] {
    const at = ms(sub.asOf);
    const phase = sub.phaseViews.find((p) => ms(p.activeFrom) <= at && (!p.activeTo || ms(p.activeTo) > at));
    return (phase?.items ?? []).filter((i) => ms(i.activeFrom) <= at && (!i.activeTo || ms(i.activeTo) > at));
  }

  /** the entitlement values of the subscription's current items, by feature key */
  private subscriptionEntitlementValues(tx: UnitOfWork, sub: SubscriptionView): Record<string, EntitlementValueView> {
    const out: Record<string, EntitlementValueView> = {};
    if (!RUNNING.has(sub.status)) return out;
    for (const item of this.currentItems(sub)) {
      const featureKey = item.rateCard.featureKey;
      if (!featureKey) continue;
      if (item.entitlementId) {
        out[featureKey] = this.deps.entitlements.getEntitlementValue(tx, { customer: sub.customerId, entitlement: item.entitlementId });
      } else if (!out[featureKey]) {
        // a priced feature without an entitlement template: usage is billed, never limited
        out[featureKey] = { hasAccess: true };
      }
    }
    return out;
  }

  private subscriptionEntitlements(tx: UnitOfWork, sub: SubscriptionView): Record<string, EntitlementAccess> {
    const out: Record<string, EntitlementAccess> = {};
    for (const [k, v] of Object.entries(this.subscriptionEntitlementValues(tx, sub))) {
      out[k] = {
        hasAccess: v.hasAccess,
        ...(v.balance !== undefined ? { balance: v.balance } : {}),
        ...(v.usage !== undefined ? { usage: v.usage } : {}),
        ...(v.overage !== undefined ? { overage: v.overage } : {}),
        ...(v.config !== undefined ? { config: v.config } : {}),
      };
    }
    return out;
  }

  /** the current phase's in-advance flat fees (what a change would credit back) */
  private upfrontCost(sub: SubscriptionView): Dec {
    let total = dec(0);
    for (const i of this.currentItems(sub)) {
      const rc = i.rateCard;
      if (rc.type === 'flat_fee' && rc.billingCadence !== null && isInAdvanceFlat(rc.price)) total = total.add(dec(rc.price.amount));
    }
    return total;
  }

  /** the standard invoices with a line of this subscription, oldest first */
  private subscriptionInvoices(tx: UnitOfWork, sub: Subscription): InvoiceView[] {
    return this.deps.invoices
      .listInvoices(tx, { customers: [sub.customerId], standardOnly: true, pageSize: 1000 })
      .items.filter((inv) => inv.kind === 'standard' && !inv.deletedAt && inv.status !== InvoiceStatus.deleted && inv.status !== InvoiceStatus.voided)
      .filter((inv) => inv.lines.some((l) => l.subscription?.subscriptionId === sub.id))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}

// ------------------------------------------------------------------------------ pure rules

/** `planOrder` rule (ZDK "newOrder >= currentOrder"): equal or higher index, or a newer version of the same key. */
export function isUpgradeByOrder(order: readonly string[], from: { key: string; version: number } | undefined, to: { key: string; version: number }): boolean {
  if (!from) return true;
  if (from.key === to.key) return to.version >= from.version;
  const a = order.indexOf(from.key);
  const b = order.indexOf(to.key);
  if (a < 0 || b < 0) return true;
  return b >= a;
}

export const isPrivatePlan = (p: Plan): boolean => p.metadata?.[PRIVATE_PLAN_KEY] === 'true';

export function rateCardHasPrice(rc: RateCard): boolean {
  if (!rc.price) return false;
  if (rc.price.type === 'flat') return !dec(rc.price.amount).isZero();
  return true;
}

function rateCardInAdvance(rc: RateCard): boolean {
  return rc.type === 'flat_fee' && isInAdvanceFlat(rc.price) && !dec(rc.price.amount).isZero();
}

export const planHasPrice = (p: Plan): boolean => p.phases.some((ph) => ph.rateCards.some(rateCardHasPrice));

const isPaymentFailed = (inv: InvoiceView): boolean => inv.status === InvoiceStatus.paymentFailed || inv.status === InvoiceStatus.overdue;

const isEnvironment = (v: string | undefined): v is BucketEnvironment => v !== undefined && (Object.values(BucketEnvironment) as string[]).includes(v);

export function environmentOfName(name: string): BucketEnvironment {
  if (/(^|[-_])(production|prod)$/i.test(name)) return BucketEnvironment.production;
  if (/(^|[-_])preview$/i.test(name)) return BucketEnvironment.preview;
  return BucketEnvironment.workingCopy;
}

/** a key-bucket name (`[a-z0-9-]{5,128}`) for a metering bucket id */
export function keyBucketNameOf(meteringBucketId: string): string {
  const slug = meteringBucketId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return slug.length >= 5 ? slug.slice(0, 128) : `bucket-${slug}`;
}

const maxDec = (a: Dec, b: Dec): Dec => (a.gte(b) ? a : b);
const clamp01 = (d: Dec): Dec => (d.lt(0) ? dec(0) : d.gt(1) ? dec(1) : d);


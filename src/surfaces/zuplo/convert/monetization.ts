import type { ConsumerView } from '../../../domain/apikeys/types.ts';
import type { Plan } from '../../../domain/catalog/types.ts';
import type {
  CreditEstimate,
  EntitlementAccess,
  GatewaySubscription,
  KeyBucketRef,
  MonetizationConfiguration,
  MonetizedChangeInput,
  MonetizedPlanChoice,
  MonetizedSubscribeInput,
  PaymentStatus,
  PlanInvite,
  SubscriptionAccess,
} from '../../../domain/monetization/types.ts';
import { validationError } from '../../../domain/shared/errors.ts';
import { toApiKey, toApiManager } from './apikeys.ts';

type Body = Record<string, unknown>;

const str = (b: Body, k: string): string | undefined => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [k]: v } as { [P in K]: V }));

function planRefOf(b: Body): { key?: string; id?: string; version?: number } | undefined {
  const p = b.plan;
  if (p === undefined || p === null || typeof p !== 'object') return undefined;
  const w = p as Body;
  return { ...opt('key', str(w, 'key')), ...opt('id', str(w, 'id')), ...(typeof w.version === 'number' ? { version: w.version } : {}) };
}

/** B1's body: OpenMeter's (plan reference, customerId | customerKey, timing) or the SEED `{customerSub, customerEmail, planId}`. */
export function fromApiSubscribeBody(b: Body, keyBucket: KeyBucketRef): MonetizedSubscribeInput {
  if (b.customPlan !== undefined) throw validationError('custom_plan_not_supported', 'a monetized subscription is made from a published plan (plan.key or planId)');
  return {
    keyBucket,
    ...planChoiceOf(b),
    ...opt('customerId', str(b, 'customerId')),
    ...opt('customerKey', str(b, 'customerKey')),
    ...opt('customerSub', str(b, 'customerSub')),
    ...opt('customerEmail', str(b, 'customerEmail')),
  };
}

export function fromApiChangeBody(id: string, b: Body): MonetizedChangeInput {
  return { id, ...planChoiceOf(b) };
}

/** What subscribe and change both take: the plan, the timing and the new subscription's details. */
function planChoiceOf(b: Body): MonetizedPlanChoice {
  return {
    ...opt('plan', planRefOf(b)),
    ...opt('planId', str(b, 'planId')),
    ...opt('timing', str(b, 'timing')),
    ...opt('name', str(b, 'name')),
    ...opt('description', str(b, 'description')),
    ...opt('metadata', b.metadata as Record<string, string> | undefined),
    ...opt('billingAnchor', str(b, 'billingAnchor')),
    ...opt('startingPhase', str(b, 'startingPhase')),
  };
}

/** `SubscriptionConsumerResponse`: the full key values (the subscriber needs them). */
export function toApiSubscriptionConsumer(v: ConsumerView | undefined): Record<string, unknown> | undefined {
  if (!v) return undefined;
  const c = v.consumer;
  return {
    id: c.id,
    name: c.name,
    ...(c.description !== undefined ? { description: c.description } : {}),
    createdOn: c.createdOn,
    updatedOn: c.updatedOn,
    tags: c.tags,
    metadata: c.metadata,
    apiKeys: v.apiKeys.map((k) => toApiKey(k)),
    managers: v.managers.map(toApiManager),
  };
}

const n = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

export function toApiEntitlementValues(e: Record<string, EntitlementAccess>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(e)) {
    out[k] = { hasAccess: v.hasAccess, ...opt('balance', n(v.balance)), ...opt('usage', n(v.usage)), ...opt('overage', n(v.overage)), ...opt('config', v.config) };
  }
  return out;
}

export const toApiPaymentStatus = (p: PaymentStatus): Record<string, unknown> => ({
  status: p.status,
  isFirstPayment: p.isFirstPayment,
  maxPaymentOverdueDays: p.maxPaymentOverdueDays,
  ...opt('lastPaymentSucceededAt', p.lastPaymentSucceededAt),
  ...opt('lastPaymentFailedAt', p.lastPaymentFailedAt),
});

export const toApiSubscriptionAccess = (a: SubscriptionAccess): Record<string, unknown> => ({
  subscriptionId: a.subscriptionId,
  customerId: a.customerId,
  ...opt('planKey', a.planKey),
  entitlements: toApiEntitlementValues(a.entitlements),
  ...(a.paymentStatus ? { paymentStatus: toApiPaymentStatus(a.paymentStatus) } : {}),
  accessBlocked: a.accessBlocked,
});

export const toApiCreditEstimate = (e: CreditEstimate): Record<string, unknown> => ({
  creditAmount: e.creditAmount,
  currency: e.currency,
  maxPercentage: e.maxPercentage,
  timePercentage: e.timePercentage,
  consumptionPercentage: e.consumptionPercentage,
  upfrontCost: e.upfrontCost,
  overflowCredit: e.overflowCredit,
});

export const toApiConfiguration = (c: MonetizationConfiguration): Record<string, unknown> => ({
  multipleSubscriptionsEnabled: c.multipleSubscriptionsEnabled,
  planOrder: c.planOrder,
  planSettings: c.planSettings,
  maxPaymentOverdueDays: c.maxPaymentOverdueDays,
  ...opt('createdAt', c.createdAt),
  ...opt('updatedAt', c.updatedAt),
});

export const toApiPlanInvite = (i: PlanInvite): Record<string, unknown> => ({ id: i.id, email: i.email, planId: i.planId, createdAt: i.createdAt });

/** RT `MonetizationSubscription`: what the gateway policy reads. */
export function toApiGatewaySubscription(g: GatewaySubscription, plan: Plan | undefined): Record<string, unknown> {
  const s = g.subscription;
  return {
    id: s.id,
    customerId: s.customerId,
    name: s.name,
    status: s.status,
    currency: s.currency,
    billingCadence: s.billingCadence,
    billingAnchor: s.billingAnchor,
    ...opt('nextBillingDate', g.currentPeriod?.to),
    activeFrom: s.activeFrom,
    ...opt('activeTo', s.activeTo),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    ...(s.plan ? { plan: { id: s.plan.id, name: plan?.name ?? s.plan.key, key: s.plan.key, version: s.plan.version } } : {}),
    entitlements: g.entitlements,
    paymentStatus: {
      status: g.paymentStatus.status,
      isFirstPayment: g.paymentStatus.isFirstPayment,
      ...opt('lastPaymentFailedAt', g.paymentStatus.lastPaymentFailedAt),
      ...opt('lastPaymentSucceededAt', g.paymentStatus.lastPaymentSucceededAt),
    },
    maxPaymentOverdueDays: g.maxPaymentOverdueDays,
    accessBlocked: g.accessBlocked,
  };
}

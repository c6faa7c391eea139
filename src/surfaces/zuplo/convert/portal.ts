import type { ConsumerView } from '../../../domain/apikeys/types.ts';
import type { SubscriptionAccess } from '../../../domain/monetization/types.ts';
import type { PortalPlan, PortalSubscription } from '../../../domain/portal/PortalService.ts';
import { toApiPlan } from '../../openmeter-v1/convert/catalog.ts';
import { toApiSubscriptionExpanded } from '../../openmeter-v1/convert/subscriptions.ts';
import { toApiSubscriptionConsumer } from './monetization.ts';

type Obj = Record<string, unknown>;

/** An OpenMeter plan plus both spellings of "needs a payment method" (open question 16). */
export const toApiPortalPlan = (p: PortalPlan): Obj => ({ ...(toApiPlan(p.plan) as Obj), paymentRequired: p.paymentRequired, paymentMethodRequired: p.paymentRequired });

/** SEED `SubscriptionConsumerResponse`, as the Developer API answers it. */
export const toApiPortalConsumer = (v: ConsumerView): Obj => toApiSubscriptionConsumer(v)!;

/** SubscriptionExpanded with the full plan (ZDK `SubscriptionPlan`) and the API-key consumer. */
export function toApiPortalSubscription(s: PortalSubscription, consumer: ConsumerView | undefined): Obj {
  const base = toApiSubscriptionExpanded(s.subscription) as unknown as Obj;
  return {
    ...base,
    // SEED SubscriptionWithAPIKeysResponse requires metadata; OpenMeter omits an empty one
    metadata: base.metadata ?? {},
    ...(s.plan ? { plan: toApiPortalPlan(s.plan) } : {}),
    ...(consumer ? { consumer: toApiPortalConsumer(consumer) } : {}),
  };
}

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

/** B8's SubscriptionAccess (quantities as JSON numbers, as the gateway reads them) plus the subscription's annotations. */
export function toApiPortalUsage(a: SubscriptionAccess, annotations: Obj | undefined): Obj {
  const entitlements: Record<string, Obj> = {};
  for (const [k, v] of Object.entries(a.entitlements)) {
    entitlements[k] = {
      hasAccess: v.hasAccess,
      ...(v.balance !== undefined ? { balance: num(v.balance) } : {}),
      ...(v.usage !== undefined ? { usage: num(v.usage) } : {}),
      ...(v.overage !== undefined ? { overage: num(v.overage) } : {}),
      ...(v.config !== undefined ? { config: v.config } : {}),
    };
  }
  const p = a.paymentStatus;
  return {
    subscriptionId: a.subscriptionId,
    customerId: a.customerId,
    ...(a.planKey !== undefined ? { planKey: a.planKey } : {}),
    entitlements,
    ...(p
      ? {
          paymentStatus: {
            status: p.status,
            isFirstPayment: p.isFirstPayment,
            maxPaymentOverdueDays: p.maxPaymentOverdueDays,
            ...(p.lastPaymentSucceededAt ? { lastPaymentSucceededAt: p.lastPaymentSucceededAt } : {}),
            ...(p.lastPaymentFailedAt ? { lastPaymentFailedAt: p.lastPaymentFailedAt } : {}),
          },
        }
      : {}),
    accessBlocked: a.accessBlocked,
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/**
 * Zuplo monetization under `/v3/metering/{bucketId}`: the Developer API's subscription, access,
 * configuration, plan-invite and Stripe-setup routes, and the gateway service (validate-api-key,
 * events). The bucket is the namespace; the subscriptions' consumers live in the Zuplo account's
 * key bucket (decision 0022). Subscription bodies are OpenMeter v1's, encoded by v1's converters.
 */
import type { ConsumerView } from '../../../domain/apikeys/types.ts';
import type { MonetizationService } from '../../../domain/monetization/MonetizationService.ts';
import type { KeyBucketRef } from '../../../domain/monetization/types.ts';
import { DomainError, ErrorKind } from '../../../domain/shared/errors.ts';
import type { CloudEventInput } from '../../../domain/metering/types.ts';
import { CLOUDEVENTS_MEDIA_TYPES, cloudEventsOf } from '../../http/cloudEvents.ts';
import { ingestInSteps } from '../../http/ingestInSteps.ts';
import { accountNamespace } from '../../http/namespaces.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import * as v1Billing from '../../openmeter-v1/handlers/billingSetup.ts';
import * as v1Metering from '../../openmeter-v1/handlers/metering.ts';
import * as v1Subscriptions from '../../openmeter-v1/handlers/subscriptions.ts';
import { toApiApp, toApiProfile } from '../../openmeter-v1/convert/billingSetup.ts';
import { toApiSubscription, toApiSubscriptionExpanded } from '../../openmeter-v1/convert/subscriptions.ts';
import {
  fromApiChangeBody,
  fromApiSubscribeBody,
  toApiConfiguration,
  toApiCreditEstimate,
  toApiGatewaySubscription,
  toApiPaymentStatus,
  toApiPlanInvite,
  toApiSubscriptionAccess,
  toApiSubscriptionConsumer,
  toApiEntitlementValues,
} from '../convert/monetization.ts';

type Body = Record<string, unknown>;

const mon = (c: HandlerContext): MonetizationService => c.services.monetization;
const subId = (c: HandlerContext): string => c.params.subscriptionId!;
const body = (c: HandlerContext): Body => (c.body ?? {}) as Body;
const accountNs = (c: HandlerContext): string => accountNamespace(mon(c).accountName);

/** the key bucket (and environment) of this metering bucket, read in the account's namespace */
const keyBucketOf = (c: HandlerContext): KeyBucketRef => c.readIn(accountNs(c), (tx) => mon(c).keyBucketFor(tx, c.params.bucketId!));

/** the consumer of a monetized subscription, with its keys and managers */
function consumerOf(c: HandlerContext, subscriptionId: string): ConsumerView | undefined {
  const link = c.read((tx) => mon(c).consumerOf(tx, { subscriptionId }));
  if (!link || !link.consumerName) return undefined;
  return c.readIn(accountNs(c), (tx) => mon(c).subscriptionConsumer(tx, { keyBucketName: link.keyBucketName, consumerName: link.consumerName }));
}

// ------------------------------------------------------------------------------ subscriptions

/** B1: 201 with the subscription's consumer and its `zpka_` key (SubscriptionWithAPIKeysResponse). */
export async function createSubscription(c: HandlerContext): Promise<Reply> {
  const input = fromApiSubscribeBody(body(c), keyBucketOf(c));
  const sub = await c.run((tx) => mon(c).subscribe(tx, input));
  return ok({ ...toApiSubscriptionExpanded(sub), consumer: toApiSubscriptionConsumer(consumerOf(c, sub.id)) }, 201);
}

/** B3: the timing, when omitted, follows the plan order; a custom plan goes to OpenMeter's change as is. */
export async function changeSubscription(c: HandlerContext): Promise<Reply> {
  const b = body(c);
  if (b.customPlan !== undefined) return v1Subscriptions.changeSubscription(c);
  const res = await c.run((tx) => mon(c).changeSubscription(tx, fromApiChangeBody(subId(c), b)));
  return ok({ current: toApiSubscription(res.current), next: toApiSubscriptionExpanded(res.next) });
}

export function estimateChangeCredit(c: HandlerContext): Reply {
  const input = fromApiChangeBody(subId(c), body(c));
  return ok(toApiCreditEstimate(c.read((tx) => mon(c).estimateChangeCredit(tx, input))));
}

export async function cancelSubscription(c: HandlerContext): Promise<Reply> {
  const timing = body(c).timing as string | undefined;
  return ok(toApiSubscription(await c.run((tx) => mon(c).cancelSubscription(tx, { id: subId(c), ...(timing !== undefined ? { timing } : {}) }))));
}

export async function unscheduleCancelation(c: HandlerContext): Promise<Reply> {
  return ok(toApiSubscription(await c.run((tx) => mon(c).unscheduleCancelation(tx, { id: subId(c) }))));
}

export async function restoreSubscription(c: HandlerContext): Promise<Reply> {
  return ok(toApiSubscription(await c.run((tx) => mon(c).restoreSubscription(tx, { id: subId(c) }))));
}

export function subscriptionAccess(c: HandlerContext): Reply {
  return ok(toApiSubscriptionAccess(c.read((tx) => mon(c).subscriptionAccess(tx, { id: subId(c) }))));
}

export const blockAccess = async (c: HandlerContext): Promise<Reply> => ok(await c.run((tx) => mon(c).setAccessBlocked(tx, { id: subId(c), blocked: true })));
export const unblockAccess = async (c: HandlerContext): Promise<Reply> => ok(await c.run((tx) => mon(c).setAccessBlocked(tx, { id: subId(c), blocked: false })));

export function customerAccess(c: HandlerContext): Reply {
  const rows = c.read((tx) => mon(c).customerAccess(tx, { customer: c.params.customerIdOrKey! }));
  return ok({
    entitlements: rows.map((r) => ({ subscriptionId: r.subscriptionId, entitlements: toApiEntitlementValues(r.entitlements), paymentStatus: toApiPaymentStatus(r.paymentStatus) })),
  });
}

// ------------------------------------------------------------------------------ events and meter queries

/**
 * B18 / R2: OpenMeter's ingest (one event or an array; dedupe on (id, source)); the Zuplo event
 * must name its subscription. Unlike OpenMeter's handler, the media type is compared without its
 * parameters: this is Zuplo's gateway service, and a runtime that sends `charset=utf-8` would
 * otherwise lose its usage silently (the policy only logs a failed send).
 */
export async function ingestEvents(c: HandlerContext): Promise<Reply> {
  const type = (c.request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!CLOUDEVENTS_MEDIA_TYPES.has(type)) throw new DomainError(ErrorKind.validation, 'invalid_content_type', `invalid content type: ${type}`);
  const r = cloudEventsOf(c.body, type);
  if ('refusal' in r) throw new DomainError(ErrorKind.validation, 'invalid_event', r.refusal);
  await ingestInSteps(c, r.events as CloudEventInput[]);
  return noContent();
}

/** Zuplo's `filterSubscription` (≤ 100): the events whose `subscription` attribute names one of them (decision 0022). */
export const queryMeter = v1Metering.queryMeter;
export const queryMeterPost = v1Metering.queryMeterPost;

// ------------------------------------------------------------------------------ configuration and plan invites

export const getConfiguration = (c: HandlerContext): Reply => ok(toApiConfiguration(c.read((tx) => mon(c).getConfiguration(tx))));
export const putConfiguration = async (c: HandlerContext): Promise<Reply> =>
  ok(toApiConfiguration(await c.run((tx) => mon(c).updateConfiguration(tx, body(c) as never))));
export const deleteConfiguration = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => mon(c).deleteConfiguration(tx));
  return noContent();
};

export const listPlanInvites = (c: HandlerContext): Reply => {
  const q = c.query as { planId?: string; email?: string };
  return ok({ items: c.read((tx) => mon(c).listPlanInvites(tx, { ...(q.planId ? { planId: q.planId } : {}), ...(q.email ? { email: q.email } : {}) })).map(toApiPlanInvite) });
};
export const createPlanInvite = async (c: HandlerContext): Promise<Reply> => {
  const b = body(c) as { email: string; planId: string };
  return ok(toApiPlanInvite(await c.run((tx) => mon(c).createPlanInvite(tx, { email: b.email, planId: b.planId }))), 201);
};
export const getPlanInvite = (c: HandlerContext): Reply => ok(toApiPlanInvite(c.read((tx) => mon(c).getPlanInvite(tx, { id: c.params.planInviteId! }))));
export const deletePlanInvite = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => mon(c).deletePlanInvite(tx, { id: c.params.planInviteId! }));
  return noContent();
};

// ------------------------------------------------------------------------------ Stripe setup

function stripeSetupView(c: HandlerContext, appId?: string): Reply {
  const { app, profile } = c.read((tx) => {
    const id = appId ?? mon(c).billingReadiness(tx).stripeAppId ?? undefined;
    return { app: id ? c.services.apps.liveApps(tx).find((a) => a.id === id) : undefined, profile: mon(c).stripeProfile(tx, id) };
  });
  const connectionStatus = !app ? 'not_installed' : app.status === 'unauthorized' ? 'unauthorized' : 'ok';
  return ok({ app: app ? toApiApp(app) : null, billingProfile: profile ? toApiProfile(profile) : null, connectionStatus });
}

/** B23: the key's mode must match the bucket's environment; installs the app with a default profile. */
export async function setupStripe(c: HandlerContext): Promise<Reply> {
  const b = body(c) as { apiKey: string; name?: string; taxEnabled?: boolean; taxEnforced?: boolean; country?: string };
  mon(c).assertStripeKeyMode(keyBucketOf(c).environment, b.apiKey);
  const { app } = await c.stripeApp.installApp(c.namespace, { type: 'stripe', name: b.name ?? 'Stripe', apiKey: b.apiKey, createBillingProfile: true });
  await c.run((tx) => mon(c).configureStripeProfile(tx, { stripeAppId: app.id, ...pick(b) }));
  return { ...stripeSetupView(c, app.id), status: 201 };
}

export const getStripeSetup = (c: HandlerContext): Reply => stripeSetupView(c);

/** B25: the Stripe app's profile becomes the default again, with the given country and tax switches. */
export async function createStripeBillingProfile(c: HandlerContext): Promise<Reply> {
  const id = c.params.stripeAppId!;
  const b = body(c) as { taxEnabled?: boolean; taxEnforced?: boolean; country?: string };
  const profile = await c.run((tx) => {
    const app = c.services.apps.getApp(tx, { id });
    if (app.type !== 'stripe') throw new DomainError(ErrorKind.validation, 'app_type_mismatch', `app ${id} is not a Stripe app`);
    return mon(c).configureStripeProfile(tx, { stripeAppId: id, ...pick(b) });
  });
  if (!profile) throw new DomainError(ErrorKind.notFound, 'billing_profile_not_found', `no billing profile uses the Stripe app ${id}`);
  return { ...stripeSetupView(c, id), status: 201 };
}

const pick = (b: { taxEnabled?: boolean; taxEnforced?: boolean; country?: string }) => ({
  ...(b.taxEnabled !== undefined ? { taxEnabled: b.taxEnabled } : {}),
  ...(b.taxEnforced !== undefined ? { taxEnforced: b.taxEnforced } : {}),
  ...(b.country !== undefined ? { country: b.country } : {}),
});

export const billingReadiness = (c: HandlerContext): Reply => ok(c.read((tx) => mon(c).billingReadiness(tx)));

/** B27: OpenMeter's app update; a Stripe key in it must match the bucket's environment. */
export async function updateApp(c: HandlerContext): Promise<Reply> {
  const key = body(c).secretAPIKey;
  if (typeof key === 'string') mon(c).assertStripeKeyMode(keyBucketOf(c).environment, key);
  return v1Billing.updateApp(c);
}

// ------------------------------------------------------------------------------ gateway

/**
 * R1: 401 for an unknown or deleted key, or one of another key bucket; otherwise the key, its
 * consumer and the subscription it stands for (null when the consumer was never bound to one).
 */
export function validateApiKey(c: HandlerContext): Reply {
  const apiKey = String(body(c).apiKey ?? '');
  const keyBucketName = keyBucketOf(c).keyBucketName;
  const found = c.readIn(accountNs(c), (tx) => mon(c).findApiKey(tx, { apiKey, keyBucketName }));
  if (!found) throw new DomainError(ErrorKind.unauthorized, 'api_key_invalid', 'the API key is not valid');
  const gw = c.read((tx) => {
    const g = mon(c).gatewaySubscription(tx, { consumerName: found.consumer.name });
    return g ? { g, plan: mon(c).planOfSubscription(tx, g.subscription) } : undefined;
  });
  return ok({
    id: found.apiKey.id,
    ...(found.apiKey.expiresOn !== null ? { expiresOn: found.apiKey.expiresOn } : {}),
    consumer: found.consumer,
    subscription: gw ? toApiGatewaySubscription(gw.g, gw.plan) : null,
  });
}


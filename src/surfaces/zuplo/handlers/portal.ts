import type { ConsumerView } from '../../../domain/apikeys/types.ts';
import type { KeyBucketRef } from '../../../domain/monetization/types.ts';
import type { PortalSubscription, PortalUser } from '../../../domain/portal/PortalService.ts';
import { DomainError, ErrorKind } from '../../../domain/shared/errors.ts';
import { accountNamespace } from '../../http/namespaces.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { toApiPortalConsumer, toApiPortalPlan, toApiPortalSubscription, toApiPortalUsage } from '../convert/portal.ts';
import { bearerOf, readPlatform } from './common.ts';

/*
 * The gateway service's developer-portal routes, `/v3/zudoku-metering/{deploymentName}/…` (the
 * Zudoku monetization plugin, reference zuplo-monetization.md §2c). The surface resolved the
 * deployment to its bucket (c.namespace); subscriptions live there, their consumers and keys in
 * the Zuplo account's namespace.
 */

const unauthorized = (message: string) => new DomainError(ErrorKind.unauthorized, 'portal_unauthorized', message);

function decodeSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The signed-in developer from the IdP token, decoded but not verified (open question 11):
 * `sub` = the customer's key, `email` = the billing email. No token, or one that is not a JWT
 * with a `sub`, is a 401.
 */
export function portalUserOf(c: HandlerContext): PortalUser {
  const token = bearerOf(c);
  if (!token) throw unauthorized('missing bearer token: sign in to the developer portal');
  const parts = token.split('.');
  const claims = parts.length === 3 ? decodeSegment(parts[1]!) : undefined;
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw unauthorized('the bearer token is not a JWT');
  const { sub, email } = claims as { sub?: unknown; email?: unknown };
  if (typeof sub !== 'string' || sub === '') throw unauthorized('the bearer token has no subject (sub)');
  return { sub, ...(typeof email === 'string' && email !== '' ? { email } : {}) };
}

/** The pricing page is public: no token is an anonymous visitor, a bad one is still refused. */
const optionalUserOf = (c: HandlerContext): PortalUser | undefined => (bearerOf(c) === undefined ? undefined : portalUserOf(c));

const portal = (c: HandlerContext) => c.services.portal;
const accountNs = (c: HandlerContext) => accountNamespace(c.services.monetization.accountName);
const p = (c: HandlerContext) => c.params as Record<string, string>;
const body = (c: HandlerContext) => (c.body && typeof c.body === 'object' ? (c.body as Record<string, unknown>) : {});
const str = (c: HandlerContext, k: string): string | undefined => (typeof body(c)[k] === 'string' ? (body(c)[k] as string) : undefined);

/** the bucket id behind the deployment name (as the surface resolved c.namespace) */
const bucketIdOf = (c: HandlerContext): string => readPlatform(c, (tx) => c.services.platform.bucketOfDeployment(tx, p(c).deploymentName!)) ?? p(c).deploymentName!;
const keyBucketOf = (c: HandlerContext): KeyBucketRef => c.readIn(accountNs(c), (tx) => c.services.monetization.keyBucketFor(tx, bucketIdOf(c)));

const consumerOf = (c: HandlerContext, s: PortalSubscription): ConsumerView | undefined =>
  s.consumer ? c.readIn(accountNs(c), (tx) => c.services.monetization.subscriptionConsumer(tx, s.consumer!)) : undefined;
const subscriptionReply = (c: HandlerContext, s: PortalSubscription): Reply => ok(toApiPortalSubscription(s, consumerOf(c, s)));

// ---- P1, P10: plans
export function pricingPage(c: HandlerContext): Reply {
  const user = optionalUserOf(c);
  const page = c.read((tx) => portal(c).pricingPage(tx, user?.email ? { email: user.email } : {}));
  return ok({ items: page.plans.map(toApiPortalPlan), multipleSubscriptionsEnabled: page.multipleSubscriptionsEnabled });
}

export function purchaseDetails(c: HandlerContext): Reply {
  const user = portalUserOf(c);
  // taxes are not computed by the emulator: no `tax` object, as when tax collection is off
  return ok(toApiPortalPlan(c.read((tx) => portal(c).purchasablePlan(tx, { planId: p(c).planId!, ...(user.email ? { email: user.email } : {}) }))));
}

// ---- P2–P9: subscriptions
export function listSubscriptions(c: HandlerContext): Reply {
  const user = portalUserOf(c);
  const items = c.read((tx) => portal(c).listSubscriptions(tx, user)).map((s) => toApiPortalSubscription(s, consumerOf(c, s)));
  return ok({ items, page: 1, pageSize: Math.max(items.length, 1), totalCount: items.length });
}

/** 200, not B1's 201: the portal takes any 2xx (open question 3). */
export async function createSubscription(c: HandlerContext): Promise<Reply> {
  const user = portalUserOf(c);
  const keyBucket = keyBucketOf(c);
  const s = await c.run((tx) => portal(c).subscribe(tx, { user, planId: str(c, 'planId')!, keyBucket }));
  return subscriptionReply(c, s);
}

export function subscriptionUsage(c: HandlerContext): Reply {
  const user = portalUserOf(c);
  const u = c.read((tx) => portal(c).usage(tx, { user, id: p(c).subscriptionId! }));
  return ok(toApiPortalUsage(u.access, u.annotations));
}

/** Open question 19: the customer's pending credits fixture (`/_emulator`), else none. */
export function pendingCredits(c: HandlerContext): Reply {
  const user = portalUserOf(c);
  return ok({ pendingCredits: c.read((tx) => portal(c).pendingCredits(tx, { user, id: p(c).subscriptionId! })) });
}

export function estimateChangeCredit(c: HandlerContext): Reply {
  const user = portalUserOf(c);
  const planId = str(c, 'planId');
  const e = c.read((tx) => portal(c).estimateCredit(tx, { user, id: p(c).subscriptionId!, timing: str(c, 'timing')!, ...(planId ? { planId } : {}) }));
  return ok({ creditAmount: e.creditAmount, currency: e.currency });
}

export async function changeSubscription(c: HandlerContext): Promise<Reply> {
  const user = portalUserOf(c);
  return subscriptionReply(c, await c.run((tx) => portal(c).change(tx, { user, id: p(c).subscriptionId!, planId: str(c, 'planId')! })));
}

export async function cancelSubscription(c: HandlerContext): Promise<Reply> {
  const user = portalUserOf(c);
  const timing = str(c, 'timing');
  return subscriptionReply(c, await c.run((tx) => portal(c).cancel(tx, { user, id: p(c).subscriptionId!, ...(timing ? { timing } : {}) })));
}

export async function restoreSubscription(c: HandlerContext): Promise<Reply> {
  const user = portalUserOf(c);
  return subscriptionReply(c, await c.run((tx) => portal(c).restore(tx, { user, id: p(c).subscriptionId! })));
}

// ---- P11, P12: Stripe
/**
 * A Checkout Session in setup mode on the bucket's Stripe app, or the success URL when there is
 * nothing to collect (a free plan, or a card already on file).
 */
export async function stripeCheckout(c: HandlerContext): Promise<Reply> {
  const user = portalUserOf(c);
  const successUrl = str(c, 'successURL')!;
  const cancelUrl = str(c, 'cancelURL');
  const { customer, checkoutNeeded } = await c.run((tx) => portal(c).prepareCheckout(tx, { user, planId: str(c, 'planId')! }));
  if (!checkoutNeeded) return ok({ url: successUrl });
  const session = await c.stripeApp.createCheckoutSession(c.namespace, {
    customerIdOrKey: customer.id,
    options: { success_url: successUrl, ...(cancelUrl ? { cancel_url: cancelUrl } : {}), ui_mode: 'hosted' },
    deleted: 'preconditionFailed',
  });
  if (!session.url) throw new Error('the Checkout Session has no url');
  return ok({ url: session.url });
}

export async function stripePortal(c: HandlerContext): Promise<Reply> {
  const user = portalUserOf(c);
  const returnUrl = str(c, 'returnURL');
  const customer = c.read((tx) => portal(c).billingCustomer(tx, user));
  const session = await c.stripeApp.createPortalSession(c.namespace, { customerIdOrKey: customer.id, ...(returnUrl ? { returnUrl } : {}), deleted: 'preconditionFailed' });
  return ok({ url: session.url });
}

// ---- P13, P14: the subscription's API keys
const consumerScope = (c: HandlerContext, user: PortalUser) => {
  const customer = c.read((tx) => portal(c).billingCustomer(tx, user));
  return { keyBucketName: keyBucketOf(c).keyBucketName, customerId: customer.id, consumerId: p(c).consumerId! };
};

export async function rollKey(c: HandlerContext): Promise<Reply> {
  const scope = consumerScope(c, portalUserOf(c));
  return ok(toApiPortalConsumer(await c.runIn(accountNs(c), (tx) => portal(c).rollKey(tx, scope))));
}

export async function deleteKey(c: HandlerContext): Promise<Reply> {
  const scope = consumerScope(c, portalUserOf(c));
  await c.runIn(accountNs(c), (tx) => portal(c).deleteKey(tx, { ...scope, keyId: p(c).keyId! }));
  return noContent();
}

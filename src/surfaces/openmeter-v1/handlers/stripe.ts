/**
 * OpenMeter v1 Stripe app routes (openmeter/app/stripe/httpdriver). Each is one call on the
 * Stripe app port: the runtime asks Stripe around a single command.
 */
import type { CheckoutOptions } from '../../../domain/apps/StripeAppService.ts';
import type { HandlerContext, Reply } from '../../http/types.ts';
import { noContent, ok } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import { toApiCustomerAppData } from '../convert/billingSetup.ts';
import { fromApiCustomerInput } from '../convert/customers.ts';
import { fromApiCheckoutOptions, toApiCheckoutSession, toApiPortalSession } from '../convert/stripe.ts';

type S = components['schemas'];

export const updateStripeAPIKey = async (c: HandlerContext): Promise<Reply> => {
  await c.stripeApp.updateApiKey(c.namespace, { id: c.params.id!, apiKey: (c.body as S['StripeAPIKeyInput']).secretAPIKey });
  return noContent();
};

/**
 * Stripe signs the bytes it sent, so the handler verifies the raw body. The real service answers
 * 201 where its document says 200, with `namespaceId` `""` or a namespace name where the document
 * wants a ULID; Stripe is the only client and takes any 2xx, so the real answer is written as is
 * (raw: the document's response schema is not applied to it).
 */
export const appStripeWebhook = async (c: HandlerContext): Promise<Reply> => {
  const payload = (await c.request.rawBody()).toString('utf8');
  const r = await c.stripeApp.handleWebhook({ appId: c.params.id!, payload, signature: c.request.header('stripe-signature') });
  return { status: 201, body: JSON.stringify(r), raw: true, contentType: 'application/json' };
};

export const getCustomerStripeAppData = (c: HandlerContext): Reply => {
  const { app, data } = c.read((tx) => c.services.stripeApps.getCustomerStripeData(tx, { customerIdOrKey: c.params.customerIdOrKey! }));
  return ok(toApiCustomerAppData({ ...data, app }));
};

export const upsertCustomerStripeAppData = async (c: HandlerContext): Promise<Reply> => {
  const b = c.body as S['StripeCustomerAppDataCreateOrUpdateItem'];
  const { app, data } = await c.stripeApp.upsertCustomerData(c.namespace, {
    customerIdOrKey: c.params.customerIdOrKey!,
    stripeCustomerId: b.stripeCustomerId,
    ...(b.stripeDefaultPaymentMethodId !== undefined ? { stripeDefaultPaymentMethodId: b.stripeDefaultPaymentMethodId } : {}),
  });
  return ok(toApiCustomerAppData({ ...data, app }));
};

export const createCustomerStripePortalSession = async (c: HandlerContext): Promise<Reply> => {
  const b = (c.body ?? {}) as S['CreateStripeCustomerPortalSessionParams'];
  const r = await c.stripeApp.createPortalSession(c.namespace, {
    customerIdOrKey: c.params.customerIdOrKey!,
    deleted: 'preconditionFailed',
    ...(b.configurationId !== undefined ? { configurationId: b.configurationId } : {}),
    ...(b.locale !== undefined ? { locale: b.locale } : {}),
    ...(b.returnUrl !== undefined ? { returnUrl: b.returnUrl } : {}),
  });
  return ok(toApiPortalSession(r), 201);
};

/** The customer: a create object with a name wins, then `{id}`, then `{key}` (httpdriver/checkout_session.go). */
export const createStripeCheckoutSession = async (c: HandlerContext): Promise<Reply> => {
  const b = c.body as S['CreateStripeCheckoutSessionRequest'];
  const cust = b.customer as { id?: string; key?: string; name?: string };
  const options: CheckoutOptions = fromApiCheckoutOptions(b.options);
  const r = await c.stripeApp.createCheckoutSession(c.namespace, {
    ...(typeof cust.name === 'string' && cust.name !== ''
      ? { createCustomer: fromApiCustomerInput(b.customer as S['CustomerCreate']) }
      : { customerIdOrKey: cust.id ?? cust.key ?? '' }),
    ...(b.appId !== undefined ? { appId: b.appId } : {}),
    ...(b.stripeCustomerId !== undefined ? { stripeCustomerId: b.stripeCustomerId } : {}),
    options,
    deleted: 'preconditionFailed',
  });
  return ok(toApiCheckoutSession(r), 201);
};

/** The real router answers these with a bare 501 `Unimplemented` (openmeter/server/router/marketplace.go). */
export const marketplaceOAuth2InstallGetURL = (): Reply => ({ status: 501, body: 'Unimplemented', raw: true, contentType: 'text/plain' });
export const marketplaceOAuth2InstallAuthorize = (): Reply => ({ status: 501, body: 'Unimplemented', raw: true, contentType: 'text/plain' });

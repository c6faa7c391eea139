/**
 * Konnect v3 Stripe sessions of a customer (api/v3/handlers/customers/billing). The schema
 * validator has already injected v3's defaults (`ui_mode=hosted`, `billing_address_collection=auto`),
 * so a body without `success_url` is refused as the real one is.
 */
import type { CheckoutOptions } from '../../../domain/apps/StripeAppService.ts';
import { ok, type Handler } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import { toApiCheckoutSession, toApiPortalSession } from '../convert/stripe.ts';

type S = components['schemas'];

export const createCustomerStripeCheckoutSession: Handler = async (c) => {
  const b = c.body as S['BillingCustomerStripeCreateCheckoutSessionRequest'];
  const r = await c.stripeApp.createCheckoutSession(c.namespace, {
    customerIdOrKey: c.params.customerId!,
    options: b.stripe_options as CheckoutOptions,
    deleted: 'gone',
  });
  return ok(toApiCheckoutSession(r), 201);
};

export const createCustomerStripePortalSession: Handler = async (c) => {
  const o = (c.body as S['BillingCustomerStripeCreateCustomerPortalSessionRequest']).stripe_options;
  const r = await c.stripeApp.createPortalSession(c.namespace, {
    customerIdOrKey: c.params.customerId!,
    deleted: 'gone',
    ...(o.configuration_id !== undefined ? { configurationId: o.configuration_id } : {}),
    ...(o.locale !== undefined ? { locale: o.locale } : {}),
    ...(o.return_url !== undefined ? { returnUrl: o.return_url } : {}),
  });
  return ok(toApiPortalSession(r), 201);
};

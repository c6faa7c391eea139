import type { CheckoutSessionResult, PortalSessionResult } from '../../../domain/apps/StripeAppService.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

/** Seed `BillingAppStripeCreateCheckoutSessionResult`: optional fields are omitted when Stripe left them empty. */
export function toApiCheckoutSession(r: CheckoutSessionResult): S['BillingAppStripeCreateCheckoutSessionResult'] {
  const out: Record<string, unknown> = {
    customer_id: r.customerId,
    stripe_customer_id: r.stripeCustomerId,
    session_id: r.sessionId,
    setup_intent_id: r.setupIntentId,
    client_secret: r.clientSecret,
    client_reference_id: r.clientReferenceId,
    customer_email: r.customerEmail,
    currency: r.currency,
    created_at: r.createdAt,
    expires_at: r.expiresAt,
    metadata: r.metadata,
    status: r.status,
    url: r.url,
    mode: r.mode,
    cancel_url: r.cancelUrl,
    success_url: r.successUrl,
    return_url: r.returnUrl,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as S['BillingAppStripeCreateCheckoutSessionResult'];
}

export function toApiPortalSession(r: PortalSessionResult): S['BillingAppStripeCreateCustomerPortalSessionResult'] {
  return {
    id: r.id,
    stripe_customer_id: r.stripeCustomerId,
    configuration_id: r.configurationId,
    livemode: r.livemode,
    created_at: r.createdAt,
    return_url: r.returnUrl,
    locale: r.locale,
    url: r.url,
  };
}

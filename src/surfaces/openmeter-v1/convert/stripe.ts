import type { CheckoutOptions, CheckoutSessionResult, PortalSessionResult } from '../../../domain/apps/StripeAppService.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

export function fromApiCheckoutOptions(o: S['CreateStripeCheckoutSessionRequestOptions']): CheckoutOptions {
  const ct = o.customText as Record<string, { message?: string } | undefined> | undefined;
  const cc = o.consentCollection as { paymentMethodReuseAgreement?: { position?: string }; promotions?: string; termsOfService?: string } | undefined;
  const tax = o.taxIdCollection as { enabled?: boolean; required?: string } | undefined;
  const cu = o.customerUpdate as { address?: string; name?: string; shipping?: string } | undefined;
  return strip({
    billing_address_collection: o.billingAddressCollection,
    cancel_url: o.cancelURL,
    client_reference_id: o.clientReferenceID,
    customer_update: cu,
    consent_collection: cc
      ? strip({ payment_method_reuse_agreement: cc.paymentMethodReuseAgreement, promotions: cc.promotions, terms_of_service: cc.termsOfService })
      : undefined,
    currency: o.currency,
    custom_text: ct
      ? strip({ after_submit: ct.afterSubmit, shipping_address: ct.shippingAddress, submit: ct.submit, terms_of_service_acceptance: ct.termsOfServiceAcceptance })
      : undefined,
    expires_at: o.expiresAt,
    locale: o.locale,
    metadata: o.metadata,
    return_url: o.returnURL,
    success_url: o.successURL,
    ui_mode: o.uiMode,
    payment_method_types: o.paymentMethodTypes,
    redirect_on_completion: o.redirectOnCompletion,
    tax_id_collection: tax,
  }) as CheckoutOptions;
}

export function toApiCheckoutSession(r: CheckoutSessionResult): S['CreateStripeCheckoutSessionResult'] {
  return strip({
    customerId: r.customerId,
    stripeCustomerId: r.stripeCustomerId,
    sessionId: r.sessionId,
    setupIntentId: r.setupIntentId,
    clientSecret: r.clientSecret,
    clientReferenceId: r.clientReferenceId,
    customerEmail: r.customerEmail,
    currency: r.currency,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    metadata: r.metadata,
    status: r.status,
    url: r.url,
    mode: r.mode,
    cancelURL: r.cancelUrl,
    successURL: r.successUrl,
    returnURL: r.returnUrl,
  }) as S['CreateStripeCheckoutSessionResult'];
}

export function toApiPortalSession(r: PortalSessionResult): S['StripeCustomerPortalSession'] {
  return { id: r.id, stripeCustomerId: r.stripeCustomerId, configurationId: r.configurationId, livemode: r.livemode, createdAt: r.createdAt, returnUrl: r.returnUrl, locale: r.locale, url: r.url };
}

function strip<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

import { AppType } from '../../../domain/apps/types.ts';
import type { CustomerBilling, CustomerBillingAppData } from '../../../domain/billing/profiles/CustomerBillingService.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

export function fromApiCustomerBillingAppData(b: S['BillingAppCustomerData'] | undefined): CustomerBillingAppData | undefined {
  if (!b) return undefined;
  return {
    ...(b.stripe
      ? {
          stripe: {
            ...(b.stripe.customer_id !== undefined ? { customerId: b.stripe.customer_id } : {}),
            ...(b.stripe.default_payment_method_id !== undefined ? { defaultPaymentMethodId: b.stripe.default_payment_method_id } : {}),
            ...(b.stripe.labels ? { labels: b.stripe.labels } : {}),
          },
        }
      : {}),
    ...(b.external_invoicing ? { externalInvoicing: { ...(b.external_invoicing.labels ? { labels: b.external_invoicing.labels } : {}) } } : {}),
  };
}

/**
 * What GET shows of the stored data: Stripe without labels (they are never stored), external
 * invoicing with its labels, sandbox nothing (customers/billing/get_billing.go).
 */
export function toApiStoredAppData(b: CustomerBilling): S['BillingAppCustomerData'] {
  const d = b.data;
  if (b.paymentApp.type === AppType.stripe && d?.stripeCustomerId !== undefined) {
    return { stripe: { customer_id: d.stripeCustomerId, ...(d.stripeDefaultPaymentMethodId !== undefined ? { default_payment_method_id: d.stripeDefaultPaymentMethodId } : {}) } };
  }
  if (b.paymentApp.type === AppType.customInvoicing) {
    // the real service answers `labels: null` before anything was stored; the document's Labels
    // is an object, so the emulator shows `{}` there
    return { external_invoicing: { labels: { ...(d?.metadata ?? {}) } } };
  }
  return {};
}

/** PUT answers echo the request's part for the payment app's type (labels included), not the stored data. */
export function toApiEchoedAppData(b: CustomerBilling, body: S['BillingAppCustomerData'] | undefined): S['BillingAppCustomerData'] | undefined {
  if (b.paymentApp.type === AppType.stripe && body?.stripe) return { stripe: body.stripe };
  if (b.paymentApp.type === AppType.customInvoicing && body?.external_invoicing) return { external_invoicing: body.external_invoicing };
  return undefined;
}

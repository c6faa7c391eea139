/** Konnect v3 customer billing (`/openmeter/customers/{id}/billing`, konnect-billing.md §1). */
import { CustomerBillingErrorCode } from '../../../domain/billing/profiles/errors.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import { ok, type Handler } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import { KonnectHandlerError } from '../errors.ts';
import { fromApiCustomerBillingAppData, toApiEchoedAppData, toApiStoredAppData } from '../convert/customerBilling.ts';

type S = components['schemas'];

/**
 * The real handlers raise the deleted customer (410) and the missing Stripe fields (400) with
 * `apierrors` themselves, so those answer in the Konnect shape; everything the services raise
 * (unknown customer or profile, 412) keeps the OpenMeter shape.
 */
function asHandlerError(e: unknown): never {
  if (e instanceof DomainError && e.code === CustomerBillingErrorCode.customerDeleted) throw new KonnectHandlerError(410, 'customer is deleted');
  if (e instanceof DomainError && e.code === 'required') {
    throw new KonnectHandlerError(
      400,
      e.message,
      e.issues.map((i) => ({ field: i.field ?? '', rule: 'required', reason: i.message })),
    );
  }
  throw e;
}

export const getCustomerBilling: Handler = (c) => {
  const b = c.read((tx) => c.services.customerBilling.getCustomerBilling(tx, { customerId: c.params.customerId! }));
  return ok({ billing_profile: { id: b.billingProfileId }, app_data: toApiStoredAppData(b) } satisfies S['BillingCustomerData']);
};

export const updateCustomerBilling: Handler = async (c) => {
  const body = (c.body ?? {}) as S['UpsertCustomerBillingDataRequest'];
  const appData = fromApiCustomerBillingAppData(body.app_data);
  const b = await c.stripeApp
    .updateCustomerBilling(c.namespace, {
      customerId: c.params.customerId!,
      ...(body.billing_profile ? { billingProfileId: body.billing_profile.id } : {}),
      ...(appData ? { appData } : {}),
    })
    .catch(asHandlerError);
  const echoed = toApiEchoedAppData(b, body.app_data);
  return ok({ billing_profile: { id: b.billingProfileId }, ...(echoed ? { app_data: echoed } : {}) } satisfies S['BillingCustomerData']);
};

/** Answers the request's part for the payment app (Stripe labels echoed though never stored); sandbox `{}`. */
export const updateCustomerBillingAppData: Handler = async (c) => {
  const body = (c.body ?? {}) as S['UpsertAppCustomerDataRequest'];
  const b = await c.stripeApp.updateCustomerBillingAppData(c.namespace, { customerId: c.params.customerId!, appData: fromApiCustomerBillingAppData(body) ?? {} }).catch(asHandlerError);
  return ok(toApiEchoedAppData(b, body) ?? {});
};

/** Konnect v3 customer billing (`/openmeter/customers/{id}/billing`, konnect-billing.md §1). */
import { ok, type Handler } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import { fromApiCustomerBillingAppData, toApiEchoedAppData, toApiStoredAppData } from '../convert/customerBilling.ts';

type S = components['schemas'];

export const getCustomerBilling: Handler = (c) => {
  const b = c.read((tx) => c.services.customerBilling.getCustomerBilling(tx, { customerId: c.params.customerId! }));
  return ok({ billing_profile: { id: b.billingProfileId }, app_data: toApiStoredAppData(b) } satisfies S['BillingCustomerData']);
};

export const updateCustomerBilling: Handler = async (c) => {
  const body = (c.body ?? {}) as S['UpsertCustomerBillingDataRequest'];
  const appData = fromApiCustomerBillingAppData(body.app_data);
  const b = await c.run((tx) =>
    c.services.customerBilling.updateCustomerBilling(tx, {
      customerId: c.params.customerId!,
      ...(body.billing_profile ? { billingProfileId: body.billing_profile.id } : {}),
      ...(appData ? { appData } : {}),
    }),
  );
  const echoed = toApiEchoedAppData(b, body.app_data);
  return ok({ billing_profile: { id: b.billingProfileId }, ...(echoed ? { app_data: echoed } : {}) } satisfies S['BillingCustomerData']);
};

/** Answers the request's part for the payment app (Stripe labels echoed though never stored); sandbox `{}`. */
export const updateCustomerBillingAppData: Handler = async (c) => {
  const body = (c.body ?? {}) as S['UpsertAppCustomerDataRequest'];
  const b = await c.run((tx) =>
    c.services.customerBilling.updateCustomerBillingAppData(tx, { customerId: c.params.customerId!, appData: fromApiCustomerBillingAppData(body) ?? {} }),
  );
  return ok(toApiEchoedAppData(b, body) ?? {});
};

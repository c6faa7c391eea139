/**
 * OpenMeter v1 customers (`/api/v1/customers`). Entitlement values and access live in
 * handlers/entitlements.ts; app data, Stripe and subscriptions wait for the billing engine.
 */
import { toApiPage } from '../convert/paging.ts';
import type { components } from '../api.gen.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { fromApiCustomerInput, fromApiListCustomersQuery, toApiCustomer, wantsSubscriptions } from '../convert/customers.ts';

type S = components['schemas'];

export const listCustomers = (c: HandlerContext): Reply => {
  const page = c.read((tx) => c.services.customers.listCustomers(tx, fromApiListCustomersQuery(c.query)));
  const expandSubscriptions = wantsSubscriptions(c.query);
  return ok(toApiPage(page, (x) => toApiCustomer(x, { expandSubscriptions })));
};

export const createCustomer = async (c: HandlerContext): Promise<Reply> =>
  ok(toApiCustomer(await c.run((tx) => c.services.customers.createCustomer(tx, fromApiCustomerInput(c.body as S['CustomerCreate'])))), 201);

export const getCustomer = (c: HandlerContext): Reply =>
  ok(
    toApiCustomer(
      c.read((tx) => c.services.customers.getCustomer(tx, { idOrKey: c.params.customerIdOrKey! })),
      { expandSubscriptions: wantsSubscriptions(c.query) },
    ),
  );

export const updateCustomer = async (c: HandlerContext): Promise<Reply> =>
  ok(
    toApiCustomer(
      await c.run((tx) =>
        c.services.customers.replaceCustomer(tx, {
          ...fromApiCustomerInput(c.body as S['CustomerReplaceUpdate']),
          idOrKey: c.params.customerIdOrKey!,
        }),
      ),
    ),
  );

export const deleteCustomer = async (c: HandlerContext): Promise<Reply> => {
  await c.run((tx) => c.services.customers.deleteCustomer(tx, { idOrKey: c.params.customerIdOrKey! }));
  return noContent();
};

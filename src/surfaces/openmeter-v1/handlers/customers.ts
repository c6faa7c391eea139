/**
 * OpenMeter v1 customers (`/api/v1/customers`). Entitlement values and access live in
 * handlers/entitlements.ts; a customer shows the subscriptions running now (`currentSubscriptionId`, `expand=subscriptions`).
 */
import { toApiPage } from '../convert/paging.ts';
import type { components } from '../api.gen.ts';
import { noContent, ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { fromApiCustomerInput, fromApiListCustomersQuery, toApiCustomer, wantsSubscriptions } from '../convert/customers.ts';

type S = components['schemas'];

export const listCustomers = (c: HandlerContext): Reply => {
  const { page, subs } = c.read((tx) => {
    const p = c.services.customers.listCustomers(tx, fromApiListCustomersQuery(c.query));
    return { page: p, subs: c.services.subscriptions.activeSubscriptionsByCustomer(tx, { customerIds: p.items.map((x) => x.id) }) };
  });
  const expandSubscriptions = wantsSubscriptions(c.query);
  return ok(toApiPage(page, (x) => toApiCustomer(x, { expandSubscriptions, subscriptions: subs[x.id] ?? [] })));
};

export const createCustomer = async (c: HandlerContext): Promise<Reply> =>
  ok(toApiCustomer(await c.run((tx) => c.services.customers.createCustomer(tx, fromApiCustomerInput(c.body as S['CustomerCreate'])))), 201);

export const getCustomer = (c: HandlerContext): Reply => {
  const { customer, subs } = c.read((tx) => {
    const cu = c.services.customers.getCustomer(tx, { idOrKey: c.params.customerIdOrKey! });
    return { customer: cu, subs: c.services.subscriptions.activeSubscriptionsByCustomer(tx, { customerIds: [cu.id] })[cu.id] ?? [] };
  });
  return ok(toApiCustomer(customer, { expandSubscriptions: wantsSubscriptions(c.query), subscriptions: subs }));
};

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

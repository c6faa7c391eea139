/** Konnect v3 entitlement access (`/openmeter/customers/{id}/entitlement-access`, `/openmeter/entitlement-access/query`). */
import { ok, type HandlerContext, type Reply } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import { toApiAccessQuery, toApiEntitlementAccess } from '../convert/entitlements.ts';

type S = components['schemas'];

export const listCustomerEntitlementAccess = (c: HandlerContext): Reply => {
  const access = c.read((tx) => c.services.entitlements.getCustomerAccess(tx, { customer: c.params.customerId! }));
  return ok({ data: Object.entries(access).map(([k, v]) => toApiEntitlementAccess(k, v)) });
};

export const queryEntitlementAccess = (c: HandlerContext): Reply => {
  const b = c.body as S['EntitlementAccessQueryRequest'];
  const out = c.read((tx) =>
    c.services.entitlements.queryAccess(tx, { customerKeys: b.customer.keys, ...(b.feature ? { featureKeys: b.feature.keys } : {}) }),
  );
  return ok(toApiAccessQuery(out));
};

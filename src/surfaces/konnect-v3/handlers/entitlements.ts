/** Konnect v3 entitlement access (`/openmeter/customers/{id}/entitlement-access`, `/openmeter/entitlement-access/query`). */
import { ok, type HandlerContext, type Reply } from '../../http/types.ts';
import type { components } from '../api.gen.ts';
import { parseCursorPage } from '../aip.ts';
import { toApiAccessQuery, toApiEntitlementAccess } from '../convert/entitlements.ts';

type S = components['schemas'];

/** sorted by feature key (api/v3/handlers/customers/entitlementaccess/list.go) */
export const listCustomerEntitlementAccess = (c: HandlerContext): Reply => {
  const access = c.read((tx) => c.services.entitlements.getCustomerAccess(tx, { customer: c.params.customerId! }));
  const keys = Object.keys(access).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return ok({ data: keys.map((k) => toApiEntitlementAccess(k, access[k]!)) });
};

/** page[size] 1..100, default 100 (api/v3/handlers/entitlementaccess/query.go) */
export const queryEntitlementAccess = (c: HandlerContext): Reply => {
  const b = c.body as S['EntitlementAccessQueryRequest'];
  const page = parseCursorPage(c.query.page, { size: 100, maxSize: 100 });
  const out = c.read((tx) =>
    c.services.entitlements.queryAccess(tx, { customerKeys: b.customer.keys, ...(b.feature ? { featureKeys: b.feature.keys } : {}) }),
  );
  return ok(toApiAccessQuery(out, page));
};

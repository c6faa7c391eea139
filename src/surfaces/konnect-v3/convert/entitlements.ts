import type { AccessQueryOutcome, EntitlementValueView } from '../../../domain/entitlements/types.ts';
import type { components } from '../api.gen.ts';
import { toApiCustomer } from './customers.ts';

type S = components['schemas'];

export function toApiEntitlementAccess(featureKey: string, v: EntitlementValueView): S['BillingEntitlementAccessResult'] {
  return {
    type: v.type ?? 'boolean',
    feature_key: featureKey,
    has_access: v.hasAccess,
    ...(v.config !== undefined ? { config: v.config } : {}),
  };
}

export function toApiAccessQuery(o: AccessQueryOutcome): S['EntitlementAccessQueryResponse'] {
  return {
    data: o.results.map((r) => ({
      matched: r.matched,
      customer: toApiCustomer(r.customer),
      features: Object.fromEntries(
        Object.entries(r.features).map(([k, f]) => [k, { has_access: f.hasAccess, ...(f.reason ? { reason: { code: f.reason.code, message: f.reason.message } } : {}) }]),
      ),
      updated_at: r.customer.updatedAt,
    })),
    errors: o.missingCustomers.map((k) => ({ code: 'customer_not_found' as const, message: `customer not found: ${k}`, customer: k })),
    meta: { page: { size: o.results.length, next: null, previous: null } },
  };
}

import type { Customer, CustomerInput } from '../../../domain/customers/types.ts';
import type { components } from '../api.gen.ts';

import { fromApiAddress, toApiAddress } from './address.ts';

type S = components['schemas'];

/** the v3 `Labels` value rule; v1 metadata values outside it are not shown as labels */
const LABEL_VALUE = /^[a-z0-9A-Z]{1}([a-z0-9A-Z-._]*[a-z0-9A-Z]+)?$/;
const MAX_LABELS = 50;

export function fromApiCustomerInput(b: S['CreateCustomerRequest'] | S['UpsertCustomerRequest']): CustomerInput {
  return {
    name: b.name,
    ...('key' in b && b.key !== undefined ? { key: b.key } : {}),
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.usage_attribution ? { usageAttribution: { subjectKeys: b.usage_attribution.subject_keys ?? [] } } : {}),
    ...(b.primary_email !== undefined ? { primaryEmail: b.primary_email } : {}),
    ...(b.currency !== undefined ? { currency: b.currency } : {}),
    ...(b.billing_address !== undefined ? { billingAddress: fromApiAddress(b.billing_address) } : {}),
    ...(b.labels ? { metadata: { ...b.labels } } : {}),
  };
}

export function toApiCustomer(c: Customer): S['BillingCustomer'] {
  const labels = Object.entries(c.metadata ?? {})
    .filter(([, v]) => typeof v === 'string' && v.length <= 63 && LABEL_VALUE.test(v))
    .slice(0, MAX_LABELS);
  return {
    id: c.id,
    name: c.name,
    ...(c.description !== undefined ? { description: c.description } : {}),
    // always present, `{}` when empty (api/v3/handlers/customers/convert.go → api/v3/labels/convert.go)
    labels: Object.fromEntries(labels),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    ...(c.deletedAt ? { deleted_at: c.deletedAt } : {}),
    // v3 requires a key; a customer created on v1 without one is shown under its id
    key: c.key ?? c.id,
    usage_attribution: { subject_keys: [...(c.usageAttribution?.subjectKeys ?? [])] },
    ...(c.primaryEmail !== undefined ? { primary_email: c.primaryEmail } : {}),
    ...(c.currency !== undefined ? { currency: c.currency } : {}),
    ...(c.billingAddress !== undefined ? { billing_address: toApiAddress(c.billingAddress) } : {}),
  };
}

/** wire name → value, for AIP filters and sort */
export const customerField = (c: Customer, k: string): string | undefined =>
  ({
    id: c.id,
    key: c.key ?? undefined,
    name: c.name,
    primary_email: c.primaryEmail,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  })[k];

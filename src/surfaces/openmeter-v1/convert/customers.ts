import type { Customer, CustomerInput, ListCustomersInput } from '../../../domain/customers/types.ts';
import type { Subscription } from '../../../domain/subscriptions/types.ts';
import type { components } from '../api.gen.ts';
import { toApiSubscription } from './subscriptions.ts';

type S = components['schemas'];

export function fromApiCustomerInput(b: S['CustomerCreate'] | S['CustomerReplaceUpdate']): CustomerInput {
  return {
    name: b.name,
    ...(b.key !== undefined ? { key: b.key } : {}),
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.usageAttribution ? { usageAttribution: { subjectKeys: b.usageAttribution.subjectKeys ?? [] } } : {}),
    ...(b.primaryEmail !== undefined ? { primaryEmail: b.primaryEmail } : {}),
    ...(b.currency !== undefined ? { currency: b.currency } : {}),
    ...(b.billingAddress !== undefined ? { billingAddress: { ...b.billingAddress } } : {}),
    ...(b.metadata ? { metadata: b.metadata } : {}),
  };
}

export function fromApiListCustomersQuery(q: Record<string, unknown>): ListCustomersInput {
  const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
  const out: ListCustomersInput = {};
  if (typeof q.page === 'number') out.page = q.page;
  if (typeof q.pageSize === 'number') out.pageSize = q.pageSize;
  if (q.order === 'ASC' || q.order === 'DESC') out.order = q.order;
  if (typeof q.orderBy === 'string') out.orderBy = q.orderBy as ListCustomersInput['orderBy'];
  if (q.includeDeleted === true) out.includeDeleted = true;
  for (const k of ['key', 'name', 'primaryEmail', 'subject', 'planKey'] as const) {
    const v = str(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** `expand=subscriptions` asks for the customer's running subscriptions. */
export const wantsSubscriptions = (q: Record<string, unknown>): boolean =>
  Array.isArray(q.expand) ? q.expand.includes('subscriptions') : q.expand === 'subscriptions';

/**
 * `currentSubscriptionId` is the first subscription running now; `subscriptions` (on
 * `expand=subscriptions`) lists them (customer/httpdriver/apimapping.go).
 */
export function toApiCustomer(c: Customer, opts: { expandSubscriptions?: boolean; subscriptions?: Subscription[] } = {}): S['Customer'] {
  const subs = opts.subscriptions ?? [];
  return {
    id: c.id,
    name: c.name,
    ...(c.description !== undefined ? { description: c.description } : {}),
    ...(c.metadata && Object.keys(c.metadata).length > 0 ? { metadata: { ...c.metadata } } : {}),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    ...(c.deletedAt ? { deletedAt: c.deletedAt } : {}),
    ...(c.key !== undefined && c.key !== null ? { key: c.key } : {}),
    usageAttribution: { subjectKeys: [...(c.usageAttribution?.subjectKeys ?? [])] },
    ...(c.primaryEmail !== undefined ? { primaryEmail: c.primaryEmail } : {}),
    ...(c.currency !== undefined ? { currency: c.currency } : {}),
    ...(c.billingAddress !== undefined ? { billingAddress: { ...c.billingAddress } } : {}),
    ...(subs[0] ? { currentSubscriptionId: subs[0].id } : {}),
    ...(opts.expandSubscriptions && subs.length > 0 ? { subscriptions: subs.map(toApiSubscription) } : {}),
    ...(c.annotations ? { annotations: { ...c.annotations } } : {}),
  };
}

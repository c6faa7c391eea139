import { isUlid } from '../shared/ids.ts';
import type { Collection } from '../shared/unitOfWork.ts';
import type { Customer } from './types.ts';

/**
 * The one rule for finding a customer, shared by every domain through CustomerService.
 *
 * By id or key: an id finds the customer even after its deletion (the real service still
 * answers it, with `deletedAt`); a key finds the live customer holding it.
 */
export function customerByIdOrKey(customers: Collection<Customer>, idOrKey: string): Customer | undefined {
  return (isUlid(idOrKey) ? customers.get(idOrKey) : undefined) ?? customers.findOne((c) => c.key === idOrKey && !c.deletedAt);
}

/**
 * Usage attribution: an event's subject (or a legacy `/subjects/{key}` route) belongs to the
 * live customer whose own `key` equals it, else to the live customer listing it among its
 * subject keys. The key owner wins when both exist, as the real service resolves it
 * (openmeter/customer/service/customer.go, resolveCustomersByKeyWithPrecedence); see
 * docs/decisions/0006-usage-attribution-precedence.md.
 */
export function attributionIndex(live: readonly Customer[]): (usageKey: string) => Customer | undefined {
  const byKey = new Map<string, Customer>();
  const bySubject = new Map<string, Customer>();
  for (const c of live) {
    if (c.deletedAt) continue;
    if (c.key !== undefined) byKey.set(c.key, c);
    for (const k of c.usageAttribution?.subjectKeys ?? []) if (!bySubject.has(k)) bySubject.set(k, c);
  }
  return (usageKey) => byKey.get(usageKey) ?? bySubject.get(usageKey);
}

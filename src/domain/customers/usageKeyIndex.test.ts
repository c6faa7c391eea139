import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../runtime/serviceWorld.ts';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';

/**
 * Attribution through the usage-key index (issue 14, audit D10): the same answers as the scan it
 * replaced — the key owner first (openmeter/customer/service/customer.go,
 * resolveCustomersByKeyWithPrecedence), deleted customers attribute nothing — kept in step by
 * every customer write, and rebuilt by the namespace hook when missing or stale.
 */
describe('usage-key index', () => {
  it('follows create, replace and delete', () => {
    const { services, tx } = createServiceWorld();
    const cs = services.customers;
    const a = cs.createCustomer(tx, { key: 'acme', name: 'Acme', usageAttribution: { subjectKeys: ['s1'] } });
    const who = (k: string) => cs.usageAttribution(tx)(k)?.id;
    expect([who('acme'), who('s1'), who('s2')]).toEqual([a.id, a.id, undefined]);
    cs.replaceCustomer(tx, { idOrKey: a.id, key: 'acme', name: 'Acme', usageAttribution: { subjectKeys: ['s2'] } });
    expect([who('s1'), who('s2')]).toEqual([undefined, a.id]);
    // the key owner wins over a subject-key owner (docs/decisions/0006)
    const b = cs.createCustomer(tx, { key: 'beta', name: 'Beta', usageAttribution: { subjectKeys: ['gamma'] } });
    const g = cs.createCustomer(tx, { key: 'gamma', name: 'Gamma' });
    expect(who('gamma')).toBe(g.id);
    cs.deleteCustomer(tx, { idOrKey: g.id });
    expect(who('gamma')).toBe(b.id);
    cs.deleteCustomer(tx, { idOrKey: a.id });
    expect([who('acme'), who('s2')]).toEqual([undefined, undefined]);
    // freed keys can be taken again
    const a2 = cs.createCustomer(tx, { key: 'acme', name: 'Acme 2', usageAttribution: { subjectKeys: ['s2'] } });
    expect(who('s2')).toBe(a2.id);
  });

  it('the namespace hook builds a missing index and repairs a stale one', () => {
    const { services } = createServiceWorld();
    const tx = createMemoryUnitOfWork();
    const now = '2026-01-01T00:00:00.000Z';
    const customers = tx.collection<{ id: string; [k: string]: unknown }>('customers');
    customers.put({ id: '01JAAAAAAAAAAAAAAAAAAAAAA1', key: 'k1', name: 'K1', usageAttribution: { subjectKeys: ['x'] }, createdAt: now, updatedAt: now });
    tx.collection<{ id: string; customerId: string }>('customer_usage_keys').put({ id: 'subject:ghost', customerId: 'gone' });
    // no index marker: the fallback scan answers
    expect(services.customers.usageAttribution(tx)('x')?.id).toBe('01JAAAAAAAAAAAAAAAAAAAAAA1');
    services.customers.namespaceHook.onNamespaceCreated(tx);
    expect(services.customers.usageAttribution(tx)('x')?.id).toBe('01JAAAAAAAAAAAAAAAAAAAAAA1');
    expect(services.customers.usageAttribution(tx)('ghost')).toBeUndefined();
    expect(() => services.customers.createCustomer(tx, { key: 'k1', name: 'dup' })).toThrow(/already used/);
  });
});

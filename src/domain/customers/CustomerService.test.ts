import { describe, expect, it } from 'vitest';
import { FixedClock } from '../shared/clock.ts';
import { DomainError, ErrorKind } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { CustomerService } from './CustomerService.ts';
import { CustomerErrorCode as E } from './errors.ts';

function setup() {
  const clock = new FixedClock(new Date('2026-01-01T00:00:00Z'));
  const svc = new CustomerService({ clock, ids: new SequentialIds() });
  return { svc, clock, tx: createMemoryUnitOfWork() };
}

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('CustomerService', () => {
  it('creates a customer in the shape metering reads', () => {
    const { svc, tx } = setup();
    const c = svc.createCustomer(tx, { name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['s1', 's2', 's1'] }, currency: 'USD' });
    expect(c).toMatchObject({ key: 'acme', name: 'Acme', usageAttribution: { subjectKeys: ['s1', 's2'] }, currency: 'USD', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(c.deletedAt).toBeUndefined();
    expect(tx.collection('customers').get(c.id)).toEqual(c);
  });

  it.each([
    ['duplicate key', { name: 'B', key: 'acme' }, E.keyConflict],
    ['taken subject key', { name: 'B', key: 'b', usageAttribution: { subjectKeys: ['x', 's2'] } }, E.subjectKeyConflict],
  ])('rejects a %s with a plain conflict (openmeter/customer/errors.go: no extensions)', (_n, input, code) => {
    const { svc, tx } = setup();
    svc.createCustomer(tx, { name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['s1', 's2'] } });
    const err = domainError(() => svc.createCustomer(tx, input));
    expect(err.kind).toBe(ErrorKind.conflict);
    expect(err.code).toBe(code);
    expect(err.extensions).toEqual({});
  });

  it('needs a key or subject keys, and validates fields', () => {
    const { svc, tx } = setup();
    expect(domainError(() => svc.createCustomer(tx, { name: 'A' })).code).toBe(E.keyOrSubjectRequired);
    expect(svc.createCustomer(tx, { name: 'A', key: 'a', usageAttribution: { subjectKeys: [] } }).usageAttribution.subjectKeys).toEqual([]);
    expect(svc.createCustomer(tx, { name: 'B', usageAttribution: { subjectKeys: ['b'] } }).key).toBeUndefined();
  });

  it('rejects invalid fields with issues', () => {
    const { svc, tx } = setup();
    const err = domainError(() => svc.createCustomer(tx, { name: '', key: 'a', currency: 'usd' }));
    expect(err.kind).toBe(ErrorKind.validation);
    expect(err.issues.map((i) => i.field).sort()).toEqual(['currency', 'name']);
  });

  it('gets by id (deleted too) or by the key of a live customer', () => {
    const { svc, tx } = setup();
    const a = svc.createCustomer(tx, { name: 'A', key: 'a' });
    expect(svc.getCustomer(tx, { idOrKey: 'a' }).id).toBe(a.id);
    svc.deleteCustomer(tx, { idOrKey: a.id });
    expect(svc.getCustomer(tx, { idOrKey: a.id }).deletedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(domainError(() => svc.getCustomer(tx, { idOrKey: 'a' })).kind).toBe(ErrorKind.notFound);
  });

  it('frees key and subject keys on delete; a deleted customer cannot change', () => {
    const { svc, tx } = setup();
    const a = svc.createCustomer(tx, { name: 'A', key: 'a', usageAttribution: { subjectKeys: ['s'] } });
    svc.deleteCustomer(tx, { idOrKey: 'a' });
    const b = svc.createCustomer(tx, { name: 'B', key: 'a', usageAttribution: { subjectKeys: ['s'] } });
    expect(b.id).not.toBe(a.id);
    expect(domainError(() => svc.deleteCustomer(tx, { idOrKey: a.id })).kind).toBe(ErrorKind.preconditionFailed);
    expect(domainError(() => svc.replaceCustomer(tx, { idOrKey: a.id, name: 'x', key: 'z' })).code).toBe(E.deleted);
  });

  it('replaces every field; keepKey keeps the stored key; own subject keys are no conflict', () => {
    const { svc, tx, clock } = setup();
    const a = svc.createCustomer(tx, { name: 'A', key: 'a', usageAttribution: { subjectKeys: ['s'] }, primaryEmail: 'a@x.io' });
    svc.createCustomer(tx, { name: 'B', key: 'b', usageAttribution: { subjectKeys: ['t'] } });
    clock.set(new Date('2026-01-02T00:00:00Z'));
    const r = svc.replaceCustomer(tx, { idOrKey: a.id, name: 'A2', usageAttribution: { subjectKeys: ['s', 'u'] }, keepKey: true });
    expect(r).toMatchObject({ id: a.id, key: 'a', name: 'A2', usageAttribution: { subjectKeys: ['s', 'u'] }, createdAt: a.createdAt, updatedAt: '2026-01-02T00:00:00.000Z' });
    expect(r.primaryEmail).toBeUndefined();
    const v1 = svc.replaceCustomer(tx, { idOrKey: 'a', name: 'A3', usageAttribution: { subjectKeys: ['s'] } });
    expect(v1.key).toBeUndefined();
    expect(domainError(() => svc.replaceCustomer(tx, { idOrKey: a.id, name: 'A', key: 'b' })).code).toBe(E.keyConflict);
    expect(domainError(() => svc.replaceCustomer(tx, { idOrKey: a.id, name: 'A', usageAttribution: { subjectKeys: ['t'] } })).code).toBe(E.subjectKeyConflict);
  });

  it('lists with partial case-insensitive filters, ordering and pages', () => {
    const { svc, tx } = setup();
    svc.createCustomer(tx, { name: 'Zeta Corp', key: 'zeta', primaryEmail: 'ops@zeta.io', usageAttribution: { subjectKeys: ['zeta-prod'] } });
    svc.createCustomer(tx, { name: 'alpha', key: 'Alpha-1', usageAttribution: { subjectKeys: ['alpha-prod', 'alpha-dev'] } });
    const gone = svc.createCustomer(tx, { name: 'Beta', key: 'beta' });
    svc.deleteCustomer(tx, { idOrKey: gone.id });
    const names = (input: Parameters<CustomerService['listCustomers']>[1]) => svc.listCustomers(tx, input).items.map((c) => c.name);
    expect(names({})).toEqual(['Zeta Corp', 'alpha']); // byte order of names, as the default
    expect(names({ orderBy: 'createdAt', order: 'DESC' })).toEqual(['alpha', 'Zeta Corp']);
    expect(names({ includeDeleted: true, orderBy: 'createdAt' })).toEqual(['Zeta Corp', 'alpha', 'Beta']);
    expect(names({ key: 'ALPHA' })).toEqual(['alpha']);
    expect(names({ subject: 'DEV' })).toEqual(['alpha']);
    expect(names({ primaryEmail: 'zeta.IO' })).toEqual(['Zeta Corp']);
    expect(names({ planKey: 'pro' })).toEqual([]);
    const p = svc.listCustomers(tx, { orderBy: 'createdAt', page: 2, pageSize: 1 });
    expect(p).toMatchObject({ totalCount: 2, page: 2, pageSize: 1 });
    expect(p.items.map((c) => c.name)).toEqual(['alpha']);
    expect(domainError(() => svc.listCustomers(tx, { pageSize: 1001 })).kind).toBe(ErrorKind.validation);
  });
});

import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../../runtime/serviceWorld.ts';
import { DomainError, ErrorKind } from '../../shared/errors.ts';
import { BillingProfileErrorCode as E } from './errors.ts';
import type { CreateBillingProfileInput } from './types.ts';
import { fillWorkflow } from './workflow.ts';

function setup() {
  const { services, tx, clock } = createServiceWorld();
  const { apps, billingProfiles: profiles, customers } = services;
  const sandboxId = apps.listApps(tx).items[0]!.id;
  const input = (over: Partial<CreateBillingProfileInput> = {}): CreateBillingProfileInput => ({
    name: 'P',
    supplier: { name: 'Acme', addresses: [{ country: 'DE' }] },
    default: false,
    apps: { tax: sandboxId, invoicing: sandboxId, payment: sandboxId },
    ...over,
  });
  return { apps, profiles, customers, tx, clock, sandboxId, input };
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

describe('workflow defaults', () => {
  it.each([
    ['nothing given', undefined, {}],
    ['one value given', { invoicing: { dueAfter: 'P7D' } }, { invoicing: { dueAfter: 'P7D' } }],
    ['payment and tax', { payment: { collectionMethod: 'send_invoice' as const }, tax: { enforced: true } }, { payment: { collectionMethod: 'send_invoice' }, tax: { enforced: true } }],
  ])('fills every missing setting (%s)', (_n, input, changed) => {
    const w = fillWorkflow(input);
    const expected = {
      collection: { alignment: { type: 'subscription' }, interval: 'PT1H' },
      invoicing: { autoAdvance: true, draftPeriod: 'P0D', dueAfter: 'P30D', progressiveBilling: true, subscriptionEndProrationMode: 'bill_actual_period' },
      payment: { collectionMethod: 'charge_automatically' },
      tax: { enabled: true, enforced: false },
    };
    for (const [k, v] of Object.entries(changed)) Object.assign(expected[k as keyof typeof expected], v);
    expect(w).toEqual(expected);
  });
});

describe('BillingProfileService', () => {
  it('keeps exactly one default: a new default unsets the previous one', () => {
    const { profiles, tx, input } = setup();
    const first = profiles.getDefaultProfile(tx);
    const second = profiles.createProfile(tx, input({ name: 'Second', default: true }));
    expect(profiles.getProfile(tx, { id: first.id }).default).toBe(false);
    expect(profiles.getDefaultProfile(tx).id).toBe(second.id);
    const third = profiles.createProfile(tx, input({ name: 'Third' }));
    profiles.updateProfile(tx, { ...input({ name: 'Third!', default: true }), id: third.id });
    expect(profiles.listProfiles(tx).items.filter((p) => p.default).map((p) => p.name)).toEqual(['Third!']);
    expect(domainError(() => profiles.updateProfile(tx, { ...input({ default: false }), id: third.id })).code).toBe(E.defaultCannotBeUnset);
  });

  it('validates apps by capability, supplier and durations, reporting every issue', () => {
    const { apps, profiles, tx, input, sandboxId } = setup();
    const err = domainError(() =>
      profiles.createProfile(tx, input({ supplier: {}, workflow: { invoicing: { dueAfter: '30 days' } }, apps: { tax: sandboxId, invoicing: '01J00000000000000000000000', payment: sandboxId } })),
    );
    expect(err.kind).toBe(ErrorKind.validation);
    expect(err.issues.map((i) => i.field).sort()).toEqual(['apps.invoicing', 'supplier.name', 'workflow.invoicing.dueAfter']);
    const ci = apps.installApp(tx, { type: 'custom_invoicing' });
    expect(profiles.createProfile(tx, input({ apps: { tax: sandboxId, invoicing: ci.id, payment: ci.id } })).apps.invoicing).toBe(ci.id);
  });

  it('deletes only non-default profiles customers are not pinned to', () => {
    const { profiles, customers, tx, input } = setup();
    const def = profiles.getDefaultProfile(tx);
    expect(domainError(() => profiles.deleteProfile(tx, { id: def.id })).code).toBe(E.defaultCannotBeDeleted);
    const p = profiles.createProfile(tx, input());
    const c = customers.createCustomer(tx, { name: 'C', key: 'c' });
    profiles.upsertCustomerOverride(tx, { customerId: c.id, billingProfileId: p.id });
    expect(domainError(() => profiles.deleteProfile(tx, { id: p.id })).code).toBe(E.referencedByOverrides);
    profiles.deleteCustomerOverride(tx, { customerId: c.id });
    expect(profiles.deleteProfile(tx, { id: p.id }).deletedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(profiles.listProfiles(tx).totalCount).toBe(1);
    expect(profiles.listProfiles(tx, { includeArchived: true }).totalCount).toBe(2);
  });

  it('resolves the effective profile: the override, else the default', () => {
    const { profiles, customers, tx, input } = setup();
    const def = profiles.getDefaultProfile(tx);
    const p = profiles.createProfile(tx, input({ workflow: { invoicing: { dueAfter: 'P14D' } } }));
    const a = customers.createCustomer(tx, { name: 'A', key: 'a' });
    const b = customers.createCustomer(tx, { name: 'B', key: 'b' });
    expect(profiles.getCustomerBillingDetails(tx, { customerId: a.id }).baseProfile.id).toBe(def.id);
    const d = profiles.upsertCustomerOverride(tx, { customerId: a.id, billingProfileId: p.id });
    expect([d.baseProfile.id, d.effective.workflow.invoicing.dueAfter]).toEqual([p.id, 'P14D']);
    expect(profiles.listCustomerOverrides(tx).items.map((x) => x.customerId)).toEqual([a.id]);
    expect(profiles.listCustomerOverrides(tx, { includeAllCustomers: true, orderBy: 'customerName', order: 'DESC' }).items.map((x) => [x.customer.name, x.baseProfile.id])).toEqual([
      ['B', def.id],
      ['A', p.id],
    ]);
    expect(profiles.listCustomerOverrides(tx, { customersWithoutPinnedProfile: true }).items.map((x) => x.customerId)).toEqual([b.id]);
    profiles.deleteCustomerOverride(tx, { customerId: a.id });
    expect(profiles.getCustomerBillingDetails(tx, { customerId: a.id }).baseProfile.id).toBe(def.id);
    expect(domainError(() => profiles.upsertCustomerOverride(tx, { customerId: a.id, billingProfileId: '01J99999999999999999999999' })).kind).toBe(ErrorKind.notFound);
  });

  it('install with createBillingProfile makes a non-sandbox app the default over the sandbox', () => {
    const { profiles, tx } = setup();
    const r = profiles.installApp(tx, { app: { method: 'noCredentials', type: 'custom_invoicing' } });
    expect(r.defaultForCapabilityTypes).toEqual(['calculateTax', 'invoiceCustomers', 'collectPayments']);
    expect(profiles.getDefaultProfile(tx).apps.invoicing).toBe(r.app.id);
    const again = profiles.installApp(tx, {
      app: { method: 'apiKey', type: 'stripe', apiKey: 'sk_test_abcd1234', stripe: { appId: '01J00000000000000000STRP01', accountId: 'acct_1', webhookId: 'we_1', webhookSecret: 'whsec_1' } },
    });
    expect(again.defaultForCapabilityTypes).toEqual([]);
    expect(profiles.installApp(tx, { app: { method: 'noCredentials', type: 'sandbox' }, createBillingProfile: false }).defaultForCapabilityTypes).toEqual([]);
    expect(profiles.listProfiles(tx).totalCount).toBe(3);
  });
});

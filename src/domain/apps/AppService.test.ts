import { describe, expect, it } from 'vitest';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import { BillingProfileService } from '../billing/profiles/BillingProfileService.ts';
import { CustomerService } from '../customers/CustomerService.ts';
import { FixedClock } from '../shared/clock.ts';
import { DomainError, ErrorKind } from '../shared/errors.ts';
import { SequentialIds } from '../shared/ids.ts';
import { AppService, maskApiKey } from './AppService.ts';
import { AppErrorCode as E } from './errors.ts';

function setup() {
  const deps = { clock: new FixedClock(new Date('2026-01-01T00:00:00Z')), ids: new SequentialIds() };
  const customers = new CustomerService(deps);
  const apps = new AppService({ ...deps, customers });
  const profiles = new BillingProfileService({ ...deps, apps, customers });
  return { apps, profiles, customers, tx: createMemoryUnitOfWork() };
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

describe('AppService', () => {
  it('provisions one sandbox app and a default profile on first use, once', () => {
    const { apps, profiles, tx } = setup();
    const first = apps.listApps(tx);
    expect(first.items.map((a) => [a.type, a.name, a.description, a.status])).toEqual([['sandbox', 'Sandbox', 'OpenMeter Sandbox App to be used for testing purposes.', 'ready']]);
    expect(apps.listApps(tx).items[0]!.id).toBe(first.items[0]!.id);
    const def = profiles.getDefaultProfile(tx);
    expect(def.apps).toEqual({ tax: first.items[0]!.id, invoicing: first.items[0]!.id, payment: first.items[0]!.id });
  });

  it('lists the three marketplace listings with their capabilities and install methods (OpenMeter app registry)', () => {
    const { apps, tx } = setup();
    const page = apps.listMarketplaceListings(tx);
    // openmeter/app/stripe/marketplace.go: API key only
    expect(page.items.map((l) => [l.type, l.installMethods])).toEqual([
      ['stripe', ['with_api_key']],
      ['sandbox', ['no_credentials_required']],
      ['custom_invoicing', ['no_credentials_required']],
    ]);
    for (const l of page.items) expect(l.capabilities.map((c) => c.type)).toEqual(['collectPayments', 'calculateTax', 'invoiceCustomers']);
    expect(page.items.map((l) => l.capabilities[0]!.key)).toEqual(['stripe_collect_payment', 'sandbox_collect_payment', 'custom_invoicing_collect_payment']);
    expect(domainError(() => apps.getMarketplaceListing(tx, { type: 'paypal' })).kind).toBe(ErrorKind.notFound);
  });

  it('installs custom invoicing with hooks off, and updates them', () => {
    const { apps, tx } = setup();
    const app = apps.installApp(tx, { type: 'custom_invoicing', name: 'ERP' });
    expect(app).toMatchObject({ type: 'custom_invoicing', name: 'ERP', enableDraftSyncHook: false, enableIssuingSyncHook: false });
    const up = apps.updateApp(tx, { id: app.id, type: 'custom_invoicing', name: 'ERP2', enableDraftSyncHook: true, enableIssuingSyncHook: false });
    expect(up).toMatchObject({ name: 'ERP2', enableDraftSyncHook: true, enableIssuingSyncHook: false, createdAt: app.createdAt });
    expect(domainError(() => apps.updateApp(tx, { id: app.id, type: 'sandbox', name: 'x' })).code).toBe(E.typeMismatch);
    expect(domainError(() => apps.updateApp(tx, { id: app.id, type: 'custom_invoicing', name: 'x' })).kind).toBe(ErrorKind.validation);
    expect(apps.installApp(tx, { type: 'sandbox' }).name).toBe('Sandbox');
  });

  it('installs stripe from a test key only, masked, livemode false, without credentials refused', () => {
    const { apps, tx } = setup();
    const key = 'sk_test_51ABCdefGHIjklMNOxyz';
    const app = apps.installStripeApp(tx, { apiKey: key });
    expect(app).toMatchObject({ type: 'stripe', name: 'Stripe', livemode: false, maskedApiKey: maskApiKey(key) });
    expect(app.maskedApiKey).toBe('sk_test_' + '*'.repeat(key.length - 11) + 'xyz');
    expect(JSON.stringify(app)).not.toContain(key);
    expect(app.stripeAccountId).toMatch(/^acct_/);
    expect(apps.installStripeApp(tx, { apiKey: 'rk_test_abcd1234' }).type).toBe('stripe');
    expect(domainError(() => apps.installStripeApp(tx, { apiKey: 'sk_live_abcdef123' })).code).toBe(E.invalidStripeApiKey);
    expect(domainError(() => apps.installApp(tx, { type: 'stripe' })).code).toBe(E.installMethodNotSupported);
    expect(domainError(() => apps.installStripeApp(tx, { type: 'sandbox', apiKey: key })).code).toBe(E.installMethodNotSupported);
  });

  it('refuses to uninstall an app a profile uses; uninstalls it afterwards', () => {
    const { apps, profiles, tx } = setup();
    const sandbox = apps.listApps(tx).items[0]!;
    const err = domainError(() => apps.uninstallApp(tx, { id: sandbox.id }));
    expect([err.kind, err.code]).toEqual([ErrorKind.conflict, E.inUse]);
    const ci = apps.installApp(tx, { type: 'custom_invoicing' });
    apps.uninstallApp(tx, { id: ci.id });
    expect(domainError(() => apps.getApp(tx, { id: ci.id })).kind).toBe(ErrorKind.notFound);
    expect(apps.listApps(tx).items.map((a) => a.id)).toEqual([sandbox.id]);
    expect(profiles.listProfiles(tx).totalCount).toBe(1);
  });

  it('keeps customer app data per customer and app', () => {
    const { apps, customers, tx } = setup();
    const c = customers.createCustomer(tx, { name: 'A', key: 'a' });
    const stripe = apps.installStripeApp(tx, { apiKey: 'sk_test_abcdef' });
    const out = apps.upsertCustomerAppData(tx, { customerIdOrKey: 'a', items: [{ type: 'sandbox' }, { type: 'stripe', appId: stripe.id, stripeCustomerId: 'cus_1' }] });
    expect(out.map((d) => [d.type, d.stripeCustomerId])).toEqual([['sandbox', undefined], ['stripe', 'cus_1']]);
    apps.upsertCustomerAppData(tx, { customerIdOrKey: c.id, items: [{ type: 'stripe', appId: stripe.id, stripeCustomerId: 'cus_2' }] });
    expect(apps.listCustomerAppData(tx, { customerIdOrKey: 'a', type: 'stripe' }).items.map((d) => d.stripeCustomerId)).toEqual(['cus_2']);
    expect(domainError(() => apps.upsertCustomerAppData(tx, { customerIdOrKey: 'a', items: [{ type: 'stripe', appId: stripe.id }] })).kind).toBe(ErrorKind.validation);
    apps.deleteCustomerAppData(tx, { customerIdOrKey: 'a', appId: stripe.id });
    expect(apps.listCustomerAppData(tx, { customerIdOrKey: 'a' }).totalCount).toBe(1);
    expect(domainError(() => apps.deleteCustomerAppData(tx, { customerIdOrKey: 'a', appId: stripe.id })).kind).toBe(ErrorKind.notFound);
  });
});

import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../runtime/serviceWorld.ts';
import { DomainError, ErrorKind } from '../shared/errors.ts';
import { maskApiKey } from './AppService.ts';
import { AppErrorCode as E } from './errors.ts';

/** the real wiring (billing's uninstall veto and namespace hook included), namespace provisioned */
function setup() {
  const { services, tx } = createServiceWorld();
  return { apps: services.apps, profiles: services.billingProfiles, customers: services.customers, tx };
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
  it('a new namespace has one sandbox app and a default profile, provisioned once', () => {
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

  it('installs stripe with what Stripe answered: masked key (8 + *** + 3), livemode from the key, one app per account and mode', () => {
    const { apps, tx } = setup();
    const key = 'sk_test_51ABCdefGHIjklMNOxyz';
    const app = apps.installStripeApp(tx, { apiKey: key, stripe: facts('A') });
    expect(app).toMatchObject({ type: 'stripe', name: 'Stripe', livemode: false, maskedApiKey: maskApiKey(key), description: 'Stripe account acct_A', stripeAccountId: 'acct_A' });
    // openmeter/app/stripe/service/app.go
    expect(app.maskedApiKey).toBe('sk_test_***xyz');
    expect(JSON.stringify(app)).not.toContain(key);
    expect(apps.stripeSecrets(tx, { id: app.id })?.secrets).toMatchObject({ apiKey: key, webhookSecret: 'whsec_A' });
    expect(apps.installStripeApp(tx, { apiKey: 'rk_test_abcd1234', stripe: facts('B') }).type).toBe('stripe');
    // client/stripe.go IsAPIKeyLiveMode: anything but sk_test/rk_test is live
    expect(apps.installStripeApp(tx, { apiKey: 'pk_test_abcdef123', stripe: facts('A') }).livemode).toBe(true);
    expect(domainError(() => apps.installStripeApp(tx, { apiKey: 'sk_test_other123', stripe: facts('A') })).kind).toBe(ErrorKind.conflict);
    expect(domainError(() => apps.installStripeApp(tx, { apiKey: 'sk_test_abcdef123' })).code).toBe(E.invalidStripeApiKey);
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
    const stripe = apps.installStripeApp(tx, { apiKey: 'sk_test_abcdef', stripe: facts('A') });
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

let appSeq = 0;
/** what the runtime learns from Stripe before an install */
function facts(account: string) {
  appSeq += 1;
  return { appId: `01J00000000000000000STRP${String(appSeq).padStart(2, '0')}`, accountId: `acct_${account}`, webhookId: `we_${account}`, webhookSecret: `whsec_${account}` };
}

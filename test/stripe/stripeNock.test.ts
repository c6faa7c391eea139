import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { installStripeNock } from '../../src/harness/stripeNock.ts';
import { STRIPE_API_VERSION } from '../../src/stripe/StripeEmulator.ts';

/** Tests that cannot open a port: the stripe SDK's default host answered by the emulated Stripe through nock. */
describe('emulated Stripe as nock interceptors', () => {
  const { stripe: emu, restore } = installStripeNock();
  afterAll(() => restore());
  // the SDK's Node client waits for a TLS `secureConnect` nock 14's mock socket never emits: use its fetch client
  const s = new Stripe('sk_test_nockNock123', { apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion, maxNetworkRetries: 0, httpClient: Stripe.createFetchHttpClient() });

  it('answers api.stripe.com: customers, expand, errors and idempotency', async () => {
    const cus = await s.customers.create({ name: 'Nock', metadata: { a: 'b' } }, { idempotencyKey: 'n-1' });
    expect(cus).toMatchObject({ object: 'customer', name: 'Nock', metadata: { a: 'b' } });
    expect((await s.customers.create({ name: 'Nock', metadata: { a: 'b' } }, { idempotencyKey: 'n-1' })).id).toBe(cus.id);
    expect(emu.find(cus.id)).toMatchObject({ name: 'Nock' });
    await expect(s.customers.retrieve('cus_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    const pm = await s.paymentMethods.attach('pm_card_visa', { customer: cus.id });
    const got = (await s.customers.update(cus.id, { invoice_settings: { default_payment_method: pm.id }, expand: ['invoice_settings.default_payment_method'] })) as Stripe.Customer;
    expect(got.invoice_settings.default_payment_method).toMatchObject({ id: pm.id });
  });
});

describe('restore', () => {
  it('removes only the Stripe interceptors', async () => {
    const { restore } = installStripeNock({ origin: 'https://stripe.nock.test' });
    const ok = await fetch('https://stripe.nock.test/v1/account', { headers: { authorization: 'Bearer sk_test_restore123' } });
    expect(ok.status).toBe(200);
    restore();
    await expect(fetch('https://stripe.nock.test/v1/account')).rejects.toThrow();
  });
});

import Stripe from 'stripe';
import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { inProcessStripeFetch } from '../../src/stripe/server.ts';
import { STRIPE_API_VERSION, type StripeEmulator } from '../../src/stripe/StripeEmulator.ts';

/**
 * The Stripe app as the invoicing app (openmeter/app/stripe/appinvoice.go; stripe.md §6) and
 * the invoice webhooks that move OpenMeter's invoices (httpdriver/webhook.go; stripe.md §7.2),
 * over HTTP, with the `stripe` SDK reading what the app wrote into the emulated Stripe.
 */
const KEY = 'sk_test_51LocalmeterInvoicingKey';

const sdk = (stripe: StripeEmulator) =>
  new Stripe(KEY, { apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion, httpClient: Stripe.createFetchHttpClient(inProcessStripeFetch(stripe)), telemetry: false });

/** v3 install with the default Stripe billing profile, a customer and a card saved through checkout. */
async function setup(card = 'pm_card_visa', key = 'ada') {
  const { app, emulator } = createTestEmulator();
  const inst = (await request(app).post('/v3/openmeter/app-catalog/install').send({ type: 'stripe', name: 'Stripe', api_key: KEY, create_billing_profile: true }).expect(201)).body;
  const customer = (await request(app).post('/api/v1/customers').send({ name: 'Ada', key, primaryEmail: 'ada@example.com', usageAttribution: { subjectKeys: [key] } }).expect(201)).body;
  const session = (await request(app).post('/api/v1/stripe/checkout/sessions').send({ customer: { id: customer.id }, options: { successURL: 'https://a.test/ok' } }).expect(201)).body;
  await request(app).post(`/_emulator/stripe/checkout/sessions/${session.sessionId}/complete`).send({ card }).expect(200);
  return { app, emulator, appId: inst.app.id as string, customerId: customer.id as string, stripeCustomerId: session.stripeCustomerId as string, stripe: sdk(emulator.stripe) };
}

const flat = (name: string, amount: string) => ({
  name,
  period: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
  invoiceAt: '2026-01-01T00:00:00Z',
  rateCard: { price: { type: 'flat', amount } },
});

async function invoiceNow(app: Express, customerId: string, lines: unknown[]) {
  await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines }).expect(201);
  const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
  return (await request(app).get(`/api/v1/billing/invoices/${inv.id}?expand=lines`).expect(200)).body;
}

describe('Stripe as the invoicing app', () => {
  it('an issued invoice is created, itemised, finalized and collected in Stripe; invoice.paid pays it (appinvoice.go, webhook.go)', async () => {
    const { app, appId, customerId, stripeCustomerId, stripe } = await setup();
    const inv = await invoiceNow(app, customerId, [flat('Pro plan', '49'), flat('Support', '10.505')]);
    expect(inv.status).toBe("paid");
    expect(inv.externalIds.invoicing).toMatch(/^in_/);
    expect(inv.externalIds.payment).toMatch(/^pi_/);
    const si = await stripe.invoices.retrieve(inv.externalIds.invoicing);
    // client/invoice.go: auto_advance=false at create, metadata names the OpenMeter objects; finalize sets auto_advance
    expect(si).toMatchObject({
      status: 'paid',
      customer: stripeCustomerId,
      currency: 'usd',
      collection_method: 'charge_automatically',
      auto_advance: true,
      total: 4900 + 1051,
      metadata: { om_namespace: 'default', om_app_id: appId, om_customer_id: customerId, om_invoice_id: inv.id },
    });
    // Stripe is the source of truth for the number
    expect(inv.number).toBe(si.number);
    const lines = (await stripe.invoices.listLineItems(si.id)).data;
    expect(lines.map((l) => [l.description, l.amount, l.metadata.om_line_type]).sort()).toEqual([
      ['Pro plan', 4900, 'line'],
      ['Support', 1051, 'line'],
    ]);
    // the detailed lines carry their Stripe line ids
    const children = inv.lines.flatMap((l: { children: Array<{ id: string; externalIds?: { invoicing: string } }> }) => l.children);
    for (const c of children) expect(lines.find((l) => l.metadata.om_line_id === c.id)?.id).toBe(c.externalIds?.invoicing);
  });

  it('the failing card (4000 0000 0000 0341): invoice.payment_failed ends in payment_processing.failed; a visa and retry pay it', async () => {
    const { app, emulator, customerId, stripeCustomerId, stripe } = await setup('pm_card_chargeCustomerFail');
    const inv = await invoiceNow(app, customerId, [flat('Pro plan', '49')]);
    expect(inv.statusDetails.extendedStatus).toBe('payment_processing.failed');
    expect(inv.statusDetails.availableActions.retry).toEqual({ resultingState: 'payment_processing.pending' });
    const si = await stripe.invoices.retrieve(inv.externalIds.invoicing);
    expect(si).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(emulator.stripe.deliveries.filter((d) => d.type === 'invoice.payment_failed')).toEqual([expect.objectContaining({ status: 201 })]);
    // the customer saves a working card in Stripe; the app is told which one to use
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
    await request(app).put(`/api/v1/customers/${customerId}/stripe`).send({ stripeCustomerId, stripeDefaultPaymentMethodId: visa.id }).expect(200);
    // retry → payment_processing.pending, and Stripe is asked to charge again (decision 0026); its
    // invoice.paid arrives before the answer, as every effect of the request is performed by then
    const retried = (await request(app).post(`/api/v1/billing/invoices/${inv.id}/retry`).expect(200)).body;
    expect(retried.status).toBe('paid');
    expect(await stripe.invoices.retrieve(si.id)).toMatchObject({ status: 'paid', attempt_count: 2 });
  });
});

describe('customer app data is checked in Stripe (adapter/customer.go UpsertStripeCustomerData)', () => {
  it('v1 PUT /customers/{id}/apps: an unknown Stripe customer or a foreign payment method is 412; a good one is stored', async () => {
    const { app, appId, stripeCustomerId, stripe } = await setup();
    const bob = (await request(app).post('/api/v1/customers').send({ name: 'Bob', key: 'bob', usageAttribution: { subjectKeys: ['bob'] } }).expect(201)).body;
    const unknown = await request(app).put(`/api/v1/customers/${bob.id}/apps`).send([{ type: 'stripe', id: appId, stripeCustomerId: 'cus_nope' }]).expect(412);
    expect(unknown.body.detail).toBe('stripe customer cus_nope not found in stripe account: acct_1LocalmeterEmu');
    const bobInStripe = await stripe.customers.create({ name: 'Bob' });
    const adaCard = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
    const foreign = await request(app).put(`/api/v1/customers/${bob.id}/apps`).send([{ type: 'stripe', id: appId, stripeCustomerId: bobInStripe.id, stripeDefaultPaymentMethodId: adaCard.id }]).expect(412);
    expect(foreign.body.detail).toBe(`stripe payment method ${adaCard.id} does not belong to stripe customer ${bobInStripe.id} in stripe account: acct_1LocalmeterEmu`);
    // one Stripe customer per customer of the app
    const taken = await request(app).put(`/api/v1/customers/${bob.id}/apps`).send([{ type: 'stripe', id: appId, stripeCustomerId }]).expect(412);
    expect(taken.body.detail).toBe('unique stripe customer id');
    await request(app).put(`/api/v1/customers/${bob.id}/apps`).send([{ type: 'stripe', id: appId, stripeCustomerId: 'cus_x', stripeDefaultPaymentMethodId: 'card_1' }]).expect(400);
    await request(app).put(`/api/v1/customers/${bob.id}/apps`).send([{ type: 'stripe', id: appId, stripeCustomerId: bobInStripe.id }]).expect(200);
    expect((await request(app).get('/api/v1/customers/bob/stripe').expect(200)).body).toMatchObject({ stripeCustomerId: bobInStripe.id });
  });
});

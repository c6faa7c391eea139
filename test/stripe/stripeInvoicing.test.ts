import { OpenMeter } from '@openmeter/sdk';
import Stripe from 'stripe';
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEmulator, startTestEmulator } from '../../src/harness/testEmulator.ts';
import type { RunningEmulator } from '../../src/runtime/main.ts';
import { inProcessStripeFetch } from '../../src/stripe/server.ts';
import { stripeSignatureHeader } from '../../src/stripe/signature.ts';
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

  it('a zero-amount invoice is paid at finalization in Stripe; its invoice.paid arrives after the app recorded the finalization', async () => {
    const { app, customerId, stripe } = await setup();
    const inv = await invoiceNow(app, customerId, [flat('Free tier', '0')]);
    expect(inv.status).toBe('paid');
    expect(inv.validationIssues).toBeUndefined();
    expect(await stripe.invoices.retrieve(inv.externalIds.invoicing)).toMatchObject({ status: 'paid', total: 0, attempt_count: 0 });
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

/** Changes the default (Stripe) profile's workflow. */
async function workflow(app: Express, change: (wf: Record<string, any>) => Record<string, any>) {
  const p = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items.find((x: { default: boolean }) => x.default);
  await request(app).put(`/api/v1/billing/profiles/${p.id}`).send({ name: p.name, supplier: p.supplier, default: true, workflow: change(p.workflow) }).expect(200);
}

/** A Stripe event about `object`, signed with the app's webhook secret as Stripe signs it. */
function signedEvent(emulator: { stripe: StripeEmulator }, type: string, object: Record<string, unknown>) {
  const endpoint = emulator.stripe.exportState().objects.find((o) => o.object === 'webhook_endpoint')!;
  const body = JSON.stringify({ id: 'evt_test_1', object: 'event', type, api_version: STRIPE_API_VERSION, created: 1767225600, livemode: false, data: { object } });
  return { body, signature: stripeSignatureHeader(endpoint.secret as string, 1767225600, body), appId: (endpoint.metadata as Record<string, string>).om_app_id };
}

describe('failures become the invoice\'s issues (stripe.md §6.7)', () => {
  it('no Stripe data for the customer: draft.invalid (appcustomer.go ValidateCustomerByID); a Stripe error on create: draft.sync_failed', async () => {
    const { app, customerId, stripeCustomerId, stripe } = await setup();
    const bob = (await request(app).post('/api/v1/customers').send({ name: 'Bob', key: 'bob', usageAttribution: { subjectKeys: ['bob'] } }).expect(201)).body;
    const invalid = await invoiceNow(app, bob.id, [flat('Pro plan', '49')]);
    expect(invalid.statusDetails.extendedStatus).toBe('draft.invalid');
    expect(invalid.validationIssues).toEqual([expect.objectContaining({ severity: 'critical', component: 'app.stripe.invoiceCustomers.validate', message: 'customer has no data for stripe app' })]);
    expect(invalid.externalIds).toBeUndefined();
    // the Stripe customer is deleted in Stripe: the create is refused there, the sync fails
    await stripe.customers.del(stripeCustomerId);
    const failed = await invoiceNow(app, customerId, [flat('Pro plan', '49')]);
    expect(failed.statusDetails).toMatchObject({ extendedStatus: 'draft.sync_failed', failed: true });
    expect(failed.validationIssues).toEqual([
      expect.objectContaining({ severity: 'critical', component: 'app.stripe.invoiceCustomers.sync', message: expect.stringContaining(`failed to create invoice in stripe: stripe error: No such customer: '${stripeCustomerId}'`) }),
    ]);
  });
});

describe('send_invoice and the invoice webhooks (httpdriver/webhook.go)', () => {
  it('send_invoice: Stripe does not charge; the invoice waits in payment_processing.pending until the customer pays in Stripe', async () => {
    const { app, emulator, customerId, stripeCustomerId, stripe } = await setup();
    await workflow(app, (wf) => ({ ...wf, payment: { collectionMethod: 'send_invoice' } }));
    const inv = await invoiceNow(app, customerId, [flat('Pro plan', '49')]);
    expect(inv.statusDetails.extendedStatus).toBe('payment_processing.pending');
    const si = await stripe.invoices.retrieve(inv.externalIds.invoicing);
    // client/invoice.go: days_until_due = the whole days of dueAfter (P30D by default)
    expect(si).toMatchObject({ status: 'open', collection_method: 'send_invoice', attempt_count: 0 });
    expect(si.due_date! - si.created).toBe(30 * 86400);
    // Stripe emails it at finalization: invoice.sent stamps sentToCustomerAt with the event's time
    expect(inv.sentToCustomerAt).toBe('2026-01-01T00:00:00Z');
    // a late invoice.paid while Stripe still says open changes nothing: the invoice is fetched and checked first
    const late = signedEvent(emulator, 'invoice.paid', { id: si.id, object: 'invoice', status: 'paid' });
    const r = await request(app).post(`/api/v1/apps/${late.appId}/stripe/webhook`).set('content-type', 'application/json').set('stripe-signature', late.signature).send(late.body).expect(201);
    expect(r.body).toEqual({ namespaceId: 'default', appId: late.appId });
    expect((await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body.statusDetails.extendedStatus).toBe('payment_processing.pending');
    // the customer pays the hosted invoice: invoice.paid pays it here too
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
    await stripe.invoices.pay(si.id, { payment_method: card.id });
    expect((await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body.status).toBe('paid');
  });

  it('invoice.voided → voided; invoice.marked_uncollectible → uncollectible (status checked on the fetched Stripe invoice)', async () => {
    const { app, customerId, stripe } = await setup();
    await workflow(app, (wf) => ({ ...wf, payment: { collectionMethod: 'send_invoice' } }));
    const a = await invoiceNow(app, customerId, [flat('Pro plan', '49')]);
    await stripe.invoices.voidInvoice(a.externalIds.invoicing);
    const voided = (await request(app).get(`/api/v1/billing/invoices/${a.id}`).expect(200)).body;
    expect(voided.statusDetails.extendedStatus).toBe('voided');
    const b = await invoiceNow(app, customerId, [flat('Support', '10')]);
    await stripe.invoices.markUncollectible(b.externalIds.invoicing);
    expect((await request(app).get(`/api/v1/billing/invoices/${b.id}`).expect(200)).body.statusDetails.extendedStatus).toBe('uncollectible');
  });

  it('events about invoices OpenMeter did not create are acknowledged (201, nothing changes); an unknown type is 400', async () => {
    const { app, emulator, stripeCustomerId, stripe } = await setup();
    const own = await stripe.invoices.create({ customer: stripeCustomerId, auto_advance: false });
    await stripe.invoiceItems.create({ customer: stripeCustomerId, invoice: own.id, amount: 700 });
    await stripe.invoices.finalizeInvoice(own.id);
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
    await stripe.invoices.pay(own.id, { payment_method: card.id });
    const delivered = emulator.stripe.deliveries.filter((d) => d.type.startsWith('invoice.'));
    expect(delivered.map((d) => [d.type, d.status])).toEqual([
      ['invoice.paid', 201],
      ['invoice.payment_succeeded', 201],
    ]);
    // httpdriver/webhook.go: anything else is "unsupported event type"
    const odd = signedEvent(emulator, 'customer.created', { id: stripeCustomerId, object: 'customer' });
    const r = await request(app).post(`/api/v1/apps/${odd.appId}/stripe/webhook`).set('content-type', 'application/json').set('stripe-signature', odd.signature).send(odd.body).expect(400);
    expect(r.body.detail).toBe('unsupported event type: customer.created');
    // a bad signature is refused before anything else
    await request(app).post(`/api/v1/apps/${odd.appId}/stripe/webhook`).set('content-type', 'application/json').set('stripe-signature', 't=1,v1=00').send(odd.body).expect(400);
  });
});

describe('drafts in Stripe: update and delete (appinvoice.go updateInvoice, DeleteStandardInvoice)', () => {
  it('a draft waiting for approval is in Stripe; an edit re-sends kept items and deletes dropped ones; delete deletes the Stripe draft', async () => {
    const { app, customerId, stripe } = await setup();
    await workflow(app, (wf) => ({ ...wf, invoicing: { ...wf.invoicing, autoAdvance: false } }));
    const inv = await invoiceNow(app, customerId, [flat('Pro plan', '49'), flat('Support', '10')]);
    expect(inv.statusDetails.extendedStatus).toBe('draft.manual_approval_needed');
    const sid = inv.externalIds.invoicing;
    expect(await stripe.invoices.retrieve(sid)).toMatchObject({ status: 'draft', number: null, auto_advance: false });
    // the number stays the draft number while Stripe has none
    expect(inv.number).toMatch(/^DRAFT-/);
    const before = (await stripe.invoices.listLineItems(sid)).data;
    const pro = inv.lines.find((l: { name: string }) => l.name === 'Pro plan');
    await request(app)
      .put(`/api/v1/billing/invoices/${inv.id}`)
      .send({
        supplier: inv.supplier,
        customer: { key: inv.customer.key, name: inv.customer.name },
        workflow: { workflow: { invoicing: { autoAdvance: false, draftPeriod: 'P0D', dueAfter: 'P30D' }, payment: { collectionMethod: 'charge_automatically' } } },
        lines: [
          { id: pro.id, name: 'Pro plan', period: pro.period, invoiceAt: pro.invoiceAt, rateCard: { price: pro.price } },
          { name: 'Onboarding', period: pro.period, invoiceAt: pro.invoiceAt, rateCard: { price: { type: 'flat', amount: '5' } } },
        ],
      })
      .expect(200);
    const after = (await stripe.invoices.listLineItems(sid)).data;
    expect(after.map((l) => [l.description, l.amount]).sort()).toEqual([
      ['Onboarding', 500],
      ['Pro plan', 4900],
    ]);
    // the kept line is the same Stripe line (updated by its il_ id), Support's is gone
    expect(after.find((l) => l.description === 'Pro plan')!.id).toBe(before.find((l) => l.description === 'Pro plan')!.id);
    await request(app).delete(`/api/v1/billing/invoices/${inv.id}`).expect(204);
    await expect(stripe.invoices.retrieve(sid)).rejects.toMatchObject({ code: 'resource_missing' });
    expect((await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body.statusDetails.extendedStatus).toBe('deleted');
  });
});

describe('invoice items (stripe.md §6.5 worked example)', () => {
  it('flat Pro plan 49; API calls $2 × 12.5 less 10 %; Storage $1 × 45 with a 30 maximum spend: five items in send order, total 101.50', async () => {
    const { app, customerId, stripe } = await setup();
    for (const [slug, key] of [
      ['api_calls', 'api'],
      ['storage_gb', 'storage'],
    ] as const) {
      await request(app).post('/api/v1/meters').send({ slug, name: slug, eventType: slug, aggregation: 'SUM', valueProperty: '$.v' }).expect(200);
      await request(app).post('/api/v1/features').send({ key, name: key, meterSlug: slug }).expect(201);
    }
    await request(app)
      .post('/api/v1/events')
      .send([
        { specversion: '1.0', id: 'a1', source: 't', type: 'api_calls', subject: 'ada', time: '2025-12-10T00:00:00Z', data: { v: 12.5 } },
        { specversion: '1.0', id: 's1', source: 't', type: 'storage_gb', subject: 'ada', time: '2025-12-10T00:00:00Z', data: { v: 45 } },
      ])
      .expect(204);
    const dec = { from: '2025-12-01T00:00:00Z', to: '2026-01-01T00:00:00Z' };
    await request(app)
      .post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`)
      .send({
        currency: 'USD',
        lines: [
          { name: 'Pro plan', period: dec, invoiceAt: dec.to, rateCard: { price: { type: 'flat', amount: '49', paymentTerm: 'in_arrears' } } },
          { name: 'API calls', period: dec, invoiceAt: dec.to, rateCard: { featureKey: 'api', price: { type: 'unit', amount: '2' }, discounts: { percentage: { percentage: 10 } } } },
          { name: 'Storage', period: dec, invoiceAt: dec.to, rateCard: { featureKey: 'storage', price: { type: 'unit', amount: '1', maximumAmount: '30' } } },
        ],
      })
      .expect(201);
    const [draft] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    // the metered lines wait for the collection interval before the draft is synced and issued
    await request(app).post('/_emulator/clock/advance').send({ by: 'PT2H' }).expect(200);
    const inv = (await request(app).get(`/api/v1/billing/invoices/${draft.id}`).expect(200)).body;
    expect(inv).toMatchObject({ status: 'paid', totals: { total: '101.5' } });
    const items = (await stripe.invoices.listLineItems(inv.externalIds.invoicing)).data.map((l) => [l.amount, l.description, l.metadata.om_line_type]);
    expect(items).toEqual([
      [4900, 'Pro plan', 'line'],
      [-250, 'API calls: usage in period', 'discount'],
      [2500, 'API calls: usage in period (12.50 x $2)', 'line'],
      [-1500, 'Storage: usage in period (Maximum spend discount for charges over 30)', 'discount'],
      [4500, 'Storage: usage in period (45 x $1)', 'line'],
    ]);
    expect((await stripe.invoices.retrieve(inv.externalIds.invoicing)).amount_paid).toBe(10150);
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

describe('a year of a Stripe-billed subscription', () => {
  it('every invoice is drafted, itemised, finalized and paid in Stripe, and paid in localmeter (appinvoice.go, webhook.go invoice.paid)', async () => {
    const { app, emulator } = createTestEmulator();
    const stripe = sdk(emulator.stripe);
    await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }).expect(200);
    await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' }).expect(201);
    const plan = (
      await request(app)
        .post('/api/v1/plans')
        .send({
          key: 'pro',
          name: 'Pro',
          currency: 'USD',
          billingCadence: 'P1M',
          phases: [
            {
              key: 'default',
              name: 'Default',
              duration: null,
              rateCards: [
                { type: 'flat_fee', key: 'base', name: 'Base fee', billingCadence: 'P1M', price: { type: 'flat', amount: '30', paymentTerm: 'in_advance' } },
                { type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.02' } },
              ],
            },
          ],
        })
        .expect(201)
    ).body;
    await request(app).post(`/api/v1/plans/${plan.id}/publish`).send({}).expect(200);
    await request(app).post('/v3/openmeter/app-catalog/install').send({ type: 'stripe', name: 'Stripe', api_key: KEY, create_billing_profile: true }).expect(201);
    const acme = (await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme'] } }).expect(201)).body;
    const session = (await request(app).post('/api/v1/stripe/checkout/sessions').send({ customer: { id: acme.id }, options: { successURL: 'https://a.test/ok' } }).expect(201)).body;
    await request(app).post(`/_emulator/stripe/checkout/sessions/${session.sessionId}/complete`).send({ card: 'pm_card_visa' }).expect(200);
    await request(app).post('/api/v1/subscriptions').send({ customerId: acme.id, plan: { key: 'pro' } }).expect(201);
    const events = Array.from({ length: 12 }, (_, m) => ({
      specversion: '1.0',
      id: `e${m}`,
      source: 't',
      type: 'tokens',
      subject: 'acme',
      time: new Date(Date.UTC(2026, m, 10)).toISOString(),
      data: { tokens: 1250 },
    }));
    await request(app).post('/api/v1/events').send(events).expect(204);
    await request(app).post('/_emulator/clock/advance').send({ to: '2027-01-01T02:00:00Z' }).expect(200);

    const list = (await request(app).get('/api/v1/billing/invoices').query({ customers: acme.id, expand: 'lines', orderBy: 'createdAt', pageSize: 100 }).expect(200)).body.items;
    const issued = list.filter((i: { status: string }) => i.status !== 'gathering');
    // January's fee in advance, then each month's fee + the previous month's tokens: 13 invoices
    expect(issued).toHaveLength(13);
    for (const inv of issued) {
      expect(inv.status).toBe('paid');
      const si = await stripe.invoices.retrieve(inv.externalIds.invoicing);
      expect(si).toMatchObject({ status: 'paid', number: inv.number, metadata: { om_invoice_id: inv.id } });
      // OpenMeter's total is what Stripe charged (no taxes either side)
      expect(si.amount_paid).toBe(Math.round(Number(inv.totals.total) * 100));
    }
    // February: the fee, and January's 1250 tokens at $0.02; a non-integer unit price prints with
    // as many decimals as price × 10^12 has digits (calculator.go FormatAmount, the real quirk)
    const feb = issued[1];
    const lines = (await stripe.invoices.listLineItems(feb.externalIds.invoicing)).data.map((l) => [l.description, l.amount, l.metadata.om_line_type]);
    expect(lines.sort()).toEqual([
      ['Base fee', 3000, 'line'],
      ['Tokens: usage in period (1,250 x $0.02000000000)', 2500, 'line'],
    ]);
    expect(feb.totals.total).toBe('55');
  });
});

describe('over real ports (@openmeter/sdk for localmeter, the stripe SDK for Stripe)', () => {
  let running: RunningEmulator;
  beforeAll(async () => {
    running = await startTestEmulator();
  });
  afterAll(async () => running.stop());

  it('the failing card: Stripe posts invoice.payment_failed to the app over HTTP; a working card and retry pay the invoice', async () => {
    const om = new OpenMeter({ baseUrl: running.url, apiKey: 'om_test' });
    const u = new URL(running.stripeUrl!);
    const stripe = new Stripe(KEY, { host: u.hostname, port: Number(u.port), protocol: 'http', apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion });
    const post = (path: string, body: unknown) => fetch(`${running.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/v3/openmeter/app-catalog/install', { type: 'stripe', name: 'Stripe', api_key: KEY, create_billing_profile: true })).status).toBe(201);
    const customer = await om.customers.create({ name: 'Eve', key: 'eve', primaryEmail: 'eve@example.com', usageAttribution: { subjectKeys: ['eve'] } });
    const session = await om.apps.stripe.createCheckoutSession({ customer: { key: 'eve' }, options: { successURL: 'https://app.test/ok' } });
    // the customer picks the failing card on the checkout page Stripe hosts
    const page = await fetch(session!.url!, { method: 'POST', body: 'card=pm_card_chargeCustomerFail', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(page.status).toBe(303);
    await post(`/api/v1/billing/customers/${customer!.id}/invoices/pending-lines`, { currency: 'USD', lines: [flat('Pro plan', '49')] });
    const [created] = (await (await post('/api/v1/billing/invoices/invoice', { customerId: customer!.id })).json()) as Array<{ id: string }>;
    const failed = await om.billing.invoices.get(created!.id);
    expect(failed!.statusDetails.extendedStatus).toBe('payment_processing.failed');
    const sid = failed!.externalIds!.invoicing!;
    expect(running.emulator.stripe.deliveries.filter((d) => d.type === 'invoice.payment_failed')).toEqual([
      expect.objectContaining({ url: expect.stringContaining(`${running.url}/api/v1/apps/`), status: 201 }),
    ]);
    expect(await stripe.invoices.retrieve(sid)).toMatchObject({ status: 'open', attempt_count: 1 });
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: session!.stripeCustomerId });
    await om.customers.stripe.upsert('eve', { stripeCustomerId: session!.stripeCustomerId, stripeDefaultPaymentMethodId: visa.id });
    await post(`/api/v1/billing/invoices/${created!.id}/retry`, {});
    expect((await om.billing.invoices.get(created!.id))!.status).toBe('paid');
    expect(await stripe.invoices.retrieve(sid)).toMatchObject({ status: 'paid', attempt_count: 2 });
  });
});

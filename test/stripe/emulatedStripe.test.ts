import { createServer, type Server } from 'node:http';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeServer } from '../../src/stripe/server.ts';
import { STRIPE_API_VERSION, StripeEmulator } from '../../src/stripe/StripeEmulator.ts';

/**
 * The emulated Stripe driven by the `stripe` SDK over HTTP, as a user's own code would:
 * stripe-mock's shapes (fixtures3), Stripe's error envelope, idempotency keys, and signed
 * webhooks (stripe.md §10).
 */
let url: string;
let stop: () => Promise<void>;
let hook: Server;
let hookUrl: string;
const received: Array<{ body: string; signature: string }> = [];
const now = new Date('2026-01-01T00:00:00Z');
const emu = new StripeEmulator({
  now: () => now,
  publicUrl: () => url,
  deliver: async (p) => {
    const r = await fetch(p.url, { method: 'POST', headers: p.headers, body: p.body });
    return r.status;
  },
});

const sdk = (key = 'sk_test_emulated123') => {
  const u = new URL(url);
  return new Stripe(key, { host: u.hostname, port: Number(u.port), protocol: 'http', apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion, maxNetworkRetries: 0 });
};

beforeAll(async () => {
  const s = await startStripeServer(emu, 0);
  url = s.url;
  stop = s.stop;
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature']) });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const a = hook.address();
  hookUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`;
});
afterAll(async () => {
  await stop();
  await new Promise<void>((r) => hook.close(() => r()));
});

describe('emulated Stripe (stripe SDK over HTTP)', () => {
  it('answers the account and refuses a missing or malformed key with 401 in Stripe\'s envelope', async () => {
    const acct = await sdk().accounts.retrieve();
    expect(acct).toMatchObject({ object: 'account', country: 'US' });
    expect(acct.id).toMatch(/^acct_/);
    await expect(sdk('nope').accounts.retrieve()).rejects.toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
    const raw = await fetch(`${url}/v1/account`);
    expect(raw.status).toBe(401);
    expect(((await raw.json()) as { error: unknown }).error).toMatchObject({ type: 'invalid_request_error' });
  });

  it('livemode follows the key prefix, as Stripe: sk_live_/rk_live_ are live, a test key that merely contains "_live_" is not', async () => {
    expect((await sdk('sk_test_zuplo_go_live_1').customers.create({ name: 'T' })).livemode).toBe(false);
    expect((await sdk('rk_live_abc').customers.create({ name: 'L' })).livemode).toBe(true);
  });

  it('stores customers; an unknown one is 404 resource_missing; expand returns the payment method object', async () => {
    const s = sdk();
    const cus = await s.customers.create({ name: 'Ada', email: 'ada@example.com', metadata: { om_customer_id: 'c1' } });
    expect(cus).toMatchObject({ object: 'customer', name: 'Ada', email: 'ada@example.com', metadata: { om_customer_id: 'c1' }, livemode: false });
    const pm = await s.paymentMethods.attach('pm_card_visa', { customer: cus.id });
    expect(pm).toMatchObject({ customer: cus.id, card: { last4: '4242', brand: 'visa' } });
    expect(pm.billing_details.address).not.toBeNull();
    await s.customers.update(cus.id, { invoice_settings: { default_payment_method: pm.id } });
    const got = await s.customers.retrieve(cus.id, { expand: ['invoice_settings.default_payment_method', 'tax'] });
    expect((got as Stripe.Customer).invoice_settings.default_payment_method).toMatchObject({ id: pm.id, object: 'payment_method' });
    expect((got as Stripe.Customer).tax).toBeDefined();
    const err = await s.customers.retrieve('cus_missing').catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', type: 'StripeInvalidRequestError', param: 'id' });
    expect((err as { raw: { message: string } }).raw.message).toBe("No such customer: 'cus_missing'");
  });

  it('replays an idempotent request and refuses the same key with other parameters', async () => {
    const s = sdk();
    const a = await s.customers.create({ name: 'One' }, { idempotencyKey: 'k-1' });
    const b = await s.customers.create({ name: 'One' }, { idempotencyKey: 'k-1' });
    expect(b.id).toBe(a.id);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    await expect(s.customers.create({ name: 'Two' }, { idempotencyKey: 'k-1' })).rejects.toMatchObject({ type: 'StripeIdempotencyError', statusCode: 400 });
  });

  it('completes a setup-mode checkout session and sends signed webhooks to the registered endpoint', async () => {
    const s = sdk();
    const we = await s.webhookEndpoints.create({ url: hookUrl, enabled_events: ['setup_intent.succeeded', 'checkout.session.completed'], api_version: STRIPE_API_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion });
    expect(we.secret).toMatch(/^whsec_/);
    const cus = await s.customers.create({ name: 'Grace' });
    const cs = await s.checkout.sessions.create({ customer: cus.id, mode: 'setup', success_url: 'https://a.test/ok?s={CHECKOUT_SESSION_ID}', currency: 'usd', setup_intent_data: { metadata: { om_app_id: 'app1' } } });
    expect(cs).toMatchObject({ mode: 'setup', status: 'open', customer: cus.id, ui_mode: 'hosted', currency: 'usd' });
    expect(cs.setup_intent).toMatch(/^seti_/);
    expect(cs.url).toBe(`${url}/checkout/${cs.id}`);
    const page = await fetch(cs.url!);
    expect(await page.text()).toContain('4000 0000 0000 0341');
    received.length = 0;
    const done = await fetch(cs.url!, { method: 'POST', body: 'card=4242424242424242', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`https://a.test/ok?s=${cs.id}`);
    expect(received.map((r) => JSON.parse(r.body).type)).toEqual(['setup_intent.succeeded', 'checkout.session.completed']);
    const evt = s.webhooks.constructEvent(received[0]!.body, received[0]!.signature, we.secret!, 10_000 * 3600);
    expect(evt.api_version).toBe(STRIPE_API_VERSION);
    const si = evt.data.object as Stripe.SetupIntent;
    expect(si).toMatchObject({ status: 'succeeded', customer: cus.id, metadata: { om_app_id: 'app1' } });
    expect((await s.paymentMethods.retrieve(si.payment_method as string)).customer).toBe(cus.id);
    expect((await s.checkout.sessions.retrieve(cs.id)).status).toBe('complete');
  });

  it('invoices: items become lines with invoice_item (acacia), finalize numbers, visa pays, 0341 attaches but is declined', async () => {
    const s = sdk();
    const cus = await s.customers.create({ name: 'Linus' });
    const inv = await s.invoices.create({ customer: cus.id, currency: 'USD', auto_advance: false, collection_method: 'charge_automatically' }, { idempotencyKey: 'invoice-create-x' });
    expect(inv).toMatchObject({ status: 'draft', number: null, currency: 'usd' });
    const ii = await s.invoiceItems.create({ customer: cus.id, invoice: inv.id, amount: 4900, description: 'Pro plan', period: { start: 1, end: 2 }, metadata: { om_line_id: 'l1' } });
    const lines = await s.invoices.listLineItems(inv.id);
    const line = lines.data[0] as unknown as { id: string; invoice_item: string; amount: number };
    expect(line).toMatchObject({ invoice_item: ii.id, amount: 4900 });
    await s.invoiceItems.update(line.id, { amount: 5000 });
    const fin = await s.invoices.finalizeInvoice(inv.id, { auto_advance: true });
    expect(fin).toMatchObject({ status: 'open', amount_due: 5000 });
    expect(fin.number).toMatch(/^[0-9A-F]{7}-0001$/);
    const bad = await s.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: cus.id });
    expect(bad.customer).toBe(cus.id);
    await expect(s.invoices.pay(inv.id, { payment_method: bad.id })).rejects.toMatchObject({ type: 'StripeCardError', statusCode: 402, code: 'card_declined' });
    expect((await s.invoices.retrieve(inv.id)).status).toBe('open');
    const good = await s.paymentMethods.attach('pm_card_visa', { customer: cus.id });
    expect((await s.invoices.pay(inv.id, { payment_method: good.id })).status).toBe('paid');
    await expect(s.invoices.voidInvoice(inv.id)).rejects.toMatchObject({ statusCode: 400 });
  });

  it('a 3-D Secure card (3220) attached through the API asks for authentication when charged: 402 authentication_required, invoice.payment_action_required, the invoice stays open', async () => {
    const s = sdk();
    const cus = await s.customers.create({ name: 'Ada' });
    const pm = await s.paymentMethods.attach('pm_card_threeDSecure2Required', { customer: cus.id });
    expect(pm.card).toMatchObject({ last4: '3220' });
    const inv = await s.invoices.create({ customer: cus.id, currency: 'USD', auto_advance: false, collection_method: 'charge_automatically' });
    await s.invoiceItems.create({ customer: cus.id, invoice: inv.id, amount: 2900, description: 'Starter' });
    await s.invoices.finalizeInvoice(inv.id);
    await expect(s.invoices.pay(inv.id, { payment_method: pm.id })).rejects.toMatchObject({ statusCode: 402, code: 'authentication_required' });
    expect(await s.invoices.retrieve(inv.id)).toMatchObject({ status: 'open', attempted: true });
    const events = await s.events.list({ type: 'invoice.payment_action_required' });
    expect(events.data.map((e) => (e.data.object as { id: string }).id)).toContain(inv.id);
  });

  it('the billing portal page makes a chosen card the default; a 3-D Secure card shows the challenge first', async () => {
    const s = sdk();
    const cus = await s.customers.create({ name: 'Grace' });
    const session = await s.billingPortal.sessions.create({ customer: cus.id, return_url: 'https://example.test/back' });
    const page = await (await fetch(session.url)).text();
    expect(page).toContain('4000 0000 0000 3220');
    const challenge = await fetch(session.url, { method: 'POST', body: 'card=pm_card_threeDSecure2Required', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(await challenge.text()).toContain('Complete authentication');
    expect((await s.customers.retrieve(cus.id)) as Stripe.Customer).toMatchObject({ invoice_settings: { default_payment_method: null } });
    const done = await fetch(session.url, { method: 'POST', body: 'card=pm_card_threeDSecure2Required&challenge=complete', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('https://example.test/back');
    const updated = (await s.customers.retrieve(cus.id)) as Stripe.Customer;
    const pm = await s.paymentMethods.retrieve(updated.invoice_settings.default_payment_method as string);
    expect(pm).toMatchObject({ customer: cus.id, card: { last4: '3220' } });
    // set up with its challenge, it pays like 4242
    const inv = await s.invoices.create({ customer: cus.id, currency: 'USD', auto_advance: false, collection_method: 'charge_automatically' });
    await s.invoiceItems.create({ customer: cus.id, invoice: inv.id, amount: 2900, description: 'Starter' });
    await s.invoices.finalizeInvoice(inv.id);
    expect((await s.invoices.pay(inv.id)).status).toBe('paid');
  });

  it('billing portal sessions need a known customer', async () => {
    const s = sdk();
    const cus = await s.customers.create({});
    const ps = await s.billingPortal.sessions.create({ customer: cus.id, return_url: 'https://a.test/back' });
    expect(ps).toMatchObject({ object: 'billing_portal.session', customer: cus.id, return_url: 'https://a.test/back', locale: null });
    expect(ps.configuration).toMatch(/^bpc_/);
    await expect(s.billingPortal.sessions.create({ customer: 'cus_nope' })).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

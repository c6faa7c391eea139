import { OpenMeter } from '@openmeter/sdk';
import Stripe from 'stripe';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEmulator, startTestEmulator } from '../../src/harness/testEmulator.ts';
import type { RunningEmulator } from '../../src/runtime/main.ts';
import { stripeSignatureHeader } from '../../src/stripe/signature.ts';
import { STRIPE_API_VERSION } from '../../src/stripe/StripeEmulator.ts';

/**
 * The Stripe app end to end against the emulated Stripe (stripe.md §2–§5, §7), driven by
 * @openmeter/sdk and by the stripe SDK a user's own code would point at the emulated Stripe.
 */
const KEY = 'sk_test_51LocalmeterStripeAppKey';

describe('Stripe app over a real port (@openmeter/sdk + stripe SDK)', () => {
  let running: RunningEmulator;
  let om: OpenMeter;
  let stripe: Stripe;
  let appId: string;

  beforeAll(async () => {
    running = await startTestEmulator();
    om = new OpenMeter({ baseUrl: running.url, apiKey: 'om_test' });
    const u = new URL(running.stripeUrl!);
    stripe = new Stripe(KEY, { host: u.hostname, port: Number(u.port), protocol: 'http', apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion });
  });
  afterAll(async () => running.stop());

  it('installs with an API key: the account is asked, the webhook endpoint registered (service/factory.go)', async () => {
    const health = (await (await fetch(`${running.url}/_emulator/health`)).json()) as { stripe: unknown };
    expect(health.stripe).toMatchObject({ url: running.stripeUrl, appApiBase: 'in-process' });
    const r = await om.apps.marketplace.installWithAPIKey('stripe', { apiKey: KEY });
    const app = r!.app as { id: string; stripeAccountId: string; maskedAPIKey: string; livemode: boolean; status: string; description: string };
    appId = app.id;
    const acct = await stripe.accounts.retrieve();
    expect(app).toMatchObject({ stripeAccountId: acct.id, maskedAPIKey: 'sk_test_***Key', livemode: false, status: 'ready', description: `Stripe account ${acct.id}` });
    const endpoints = await stripe.webhookEndpoints.list();
    expect(endpoints.data).toHaveLength(1);
    expect(endpoints.data[0]).toMatchObject({
      url: `${running.url}/api/v1/apps/${appId}/stripe/webhook`,
      description: 'OpenMeter Stripe Webhook, do not delete or modify manually',
      api_version: STRIPE_API_VERSION,
      metadata: { om_namespace: 'default', om_app_id: appId },
    });
    expect(endpoints.data[0]!.enabled_events).toHaveLength(12);
    // adapter/stripe.go: one app per Stripe account and mode → 409
    const again = await fetch(`${running.url}/api/v1/marketplace/listings/stripe/install/apikey`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: KEY }) });
    expect(again.status).toBe(409);
  });

  it('checkout: the Stripe customer is created, the session completed with a good card, the signed webhook sets the payment method', async () => {
    const customer = await om.customers.create({ name: 'Ada', key: 'ada', primaryEmail: 'ada@example.com', usageAttribution: { subjectKeys: ['ada'] } });
    const session = await om.apps.stripe.createCheckoutSession({ customer: { key: 'ada' }, options: { successURL: 'https://app.test/ok', currency: 'USD' } });
    expect(session).toMatchObject({ customerId: customer!.id, mode: 'setup', status: 'open', successURL: 'https://app.test/ok', currency: 'USD', metadata: {} });
    const cs = await stripe.checkout.sessions.retrieve(session!.sessionId);
    expect(cs.url).toBe(session!.url);
    const si = await stripe.setupIntents.retrieve(session!.setupIntentId);
    expect(si.metadata).toEqual({ om_namespace: 'default', om_app_id: appId, om_customer_id: customer!.id });
    const cus = await stripe.customers.retrieve(session!.stripeCustomerId);
    expect(cus).toMatchObject({ name: 'Ada', email: 'ada@example.com', metadata: { om_namespace: 'default', om_customer_id: customer!.id } });
    const before = await om.customers.stripe.get('ada');
    expect(before).toMatchObject({ stripeCustomerId: session!.stripeCustomerId });
    expect(before!.stripeDefaultPaymentMethodId).toBeUndefined();

    // the customer picks the good card on the local checkout page
    const done = await fetch(cs.url!, { method: 'POST', body: 'card=pm_card_visa', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(done.status).toBe(303);
    const after = await om.customers.stripe.get('ada');
    const intent = await stripe.setupIntents.retrieve(session!.setupIntentId);
    expect(intent.status).toBe('succeeded');
    expect(after!.stripeDefaultPaymentMethodId).toBe(intent.payment_method);
    // the refused second install left its endpoint behind (the real quirk, stripe.md §2.1 step 7): Stripe posts there too
    const delivered = running.emulator.stripe.deliveries.filter((d) => d.type === 'setup_intent.succeeded' && d.url.includes(appId));
    expect(delivered).toEqual([expect.objectContaining({ url: `${running.url}/api/v1/apps/${appId}/stripe/webhook`, status: 201 })]);
  });

  it('the failing card (4000 0000 0000 0341) attaches through the /_emulator call but fails to charge', async () => {
    await om.customers.create({ name: 'Bob', key: 'bob', usageAttribution: { subjectKeys: ['bob'] } });
    const session = await om.apps.stripe.createCheckoutSession({ customer: { key: 'bob' }, options: { successURL: 'https://app.test/ok' } });
    const r = await fetch(`${running.url}/_emulator/stripe/checkout/sessions/${session!.sessionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ card: '4000 0000 0000 0341' }),
    });
    expect(r.status).toBe(200);
    const data = await om.customers.stripe.get('bob');
    const pm = await stripe.paymentMethods.retrieve(data!.stripeDefaultPaymentMethodId!);
    expect(pm).toMatchObject({ customer: session!.stripeCustomerId, card: { last4: '0341' } });
    const inv = await stripe.invoices.create({ customer: session!.stripeCustomerId, default_payment_method: pm.id, auto_advance: false });
    await stripe.invoiceItems.create({ customer: session!.stripeCustomerId, invoice: inv.id, amount: 1000 });
    await stripe.invoices.finalizeInvoice(inv.id);
    await expect(stripe.invoices.pay(inv.id)).rejects.toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    // a completed session cannot be completed again
    const twice = await fetch(`${running.url}/_emulator/stripe/checkout/sessions/${session!.sessionId}/complete`, { method: 'POST' });
    expect(twice.status).toBe(400);
  });

  it('portal sessions: 201 with the mapped Stripe customer; locale is not sent to Stripe (adapter/stripe.go)', async () => {
    const p = await om.customers.stripe.createPortalSession('ada', { returnUrl: 'https://app.test/back', locale: 'de' });
    const data = await om.customers.stripe.get('ada');
    expect(p).toMatchObject({ stripeCustomerId: data!.stripeCustomerId, returnUrl: 'https://app.test/back', locale: '', livemode: false });
    expect(p!.url).toContain(running.stripeUrl!);
    expect(p!.configurationId).toMatch(/^bpc_/);
  });

  it('a revoked key makes Stripe answer 401: the call is 401 and the app unauthorized until its key is replaced', async () => {
    await fetch(`${running.url}/_emulator/stripe/keys/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: KEY }) });
    const r = await fetch(`${running.url}/api/v1/customers/ada/stripe/portal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(401);
    expect((await om.apps.get(appId))!.status).toBe('unauthorized');
    // adapter/stripe.go UpdateAPIKey: same mode, same account, back to ready
    const live = await fetch(`${running.url}/api/v1/apps/${appId}/stripe/api-key`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secretAPIKey: 'sk_live_51LocalmeterOther' }) });
    expect(live.status).toBe(400);
    expect(((await live.json()) as { detail: string }).detail).toContain('new stripe api key is in live mode but the app is in test mode');
    await om.apps.stripe.updateApiKey(appId, { secretAPIKey: 'sk_test_51LocalmeterRolledKey' });
    expect(await om.apps.get(appId)).toMatchObject({ status: 'ready', maskedAPIKey: 'sk_test_***Key' });
  });
});

describe('Stripe app in process (supertest)', () => {
  const install = async (app: ReturnType<typeof createTestEmulator>['app']) =>
    (await request(app).post('/v3/openmeter/app-catalog/install').send({ type: 'stripe', name: 'Stripe', api_key: KEY, create_billing_profile: true }).expect(201)).body;

  it('v3 checkout: seed result shape; defaults make success_url required (stripe.md §4.2 step 6)', async () => {
    const { app } = createTestEmulator();
    const inst = await install(app);
    // the new Stripe profile becomes the default over the sandbox's (adapter/stripe.go)
    expect(inst.default_for_capability_types).toHaveLength(3);
    const cust = (await request(app).post('/v3/openmeter/customers').send({ key: 'c1', name: 'C1', currency: 'EUR' }).expect(201)).body;
    const missing = await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/checkout-sessions`).send({ stripe_options: {} }).expect(400);
    expect(JSON.stringify(missing.body)).toContain('success url is required for hosted ui mode');
    const r = await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/checkout-sessions`).send({ stripe_options: { success_url: 'https://a.test/ok' } }).expect(201);
    expect(r.body).toMatchObject({ customer_id: cust.id, mode: 'setup', status: 'open', success_url: 'https://a.test/ok', currency: 'EUR', metadata: {} });
    // the emulated Stripe keeps the emulator's clock: created now (frozen 2026-01-01), expiring in 24 h
    expect(new Date(r.body.created_at).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(r.body.expires_at).toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(r.body.stripe_customer_id).toMatch(/^cus_/);
    expect(r.body.session_id).toMatch(/^cs_test_/);
    expect(r.body.setup_intent_id).toMatch(/^seti_/);
    expect(Object.keys(r.body).sort()).toEqual(['created_at', 'currency', 'customer_id', 'expires_at', 'metadata', 'mode', 'session_id', 'setup_intent_id', 'status', 'stripe_customer_id', 'success_url', 'url']);
    // reserved metadata → 400
    await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/checkout-sessions`).send({ stripe_options: { success_url: 'https://a.test/ok', metadata: { om_app_id: 'x' } } }).expect(400);
    // embedded: client_secret instead of url, no cancel_url allowed
    const emb = await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/checkout-sessions`).send({ stripe_options: { ui_mode: 'embedded', return_url: 'https://a.test/r' } }).expect(201);
    expect(emb.body.client_secret).toBeDefined();
    expect(emb.body.url).toBeUndefined();
  });

  it('v3 portal: 201, 412 without a mapping, 410 for a deleted customer', async () => {
    const { app, emulator } = createTestEmulator();
    await install(app);
    const cust = (await request(app).post('/v3/openmeter/customers').send({ key: 'c1', name: 'C1' }).expect(201)).body;
    await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/portal-sessions`).send({ stripe_options: {} }).expect(412);
    await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/checkout-sessions`).send({ stripe_options: { success_url: 'https://a.test/ok' } }).expect(201);
    const p = await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/portal-sessions`).send({ stripe_options: { return_url: 'https://a.test/b' } }).expect(201);
    expect(p.body).toMatchObject({ return_url: 'https://a.test/b', locale: '', livemode: false });
    expect(p.body.url).toContain('/billing_portal/');
    expect(emulator.stripe.find(p.body.id)).toMatchObject({ object: 'billing_portal.session', customer: p.body.stripe_customer_id });
    await request(app).delete(`/v3/openmeter/customers/${cust.id}`).expect(204);
    const gone = await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/portal-sessions`).send({ stripe_options: {} }).expect(410);
    expect(gone.body).toMatchObject({ status: 410 });
  });

  it('v1 checkout: Stripe\'s 400 is a 400 "stripe error: …, request log url: …" (client/client.go); an unknown customer 404', async () => {
    const { app } = createTestEmulator();
    await install(app);
    await request(app).post('/api/v1/customers').send({ key: 'k', name: 'K', usageAttribution: { subjectKeys: ['k'] } }).expect(201);
    // v1 has no defaults: Stripe itself asks for a success_url for a hosted session
    const r = await request(app).post('/api/v1/stripe/checkout/sessions').send({ customer: { key: 'k' }, options: {} }).expect(400);
    expect(r.body.detail).toMatch(/^stripe error: You must provide a success_url\., request log url: http:\/\/127\.0\.0\.1:12111\/logs\/req_/);
    await request(app).post('/api/v1/stripe/checkout/sessions').send({ customer: { key: 'nobody' }, options: { successURL: 'https://a.test' } }).expect(404);
    const created = await request(app).post('/api/v1/stripe/checkout/sessions').send({ customer: { name: 'New One', key: 'new-one' }, options: { successURL: 'https://a.test' } }).expect(201);
    await request(app).get(`/api/v1/customers/${created.body.customerId}`).expect(200);
  });

  it('v1 customer Stripe data: 412 without a mapping, upsert checks the customer and payment method in Stripe (adapter/customer.go)', async () => {
    const { app, emulator } = createTestEmulator();
    await install(app);
    await request(app).post('/api/v1/customers').send({ key: 'k', name: 'K', usageAttribution: { subjectKeys: ['k'] } }).expect(201);
    const none = await request(app).get('/api/v1/customers/k/stripe').expect(412);
    expect(none.body.detail).toBe('customer has no data for stripe app');
    const unknown = await request(app).put('/api/v1/customers/k/stripe').send({ stripeCustomerId: 'cus_nope' }).expect(412);
    expect(unknown.body.detail).toMatch(/^stripe customer cus_nope not found in stripe account: acct_/);
    await request(app).put('/api/v1/customers/k/stripe').send({ stripeCustomerId: 'cus_x', stripeDefaultPaymentMethodId: 'card_1' }).expect(400);
    // a user's own code creates the Stripe customer through the emulated Stripe
    const sdkReq = (path: string, body: string) => emulator.stripe.handle({ method: 'POST', path, query: '', headers: { authorization: `Bearer ${KEY}` }, body });
    const cus = (await sdkReq('/v1/customers', 'name=K')).body as { id: string };
    const other = (await sdkReq('/v1/customers', 'name=Other')).body as { id: string };
    const pm = (await sdkReq('/v1/payment_methods/pm_card_visa/attach', `customer=${other.id}`)).body as { id: string };
    const notOwned = await request(app).put('/api/v1/customers/k/stripe').send({ stripeCustomerId: cus.id, stripeDefaultPaymentMethodId: pm.id }).expect(412);
    expect(notOwned.body.detail).toContain(`does not belong to stripe customer ${cus.id}`);
    const ok = await request(app).put('/api/v1/customers/k/stripe').send({ stripeCustomerId: cus.id }).expect(200);
    expect(ok.body).toMatchObject({ type: 'stripe', stripeCustomerId: cus.id, app: { type: 'stripe' } });
    expect(ok.body.id).toBe(ok.body.app.id);
    await request(app).get('/api/v1/customers/k/stripe').expect(200);
    // one Stripe customer per app
    await request(app).post('/api/v1/customers').send({ key: 'k2', name: 'K2', usageAttribution: { subjectKeys: ['k2'] } }).expect(201);
    const dup = await request(app).put('/api/v1/customers/k2/stripe').send({ stripeCustomerId: cus.id }).expect(412);
    expect(dup.body.detail).toBe('unique stripe customer id');
  });

  it('webhook: signature, api version and metadata checks (httpdriver/webhook.go); in-process delivery after completion', async () => {
    const { app, emulator } = createTestEmulator();
    const inst = await install(app);
    const appId = inst.app.id as string;
    const cust = (await request(app).post('/v3/openmeter/customers').send({ key: 'c1', name: 'C1' }).expect(201)).body;
    const cs = (await request(app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/checkout-sessions`).send({ stripe_options: { success_url: 'https://a.test/ok' } }).expect(201)).body;
    await request(app).post(`/_emulator/stripe/checkout/sessions/${cs.session_id}/complete`).send({ card: 'pm_card_visa' }).expect(200);
    const data = await request(app).get(`/api/v1/customers/${cust.id}/stripe`).expect(200);
    expect(data.body.stripeDefaultPaymentMethodId).toMatch(/^pm_/);

    const secret = (emulator.read('default', (tx) => emulator.services.apps.stripeSecrets(tx, { id: appId }))!.secrets.webhookSecret)!;
    const t = Math.floor(emulator.clock.now().getTime() / 1000);
    const post = (evt: Record<string, unknown>, sign = secret) => {
      const body = JSON.stringify(evt);
      return request(app).post(`/api/v1/apps/${appId}/stripe/webhook`).set('content-type', 'application/json').set('stripe-signature', stripeSignatureHeader(sign, t, body)).send(body);
    };
    const evt = (type: string, object: Record<string, unknown>, api_version = STRIPE_API_VERSION) => ({ id: 'evt_1', object: 'event', type, livemode: false, created: t, api_version, data: { object } });
    const bad = await post(evt('setup_intent.succeeded', {}), 'whsec_wrong').expect(400);
    expect(bad.body.detail).toMatch(/^failed to construct webhook event: /);
    const newer = await post(evt('setup_intent.succeeded', {}, '2026-01-28.endive')).expect(400);
    expect(newer.body.detail).toContain('Received event with API version 2026-01-28.endive');
    const foreign = await post(evt('setup_intent.succeeded', { metadata: {} })).expect(201);
    expect(foreign.body).toEqual({ namespaceId: '', appId: '', message: 'ignoring event as it was not initiated by the openmeter app' });
    await post(evt('setup_intent.succeeded', { metadata: { om_app_id: appId, om_namespace: 'other' }, customer: 'cus_x', payment_method: 'pm_x' })).expect(400);
    await post(evt('setup_intent.succeeded', { metadata: { om_app_id: appId, om_namespace: 'default' }, customer: 'cus_unknown', payment_method: 'pm_x' })).expect(412);
    const noop = await post(evt('invoice.paid', { id: 'in_1' })).expect(201);
    expect(noop.body).toEqual({ namespaceId: 'default', appId });
    const unsupported = await post(evt('charge.succeeded', {})).expect(400);
    expect(unsupported.body.detail).toBe('unsupported event type: charge.succeeded');
    await request(app).post('/api/v1/apps/01J00000000000000000000000/stripe/webhook').set('content-type', 'application/json').send(evt('invoice.paid', {})).expect(404);
    await post(evt('invoice.paid', { id: 'in_1', padding: 'x'.repeat(600 * 1024) })).expect(413);
  });

  it('uninstall deletes the webhook endpoint in Stripe after the commit; 409 while a profile uses the app', async () => {
    const { app, emulator } = createTestEmulator();
    const inst = await (await request(app).post('/api/v1/marketplace/listings/stripe/install/apikey').send({ apiKey: KEY, createBillingProfile: false }).expect(200)).body;
    const list = () => emulator.stripe.handle({ method: 'GET', path: '/v1/webhook_endpoints', query: '', headers: { authorization: `Bearer ${KEY}` }, body: '' });
    expect(((await list()).body as { data: unknown[] }).data).toHaveLength(1);
    await request(app).delete(`/api/v1/apps/${inst.app.id}`).expect(204);
    expect(((await list()).body as { data: unknown[] }).data).toHaveLength(0);
    const withProfile = await install(app);
    await request(app).delete(`/v3/openmeter/apps/${withProfile.app.id}`).expect(409);
  });

  it('the marketplace OAuth2 install operations answer a bare 501 Unimplemented (server/router/marketplace.go)', async () => {
    const { app } = createTestEmulator();
    const url = await request(app).get('/api/v1/marketplace/listings/stripe/install/oauth2').expect(501);
    expect(url.text).toBe('Unimplemented');
    const auth = await request(app).get('/api/v1/marketplace/listings/stripe/install/oauth2/authorize').query({ state: 's', code: 'c' }).expect(501);
    expect(auth.text).toBe('Unimplemented');
  });

  it('the emulated Stripe keeps its state in the data directory and in snapshots', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lm-stripe-'));
    try {
      const first = createTestEmulator({ dataDir: dir });
      const inst = await install(first.app);
      const cust = (await request(first.app).post('/v3/openmeter/customers').send({ key: 'c1', name: 'C1' }).expect(201)).body;
      await request(first.app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/checkout-sessions`).send({ stripe_options: { success_url: 'https://a.test/ok' } }).expect(201);
      const snap = (await request(first.app).get('/_emulator/snapshot').expect(200)).body;
      await first.emulator.close();

      // restarted: the app's Stripe customer and webhook endpoint are still known to Stripe
      const again = createTestEmulator({ dataDir: dir });
      await request(again.app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/portal-sessions`).send({ stripe_options: {} }).expect(201);
      const secret = again.emulator.read('default', (tx) => again.emulator.services.apps.stripeSecrets(tx, { id: inst.app.id }))!.secrets.webhookId!;
      expect(again.emulator.stripe.find(secret)).toMatchObject({ object: 'webhook_endpoint' });
      await again.emulator.close();

      // a snapshot carries it to a fresh emulator
      const fresh = createTestEmulator();
      await request(fresh.app).put('/_emulator/snapshot').send(snap).expect(204);
      await request(fresh.app).post(`/v3/openmeter/customers/${cust.id}/billing/stripe/portal-sessions`).send({ stripe_options: {} }).expect(201);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import type { Emulator } from '../../src/runtime/Emulator.ts';
import { fee, plan as planBody, usageCard } from './monetizationFixtures.ts';

/*
 * Reference zuplo-monetization.md §4 steps 3 and 14 (decision 0033): the emulated Checkout's
 * 3-D Secure card, the billing portal's card switch (P12) that the next charge follows, a failed
 * renewal with its grace period (open questions 8–9), paying the failed invoice in the bucket.
 * The gateway policy's decision (MonetizationInboundPolicy, §1.1 row 11: 403 "Payment is overdue.
 * Please update your payment method." once the days since `lastPaymentFailedAt` reach
 * `maxPaymentOverdueDays`) is stated beside what validate-api-key answers it.
 */

const BUCKET = 'renewal-wc';
const PORTAL = `/v3/zudoku-metering/${BUCKET}`;
const METERING = `/v3/metering/${BUCKET}`;
const STRIPE_KEY = 'sk_test_renewal_0123456789';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2lnbmF0dXJl`;
const U = { Authorization: `Bearer ${jwt({ sub: 'auth0|u1', email: 'u1@example.com' })}` };
const V = { Authorization: `Bearer ${jwt({ sub: 'auth0|v1', email: 'v1@example.com' })}` };

async function world(): Promise<{ app: Express; emulator: Emulator; starter: string }> {
  const { app, emulator } = createTestEmulator({ quiet: process.env.DBG !== '1' });
  await request(app).post(`${METERING}/meters`).send({ slug: 'api_requests', name: 'API requests', eventType: 'api_requests', aggregation: 'COUNT' }).expect(201);
  await request(app).post(`${METERING}/features`).send({ key: 'api_requests', name: 'API requests', meterSlug: 'api_requests' }).expect(201);
  const plan = await request(app)
    .post(`${METERING}/plans`)
    .send(planBody('starter', [fee('29'), usageCard({ included: 10, soft: false })]))
    .expect(201);
  await request(app).post(`${METERING}/plans/${plan.body.id}/publish`).expect(200);
  await request(app).post(`${METERING}/setup/stripe`).send({ apiKey: STRIPE_KEY, name: 'Stripe' }).expect(201);
  return { app, emulator, starter: plan.body.id };
}

const checkoutBody = (planId: string) => ({ planId, successURL: 'https://portal.test/checkout-confirm', cancelURL: 'https://portal.test/pricing' });
const sessionOf = (url: string) => new URL(url).pathname.split('/').pop()!;
const advanceTo = (app: Express, to: string) => request(app).post('/_emulator/clock/advance').send({ to }).expect(200);
const gateway = async (app: Express, apiKey: string) => (await request(app).post(`${METERING}/validate-api-key`).send({ apiKey }).expect(200)).body.subscription;

async function stripeGet(emulator: Emulator, path: string, query = ''): Promise<Record<string, unknown>> {
  const r = await emulator.stripe.handle({ method: 'GET', path, query, headers: { authorization: `Bearer ${STRIPE_KEY}` }, body: '' });
  return r.body as Record<string, unknown>;
}

describe('emulated Checkout: 3-D Secure card 4000 0000 0000 3220 (reference §4 step 3, open question 18)', () => {
  it('asks for a challenge first; a failed challenge saves no card; a completed one saves it and it pays like 4242', async () => {
    const { app, emulator, starter } = await world();
    const first = await request(app).post(`${PORTAL}/stripe/checkout`).set(V).send(checkoutBody(starter)).expect(200);
    const sessionId = sessionOf(first.body.url);
    const session = emulator.stripe.find(sessionId)!;

    // the card alone: Stripe's setup intent waits for the customer's action, the session stays open
    const pending = await request(app).post(`/_emulator/stripe/checkout/sessions/${sessionId}/complete`).send({ card: '4000 0000 0000 3220' }).expect(200);
    expect(pending.body).toMatchObject({ requiresAction: true, session: { status: 'open' } });
    expect(emulator.stripe.find(session.setup_intent as string)).toMatchObject({ status: 'requires_action', next_action: { type: 'use_stripe_sdk' } });

    // the challenge fails: the setup fails (setup_intent_authentication_failure), no card is on file
    const failed = await request(app).post(`/_emulator/stripe/checkout/sessions/${sessionId}/complete`).send({ card: '4000 0000 0000 3220', challenge: 'fail' }).expect(400);
    expect(failed.body.detail).toContain('authentication failed');
    expect(emulator.stripe.find(session.setup_intent as string)).toMatchObject({ status: 'requires_payment_method', last_setup_error: { code: 'setup_intent_authentication_failure' } });
    expect((await request(app).post(`${PORTAL}/stripe/checkout`).set(V).send(checkoutBody(starter)).expect(200)).body.url).toContain('/checkout/');

    // the challenge completes: the card is saved and the browser goes to the success URL
    const done = await request(app).post(`/_emulator/stripe/checkout/sessions/${sessionId}/complete`).send({ card: '4000 0000 0000 3220', challenge: 'complete' }).expect(200);
    expect(done.body).toMatchObject({ session: { status: 'complete' }, redirectUrl: 'https://portal.test/checkout-confirm' });
    expect(done.body.requiresAction).toBeUndefined();
    expect(emulator.stripe.find(session.setup_intent as string)).toMatchObject({ status: 'succeeded', payment_method: done.body.paymentMethod });
    const events = (await stripeGet(emulator, '/v1/events')).data as Array<{ type: string }>;
    expect(events.map((e) => e.type).filter((t) => t.startsWith('setup_intent.')).reverse()).toEqual(['setup_intent.requires_action', 'setup_intent.setup_failed', 'setup_intent.requires_action', 'setup_intent.succeeded']);

    // the authenticated card pays the first invoice
    const sub = (await request(app).post(`${PORTAL}/subscriptions`).set(V).send({ planId: starter }).expect(200)).body;
    expect(await gateway(app, sub.consumer.apiKeys[0].key)).toMatchObject({ paymentStatus: { status: 'paid', isFirstPayment: false } });
  });
});

describe('billing portal card switch, failed renewal and grace (reference §4 step 14; decision 0033)', () => {
  it('the portal makes 0341 the default; the renewal fails at T; 3 days of grace, 0 from customer metadata; a 3-D Secure card set in the portal pays the failed invoice on retry', async () => {
    const { app, emulator, starter } = await world();
    const first = await request(app).post(`${PORTAL}/stripe/checkout`).set(U).send(checkoutBody(starter)).expect(200);
    await request(app).post(`/_emulator/stripe/checkout/sessions/${sessionOf(first.body.url)}/complete`).send({ card: '4242 4242 4242 4242' }).expect(200);
    const sub = (await request(app).post(`${PORTAL}/subscriptions`).set(U).send({ planId: starter }).expect(200)).body;
    const key = sub.consumer.apiKeys[0].key as string;
    expect(await gateway(app, key)).toMatchObject({ paymentStatus: { status: 'paid', isFirstPayment: false } });

    // P12 → the emulated portal; the user adds 0341, which becomes the Stripe customer's default
    const portal = await request(app).post(`${PORTAL}/stripe/portal`).set(U).send({ email: 'u1@example.com', returnURL: 'https://portal.test/subscriptions' }).expect(200);
    const portalSession = sessionOf(portal.body.url);
    const switched = await request(app).post(`/_emulator/stripe/billing_portal/sessions/${portalSession}/payment_method`).send({ card: '4000 0000 0000 0341' }).expect(200);
    expect(switched.body).toMatchObject({ customer: { invoice_settings: { default_payment_method: switched.body.paymentMethod } }, redirectUrl: 'https://portal.test/subscriptions' });
    const types = ((await stripeGet(emulator, '/v1/events')).data as Array<{ type: string; data: { previous_attributes?: unknown } }>).slice(0, 4);
    // Stripe's order: the intent, the attachment, the intent's success, the customer's new default (newest first here)
    expect(types.map((e) => e.type)).toEqual(['customer.updated', 'setup_intent.succeeded', 'payment_method.attached', 'setup_intent.created']);
    expect(types[0]!.data.previous_attributes).toEqual({ invoice_settings: { default_payment_method: null } });
    // a declined card in the portal changes nothing
    await request(app).post(`/_emulator/stripe/billing_portal/sessions/${portalSession}/payment_method`).send({ card: '4000 0000 0000 9995' }).expect(400);
    expect(emulator.stripe.find(switched.body.customer.id)).toMatchObject({ invoice_settings: { default_payment_method: switched.body.paymentMethod } });

    // February's $29 is charged to the portal's card, not the checkout's: it fails at T
    await advanceTo(app, '2026-02-01T00:00:00Z');
    const T = '2026-02-01T00:00:00Z'; // the renewal invoice is issued and charged at the period start
    const failed = await gateway(app, key);
    expect(failed).toMatchObject({ paymentStatus: { status: 'failed', isFirstPayment: false, lastPaymentFailedAt: T }, maxPaymentOverdueDays: 3 });
    const invoices = (await request(app).get(`${METERING}/billing/invoices`).expect(200)).body.items as Array<Record<string, any>>;
    const february = invoices.find((i) => i.status === 'payment_processing')!;
    expect(february).toMatchObject({ statusDetails: { extendedStatus: 'payment_processing.failed' }, totals: { total: '29' } });
    const stripeInvoice = emulator.stripe.find(february.externalIds.invoicing)!;
    expect(stripeInvoice.default_payment_method).toBeNull(); // Stripe charged the customer's default

    // a retry two days later fails again with 0341: T stays the first failure (open question 8)
    await advanceTo(app, '2026-02-03T00:00:00Z');
    await request(app).post(`${METERING}/billing/invoices/${february.id}/retry`).expect(200);
    expect(await gateway(app, key)).toMatchObject({ paymentStatus: { status: 'failed', lastPaymentFailedAt: T } });
    // 2 days 23 h 59 min since T < 3 days: the policy lets calls through; from T + 3 days it answers 403 "Payment is overdue."
    await advanceTo(app, '2026-02-03T23:59:00Z');
    expect(await gateway(app, key)).toMatchObject({ paymentStatus: { status: 'failed', lastPaymentFailedAt: T }, maxPaymentOverdueDays: 3 });

    // customer metadata overrides plan and bucket: 0 → blocked at once
    const customer = (await request(app).get(`${METERING}/customers/${encodeURIComponent('auth0|u1')}`).expect(200)).body;
    await request(app)
      .put(`${METERING}/customers/${customer.id}`)
      .send({ name: customer.name, key: customer.key, primaryEmail: customer.primaryEmail, usageAttribution: customer.usageAttribution, metadata: { zuplo_max_payment_overdue_days: '0' } })
      .expect(200);
    expect(await gateway(app, key)).toMatchObject({ maxPaymentOverdueDays: 0 });

    // the user switches to the 3-D Secure card in the portal (challenge completed), then the invoice is paid on retry
    const pending = await request(app).post(`/_emulator/stripe/billing_portal/sessions/${portalSession}/payment_method`).send({ card: '4000 0000 0000 3220' }).expect(200);
    expect(pending.body.requiresAction).toBe(true);
    const threeDs = await request(app).post(`/_emulator/stripe/billing_portal/sessions/${portalSession}/payment_method`).send({ card: '4000 0000 0000 3220', challenge: 'complete' }).expect(200);
    expect(threeDs.body.customer.invoice_settings.default_payment_method).toBe(threeDs.body.paymentMethod);
    const paid = await request(app).post(`${METERING}/billing/invoices/${february.id}/retry`).expect(200);
    expect(paid.body).toMatchObject({ status: 'paid' });
    const restored = await gateway(app, key);
    expect(restored.paymentStatus).toMatchObject({ status: 'paid', isFirstPayment: false, lastPaymentSucceededAt: '2026-02-03T23:59:00Z' });
    expect(restored.paymentStatus.lastPaymentFailedAt).toBeUndefined();
  });
});

describe('portal pending credits (P5, open question 19): a fixture per customer', () => {
  it('none by default; /_emulator sets them for the customer (units as decimal strings); an empty list clears them; another user still gets 404', async () => {
    const { app, starter } = await world();
    const first = await request(app).post(`${PORTAL}/stripe/checkout`).set(U).send(checkoutBody(starter)).expect(200);
    await request(app).post(`/_emulator/stripe/checkout/sessions/${sessionOf(first.body.url)}/complete`).send({ card: '4242 4242 4242 4242' }).expect(200);
    const sub = (await request(app).post(`${PORTAL}/subscriptions`).set(U).send({ planId: starter }).expect(200)).body;
    const url = `${PORTAL}/subscriptions/${sub.id}/pending-credits`;
    expect((await request(app).get(url).set(U).expect(200)).body).toEqual({ pendingCredits: [] });

    const fixture = `/_emulator/zuplo/buckets/${BUCKET}/customers/${encodeURIComponent('auth0|u1')}/pending-credits`;
    const set = await request(app)
      .put(fixture)
      .send({ pendingCredits: [{ featureKey: 'api_requests', units: '25.50', appliesToInvoiceAt: '2026-02-01T00:00:00Z', source: 'promotion' }] })
      .expect(200);
    expect(set.body).toEqual({ pendingCredits: [{ featureKey: 'api_requests', units: '25.5', appliesToInvoiceAt: '2026-02-01T00:00:00.000Z', source: 'promotion' }] });
    // the portal writes instants in Zuplo's spelling (no milliseconds)
    expect((await request(app).get(url).set(U).expect(200)).body.pendingCredits).toEqual([{ featureKey: 'api_requests', units: '25.5', appliesToInvoiceAt: '2026-02-01T00:00:00Z', source: 'promotion' }]);
    await request(app).get(url).set(V).expect(404);

    await request(app).put(fixture).send({ pendingCredits: [{ featureKey: 'api_requests', units: 'lots', source: 'promotion' }] }).expect(400);
    await request(app).put(`/_emulator/zuplo/buckets/${BUCKET}/customers/nobody/pending-credits`).send({ pendingCredits: [] }).expect(404);
    await request(app).put(fixture).send({ pendingCredits: [] }).expect(200);
    expect((await request(app).get(url).set(U).expect(200)).body).toEqual({ pendingCredits: [] });
  });
});

/**
 * Zuplo monetization under /v3/metering/{bucketId} (reference zuplo-monetization.md §2b, §3, §4;
 * decision 0022): subscriptions own API-key consumers, the plan order picks a change's timing,
 * the payment status derives from the subscription's invoices, and validate-api-key answers what
 * the runtime's MonetizationInboundPolicy reads (@zuplo/runtime 7.6.4, chunk-HTMKXG7D.js).
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import {
  ACCOUNT,
  BUCKET,
  advance,
  advanceTo,
  base,
  invoicesOf,
  issueDraft,
  manualApproval,
  seedMonetizedBucket,
  subscribe,
  use,
  validate,
} from './monetizationFixtures.ts';

const U1 = { customerSub: 'auth0|u1', customerEmail: 'u1@example.com' };

async function world() {
  const { app, emulator } = createTestEmulator();
  const plans = await seedMonetizedBucket(app);
  return { app, emulator, plans };
}

describe('Zuplo monetization: subscribing creates the consumer and its key (B1, §3)', () => {
  it('answers 201 SubscriptionWithAPIKeysResponse: the OpenMeter subscription plus a consumer with one zpka_ key in the bucket', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    expect(s.body).toMatchObject({ status: 'active', plan: { key: 'starter', version: 1 }, currency: 'USD', billingCadence: 'P1M' });
    const consumer = s.body.consumer as Record<string, any>;
    // open question 1: named after the first subscription (lower-cased ULID), tagged and annotated with it
    expect(consumer.name).toBe(s.id.toLowerCase());
    expect(consumer.tags).toEqual({ zuploSubscriptionId: s.id, zuploCustomerId: s.body.customerId });
    expect(consumer.metadata).toEqual({ subscriptionId: s.id, customerId: s.body.customerId, planKey: 'starter' });
    expect(consumer.apiKeys).toHaveLength(1);
    expect(consumer.apiKeys[0].key).toMatch(/^zpka_[0-9a-f]{32}_[0-9a-f]{8}$/);
    // the SEED body creates the customer by subject (key = sub, email = primaryEmail)
    const customer = (await request(app).get(`${base()}/customers/auth0|u1`).expect(200)).body;
    expect(customer).toMatchObject({ id: s.body.customerId, key: 'auth0|u1', primaryEmail: 'u1@example.com' });
    // the consumer is in the project's key bucket, visible through the API-key service
    const listed = (await request(app).get(`${ACCOUNT}/key-buckets/${BUCKET}/consumers?include-api-keys=true`).expect(200)).body.data;
    expect(listed.map((c: { name: string }) => c.name)).toEqual([consumer.name]);
    // B11 lists it
    const subs = (await request(app).get(`${base()}/customers/${customer.id}/subscriptions`).expect(200)).body;
    expect(subs.items.map((x: { id: string }) => x.id)).toEqual([s.id]);
  });

  it('takes the OpenMeter body too: plan {key} and customerKey, timing defaulting to immediate', async () => {
    const { app } = await world();
    await request(app).post(`${base()}/customers`).send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: [] } }).expect(201);
    const s = await subscribe(app, { plan: { key: 'pro' }, customerKey: 'acme' });
    expect(s.body).toMatchObject({ status: 'active', activeFrom: '2026-01-01T00:00:00Z', plan: { key: 'pro' } });
  });

  it('refuses a second running subscription with 409 (open question 17); a duplicate plan only with multipleSubscriptionsEnabled', async () => {
    const { app, plans } = await world();
    await subscribe(app, { ...U1, planId: plans.free });
    const again = await request(app).post(`${base()}/subscriptions`).send({ ...U1, planId: plans.starter }).expect(409);
    expect(again.body).toMatchObject({ type: 'https://httpproblems.com/http-status/409', detail: 'the maximum number of active subscriptions has been reached' });
    await request(app).put(`${base()}/monetization-configuration`).send({ multipleSubscriptionsEnabled: true }).expect(200);
    await request(app).post(`${base()}/subscriptions`).send({ ...U1, planId: plans.free }).expect(409);
  });

  it('refuses a body without a customer or a plan (400) and an unknown plan id (404)', async () => {
    const { app, plans } = await world();
    expect((await request(app).post(`${base()}/subscriptions`).send({ planId: plans.free }).expect(400)).body.detail).toMatch(/customerId, customerKey or customerSub/);
    expect((await request(app).post(`${base()}/subscriptions`).send({ customerSub: 'x' }).expect(400)).body.detail).toMatch(/plan/);
    await request(app).post(`${base()}/subscriptions`).send({ customerSub: 'x', planId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }).expect(404);
  });
});

describe('Zuplo monetization: validate-api-key answers each state as the policy reads it (R1)', () => {
  it('401 for an unknown key, a deleted one and one of another key bucket; 200 with subscription null for a key never bound to a subscription', async () => {
    const { app, plans } = await world();
    const unknown = await validate(app, 'zpka_00000000000000000000000000000000_00000000').expect(401);
    expect(unknown.body.type).toBe('https://httpproblems.com/http-status/401');
    const s = await subscribe(app, { ...U1, planId: plans.free });
    const keyId = (s.body.consumer as any).apiKeys[0].id;
    await request(app).delete(`${ACCOUNT}/key-buckets/${BUCKET}/consumers/${s.consumer}/keys/${keyId}`).expect(204);
    await validate(app, s.key).expect(401);
    const plain = (await request(app).post(`${ACCOUNT}/key-buckets/${BUCKET}/consumers?with-api-key=true`).send({ name: 'plain-consumer' }).expect(200)).body;
    const r = await validate(app, plain.apiKeys[0].key).expect(200);
    expect(r.body).toEqual({ id: plain.apiKeys[0].id, consumer: { name: 'plain-consumer', metadata: {} }, subscription: null });
    // a key of another key bucket is not this bucket's
    await request(app).post(`${ACCOUNT}/key-buckets`).send({ name: 'other-bucket' }).expect(200);
    const foreign = (await request(app).post(`${ACCOUNT}/key-buckets/other-bucket/consumers?with-api-key=true`).send({ name: 'foreign' }).expect(200)).body;
    await validate(app, foreign.apiKeys[0].key).expect(401);
  });

  it('active free plan: entitlements by feature key, payment not required, grace 3, not blocked', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.free });
    const r = (await validate(app, s.key).expect(200)).body;
    expect(r).toMatchObject({ id: (s.body.consumer as any).apiKeys[0].id, consumer: { name: s.consumer, metadata: { subscriptionId: s.id } } });
    expect(r.expiresOn).toBeUndefined();
    expect(r.subscription).toEqual({
      id: s.id,
      customerId: s.body.customerId,
      name: 'Free',
      status: 'active',
      currency: 'USD',
      billingCadence: 'P1M',
      billingAnchor: '2026-01-01T00:00:00Z',
      nextBillingDate: '2026-02-01T00:00:00Z',
      activeFrom: '2026-01-01T00:00:00Z',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      plan: { id: plans.free, name: 'Free', key: 'free', version: 1 },
      entitlements: { api_requests: { balance: 5, hasAccess: true, overage: 0, usage: 0 } },
      paymentStatus: { status: 'not_required', isFirstPayment: true },
      maxPaymentOverdueDays: 3,
      accessBlocked: false,
    });
  });

  it('quota exhausted on a hard limit: usage 5, balance 0, hasAccess false (events attributed through the consumer)', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.free });
    await use(app, s.consumer, s.id, 4);
    // the gateway's events carry no time: they are stamped on arrival and count once the clock has moved past them
    await advance(app, 'PT1S');
    expect((await validate(app, s.key)).body.subscription.entitlements.api_requests).toEqual({ balance: 1, hasAccess: true, overage: 0, usage: 4 });
    await use(app, s.consumer, s.id, 1);
    await advance(app, 'PT1S');
    expect((await validate(app, s.key)).body.subscription.entitlements.api_requests).toEqual({ balance: 0, hasAccess: false, overage: 0, usage: 5 });
  });

  it('events are deduplicated on (id, source): a retried batch counts once', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.free });
    const ev = [{ id: 'same', specversion: '1.0', source: 'monetization-policy', type: 'api_requests', subject: s.consumer, subscription: s.id, data: { total: 1 } }];
    await request(app).post(`${base()}/events`).send(ev).expect(204);
    await request(app).post(`${base()}/events`).send(ev).expect(204);
    await advance(app, 'PT1S');
    expect((await validate(app, s.key)).body.subscription.entitlements.api_requests.usage).toBe(1);
    // a media type with parameters is still JSON here
    await request(app).post(`${base()}/events`).set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify([{ ...ev[0], id: 'charset' }])).expect(204);
    // SEED's Zuplo event requires `subscription`
    const { subscription: _s, ...bare } = ev[0]!;
    await request(app).post(`${base()}/events`).send([{ ...bare, id: 'other' }]).expect(400);
  });

  it('blocked by the administrator: accessBlocked true until unblocked (B9, B10)', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.free });
    expect((await request(app).post(`${base()}/subscriptions/${s.id}/block-access`).expect(200)).body).toEqual({ subscriptionId: s.id, accessBlocked: true });
    expect((await validate(app, s.key)).body.subscription.accessBlocked).toBe(true);
    expect((await request(app).get(`${base()}/subscriptions/${s.id}/access`).expect(200)).body.accessBlocked).toBe(true);
    expect((await request(app).post(`${base()}/subscriptions/${s.id}/unblock-access`).expect(200)).body).toEqual({ subscriptionId: s.id, accessBlocked: false });
    expect((await validate(app, s.key)).body.subscription.accessBlocked).toBe(false);
    await request(app).post(`${base()}/subscriptions/01ARZ3NDEKTSV4RRFFQ69G5FAV/block-access`).expect(404);
    // a block stays with the key across a plan change
    await request(app).post(`${base()}/subscriptions/${s.id}/block-access`).expect(200);
    const ch = (await request(app).post(`${base()}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'starter' } }).expect(200)).body;
    expect((await validate(app, s.key)).body.subscription).toMatchObject({ id: ch.next.id, accessBlocked: true });
  });

  it('canceled but running, then ended: status canceled with activeTo ahead, then inactive (the policy says "expired")', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    const canceled = (await request(app).post(`${base()}/subscriptions/${s.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200)).body;
    expect(canceled).toMatchObject({ status: 'canceled', activeTo: '2026-02-01T00:00:00Z' });
    expect((await validate(app, s.key)).body.subscription).toMatchObject({ status: 'canceled', activeTo: '2026-02-01T00:00:00Z' });
    await advanceTo(app, '2026-02-01T00:00:01Z');
    const ended = (await validate(app, s.key).expect(200)).body.subscription;
    expect(ended).toMatchObject({ id: s.id, status: 'inactive', activeTo: '2026-02-01T00:00:00Z', entitlements: {} });
    // an ended subscription no longer counts against the cap
    await request(app).post(`${base()}/subscriptions`).send({ ...U1, planId: plans.free }).expect(201);
  });

  it('an expired key is still answered, with its expiresOn (the policy refuses it)', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.free });
    await request(app).post(`${ACCOUNT}/key-buckets/${BUCKET}/consumers/${s.consumer}/roll-key`).send({ expiresOn: '2026-01-01T00:00:00Z' }).expect(204);
    const r = (await validate(app, s.key).expect(200)).body;
    expect(r.expiresOn).toBe('2026-01-01T00:00:00Z');
    expect(r.subscription.id).toBe(s.id);
  });

  it('first payment: pending until the in-advance invoice is paid (whenever it is invoiced); then paid', async () => {
    const { app, emulator, plans } = await world();
    // invoices wait for approval, so the answer does not depend on when the fee is invoiced
    await manualApproval(app);
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    expect((await validate(app, s.key)).body.subscription.paymentStatus).toEqual({ status: 'pending', isFirstPayment: true });
    await advance(app, 'PT1M');
    expect((await validate(app, s.key)).body.subscription.paymentStatus).toEqual({ status: 'pending', isFirstPayment: true });
    await issueDraft(emulator, 'paid');
    const [inv] = await invoicesOf(app, s.id);
    expect(inv).toMatchObject({ status: 'paid', totals: { total: '29' } });
    expect((await validate(app, s.key)).body.subscription.paymentStatus).toEqual({ status: 'paid', isFirstPayment: false, lastPaymentSucceededAt: inv!.updatedAt });
  });

  it('first payment failed: failed with isFirstPayment true (the policy blocks at once)', async () => {
    const { app, emulator, plans } = await world();
    await manualApproval(app);
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await advance(app, 'PT1M');
    await issueDraft(emulator, 'failed');
    const [inv] = await invoicesOf(app, s.id);
    expect(inv!.statusDetails.extendedStatus).toBe('payment_processing.failed');
    expect((await validate(app, s.key)).body.subscription.paymentStatus).toEqual({ status: 'failed', isFirstPayment: true, lastPaymentFailedAt: inv!.updatedAt });
    expect((await request(app).get(`${base()}/subscriptions/${s.id}/access`).expect(200)).body.paymentStatus).toEqual({
      status: 'failed',
      isFirstPayment: true,
      lastPaymentFailedAt: inv!.updatedAt,
      maxPaymentOverdueDays: 3,
    });
  });

  it('an uncollectible invoice reads uncollectible, with lastPaymentFailedAt set (open question 8: the policy blocks only through it)', async () => {
    const { app, emulator, plans } = await world();
    await manualApproval(app);
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await advance(app, 'PT1M');
    const id = await issueDraft(emulator, 'uncollectible');
    const inv = (await request(app).get(`${base()}/billing/invoices/${id}`).expect(200)).body;
    expect(inv.status).toBe('uncollectible');
    expect((await validate(app, s.key)).body.subscription.paymentStatus).toEqual({ status: 'uncollectible', isFirstPayment: true, lastPaymentFailedAt: inv.updatedAt });
  });

  it('renewal failed: failed, not first, lastPaymentFailedAt = the failure; grace 3 days by default, 0 by customer metadata', async () => {
    const { app, emulator, plans } = await world();
    await manualApproval(app);
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await advance(app, 'PT1M');
    await issueDraft(emulator, 'paid'); // January's fee, paid at 00:01
    await advanceTo(app, '2026-02-01T00:01:00Z'); // the February in-advance fee waits for approval
    const failedId = await issueDraft(emulator, 'failed');
    const failedAt = (await request(app).get(`${base()}/billing/invoices/${failedId}`).expect(200)).body.updatedAt;
    expect(failedAt).toBe('2026-02-01T00:01:00Z');
    const within = (await validate(app, s.key)).body.subscription;
    expect(within.paymentStatus).toEqual({ status: 'failed', isFirstPayment: false, lastPaymentFailedAt: failedAt, lastPaymentSucceededAt: '2026-01-01T00:01:00Z' });
    expect(within.maxPaymentOverdueDays).toBe(3);
    // after the grace period the answer is the same: the policy compares now − lastPaymentFailedAt with it
    await advanceTo(app, '2026-02-04T00:02:00Z');
    const after = (await validate(app, s.key)).body.subscription;
    expect(after.paymentStatus.lastPaymentFailedAt).toBe(failedAt);
    expect(after.status).toBe('active');
    // customer metadata overrides plan and bucket (reference §4 grace order)
    const c = (await request(app).get(`${base()}/customers/auth0|u1`).expect(200)).body;
    await request(app)
      .put(`${base()}/customers/${c.id}`)
      .send({ name: c.name, key: c.key, primaryEmail: c.primaryEmail, usageAttribution: c.usageAttribution, metadata: { zuplo_max_payment_overdue_days: '0' } })
      .expect(200);
    expect((await validate(app, s.key)).body.subscription.maxPaymentOverdueDays).toBe(0);
  });

  it('bucket maxPaymentOverdueDays applies when neither customer nor plan names one', async () => {
    const { app, plans } = await world();
    await request(app).put(`${base()}/monetization-configuration`).send({ maxPaymentOverdueDays: 7 }).expect(200);
    const s = await subscribe(app, { ...U1, planId: plans.free });
    expect((await validate(app, s.key)).body.subscription.maxPaymentOverdueDays).toBe(7);
  });
});

describe('Zuplo monetization: plan changes keep the key (B3, B4)', () => {
  it('upgrade by plan order is immediate: the same key stands for the new subscription with a fresh quota; credit = 29 × (1 − max(0.5, 0.7))', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await use(app, s.consumer, s.id, 7);
    await advanceTo(app, '2026-01-16T12:00:00Z'); // 15.5 of 31 days
    // no timing: the plan order makes starter → pro an upgrade, applied (and credited) at once
    const est = (await request(app).post(`${base()}/subscriptions/${s.id}/change/estimate-credit`).send({ plan: { key: 'pro' } }).expect(200)).body;
    expect(est).toEqual({
      creditAmount: '8.7',
      currency: 'USD',
      maxPercentage: '0.7',
      timePercentage: '0.5',
      consumptionPercentage: '0.7',
      upfrontCost: '29',
      overflowCredit: '0',
    });
    const ch = (await request(app).post(`${base()}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'pro' } }).expect(200)).body;
    expect(ch.current).toMatchObject({ id: s.id, status: 'inactive', activeTo: '2026-01-16T12:00:00Z' });
    expect(ch.next).toMatchObject({ status: 'active', plan: { key: 'pro' }, annotations: { 'subscription.previous.id': s.id } });
    const r = (await validate(app, s.key).expect(200)).body;
    expect(r.subscription).toMatchObject({ id: ch.next.id, plan: { key: 'pro' }, entitlements: { api_requests: { balance: 50, usage: 0, hasAccess: true } } });
    expect(r.consumer.metadata).toMatchObject({ subscriptionId: ch.next.id, planKey: 'pro' });
  });

  it('a downgrade waits for the next billing cycle and earns no credit: the key keeps the running plan until then (never the scheduled one)', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.pro });
    // no timing: the plan order makes pro → starter a downgrade (next_billing_cycle, no credit)
    const est = (await request(app).post(`${base()}/subscriptions/${s.id}/change/estimate-credit`).send({ plan: { key: 'starter' } }).expect(200)).body;
    expect(est.creditAmount).toBe('0');
    const ch = (await request(app).post(`${base()}/subscriptions/${s.id}/change`).send({ timing: 'next_billing_cycle', plan: { key: 'starter' } }).expect(200)).body;
    expect(ch.current).toMatchObject({ status: 'canceled', activeTo: '2026-02-01T00:00:00Z' });
    expect(ch.next).toMatchObject({ status: 'scheduled', activeFrom: '2026-02-01T00:00:00Z', plan: { key: 'starter' } });
    expect((await validate(app, s.key)).body.subscription).toMatchObject({ id: s.id, plan: { key: 'pro' }, status: 'canceled' });
    await advanceTo(app, '2026-02-01T00:00:01Z');
    expect((await validate(app, s.key)).body.subscription).toMatchObject({ id: ch.next.id, plan: { key: 'starter' }, status: 'active', entitlements: { api_requests: { balance: 10 } } });
  });

  it('an explicit timing wins over the plan order', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.pro });
    const ch = (await request(app).post(`${base()}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'free' } }).expect(200)).body;
    expect(ch.next).toMatchObject({ status: 'active', plan: { key: 'free' } });
  });
});

describe('Zuplo monetization: cancel, resume, restore (B5–B7)', () => {
  it('cancel without timing is immediate; next_billing_cycle is refused (400) when the phase has no priced item', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.free });
    const bad = await request(app).post(`${base()}/subscriptions/${s.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(400);
    expect(bad.body.detail).toMatch(/no priced item/);
    expect((await request(app).post(`${base()}/subscriptions/${s.id}/cancel`).send({}).expect(200)).body).toMatchObject({ status: 'inactive', activeTo: '2026-01-01T00:00:00Z' });
  });

  it('unschedule-cancelation resumes a canceled subscription (activeTo cleared); 400 when nothing is scheduled', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await request(app).post(`${base()}/subscriptions/${s.id}/unschedule-cancelation`).expect(400);
    await request(app).post(`${base()}/subscriptions/${s.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    const resumed = (await request(app).post(`${base()}/subscriptions/${s.id}/unschedule-cancelation`).expect(200)).body;
    expect(resumed.status).toBe('active');
    expect(resumed.activeTo).toBeUndefined();
    await request(app).post(`${base()}/subscriptions/${s.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    expect((await request(app).post(`${base()}/subscriptions/${s.id}/restore`).expect(200)).body.status).toBe('active');
  });
});

describe('Zuplo monetization: access (B8, B17) and meter queries by subscription (B19)', () => {
  it('B8 and B17 show the entitlements, payment status and block of each running subscription', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await use(app, s.consumer, s.id, 3);
    await advance(app, 'PT1S');
    const a = (await request(app).get(`${base()}/subscriptions/${s.id}/access`).expect(200)).body;
    expect(a).toEqual({
      subscriptionId: s.id,
      customerId: s.body.customerId,
      planKey: 'starter',
      entitlements: { api_requests: { hasAccess: true, balance: 7, usage: 3, overage: 0 } },
      // the clock's move ran the in-advance invoice, which the sandbox app paid
      paymentStatus: { status: 'paid', isFirstPayment: false, lastPaymentSucceededAt: '2026-01-01T00:00:00Z', maxPaymentOverdueDays: 3 },
      accessBlocked: false,
    });
    const ca = (await request(app).get(`${base()}/customers/auth0|u1/access`).expect(200)).body;
    expect(ca).toEqual({ entitlements: [{ subscriptionId: s.id, entitlements: a.entitlements, paymentStatus: a.paymentStatus }] });
    await request(app).get(`${base()}/subscriptions/01ARZ3NDEKTSV4RRFFQ69G5FAV/access`).expect(404);
  });

  it('filterSubscription selects the events that name the subscription (open question 13), without grouping by it', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await use(app, s.consumer, s.id, 2);
    await advanceTo(app, '2026-01-10T00:00:00Z');
    const ch = (await request(app).post(`${base()}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'pro' } }).expect(200)).body;
    await use(app, s.consumer, ch.next.id, 3);
    await advance(app, 'PT1S');
    const q = async (ids: string[]) =>
      (await request(app).post(`${base()}/meters/api_requests/query`).send({ filterSubscription: ids }).expect(200)).body.data.reduce((a: number, r: { value: number }) => a + r.value, 0);
    const rows = (await request(app).post(`${base()}/meters/api_requests/query`).send({ filterSubscription: [s.id] }).expect(200)).body.data;
    expect(rows).toEqual([expect.objectContaining({ value: 2, subject: null })]);
    expect(await q([s.id])).toBe(2);
    expect(await q([s.id, ch.next.id])).toBe(5);
    expect(await q(['01ARZ3NDEKTSV4RRFFQ69G5FAV'])).toBe(0);
    expect(await q([ch.next.id])).toBe(3);
    const get = (await request(app).get(`${base()}/meters/api_requests/query?filterSubscription=${ch.next.id}`).expect(200)).body;
    expect(get.data.reduce((a: number, r: { value: number }) => a + r.value, 0)).toBe(3);
    await request(app).post(`${base()}/meters/api_requests/query`).send({ filterSubscription: Array.from({ length: 101 }, (_, i) => `s${i}`) }).expect(400);
  });
});

describe('Zuplo monetization: configuration and plan invites (B28–B34)', () => {
  it('configuration: defaults, partial upsert, 400 on an empty body, delete back to defaults', async () => {
    const { app } = createTestEmulator();
    const defaults = { multipleSubscriptionsEnabled: false, planOrder: [], planSettings: {}, maxPaymentOverdueDays: 3 };
    expect((await request(app).get(`${base()}/monetization-configuration`).expect(200)).body).toEqual(defaults);
    const put = (await request(app).put(`${base()}/monetization-configuration`).send({ planOrder: ['a', 'b'], planSettings: { b: { visiblePhases: ['trial'] } } }).expect(200)).body;
    expect(put).toMatchObject({ multipleSubscriptionsEnabled: false, planOrder: ['a', 'b'], planSettings: { b: { visiblePhases: ['trial'] } }, maxPaymentOverdueDays: 3 });
    expect((await request(app).put(`${base()}/monetization-configuration`).send({ maxPaymentOverdueDays: 0 }).expect(200)).body).toMatchObject({ planOrder: ['a', 'b'], maxPaymentOverdueDays: 0 });
    await request(app).put(`${base()}/monetization-configuration`).send({}).expect(400);
    await request(app).put(`${base()}/monetization-configuration`).send({ maxPaymentOverdueDays: -1 }).expect(400);
    await request(app).delete(`${base()}/monetization-configuration`).expect(204);
    expect((await request(app).get(`${base()}/monetization-configuration`).expect(200)).body).toEqual(defaults);
  });

  it('plan invites: create (201), list, get, delete; 404 for an unknown plan or invite', async () => {
    const { app, plans } = await world();
    const inv = (await request(app).post(`${base()}/plan-invites`).send({ email: 'U1@Example.com', planId: plans.pro }).expect(201)).body;
    expect(inv).toEqual({ id: expect.any(String), email: 'u1@example.com', planId: plans.pro, createdAt: '2026-01-01T00:00:00Z' });
    expect((await request(app).get(`${base()}/plan-invites?planId=${plans.pro}`).expect(200)).body.items).toEqual([inv]);
    expect((await request(app).get(`${base()}/plan-invites/${inv.id}`).expect(200)).body).toEqual(inv);
    await request(app).delete(`${base()}/plan-invites/${inv.id}`).expect(204);
    await request(app).get(`${base()}/plan-invites/${inv.id}`).expect(404);
    await request(app).post(`${base()}/plan-invites`).send({ email: 'u1@example.com', planId: '01KDVDNA00G69QW7FVK8G5NVEZ' }).expect(404);
  });
});

describe('Zuplo buckets are full tenants: OpenMeter customers, subscriptions, profiles and invoices under the prefix (B2, B12–B16, B20–B21, B35–B36)', () => {
  it('serves OpenMeter v1 shapes in the bucket only', async () => {
    const { app, plans } = await world();
    const created = (await request(app).post(`${base()}/customers`).send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acmesub'] } }).expect(201)).body;
    expect((await request(app).get(`${base()}/customers`).expect(200)).body.items.map((c: { key: string }) => c.key)).toEqual(['acme']);
    expect((await request(app).get(`${base()}/customers/acme`).expect(200)).body.id).toBe(created.id);
    const put = (await request(app).put(`${base()}/customers/acme`).send({ name: 'Acme Inc', key: 'acme', usageAttribution: { subjectKeys: ['acmesub'] } }).expect(200)).body;
    expect(put.name).toBe('Acme Inc');
    // the default OpenMeter organisation does not see the bucket's customers
    expect((await request(app).get('/api/v1/customers').expect(200)).body.items).toEqual([]);
    const s = await subscribe(app, { customerKey: 'acme', planId: plans.starter });
    const got = (await request(app).get(`${base()}/subscriptions/${s.id}`).expect(200)).body;
    expect(got).toMatchObject({ id: s.id, status: 'active', plan: { key: 'starter' } });
    expect(got.phases[0].items.map((i: { key: string }) => i.key).sort()).toEqual(['api_requests', 'base']);
    // a customer with a running subscription cannot be deleted (OpenMeter's rule)
    await request(app).delete(`${base()}/customers/acme`).expect(400);
    const profiles = (await request(app).get(`${base()}/billing/profiles`).expect(200)).body.items;
    expect(profiles).toHaveLength(1);
    expect((await request(app).get(`${base()}/billing/profiles/${profiles[0].id}`).expect(200)).body.default).toBe(true);
    await advance(app, 'PT1M');
    const invoices = (await request(app).get(`${base()}/billing/invoices`).expect(200)).body.items;
    expect(invoices.map((i: { status: string }) => i.status).sort()).toEqual(['gathering', 'paid']);
    const paid = invoices.find((i: { status: string }) => i.status === 'paid');
    expect((await request(app).get(`${base()}/billing/invoices/${paid.id}`).expect(200)).body.totals.total).toBe('29');
  });
});

describe('Zuplo monetization: Stripe setup and billing readiness (B23–B27)', () => {
  it('a working-copy bucket takes a test key: installs the Stripe app and a default profile; a live key is refused', async () => {
    const { app } = await world();
    const before = (await request(app).get(`${base()}/billing-readiness`).expect(200)).body;
    expect(before).toEqual({ hasStripeApp: false, stripeAppId: null, hasDefaultBillingProfile: false, defaultBillingProfileId: null });
    const live = await request(app).post(`${base()}/setup/stripe`).send({ apiKey: 'sk_live_abc', name: 'Stripe' }).expect(400);
    expect(live.body.detail).toMatch(/working-copy bucket takes only test Stripe keys/);
    const setup = (await request(app).post(`${base()}/setup/stripe`).send({ apiKey: 'sk_test_localmeter', name: 'Stripe', country: 'DE', taxEnabled: true }).expect(201)).body;
    expect(setup.app).toMatchObject({ type: 'stripe', name: 'Stripe' });
    expect(setup.billingProfile).toMatchObject({ default: true, workflow: { tax: { enabled: true, enforced: false } } });
    expect(setup.billingProfile.supplier.addresses[0].country).toBe('DE');
    const ready = (await request(app).get(`${base()}/billing-readiness`).expect(200)).body;
    expect(ready).toEqual({ hasStripeApp: true, stripeAppId: setup.app.id, hasDefaultBillingProfile: true, defaultBillingProfileId: setup.billingProfile.id });
    expect((await request(app).get(`${base()}/setup/stripe`).expect(200)).body).toMatchObject({ app: { id: setup.app.id }, billingProfile: { id: setup.billingProfile.id } });
    // B25: the app's profile becomes the default again with new settings
    const again = (await request(app).post(`${base()}/setup/stripe/${setup.app.id}/billing-profile`).send({ country: 'FR', taxEnforced: true }).expect(201)).body;
    expect(again.billingProfile).toMatchObject({ id: setup.billingProfile.id, default: true, workflow: { tax: { enabled: false, enforced: true } } });
    expect(again.billingProfile.supplier.addresses[0].country).toBe('FR');
    await request(app).post(`${base()}/setup/stripe/01ARZ3NDEKTSV4RRFFQ69G5FAV/billing-profile`).send({}).expect(404);
    // B27: the same key rule on an app update
    await request(app).put(`${base()}/apps/${setup.app.id}`).send({ type: 'stripe', name: 'Stripe', secretAPIKey: 'sk_live_abc' }).expect(400);
  });

  it('a production bucket takes only live keys', async () => {
    const { app } = createTestEmulator();
    const r = await request(app).post(`${base('zprj-shop-production')}/setup/stripe`).send({ apiKey: 'sk_test_abc' }).expect(400);
    expect(r.body.detail).toMatch(/production bucket takes only live Stripe keys/);
  });
});

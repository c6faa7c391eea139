/**
 * Several running subscriptions of one customer in a Zuplo bucket (decision 0031): with the
 * monetization configuration's `multipleSubscriptionsEnabled`, a customer subscribes to several
 * plans (reference zuplo-monetization.md §4 "Cap", §5 question 17: 409 only for a plan key it
 * already runs); each subscription has its own consumer and key (§3), and its entitlements and
 * usage lines count the events naming it (`subscription`, question 13).
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { advance, advanceTo, base, seedMonetizedBucket, subscribe, use, validate } from './monetizationFixtures.ts';

const U1 = { customerSub: 'auth0|u1', customerEmail: 'u1@example.com' };

async function world(multiple: boolean) {
  const { app, emulator } = createTestEmulator();
  const plans = await seedMonetizedBucket(app);
  if (multiple) await request(app).put(`${base()}/monetization-configuration`).send({ multipleSubscriptionsEnabled: true }).expect(200);
  return { app, emulator, plans };
}

describe('Zuplo monetization with multipleSubscriptionsEnabled: several running subscriptions per customer', () => {
  it('subscribes one customer to starter and pro: two subscriptions, two consumers, two keys; the same plan again → 409', async () => {
    const { app, plans } = await world(true);
    const starter = await subscribe(app, { ...U1, planId: plans.starter });
    const pro = await subscribe(app, { ...U1, planId: plans.pro });
    expect(pro.body).toMatchObject({ status: 'active', plan: { key: 'pro' }, customerId: starter.body.customerId });
    expect(pro.consumer).not.toBe(starter.consumer);
    expect(pro.key).not.toBe(starter.key);
    // §4 Cap with multipleSubscriptionsEnabled: only a duplicate plan conflicts (any running one of that key)
    const dup = await request(app).post(`${base()}/subscriptions`).send({ ...U1, planId: plans.starter }).expect(409);
    expect(dup.body.detail).toBe('the maximum number of active subscriptions has been reached');
    const listed = (await request(app).get(`${base()}/customers/auth0|u1/subscriptions`).expect(200)).body.items;
    expect(listed.map((s: { id: string }) => s.id).sort()).toEqual([starter.id, pro.id].sort());
  });

  it("each key's validate-api-key answer is its own subscription, with its own balances and payment status", async () => {
    const { app, plans } = await world(true);
    const starter = await subscribe(app, { ...U1, planId: plans.starter });
    const pro = await subscribe(app, { ...U1, planId: plans.pro });
    await use(app, starter.consumer, starter.id, 3);
    await use(app, pro.consumer, pro.id, 7);
    await advance(app, 'PT1S');
    const s = (await validate(app, starter.key).expect(200)).body;
    expect(s.consumer.name).toBe(starter.consumer);
    expect(s.subscription).toMatchObject({ id: starter.id, plan: { key: 'starter' }, paymentStatus: { status: 'paid', isFirstPayment: false } });
    // the gateway's events name their subscription: starter's 10 requests less its own 3
    expect(s.subscription.entitlements).toEqual({ api_requests: { balance: 7, hasAccess: true, overage: 0, usage: 3 } });
    const p = (await validate(app, pro.key).expect(200)).body;
    expect(p.subscription).toMatchObject({ id: pro.id, plan: { key: 'pro' }, paymentStatus: { status: 'paid', isFirstPayment: false } });
    expect(p.subscription.entitlements).toEqual({ api_requests: { balance: 43, hasAccess: true, overage: 0, usage: 7 } });
    // B8 per subscription, B17 lists both
    expect((await request(app).get(`${base()}/subscriptions/${starter.id}/access`).expect(200)).body.entitlements.api_requests).toEqual({ hasAccess: true, balance: 7, usage: 3, overage: 0 });
    const ca = (await request(app).get(`${base()}/customers/auth0|u1/access`).expect(200)).body.entitlements;
    expect(Object.fromEntries(ca.map((x: any) => [x.subscriptionId, x.entitlements.api_requests.usage]))).toEqual({ [starter.id]: 3, [pro.id]: 7 });
    // starter's hard limit is reached by its own events only: pro keeps access
    await use(app, starter.consumer, starter.id, 7);
    await advance(app, 'PT1S');
    expect((await validate(app, starter.key)).body.subscription.entitlements.api_requests).toEqual({ balance: 0, hasAccess: false, overage: 0, usage: 10 });
    expect((await validate(app, pro.key)).body.subscription.entitlements.api_requests).toMatchObject({ balance: 43, hasAccess: true });
  });

  it("the customer's invoice bills both subscriptions' items, each usage line rated on the events naming its subscription", async () => {
    const { app, plans } = await world(true);
    const starter = await subscribe(app, { ...U1, planId: plans.starter });
    const pro = await subscribe(app, { ...U1, planId: plans.pro });
    // pro: 60 requests, 10 over its 50 at $0.01; starter's 10 must not count on pro's line
    await use(app, pro.consumer, pro.id, 60);
    await use(app, starter.consumer, starter.id, 10);
    await advanceTo(app, '2026-02-01T00:00:01Z');
    const invoices = (await request(app).get(`${base()}/billing/invoices?expand=lines`).expect(200)).body.items as Array<Record<string, any>>;
    const standard = invoices.filter((i) => i.status !== 'gathering').sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)) || String(a.number).localeCompare(String(b.number)));
    const lines = (inv: Record<string, any>) =>
      (inv.lines as Array<Record<string, any>>).map((l) => ({ sub: l.subscription?.subscription?.id, name: l.name, from: l.period.from, qty: l.quantity, total: l.totals.total }));
    // January: each subscription's in-advance fee, invoiced when it was made
    const january = standard.filter((i) => i.createdAt.startsWith('2026-01-01')).flatMap(lines);
    expect(january).toEqual(
      expect.arrayContaining([
        { sub: starter.id, name: 'Base fee', from: '2026-01-01T00:00:00Z', qty: '1', total: '29' },
        { sub: pro.id, name: 'Base fee', from: '2026-01-01T00:00:00Z', qty: '1', total: '99' },
      ]),
    );
    // February 1st: one invoice for the customer with both subscriptions' lines
    const feb = standard.filter((i) => i.createdAt.startsWith('2026-02-01'));
    expect(feb).toHaveLength(1);
    const febLines = lines(feb[0]!);
    expect(new Set(febLines.map((l) => l.sub))).toEqual(new Set([starter.id, pro.id]));
    expect(febLines).toEqual(
      expect.arrayContaining([
        { sub: pro.id, name: 'API requests', from: '2026-01-01T00:00:00Z', qty: '60', total: '0.1' },
        { sub: starter.id, name: 'Base fee', from: '2026-02-01T00:00:00Z', qty: '1', total: '29' },
        { sub: pro.id, name: 'Base fee', from: '2026-02-01T00:00:00Z', qty: '1', total: '99' },
      ]),
    );
  });

  it('with the flag off any second running subscription is refused (409), and so is a second plan after turning it off', async () => {
    const { app, plans } = await world(false);
    await subscribe(app, { ...U1, planId: plans.starter });
    const r = await request(app).post(`${base()}/subscriptions`).send({ ...U1, planId: plans.pro }).expect(409);
    expect(r.body.detail).toBe('the maximum number of active subscriptions has been reached');
    await request(app).put(`${base()}/monetization-configuration`).send({ multipleSubscriptionsEnabled: true }).expect(200);
    await subscribe(app, { ...U1, planId: plans.pro });
    await request(app).put(`${base()}/monetization-configuration`).send({ multipleSubscriptionsEnabled: false }).expect(200);
    await request(app).post(`${base()}/subscriptions`).send({ ...U1, planId: plans.free }).expect(409);
  });

  it('a plan change keeps the key and its own scope: the next subscription counts the events naming it', async () => {
    const { app, plans } = await world(true);
    const starter = await subscribe(app, { ...U1, planId: plans.starter });
    const free = await subscribe(app, { ...U1, planId: plans.free });
    await use(app, free.consumer, free.id, 2);
    await advanceTo(app, '2026-01-10T00:00:00Z');
    const ch = (await request(app).post(`${base()}/subscriptions/${starter.id}/change`).send({ timing: 'immediate', plan: { key: 'pro' } }).expect(200)).body;
    await use(app, starter.consumer, ch.next.id, 4);
    await advance(app, 'PT1S');
    const p = (await validate(app, starter.key).expect(200)).body.subscription;
    expect(p).toMatchObject({ id: ch.next.id, plan: { key: 'pro' } });
    expect(p.entitlements.api_requests).toEqual({ balance: 46, hasAccess: true, overage: 0, usage: 4 });
    expect((await validate(app, free.key)).body.subscription.entitlements.api_requests).toEqual({ balance: 3, hasAccess: true, overage: 0, usage: 2 });
  });

  it('restore is refused while several subscriptions may run (403, workflow/service/subscription.go)', async () => {
    const { app, plans } = await world(true);
    const s = await subscribe(app, { ...U1, planId: plans.starter });
    await request(app).post(`${base()}/subscriptions/${s.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    const r = await request(app).post(`${base()}/subscriptions/${s.id}/restore`).expect(403);
    expect(r.body.detail).toBe('restore subscription is not allowed for multi-subscription');
  });
});

import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { T0, advance, setupSubscriptions } from './subscriptionFixtures.ts';

const v1 = '/api/v1/subscriptions';

/** every entitlement of acme with its window, ids left out (they are compared across runs) */
async function entitlementWindows(app: Express) {
  const res = await request(app).get('/api/v2/customers/acme/entitlements?includeDeleted=true').expect(200);
  return res.body.items
    .map((e: { featureKey: string; type: string; activeFrom: string; deletedAt?: string; measureUsageFrom?: string }) =>
      `${e.featureKey}/${e.type} ${e.activeFrom} → ${e.deletedAt ?? '…'}${e.measureUsageFrom ? ` measure ${e.measureUsageFrom}` : ''}`,
    )
    .sort();
}

async function scenario(step: (app: Express) => Promise<void>) {
  const { app } = await setupSubscriptions();
  const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
  await step(app); // to Feb 10
  await request(app).post(`${v1}/${s.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
  await advance(app, 'P30D'); // to Mar 12, past the Mar 1 end
  return { app, id: s.body.id as string };
}

describe('subscriptions move with the clock (OpenMeter v1)', () => {
  it('phase transition: the trial ends on day 14, the paid phase brings its entitlements; GET follows the clock', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    let access = await request(app).get('/api/v1/customers/acme/access').expect(200);
    expect(access.body.entitlements).toEqual({ sso: { hasAccess: true } });
    await advance(app, 'P14D'); // exactly Jan 15: the paid phase starts
    access = await request(app).get('/api/v1/customers/acme/access').expect(200);
    expect(Object.keys(access.body.entitlements).sort()).toEqual(['sso', 'tokens']);
    // issueAfterReset 1000 becomes the default grant of the metered entitlement (subscriptionspec.go ToScheduleSubscriptionEntitlementInput)
    expect(access.body.entitlements.tokens).toMatchObject({ hasAccess: true, balance: 1000, usage: 0 });
    const got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(got.body.alignment.currentAlignedBillingPeriod).toEqual({ from: '2026-01-15T00:00:00Z', to: '2026-02-01T00:00:00Z' });
    // the current phase shows its items; the past trial still lists its last item versions
    expect(got.body.phases[0].items.map((i: { key: string }) => i.key)).toEqual(['sso']);
    expect(got.body.phases[1].items.map((i: { key: string }) => i.key)).toEqual(['base', 'sso', 'tokens']);
    // an item shows its feature and the entitlement it holds (productcatalog/subscription/http/mapping.go)
    expect(got.body.phases[1].items[2].included).toMatchObject({ feature: { key: 'tokens' }, entitlement: { type: 'metered', featureKey: 'tokens', activeFrom: '2026-01-15T00:00:00Z' } });
    expect(got.body.phases[1].items[0].included).toBeUndefined();
    // subscription entitlements carry the annotations the real service writes and are protected
    const list = await request(app).get('/api/v2/customers/acme/entitlements').expect(200);
    const tokens = list.body.items.find((e: { featureKey: string }) => e.featureKey === 'tokens');
    expect(tokens).toMatchObject({ annotations: { 'subscription.id': s.body.id }, measureUsageFrom: '2026-01-15T00:00:00Z', usagePeriod: { anchor: T0, interval: 'P1M' } });
    const forbidden = await request(app).delete(`/api/v2/customers/acme/entitlements/${tokens.id}`).expect(403);
    expect(forbidden.body.detail).toBe('entitlement is managed by subscription');
    await request(app).delete(`/api/v1/subjects/acme_prod/entitlements/${tokens.id}`).expect(403);
  });

  it('cancelation date: at activeTo the status turns inactive and the entitlements end', async () => {
    const { app, id } = await scenario((a) => advance(a, 'P40D').then(() => undefined));
    const got = await request(app).get(`${v1}/${id}`).expect(200);
    expect(got.body).toMatchObject({ status: 'inactive', activeTo: '2026-03-01T00:00:00Z' });
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements).toEqual({});
  });

  it('the same entitlements whether the clock jumps 40 days at once or walks in daily steps', async () => {
    const jump = await scenario((a) => advance(a, 'P40D').then(() => undefined));
    const walk = await scenario(async (a) => {
      for (let i = 0; i < 40; i++) await advance(a, 'P1D');
    });
    const expected = [
      `sso/boolean ${T0} → 2026-01-15T00:00:00Z`,
      'sso/boolean 2026-01-15T00:00:00Z → 2026-03-01T00:00:00Z',
      'tokens/metered 2026-01-15T00:00:00Z → 2026-03-01T00:00:00Z measure 2026-01-15T00:00:00Z',
    ];
    expect(await entitlementWindows(jump.app)).toEqual(expected);
    expect(await entitlementWindows(walk.app)).toEqual(expected);
  });

  it('a scheduled subscription starts by itself: scheduled → active at activeFrom, its entitlements appear then', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' }, timing: '2026-01-10T12:00:00Z' }).expect(201);
    expect(s.body.status).toBe('scheduled');
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements).toEqual({});
    const jobs = await request(app).get('/_emulator/jobs').expect(200);
    expect(jobs.body.data.map((j: { name: string; dueAt: string }) => `${j.name}@${j.dueAt}`)).toContain('syncSubscriptionEntitlementsJob@2026-01-10T12:00:00.000Z');
    const moved = await advance(app, 'P10D');
    expect(moved.body.jobsRun.filter((j: { name: string }) => j.name === 'syncSubscriptionEntitlementsJob').map((j: { dueAt: string }) => j.dueAt)).toEqual(['2026-01-10T12:00:00.000Z']);
    expect((await request(app).get(`${v1}/${s.body.id}`).expect(200)).body.status).toBe('active');
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements).toEqual({ sso: { hasAccess: true } });
  });

  it('a snapshot taken before the phase change and loaded into a fresh emulator still changes phase on time', async () => {
    const a = await setupSubscriptions();
    await request(a.app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    const snap = await request(a.app).get('/_emulator/snapshot').expect(200);
    const b = await setupSubscriptions(); // another emulator with its own (different) history
    await advance(b.app, 'P1D'); // builds b's sync index for its own namespace
    await request(b.app).put('/_emulator/snapshot').send(snap.body).expect(204);
    const moved = await advance(b.app, 'P20D');
    // the entitlement sync runs once, at the phase change (billing's jobs bill the first fee at the same instant)
    const entitlementJobs = moved.body.jobsRun.filter((j: { name: string }) => j.name === 'syncSubscriptionEntitlementsJob');
    expect(entitlementJobs.map((j: { dueAt: string }) => j.dueAt)).toEqual(['2026-01-15T00:00:00.000Z']);
    const access = await request(b.app).get('/api/v1/customers/acme/access').expect(200);
    expect(Object.keys(access.body.entitlements).sort()).toEqual(['sso', 'tokens']);
  });

  it('works in any namespace: a Zuplo bucket keeps its own subscriptions, moved by the same clock', async () => {
    const { app, emulator } = await setupSubscriptions();
    const ns = 'zuplo-bucket:b1';
    const s = emulator.services;
    const id = await emulator.run(ns, (tx) => {
      s.features.createFeature(tx, { key: 'sso', name: 'SSO' });
      const sso = { type: 'flat_fee', key: 'sso', name: 'SSO', featureKey: 'sso', billingCadence: 'P1M', price: null, entitlementTemplate: { type: 'boolean' } } as const;
      const plan = s.plans.createPlan(tx, {
        key: 'pro',
        name: 'Pro',
        currency: 'USD',
        billingCadence: 'P1M',
        phases: [
          { key: 'trial', name: 'Trial', duration: 'P7D', rateCards: [{ ...sso, key: 'base', featureKey: undefined, entitlementTemplate: undefined } as never] },
          { key: 'default', name: 'Default', duration: null, rateCards: [sso as never] },
        ],
      });
      s.plans.publishPlan(tx, { id: plan.id });
      const c = s.customers.createCustomer(tx, { name: 'Bucket customer', key: 'acme' });
      return s.subscriptions.createSubscription(tx, { customer: { id: c.id }, plan: { key: 'pro' } }).id;
    });
    // the default namespace's acme has no subscription; the bucket's has one
    await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await advance(app, 'P8D');
    const access = emulator.read(ns, (tx) => s.entitlements.getCustomerAccess(tx, { customer: 'acme' }));
    expect(Object.keys(access)).toEqual(['sso']);
    expect(emulator.read(ns, (tx) => s.subscriptions.getSubscription(tx, { id }).status)).toBe('active');
    await request(app).get(`${v1}/${id}`).expect(404);
  });
});

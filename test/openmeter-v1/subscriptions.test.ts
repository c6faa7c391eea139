import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { T0, advance, setupSubscriptions } from './subscriptionFixtures.ts';

const v1 = '/api/v1/subscriptions';

describe('OpenMeter v1 subscriptions: create, read, list', () => {
  it('creates from plan.key by customerKey: phases from the plan, anchor = activeFrom, status active', async () => {
    const { app, acmeId, proId } = await setupSubscriptions();
    const res = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    expect(res.body).toMatchObject({
      customerId: acmeId,
      plan: { id: proId, key: 'pro', version: 1 },
      name: 'Pro',
      activeFrom: T0,
      billingAnchor: T0,
      billingCadence: 'P1M',
      currency: 'USD',
      status: 'active',
      settlementMode: 'credit_then_invoice',
      costBasisMode: 'dynamic',
      costBasisPins: [],
      proRatingConfig: { enabled: true, mode: 'prorate_prices' },
    });
    expect(res.body.activeTo).toBeUndefined();
    const got = await request(app).get(`${v1}/${res.body.id}`).expect(200);
    // the trial lasts 14 days, then the paid phase runs open-ended
    expect(got.body.phases.map((p: { key: string; activeFrom: string; activeTo?: string }) => [p.key, p.activeFrom, p.activeTo])).toEqual([
      ['trial', T0, '2026-01-15T00:00:00Z'],
      ['default', '2026-01-15T00:00:00Z', undefined],
    ]);
    // current aligned billing period: the monthly period from the anchor clipped to the trial
    expect(got.body.alignment).toEqual({ billablesMustAlign: true, currentAlignedBillingPeriod: { from: T0, to: '2026-01-15T00:00:00Z' } });
    expect(got.body.phases[1].items.map((i: { key: string }) => i.key)).toEqual(['base', 'sso', 'tokens']);
    expect(got.body.phases[1].items[0]).toMatchObject({ key: 'base', billingCadence: 'P1M', price: { type: 'flat', amount: '30', paymentTerm: 'in_advance' } });
    expect(got.body.phases[1].items[2].included.feature.key).toBe('tokens');
    expect(Object.keys(got.body.phases[1].itemTimelines)).toEqual(['base', 'sso', 'tokens']);
  });

  it('GET with ?at= answers 501 "historical queries are not supported", even before the lookup (subscription/http/get.go)', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    const res = await request(app).get(`${v1}/${s.body.id}?at=2026-01-02T00:00:00Z`).expect(501);
    expect(res.body.detail).toBe('historical queries are not supported');
    await request(app).get(`${v1}/01JZZZZZZZZZZZZZZZZZZZZZZZ?at=2026-01-02T00:00:00Z`).expect(501);
    await request(app).get(`${v1}/${s.body.id}`).expect(200);
  });

  it('customerId works too; neither id nor key is 400; an unknown customer is 404', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await request(app).post(v1).send({ customerId: acmeId, plan: { key: 'pro' } }).expect(201);
    await request(app).post(v1).send({ plan: { key: 'pro' } }).expect(400);
    await request(app).post(v1).send({ customerKey: 'nobody', plan: { key: 'pro' } }).expect(404);
    await request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'nope' } }).expect(404);
  });

  it('a draft plan version is not active: 400 "plan pro@2 is not active" (productcatalog/subscription/service/create.go)', async () => {
    const { app } = await setupSubscriptions();
    await request(app).post('/api/v1/plans/pro/next').send({}).expect(201);
    const res = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro', version: 2 } }).expect(400);
    expect(res.body.detail).toMatch(/plan pro@2 is not active/);
  });

  it('one subscription per customer at a time: 409 only_single_subscription_allowed_per_customer_at_a_time', async () => {
    const { app } = await setupSubscriptions();
    await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    const res = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(409);
    expect(res.body.extensions.validationErrors[0].code).toBe('only_single_subscription_allowed_per_customer_at_a_time');
  });

  it('custom plan, a future start (scheduled), a custom billing anchor; past > 2 min is 400', async () => {
    const { app, paidPhase } = await setupSubscriptions();
    const res = await request(app)
      .post(v1)
      .send({
        customerKey: 'globex',
        timing: '2026-02-10T00:00:00Z',
        billingAnchor: '2026-01-01T00:00:00Z',
        customPlan: { name: 'Bespoke', currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [paidPhase.rateCards[0]] }] },
      })
      .expect(201);
    expect(res.body).toMatchObject({ name: 'Bespoke', status: 'scheduled', activeFrom: '2026-02-10T00:00:00Z', billingAnchor: T0 });
    expect(res.body.plan).toBeUndefined();
    const got = await request(app).get(`${v1}/${res.body.id}`).expect(200);
    expect(got.body.alignment.currentAlignedBillingPeriod).toBeUndefined();
    await advance(app, 'P45D');
    const later = await request(app).get(`${v1}/${res.body.id}`).expect(200);
    // anchor Jan 1: the first period is [Feb 10, Mar 1), the next [Mar 1, Apr 1)
    expect(later.body).toMatchObject({ status: 'active', alignment: { currentAlignedBillingPeriod: { from: '2026-02-10T00:00:00Z', to: '2026-03-01T00:00:00Z' } } });
    await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' }, timing: '2025-12-31T00:00:00Z' }).expect(400);
  });

  it('lists a customer\'s subscriptions: without paging params page 0 / pageSize 0 and every item, newest activeFrom first; status filter', async () => {
    const { app } = await setupSubscriptions();
    const a = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await request(app).post(`${v1}/${a.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    const b = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' }, timing: '2026-02-01T00:00:00Z' }).expect(201);
    const all = await request(app).get('/api/v1/customers/acme/subscriptions').expect(200);
    expect(all.body).toMatchObject({ page: 0, pageSize: 0, totalCount: 2 });
    expect(all.body.items.map((s: { id: string }) => s.id)).toEqual([b.body.id, a.body.id]);
    const paged = await request(app).get('/api/v1/customers/acme/subscriptions?pageSize=1&order=ASC').expect(200);
    expect(paged.body).toMatchObject({ page: 1, pageSize: 1, totalCount: 2 });
    expect(paged.body.items[0].id).toBe(a.body.id);
    const scheduled = await request(app).get('/api/v1/customers/acme/subscriptions?status=scheduled').expect(200);
    expect(scheduled.body.items.map((s: { status: string }) => s.status)).toEqual(['scheduled']);
    await request(app).get('/api/v1/customers/nobody/subscriptions').expect(404);
  });
});

describe('OpenMeter v1 subscriptions: cancel, unschedule, delete', () => {
  it('cancel next_billing_cycle ends at the period end (canceled); unschedule clears it (active)', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    const c = await request(app).post(`${v1}/${s.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    expect(c.body).toMatchObject({ status: 'canceled', activeTo: '2026-02-01T00:00:00Z' });
    // canceled is not active: cancel again is a forbidden transition (subscription/state.go)
    const again = await request(app).post(`${v1}/${s.body.id}/cancel`).send({}).expect(403);
    expect(again.body.detail).toBe('transition cancel in state canceled not allowed');
    const u = await request(app).post(`${v1}/${s.body.id}/unschedule-cancelation`).expect(200);
    expect(u.body.status).toBe('active');
    expect(u.body.activeTo).toBeUndefined();
    await request(app).post(`${v1}/${s.body.id}/unschedule-cancelation`).expect(403);
  });

  it('cancel immediately: activeTo = now, already inactive; a custom time must sit on a billing boundary', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await request(app).post(`${v1}/${s.body.id}/cancel`).send({ timing: '2026-01-20T00:00:00Z' }).expect(400);
    await advance(app, 'P3D');
    const c = await request(app).post(`${v1}/${s.body.id}/cancel`).send({ timing: 'immediate' }).expect(200);
    expect(c.body).toMatchObject({ status: 'inactive', activeTo: '2026-01-04T00:00:00Z' });
    // the customer is free again from that instant
    await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
  });

  it('cancel at a custom boundary; the clock turns canceled into inactive at that instant', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await request(app).post(`${v1}/${s.body.id}/cancel`).send({ timing: '2026-03-01T00:00:00Z' }).expect(200);
    await advance(app, 'P58DT23H');
    expect((await request(app).get(`${v1}/${s.body.id}`).expect(200)).body.status).toBe('canceled');
    await advance(app, 'PT1H');
    expect((await request(app).get(`${v1}/${s.body.id}`).expect(200)).body.status).toBe('inactive');
  });

  it('delete: only scheduled subscriptions (204, then 404); an active one is 403', async () => {
    const { app } = await setupSubscriptions();
    const active = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await request(app).delete(`${v1}/${active.body.id}`).expect(403);
    const scheduled = await request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'basic' }, timing: '2026-03-01T00:00:00Z' }).expect(201);
    await request(app).delete(`${v1}/${scheduled.body.id}`).expect(204);
    await request(app).get(`${v1}/${scheduled.body.id}`).expect(404);
    await request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'basic' } }).expect(201);
  });
});

describe('concurrent creates', () => {
  it('five parallel creates for one customer: exactly one subscription, the others 409, no 5xx', async () => {
    const { app } = await setupSubscriptions();
    const results = await Promise.all(
      ['pro', 'basic', 'pro', 'basic', 'pro'].map((key) => request(app).post(v1).send({ customerKey: 'acme', plan: { key } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const list = await request(app).get('/api/v1/customers/acme/subscriptions').expect(200);
    expect(list.body.totalCount).toBe(1);
    // on both surfaces at once
    const mixed = await Promise.all([
      request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'pro' } }),
      request(app).post('/v3/openmeter/subscriptions').send({ customer: { key: 'globex' }, plan: { key: 'basic' } }),
      request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'basic' } }),
      request(app).post('/v3/openmeter/subscriptions').send({ customer: { key: 'globex' }, plan: { key: 'pro' } }),
      request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'pro' } }),
    ]);
    expect(mixed.filter((r) => r.status === 201)).toHaveLength(1);
    expect(mixed.every((r) => r.status < 500)).toBe(true);
  });
});

describe('subscriptions on the v1 customer', () => {
  it('currentSubscriptionId and expand=subscriptions show the running subscription (customer/httpdriver/apimapping.go)', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    await request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'basic' }, timing: '2026-02-01T00:00:00Z' }).expect(201);
    const acme = await request(app).get('/api/v1/customers/acme?expand=subscriptions').expect(200);
    expect(acme.body.currentSubscriptionId).toBe(s.body.id);
    expect(acme.body.subscriptions.map((x: { id: string }) => x.id)).toEqual([s.body.id]);
    const list = await request(app).get('/api/v1/customers').expect(200);
    // a scheduled subscription is not current yet
    expect(list.body.items.map((c: { key: string; currentSubscriptionId?: string }) => `${c.key}:${c.currentSubscriptionId ?? '-'}`)).toEqual([`acme:${s.body.id}`, 'globex:-']);
    // planKey: customers running a subscription of that plan now (a scheduled one does not count yet)
    expect((await request(app).get('/api/v1/customers?planKey=pro').expect(200)).body.items.map((c: { key: string }) => c.key)).toEqual(['acme']);
    expect((await request(app).get('/api/v1/customers?planKey=basic').expect(200)).body.items).toEqual([]);
    await advance(app, 'P31D');
    expect((await request(app).get('/api/v1/customers?planKey=basic').expect(200)).body.items.map((c: { key: string }) => c.key)).toEqual(['globex']);
  });

  it('a customer with a running subscription cannot be deleted: 400 deleting_customer_with_active_subscriptions (customer/service/customer.go)', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    const res = await request(app).delete('/api/v1/customers/acme').expect(400);
    expect(res.body.extensions.validationErrors[0]).toMatchObject({ code: 'deleting_customer_with_active_subscriptions', subscriptions: [s.body.id] });
    await request(app).post(`${v1}/${s.body.id}/cancel`).send({ timing: 'immediate' }).expect(200);
    await request(app).delete('/api/v1/customers/acme').expect(204);
  });
});


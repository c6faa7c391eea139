import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { T0, advance, setupSubscriptions } from '../openmeter-v1/subscriptionFixtures.ts';

const v3 = '/v3/openmeter/subscriptions';

describe('Konnect v3 subscriptions (api/v3/handlers/subscriptions)', () => {
  it('create by customer key and plan key: the full BillingSubscription, named "<key> v<version>"', async () => {
    const { app, acmeId, proId } = await setupSubscriptions();
    const res = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'pro' }, labels: { team: 'a' } }).expect(201);
    expect(res.body).toMatchObject({
      name: 'pro v1',
      customer_id: acmeId,
      plan_id: proId,
      plan: { id: proId, key: 'pro', version: 1 },
      invoice_currency: 'USD',
      billing_cadence: 'P1M',
      billing_anchor: T0,
      active_from: T0,
      status: 'active',
      cost_basis_mode: 'dynamic',
      cost_basis_pins: [],
      pro_rating_config: { enabled: true, mode: 'prorate_prices' },
      settlement_mode: 'credit_then_invoice',
      labels: { team: 'a' },
      current_period: { from: T0, to: '2026-01-15T00:00:00Z' },
    });
    expect(res.body.phases.map((p: { key: string }) => p.key)).toEqual(['trial', 'default']);
    // one item per key, sorted by key, each with its rate card
    expect(res.body.phases[1].items.map((i: { rate_card: { key: string } }) => i.rate_card.key)).toEqual(['base', 'sso', 'tokens']);
    expect(res.body.phases[1].items[0]).toMatchObject({ active_from: '2026-01-15T00:00:00Z', rate_card: { key: 'base', price: { type: 'flat', amount: '30' } } });
    await request(app).get(`${v3}/${res.body.id}`).expect(200);
  });

  it('missing customer or plan selector: 400 naming both members; unknown ones: 404; a second subscription: 409', async () => {
    const { app } = await setupSubscriptions();
    const bad = await request(app).post(v3).send({ customer: {}, plan: { key: 'pro' } }).expect(400);
    expect(bad.body.invalid_parameters.map((p: { field: string; rule: string }) => `${p.field}:${p.rule}`)).toEqual(['customer.id:required', 'customer.key:required']);
    await request(app).post(v3).send({ customer: { key: 'acme' }, plan: {} }).expect(400);
    await request(app).post(v3).send({ customer: { key: 'nobody' }, plan: { key: 'pro' } }).expect(404);
    await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'nope' } }).expect(404);
    await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'pro' } }).expect(201);
    const dup = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'basic' } }).expect(409);
    expect(JSON.stringify(dup.body)).toContain('only_single_subscription_allowed_per_customer_at_a_time');
  });

  it('plan.key without version takes the highest version even if it is a draft, then refuses it (400 "is not active")', async () => {
    const { app } = await setupSubscriptions();
    await request(app).post('/api/v1/plans/pro/next').send({}).expect(201);
    const res = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'pro' } }).expect(400);
    expect(res.body.detail).toMatch(/plan pro@2 is not active/);
    await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'pro', version: 1 } }).expect(201);
  });

  it('cancel immediately answers inactive at once; next_billing_cycle answers canceled; unschedule makes it active again; 403 otherwise', async () => {
    const { app } = await setupSubscriptions();
    const a = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'basic' } }).expect(201);
    const c = await request(app).post(`${v3}/${a.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    expect(c.body).toMatchObject({ status: 'canceled', active_to: '2026-02-01T00:00:00Z' });
    await request(app).post(`${v3}/${a.body.id}/cancel`).send({}).expect(403);
    const u = await request(app).post(`${v3}/${a.body.id}/unschedule-cancelation`).expect(200);
    expect(u.body.status).toBe('active');
    expect(u.body.active_to).toBeUndefined();
    await request(app).post(`${v3}/${a.body.id}/unschedule-cancelation`).expect(403);
    await advance(app, 'P2D');
    const now = await request(app).post(`${v3}/${a.body.id}/cancel`).send({}).expect(200);
    expect(now.body).toMatchObject({ status: 'inactive', active_to: '2026-01-03T00:00:00Z' });
    expect(now.body.current_period).toBeUndefined();
    await request(app).get(`${v3}/01ARZ3NDEKTSV4RRFFQ69G5FAV`).expect(404);
  });

  it('change: current ends at the timing, next inherits the current name; labels carry over unless given', async () => {
    const { app } = await setupSubscriptions();
    const a = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'pro' }, labels: { team: 'a' } }).expect(201);
    await advance(app, 'P20D');
    const res = await request(app).post(`${v3}/${a.body.id}/change`).send({ customer: { key: 'acme' }, plan: { key: 'basic' }, timing: 'next_billing_cycle' }).expect(200);
    expect(res.body.current).toMatchObject({ status: 'canceled', active_to: '2026-02-01T00:00:00Z' });
    expect(res.body.next).toMatchObject({ name: 'pro v1', status: 'scheduled', active_from: '2026-02-01T00:00:00Z', plan: { key: 'basic' }, labels: { team: 'a' } });
    await request(app).post(`${v3}/${a.body.id}/change`).send({ customer: {}, plan: {}, timing: 'immediate' }).expect(400);
  });

  it('list: page pagination (default size 20), filters by customer, plan key and status at request time, sort', async () => {
    const { app, acmeId } = await setupSubscriptions();
    const a = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'pro' } }).expect(201);
    await advance(app, 'P1D');
    const g = await request(app).post(v3).send({ customer: { key: 'globex' }, plan: { key: 'basic' } }).expect(201);
    const list = await request(app).get(v3).expect(200);
    expect(list.body.meta.page).toEqual({ number: 1, size: 20, total: 2 });
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([a.body.id, g.body.id]);
    expect((await request(app).get(`${v3}?sort=active_from desc`).expect(200)).body.data[0].id).toBe(g.body.id);
    expect((await request(app).get(`${v3}?filter[customer_id]=${acmeId}`).expect(200)).body.data.map((s: { id: string }) => s.id)).toEqual([a.body.id]);
    expect((await request(app).get(`${v3}?filter[plan_key]=basic`).expect(200)).body.data.map((s: { id: string }) => s.id)).toEqual([g.body.id]);
    await request(app).post(`${v3}/${g.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    expect((await request(app).get(`${v3}?filter[status][oeq]=canceled,scheduled`).expect(200)).body.data.map((s: { id: string }) => s.id)).toEqual([g.body.id]);
    await request(app).get(`${v3}?filter[status][neq]=active`).expect(400);
    await request(app).get(`${v3}?sort=name`).expect(400);
  });

  it('add-ons: create (201), list, get; the same add-on twice is 409', async () => {
    const { app } = await setupSubscriptions();
    const addon = await request(app)
      .post('/api/v1/addons')
      .send({ key: 'seats', name: 'Seats', currency: 'USD', instanceType: 'multiple', rateCards: [{ type: 'flat_fee', key: 'base', name: 'Seat', billingCadence: 'P1M', price: { type: 'flat', amount: '5', paymentTerm: 'in_advance' } }] })
      .expect(201);
    await request(app).post(`/api/v1/addons/${addon.body.id}/publish`).send({}).expect(200);
    const next = await request(app).post('/api/v1/plans/basic/next').send({}).expect(201);
    await request(app).post(`/api/v1/plans/${next.body.id}/addons`).send({ addonId: addon.body.id, fromPlanPhase: 'default' }).expect(201);
    await request(app).post(`/api/v1/plans/${next.body.id}/publish`).send({}).expect(200);
    const s = await request(app).post(v3).send({ customer: { key: 'acme' }, plan: { key: 'basic' } }).expect(201);
    const a = await request(app).post(`${v3}/${s.body.id}/addons`).send({ addon: { id: addon.body.id }, quantity: 3, timing: 'immediate' }).expect(201);
    expect(a.body).toMatchObject({ name: 'Seats', addon: { id: addon.body.id }, quantity: 3, active_from: T0, timeline: [{ active_from: T0, quantity: 3 }] });
    expect(a.body.rate_cards[0]).toMatchObject({ rate_card: { key: 'base' }, affected_subscription_item_ids: [s.body.phases[0].items[0].id] });
    await request(app).post(`${v3}/${s.body.id}/addons`).send({ addon: { id: addon.body.id }, quantity: 1, timing: 'immediate' }).expect(409);
    const list = await request(app).get(`${v3}/${s.body.id}/addons`).expect(200);
    expect(list.body).toMatchObject({ meta: { page: { number: 1, size: 20, total: 1 } } });
    expect((await request(app).get(`${v3}/${s.body.id}/addons/${a.body.id}`).expect(200)).body.id).toBe(a.body.id);
  });
});

describe('one subscription, every surface', () => {
  it('created on v1, read on v3 with the same id (and the other way round)', async () => {
    const { app, acmeId } = await setupSubscriptions();
    const v1 = await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'pro' } }).expect(201);
    const onV3 = await request(app).get(`${v3}/${v1.body.id}`).expect(200);
    expect(onV3.body).toMatchObject({ id: v1.body.id, customer_id: acmeId, active_from: v1.body.activeFrom, status: 'active' });
    const x = await request(app).post(v3).send({ customer: { key: 'globex' }, plan: { key: 'basic' } }).expect(201);
    const onV1 = await request(app).get(`/api/v1/subscriptions/${x.body.id}`).expect(200);
    expect(onV1.body).toMatchObject({ id: x.body.id, name: 'basic v1', status: 'active' });
    // canceled on v3, seen canceled on v1
    await request(app).post(`${v3}/${v1.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    expect((await request(app).get(`/api/v1/subscriptions/${v1.body.id}`).expect(200)).body.status).toBe('canceled');
  });
});

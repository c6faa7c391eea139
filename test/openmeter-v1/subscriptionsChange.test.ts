import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { T0, advance, setupSubscriptions } from './subscriptionFixtures.ts';

const v1 = '/api/v1/subscriptions';
const keys = (items: Array<{ key: string }>) => items.map((i) => i.key);

describe('OpenMeter v1 subscriptions: change, migrate, restore', () => {
  it('change next_billing_cycle: current ends at the period end, next starts there with the same anchor, annotations link them', async () => {
    const { app, basicId } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    await advance(app, 'P20D'); // Jan 21, paid phase; period [Jan 15, Feb 1)
    const res = await request(app).post(`${v1}/${s.body.id}/change`).send({ timing: 'next_billing_cycle', plan: { key: 'basic' } }).expect(200);
    expect(res.body.current).toMatchObject({ id: s.body.id, status: 'canceled', activeTo: '2026-02-01T00:00:00Z' });
    expect(res.body.next).toMatchObject({ status: 'scheduled', activeFrom: '2026-02-01T00:00:00Z', billingAnchor: T0, plan: { id: basicId, key: 'basic', version: 1 } });
    expect(res.body.current.annotations['subscription.superseding.id']).toBe(res.body.next.id);
    expect(res.body.next.annotations['subscription.previous.id']).toBe(s.body.id);
    // the next one cannot be "continued over": unscheduling the current cancelation would overlap
    await request(app).post(`${v1}/${s.body.id}/unschedule-cancelation`).expect(409);
    await advance(app, 'P11D');
    const list = await request(app).get('/api/v1/customers/acme/subscriptions').expect(200);
    expect(list.body.items.map((x: { status: string }) => x.status)).toEqual(['active', 'inactive']);
  });

  it('change immediately with a custom plan; a scheduled or canceled subscription cannot change (403)', async () => {
    const { app, paidPhase } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await advance(app, 'P3D');
    const res = await request(app)
      .post(`${v1}/${s.body.id}/change`)
      .send({ timing: 'immediate', customPlan: { name: 'Custom', currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'default', name: 'D', duration: null, rateCards: [paidPhase.rateCards[0]] }] } })
      .expect(200);
    expect(res.body.current).toMatchObject({ status: 'inactive', activeTo: '2026-01-04T00:00:00Z' });
    expect(res.body.next).toMatchObject({ status: 'active', name: 'Custom', activeFrom: '2026-01-04T00:00:00Z' });
    const later = await request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'basic' }, timing: '2026-03-01T00:00:00Z' }).expect(201);
    await request(app).post(`${v1}/${later.body.id}/change`).send({ timing: 'immediate', plan: { key: 'pro' } }).expect(403);
  });

  it('migrate: to the latest version by default, immediately; not to the same or a lower version (400)', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await request(app).post(`${v1}/${s.body.id}/migrate`).send({}).expect(400); // only v1 exists
    const next = await request(app).post('/api/v1/plans/basic/next').send({}).expect(201);
    await request(app).post(`/api/v1/plans/${next.body.id}/publish`).send({}).expect(200);
    await advance(app, 'P1D');
    const res = await request(app).post(`${v1}/${s.body.id}/migrate`).send({}).expect(200);
    expect(res.body.current).toMatchObject({ status: 'inactive', activeTo: '2026-01-02T00:00:00Z' });
    expect(res.body.next).toMatchObject({ plan: { key: 'basic', version: 2 }, activeFrom: '2026-01-02T00:00:00Z', billingAnchor: T0, status: 'active' });
    await request(app).post(`${v1}/${res.body.next.id}/migrate`).send({ targetVersion: 1 }).expect(400);
  });

  it('restore: deletes the scheduled successor and continues the canceled subscription', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    const ch = await request(app).post(`${v1}/${s.body.id}/change`).send({ timing: 'next_billing_cycle', plan: { key: 'pro' } }).expect(200);
    const r = await request(app).post(`${v1}/${s.body.id}/restore`).expect(200);
    expect(r.body.status).toBe('active');
    expect(r.body.activeTo).toBeUndefined();
    await request(app).get(`${v1}/${ch.body.next.id}`).expect(404);
  });
});

describe('OpenMeter v1 subscriptions: edit (subscription/patch)', () => {
  it('add_item to the running phase ends nothing else and starts a new version now; remove_item ends it now', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    await advance(app, 'P5D');
    const rc = { type: 'flat_fee', key: 'sso', name: 'SSO', featureKey: 'sso', entitlementTemplate: { type: 'boolean' }, billingCadence: 'P1M', price: { type: 'flat', amount: '5', paymentTerm: 'in_advance' } };
    await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'add_item', phaseKey: 'default', rateCard: rc }] }).expect(200);
    let got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(keys(got.body.phases[0].items)).toEqual(['base', 'sso']);
    expect(got.body.phases[0].itemTimelines.sso[0]).toMatchObject({ activeFrom: '2026-01-06T00:00:00Z' });
    // the edit provisions the item's entitlement at once
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements).toEqual({ sso: { hasAccess: true } });
    await advance(app, 'P2D');
    await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'remove_item', phaseKey: 'default', itemKey: 'sso' }] }).expect(200);
    got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(keys(got.body.phases[0].items)).toEqual(['base']);
    expect(got.body.phases[0].itemTimelines.sso[0]).toMatchObject({ activeFrom: '2026-01-06T00:00:00Z', activeTo: '2026-01-08T00:00:00Z' });
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements).toEqual({});
  });

  it('replacing a running item makes version 1 of the key; unschedule_edit drops versions that have not started', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'basic' } }).expect(201);
    const rc = { type: 'flat_fee', key: 'base', name: 'Base fee', billingCadence: 'P1M', price: { type: 'flat', amount: '15', paymentTerm: 'in_advance' } };
    await request(app).patch(`${v1}/${s.body.id}`).send({ timing: 'next_billing_cycle', customizations: [{ op: 'add_item', phaseKey: 'default', rateCard: rc }] }).expect(200);
    let got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(got.body.phases[0].itemTimelines.base.map((i: { activeFrom: string; activeTo?: string }) => [i.activeFrom, i.activeTo])).toEqual([
      [T0, '2026-02-01T00:00:00Z'],
      ['2026-02-01T00:00:00Z', undefined],
    ]);
    expect(got.body.phases[0].items[0].price.amount).toBe('10'); // version 0 is the one running now
    await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'unschedule_edit' }] }).expect(200);
    got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(got.body.phases[0].itemTimelines.base.map((i: { activeTo?: string }) => i.activeTo)).toEqual([undefined]);
    // a custom timestamp is not accepted for running edits
    await request(app).patch(`${v1}/${s.body.id}`).send({ timing: '2026-02-01T00:00:00Z', customizations: [{ op: 'unschedule_edit' }] }).expect(400);
  });

  it('stretch_phase moves later phases; add_phase / remove_phase only in the future; past phases are protected (403)', async () => {
    const { app } = await setupSubscriptions();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' } }).expect(201);
    await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'stretch_phase', phaseKey: 'trial', extendBy: 'P7D' }] }).expect(200);
    let got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(got.body.phases.map((p: { key: string; activeFrom: string }) => `${p.key}@${p.activeFrom}`)).toEqual([`trial@${T0}`, 'default@2026-01-22T00:00:00Z']);
    await request(app)
      .patch(`${v1}/${s.body.id}`)
      .send({ customizations: [{ op: 'add_phase', phase: { key: 'promo', name: 'Promo', startAfter: 'P10D', duration: 'P5D' } }, { op: 'add_item', phaseKey: 'promo', rateCard: { type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '1', paymentTerm: 'in_advance' } } }] })
      .expect(200);
    got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(got.body.phases.map((p: { key: string; activeFrom: string }) => `${p.key}@${p.activeFrom}`)).toEqual([
      `trial@${T0}`,
      'promo@2026-01-11T00:00:00Z',
      'default@2026-01-27T00:00:00Z',
    ]);
    await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'remove_phase', phaseKey: 'promo', shift: 'next' }] }).expect(200);
    got = await request(app).get(`${v1}/${s.body.id}`).expect(200);
    expect(got.body.phases.map((p: { key: string; activeFrom: string }) => `${p.key}@${p.activeFrom}`)).toEqual([`trial@${T0}`, 'default@2026-01-11T00:00:00Z']);
    await advance(app, 'P12D');
    await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'remove_item', phaseKey: 'trial', itemKey: 'sso' }] }).expect(403);
    await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'remove_phase', phaseKey: 'default', shift: 'prev' }] }).expect(403);
  });
});

describe('OpenMeter v1 subscription add-ons', () => {
  async function withAddon() {
    const t = await setupSubscriptions();
    const { app } = t;
    const addon = await request(app)
      .post('/api/v1/addons')
      .send({
        key: 'more_tokens',
        name: 'More tokens',
        currency: 'USD',
        instanceType: 'multiple',
        rateCards: [{ type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: null, entitlementTemplate: { type: 'metered', issueAfterReset: 500 } }],
      });
    if (addon.status !== 201) throw new Error(JSON.stringify(addon.body));
    await request(app).post(`/api/v1/addons/${addon.body.id}/publish`).send({}).expect(200);
    const next = await request(app).post('/api/v1/plans/pro/next').send({}).expect(201);
    const pa = await request(app).post(`/api/v1/plans/${next.body.id}/addons`).send({ addonId: addon.body.id, fromPlanPhase: 'default', maxQuantity: 5 });
    if (pa.status !== 201) throw new Error(JSON.stringify(pa.body));
    await request(app).post(`/api/v1/plans/${next.body.id}/publish`).send({}).expect(200);
    return { ...t, addonId: addon.body.id as string };
  }

  it('create, list, get; the same add-on twice is 409; quantity above the plan maximum is 400', async () => {
    const { app, addonId } = await withAddon();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' }, startingPhase: 'default' }).expect(201);
    expect(s.body.plan.version).toBe(2);
    await request(app).post(`${v1}/${s.body.id}/addons`).send({ name: 'x', addon: { id: addonId }, quantity: 6, timing: 'immediate' }).expect(400);
    const a = await request(app).post(`${v1}/${s.body.id}/addons`).send({ name: 'More tokens', addon: { id: addonId }, quantity: 2, timing: 'immediate' }).expect(201);
    expect(a.body).toMatchObject({
      subscriptionId: s.body.id,
      quantity: 2,
      activeFrom: T0,
      addon: { id: addonId, key: 'more_tokens', version: 1, instanceType: 'multiple' },
      timeline: [{ activeFrom: T0, quantity: 2 }],
    });
    expect(a.body.rateCards[0].affectedSubscriptionItemIds).toHaveLength(1);
    await request(app).post(`${v1}/${s.body.id}/addons`).send({ name: 'again', addon: { id: addonId }, quantity: 1, timing: 'immediate' }).expect(409);
    expect((await request(app).get(`${v1}/${s.body.id}/addons`).expect(200)).body.map((x: { id: string }) => x.id)).toEqual([a.body.id]);
    // a subscription with add-ons is edited through the add-on workflow only (403)
    const edit = await request(app).patch(`${v1}/${s.body.id}`).send({ customizations: [{ op: 'unschedule_edit' }] }).expect(403);
    expect(edit.body.detail).toBe('subscription with addons cannot be edited');
    await request(app).get(`${v1}/${s.body.id}/addons/${a.body.id}`).expect(200);
    // issueAfterReset: 1000 from the plan + 2 × 500 from the add-on (subscription/addon/extend.go)
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements.tokens.balance).toBe(2000);
  });

  it('update quantity with a timeline: a step at the next billing cycle; the entitlement follows at that instant', async () => {
    const { app, addonId } = await withAddon();
    const s = await request(app).post(v1).send({ customerKey: 'acme', plan: { key: 'pro' }, startingPhase: 'default' }).expect(201);
    const a = await request(app).post(`${v1}/${s.body.id}/addons`).send({ name: 'More tokens', addon: { id: addonId }, quantity: 1, timing: 'immediate' }).expect(201);
    await advance(app, 'P10D');
    const u = await request(app).patch(`${v1}/${s.body.id}/addons/${a.body.id}`).send({ quantity: 3, timing: 'next_billing_cycle' }).expect(200);
    expect(u.body.quantity).toBe(1);
    expect(u.body.timeline).toEqual([
      { activeFrom: T0, activeTo: '2026-02-01T00:00:00Z', quantity: 1 },
      { activeFrom: '2026-02-01T00:00:00Z', quantity: 3 },
    ]);
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements.tokens.balance).toBe(1500);
    await advance(app, 'P22D'); // Feb 2
    expect((await request(app).get(`${v1}/${s.body.id}/addons/${a.body.id}`).expect(200)).body.quantity).toBe(3);
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements.tokens.balance).toBe(2500);
    // quantity 0 removes it from then on
    const z = await request(app).patch(`${v1}/${s.body.id}/addons/${a.body.id}`).send({ quantity: 0, timing: 'immediate' }).expect(200);
    expect(z.body).toMatchObject({ quantity: 0, activeTo: '2026-02-02T00:00:00Z' });
    expect((await request(app).get('/api/v1/customers/acme/access').expect(200)).body.entitlements.tokens.balance).toBe(1000);
  });

  it('an add-on not sold with the plan is 400; on a canceled subscription the change is 403', async () => {
    const { app, addonId } = await withAddon();
    const s = await request(app).post(v1).send({ customerKey: 'globex', plan: { key: 'basic' } }).expect(201);
    await request(app).post(`${v1}/${s.body.id}/addons`).send({ name: 'x', addon: { id: addonId }, quantity: 1, timing: 'immediate' }).expect(400);
    await request(app).post(`${v1}/${s.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    await request(app).post(`${v1}/${s.body.id}/addons`).send({ name: 'x', addon: { id: addonId }, quantity: 1, timing: 'immediate' }).expect(403);
  });
});

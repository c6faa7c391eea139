/**
 * How a plan written on one surface reads on the other, and the default list orders, as the
 * real service does them (audit rows C6, C7, C8, C11, C12).
 */
import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

async function seed(): Promise<{ app: Express; featureId: string }> {
  const { app } = createTestEmulator();
  await request(app).post('/api/v1/meters').send({ slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n' }).expect(200);
  const f = await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens' }).expect(201);
  return { app, featureId: f.body.id };
}

const usageCard = (price: Record<string, unknown>) => ({ type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price });
const v1Plan = (key: string, rateCards: unknown[]) => ({ key, name: key, currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'default', name: 'Default', duration: null, rateCards }] });

describe('C7: v1 package and dynamic prices read on v3 (api/v3/handlers/plans/convert.go ToAPIBillingPrice, ToAPIBillingRateCardUnitConfig)', () => {
  it('a dynamic price is a unit price of 1 with unit_config multiply; a package price a unit price with unit_config divide, ceiling', async () => {
    const { app, featureId } = await seed();
    const dyn = await request(app).post('/api/v1/plans').send(v1Plan('dyn', [usageCard({ type: 'dynamic', multiplier: '1.25' })])).expect(201);
    const pkg = await request(app).post('/api/v1/plans').send(v1Plan('pkg', [usageCard({ type: 'package', amount: '5', quantityPerPackage: '1000' })])).expect(201);

    const d3 = await request(app).get(`/v3/openmeter/plans/${dyn.body.id}`).expect(200);
    expect(d3.body.phases[0].rate_cards[0]).toEqual({
      name: 'Tokens',
      key: 'tokens',
      feature: { id: featureId },
      billing_cadence: 'P1M',
      price: { type: 'unit', amount: '1' },
      unit_config: { operation: 'multiply', conversion_factor: '1.25' },
    });
    const p3 = await request(app).get(`/v3/openmeter/plans/${pkg.body.id}`).expect(200);
    expect(p3.body.phases[0].rate_cards[0]).toMatchObject({
      price: { type: 'unit', amount: '5' },
      unit_config: { operation: 'divide', conversion_factor: '1000', rounding: 'ceiling' },
    });

    // the list never fails because of them
    const list = await request(app).get('/v3/openmeter/plans').expect(200);
    expect(list.body.data.map((p: { key: string }) => p.key).sort()).toEqual(['dyn', 'pkg']);
    // v1 still reads its own prices
    expect((await request(app).get(`/api/v1/plans/${pkg.body.id}`).expect(200)).body.phases[0].rateCards[0].price).toMatchObject({ type: 'package', quantityPerPackage: '1000' });
  });
});

describe('C8: a plan with unit_config (written on v3) on v1 (plan/httpdriver/plan.go: ErrUnitConfigNotRepresentable)', () => {
  it('GET is a 400 unit_config_not_representable, lists leave it out, mutations are refused', async () => {
    const { app, featureId } = await seed();
    const body = {
      key: 'conv',
      name: 'Conv',
      currency: 'USD',
      billing_cadence: 'P1M',
      phases: [
        {
          key: 'default',
          name: 'Default',
          rate_cards: [
            {
              key: 'tokens',
              name: 'Tokens',
              feature: { id: featureId },
              billing_cadence: 'P1M',
              price: { type: 'unit', amount: '2' },
              unit_config: { operation: 'divide', conversion_factor: '1000000' },
            },
          ],
        },
      ],
    };
    const p = await request(app).post('/v3/openmeter/plans').send(body).expect(201);
    await request(app).post('/api/v1/plans').send(v1Plan('plain', [usageCard({ type: 'unit', amount: '1' })])).expect(201);

    const get = await request(app).get(`/api/v1/plans/${p.body.id}`);
    expect(get.status).toBe(400);
    expect(get.body.extensions.validationErrors.map((e: { code: string }) => e.code)).toEqual(['unit_config_not_representable']);
    expect((await request(app).get('/api/v1/plans').expect(200)).body.items.map((x: { key: string }) => x.key)).toEqual(['plain']);
    expect((await request(app).post(`/api/v1/plans/${p.body.id}/publish`)).status).toBe(400);
    // still readable and publishable on v3
    await request(app).post(`/v3/openmeter/plans/${p.body.id}/publish`).expect(200);
  });
});

describe('C11/C12: v3 plan reads (api/v3/handlers/plans/convert.go ToAPIBillingPlan, ToAPIBillingRateCard)', () => {
  it('labels are accepted but not returned; rate cards carry no copied currency', async () => {
    const { app, featureId } = await seed();
    const p = await request(app)
      .post('/v3/openmeter/plans')
      .send({
        key: 'lab',
        name: 'Lab',
        currency: 'USD',
        billing_cadence: 'P1M',
        labels: { team: 'a' },
        phases: [
          {
            key: 'default',
            name: 'Default',
            labels: { p: 'x' },
            rate_cards: [{ key: 'tokens', name: 'Tokens', labels: { r: 'y' }, feature: { id: featureId }, billing_cadence: 'P1M', price: { type: 'unit', amount: '1' } }],
          },
        ],
      })
      .expect(201);
    expect(p.body).not.toHaveProperty('labels');
    expect(p.body.phases[0]).not.toHaveProperty('labels');
    expect(p.body.phases[0].rate_cards[0]).not.toHaveProperty('labels');
    expect(p.body.phases[0].rate_cards[0]).not.toHaveProperty('currency');
    // stored all the same: v1 shows them as metadata
    expect((await request(app).get(`/api/v1/plans/${p.body.id}`).expect(200)).body.metadata).toEqual({ team: 'a' });
  });
});

describe('C6: v1 lists default to id DESC, newest first (plan/httpdriver/plan.go, addon/httpdriver/addon.go, planaddon/httpdriver/planaddon.go)', () => {
  it('add-ons and plan add-ons', async () => {
    const { app } = await seed();
    const addon = (key: string) => ({ key, name: key, currency: 'USD', instanceType: 'single', rateCards: [{ type: 'flat_fee', key: `${key}_fee`, name: 'Fee', billingCadence: 'P1M', price: { type: 'flat', amount: '1' } }] });
    const ids: string[] = [];
    for (const key of ['boost', 'boost2', 'mix']) {
      const a = await request(app).post('/api/v1/addons').send(addon(key)).expect(201);
      await request(app).post(`/api/v1/addons/${a.body.id}/publish`).expect(200);
      ids.push(a.body.id);
    }
    const keys = (r: request.Response) => r.body.items.map((x: { key?: string; addon?: { key: string } }) => x.key ?? x.addon!.key);
    expect(keys(await request(app).get('/api/v1/addons').expect(200))).toEqual(['mix', 'boost2', 'boost']);
    expect(keys(await request(app).get('/api/v1/addons?order=ASC').expect(200))).toEqual(['boost', 'boost2', 'mix']);

    const plan = await request(app).post('/api/v1/plans').send(v1Plan('pro', [usageCard({ type: 'unit', amount: '1' })])).expect(201);
    for (const id of ids) await request(app).post(`/api/v1/plans/${plan.body.id}/addons`).send({ addonId: id, fromPlanPhase: 'default' }).expect(201);
    expect(keys(await request(app).get(`/api/v1/plans/${plan.body.id}/addons`).expect(200))).toEqual(['mix', 'boost2', 'boost']);
  });
});

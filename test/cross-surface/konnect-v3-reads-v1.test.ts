import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

describe('created on OpenMeter v1, read on Konnect v3 (and back)', () => {
  it('meters, features and plans share ids and values', async () => {
    const { app } = createTestEmulator();
    const m1 = await request(app)
      .post('/api/v1/meters')
      .send({ slug: 'tokens', name: 'Tokens', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens', groupBy: { model: '$.model' } });
    expect(m1.status).toBe(200); // OpenMeter answers a new meter with 200 OK
    const m3 = await request(app).get(`/v3/openmeter/meters/${m1.body.id}`);
    expect(m3.status).toBe(200);
    expect(m3.body).toMatchObject({ id: m1.body.id, key: 'tokens', name: 'Tokens', event_type: 'prompt', aggregation: 'sum', value_property: '$.tokens', dimensions: { model: '$.model' }, created_at: m1.body.createdAt });

    const f1 = await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens', meterGroupByFilters: { model: 'gpt' } });
    expect(f1.status).toBe(201);
    const f3 = await request(app).get(`/api/v3/openmeter/features/${f1.body.id}`);
    expect(f3.status).toBe(200);
    expect(f3.body).toMatchObject({ id: f1.body.id, key: 'tokens', name: 'Tokens', meter: { id: m1.body.id, filters: { model: { eq: 'gpt' } } } });

    const p1 = await request(app)
      .post('/api/v1/plans')
      .send({
        key: 'pro',
        name: 'Pro',
        currency: 'USD',
        billingCadence: 'P1M',
        phases: [
          {
            key: 'default',
            name: 'Default',
            duration: null,
            rateCards: [
              { type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '9.90', paymentTerm: 'in_arrears' } },
              { type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.01', minimumAmount: '1' } },
            ],
          },
        ],
      });
    expect(p1.status).toBe(201);
    const p3 = await request(app).get(`/v3/openmeter/plans/${p1.body.id}`);
    expect(p3.status).toBe(200);
    expect(p3.body).toMatchObject({ id: p1.body.id, key: 'pro', version: 1, status: 'draft', currency: 'USD', billing_cadence: 'P1M' });
    expect(p3.body.phases[0].rate_cards).toEqual([
      // no `currency`: only a per-rate-card override is shown (api/v3/handlers/plans/convert.go)
      { name: 'Base', key: 'base', billing_cadence: 'P1M', price: { type: 'flat', amount: '9.9' }, payment_term: 'in_arrears' },
      { name: 'Tokens', key: 'tokens', feature: { id: f1.body.id }, billing_cadence: 'P1M', price: { type: 'unit', amount: '0.01' }, commitments: { minimum_amount: '1' } },
    ]);

    // published on v3, seen active on v1
    await request(app).post(`/v3/openmeter/plans/${p1.body.id}/publish`).expect(200);
    const back = await request(app).get(`/api/v1/plans/${p1.body.id}`);
    expect(back.status).toBe(200);
    expect(back.body.status).toBe('active');
  });
});

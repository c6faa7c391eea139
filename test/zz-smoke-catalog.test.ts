import request from 'supertest';
import { it } from 'vitest';
import { createTestEmulator } from '../src/harness/testEmulator.ts';
it('smoke', async () => {
  const { app } = createTestEmulator();
  let r = await request(app).post('/api/v1/meters').send({ slug: 'tokens', key: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n', groupBy: { model: '$.model' } });
  console.log('meter', r.status, JSON.stringify(r.body).slice(0, 300));
  r = await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens', meterGroupByFilters: { model: 'gpt' } });
  console.log('feature', r.status, JSON.stringify(r.body));
  r = await request(app).get('/api/v1/features');
  console.log('list', r.status, JSON.stringify(r.body).slice(0, 300));
  r = await request(app).get('/api/v1/features?page=1');
  console.log('listp', r.status, JSON.stringify(r.body).slice(0, 300));
  r = await request(app).post('/api/v1/plans').send({ key: 'pro', name: 'Pro', currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [
    { type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '10.50' } },
    { type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.01' }, entitlementTemplate: { type: 'metered', isSoftLimit: false }, discounts: { percentage: { percentage: 10 } } },
  ] }] });
  console.log('plan', r.status, JSON.stringify(r.body, null, 1));
  r = await request(app).post(`/api/v1/plans/${r.body.id}/publish`);
  console.log('pub', r.status, JSON.stringify(r.body).slice(0, 400));
  r = await request(app).post('/api/v1/plans').send({ key: 'bad', name: 'Bad', currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'a', name: 'A', duration: null, rateCards: [] }, { key: 'a', name: 'A', duration: null, rateCards: [] }] });
  console.log('bad', r.status, r.headers['content-type'], JSON.stringify(r.body));
  r = await request(app).post('/v3/metering/b1/plans').send({ key: 'bad', name: 'Bad', currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'a', name: 'A', duration: null, rateCards: [] }, { key: 'a', name: 'A', duration: null, rateCards: [] }] });
  console.log('zbad', r.status, r.headers['content-type'], JSON.stringify(r.body));
});

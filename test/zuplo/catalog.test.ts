import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const AUTH = { Authorization: 'Bearer zpka_test_key' };
const T0 = '2026-01-01T00:00:00Z';

const tokenCard = {
  type: 'usage_based',
  key: 'tokens',
  name: 'Tokens',
  featureKey: 'tokens',
  billingCadence: 'P1M',
  price: { type: 'tiered', mode: 'graduated', tiers: [{ upToAmount: '1000', flatPrice: null, unitPrice: { type: 'unit', amount: '0' } }, { flatPrice: null, unitPrice: { type: 'unit', amount: '0.002' } }] },
};
const planBody = (over: Record<string, unknown> = {}) => ({
  key: 'starter',
  name: 'Starter',
  currency: 'USD',
  billingCadence: 'P1M',
  phases: [
    {
      key: 'default',
      name: 'Default',
      duration: null,
      rateCards: [{ type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '19.00' } }, tokenCard],
    },
  ],
  ...over,
});

/** A meter and a feature in the given bucket (through the bucket's own meter/feature routes). */
async function seedBucket(app: Express, bucket: string) {
  await request(app)
    .post(`/v3/metering/${bucket}/meters`)
    .set(AUTH)
    .send({ slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n' })
    .expect(201);
  return request(app).post(`/v3/metering/${bucket}/features`).set(AUTH).send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens' }).expect(201);
}

describe('Zuplo metering: features and plans per bucket', () => {
  it('keeps the same plan key in two buckets apart', async () => {
    const { app } = createTestEmulator();
    await seedBucket(app, 'bucket_a');
    await seedBucket(app, 'bucket_b');
    const a = await request(app).post('/v3/metering/bucket_a/plans').set(AUTH).send(planBody()).expect(201);
    const b = await request(app).post('/v3/metering/bucket_b/plans').set(AUTH).send(planBody({ name: 'Starter B' })).expect(201);
    // each bucket has its own version sequence
    expect(a.body.version).toBe(1);
    expect(b.body.version).toBe(1);
    expect(a.body.id).not.toBe(b.body.id);

    await request(app).post(`/v3/metering/bucket_a/plans/${a.body.id}/publish`).set(AUTH).expect(200);
    expect((await request(app).get('/v3/metering/bucket_a/plans/starter').set(AUTH).expect(200)).body.status).toBe('active');
    // bucket b's plan is still a draft, and b cannot see a's plan
    expect((await request(app).get(`/v3/metering/bucket_b/plans/${b.body.id}`).set(AUTH).expect(200)).body.status).toBe('draft');
    const cross = await request(app).get(`/v3/metering/bucket_b/plans/${a.body.id}`).set(AUTH);
    expect(cross.status).toBe(404);
    expect(cross.body.type).toBe('https://httpproblems.com/http-status/404');

    const listA = await request(app).get('/v3/metering/bucket_a/plans').set(AUTH).expect(200);
    expect(listA.body.items.map((p: { id: string }) => p.id)).toEqual([a.body.id]);
    const listB = await request(app).get('/v3/metering/bucket_b/plans').set(AUTH).expect(200);
    expect(listB.body.items.map((p: { name: string }) => p.name)).toEqual(['Starter B']);

    // and nothing leaked into the OpenMeter v1 default namespace
    expect((await request(app).get('/api/v1/plans').expect(200)).body.totalCount).toBe(0);
  });

  it('renders a rule violation in Zuplo problem shape', async () => {
    const { app } = createTestEmulator();
    await seedBucket(app, 'bucket_a');
    const bad = planBody({ phases: [{ key: 'p', name: 'P', duration: null, rateCards: [{ ...tokenCard, key: 'not_tokens' }] }] });
    const res = await request(app).post('/v3/metering/bucket_a/plans').set(AUTH).send(bad);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      type: 'https://httpproblems.com/http-status/400',
      title: 'Bad Request',
      status: 400,
      instance: '/v3/metering/bucket_a/plans',
    });
    expect(res.body.trace.requestId).toEqual(expect.any(String));
    expect(res.body.extensions.validationErrors.map((e: { code: string }) => e.code)).toEqual(['rate_card_key_feature_key_mismatch']);

    const dup = await request(app).post('/v3/metering/bucket_a/features').set(AUTH).send({ key: 'tokens', name: 'Again' });
    expect(dup.status).toBe(409);
    expect(dup.body.type).toBe('https://httpproblems.com/http-status/409');
  });

  it('reads a bucket plan back with the same structure as on v1', async () => {
    const { app } = createTestEmulator();
    // the same catalog in the v1 default namespace and in a bucket
    await request(app).post('/api/v1/meters').send({ slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n' }).expect(200);
    await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens' }).expect(201);
    await seedBucket(app, 'bucket_a');

    const v1 = await request(app).post('/api/v1/plans').send(planBody()).expect(201);
    const z = await request(app).post('/v3/metering/bucket_a/plans').set(AUTH).send(planBody()).expect(201);
    const strip = (p: Record<string, unknown>) => {
      const { id: _id, proRatingConfig: _pr, ...rest } = p;
      return rest;
    };
    // alike but for the default proration mode (the next test)
    expect(strip(z.body)).toEqual(strip(v1.body));
    expect(z.body.phases[0].rateCards[0].price).toEqual({ type: 'flat', amount: '19', paymentTerm: 'in_advance' });
    expect(z.body.phases[0].rateCards[1].price.tiers).toEqual([
      { upToAmount: '1000', flatPrice: null, unitPrice: { type: 'unit', amount: '0' } },
      { flatPrice: null, unitPrice: { type: 'unit', amount: '0.002' } },
    ]);

    // the rest of the lifecycle through the bucket routes
    const got = await request(app).get(`/v3/metering/bucket_a/plans/${z.body.id}`).set(AUTH).expect(200);
    expect(got.body).toEqual(z.body);
    const { key: _k, currency: _c, ...replace } = planBody({ name: 'Starter+' });
    expect((await request(app).put(`/v3/metering/bucket_a/plans/${z.body.id}`).set(AUTH).send(replace).expect(200)).body.name).toBe('Starter+');
    const pub = await request(app).post(`/v3/metering/bucket_a/plans/${z.body.id}/publish`).set(AUTH).expect(200);
    expect(pub.body).toMatchObject({ status: 'active', effectiveFrom: T0 });
    await request(app).post('/_emulator/clock/advance').send({ by: 'P1D' }).expect(200);
    const arch = await request(app).post(`/v3/metering/bucket_a/plans/${z.body.id}/archive`).set(AUTH).expect(200);
    expect(arch.body).toMatchObject({ status: 'archived', effectiveTo: '2026-01-02T00:00:00Z' });
    await request(app).delete(`/v3/metering/bucket_a/plans/${z.body.id}`).set(AUTH).expect(204);
    expect((await request(app).get('/v3/metering/bucket_a/plans').set(AUTH).expect(200)).body.totalCount).toBe(0);

    // features: list, get, delete (archive) in the bucket
    const feats = await request(app).get('/v3/metering/bucket_a/features').set(AUTH).expect(200);
    expect(feats.body.map((f: { key: string }) => f.key)).toEqual(['tokens']);
    const f = await request(app).get('/v3/metering/bucket_a/features/tokens').set(AUTH).expect(200);
    await request(app).delete(`/v3/metering/bucket_a/features/${f.body.id}`).set(AUTH).expect(204);
    expect((await request(app).get(`/v3/metering/bucket_a/features/${f.body.id}`).set(AUTH).expect(200)).body.archivedAt).toBe('2026-01-02T00:00:00Z');
    // the v1 feature with the same key is untouched
    expect((await request(app).get('/api/v1/features/tokens').expect(200)).body).not.toHaveProperty('archivedAt');
  });

  // Zuplo's fork: PlanCreate / PlanReplaceUpdate / Plan `proRatingConfig` "Default:
  // {"enabled":true,"mode":"max_consumption_based"}" and ProRatingConfig.mode "Default:
  // max_consumption_based" (SEED zuplo-developer-api-schemas); OpenMeter's own default is
  // {enabled: true, mode: prorate_prices} (api/openapi.yaml PlanCreate.proRatingConfig).
  it('gives a bucket plan made without proRatingConfig the fork’s max_consumption_based; v1 keeps prorate_prices', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/api/v1/meters').send({ slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n' }).expect(200);
    await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens' }).expect(201);
    await seedBucket(app, 'bucket_a');
    const FORK = { enabled: true, mode: 'max_consumption_based' };

    const z = await request(app).post('/v3/metering/bucket_a/plans').set(AUTH).send(planBody()).expect(201);
    expect(z.body.proRatingConfig).toEqual(FORK);
    expect((await request(app).get(`/v3/metering/bucket_a/plans/${z.body.id}`).set(AUTH).expect(200)).body.proRatingConfig).toEqual(FORK);
    // a replace without it gets the default again; one that names prorate_prices keeps it
    const { key: _k, currency: _c, ...replace } = planBody();
    const put1 = await request(app).put(`/v3/metering/bucket_a/plans/${z.body.id}`).set(AUTH).send({ ...replace, proRatingConfig: { enabled: true, mode: 'prorate_prices' } }).expect(200);
    expect(put1.body.proRatingConfig).toEqual({ enabled: true, mode: 'prorate_prices' });
    expect((await request(app).put(`/v3/metering/bucket_a/plans/${z.body.id}`).set(AUTH).send(replace).expect(200)).body.proRatingConfig).toEqual(FORK);
    // a config without a mode takes the fork's mode too
    const off = await request(app).post('/v3/metering/bucket_a/plans').set(AUTH).send(planBody({ key: 'off', proRatingConfig: { enabled: false } })).expect(201);
    expect(off.body.proRatingConfig).toEqual({ enabled: false, mode: 'max_consumption_based' });
    // the subscription takes the plan's mode
    await request(app).post(`/v3/metering/bucket_a/plans/${z.body.id}/publish`).set(AUTH).expect(200);
    await request(app).post('/v3/metering/bucket_a/customers').set(AUTH).send({ key: 'c1', name: 'C1', usageAttribution: { subjectKeys: ['c1'] } }).expect(201);
    const sub = await request(app).post('/v3/metering/bucket_a/subscriptions').set(AUTH).send({ customerKey: 'c1', plan: { key: 'starter' } }).expect(201);
    expect(sub.body.proRatingConfig).toEqual(FORK);

    // OpenMeter v1: unchanged
    const v1 = await request(app).post('/api/v1/plans').send(planBody()).expect(201);
    expect(v1.body.proRatingConfig).toEqual({ enabled: true, mode: 'prorate_prices' });
    expect((await request(app).get(`/api/v1/plans/${v1.body.id}`).expect(200)).body.proRatingConfig).toEqual({ enabled: true, mode: 'prorate_prices' });
  });
});

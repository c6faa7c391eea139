import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { meteredPlan, publishPlan, setupSubscriptions } from '../openmeter-v1/subscriptionFixtures.ts';

/**
 * The order a charge collects credit in: priority, then credit restricted to the charge's
 * feature before unrestricted credit, then earliest expiry, then a stable source order
 * (openmeter/ledger/collector/types.go fboCollectionSource.Compare; collection_fbo_test.go
 * TestCollectCustomerFBOFiltersByFeatureEligibility collects the restricted source first).
 * The collector README lists only priority, expiry and cursor; the code is what runs.
 */
const v3 = '/v3/openmeter';

describe('credit collection order', () => {
  it('a feature charge takes credit restricted to its feature before unrestricted credit of the same priority made earlier', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await publishPlan(app, meteredPlan);
    const grants = `${v3}/customers/${acmeId}/credits/grants`;
    const balance = async (q = '') => (await request(app).get(`${v3}/customers/${acmeId}/credits/balance${q}`).expect(200)).body.balances[0].settled as string;

    // 2026-01-01: "Any" 100 (unrestricted, made first, never expires), then "Tokens only" 100, same priority
    await request(app).post(grants).send({ name: 'Any', funding_method: 'none', currency: 'USD', amount: '100', priority: 10 }).expect(201);
    await request(app).post(grants).send({ name: 'Tokens only', funding_method: 'none', currency: 'USD', amount: '100', priority: 10, filters: { features: ['tokens'] } }).expect(201);

    // January's 29 base fee has no feature: only "Any" can pay it → unrestricted 100 − 29 = 71
    await request(app).post(`${v3}/subscriptions`).send({ customer: { key: 'acme' }, plan: { key: 'metered' } }).expect(201);
    expect(await balance('?filter[feature_key][exists]=false')).toBe('71');

    // 1,500 tokens in January, invoiced on Feb 1 with February's fee: tokens 1,500 × 0.01 = 15, base 29
    await request(app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: 'u1', source: 't', type: 'tokens', subject: 'acme_prod', time: '2026-01-20T00:00:00Z', data: { tokens: 1500 } }])
      .expect(204);
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-02-01T02:00:00Z' }).expect(200);

    // the tokens line takes its 15 from "Tokens only" (restricted first); the fee 29 from "Any":
    // unrestricted 71 − 29 = 42 (had "Any" paid the tokens too: 71 − 29 − 15 = 27)
    expect(await balance('?filter[feature_key][exists]=false')).toBe('42');
    // all credit: 200 − 29 − 29 − 15 = 127
    expect(await balance()).toBe('127');
  });
});

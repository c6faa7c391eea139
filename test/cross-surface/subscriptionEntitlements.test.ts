import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { advance, setupSubscriptions } from '../openmeter-v1/subscriptionFixtures.ts';

describe('entitlements of a subscription (subscription/entitlement.go) on every surface', () => {
  it('v1 access, v2 entitlements and Konnect entitlement access follow the plan phases; usage burns the issueAfterReset grant', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await request(app).post('/v3/openmeter/subscriptions').send({ customer: { key: 'acme' }, plan: { key: 'pro' } }).expect(201);
    let konnect = await request(app).get(`/v3/openmeter/customers/${acmeId}/entitlement-access`).expect(200);
    expect(konnect.body.data).toEqual([{ type: 'boolean', feature_key: 'sso', has_access: true }]);
    await advance(app, 'P15D');
    await request(app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: 'e1', source: 't', type: 'tokens', subject: 'acme_prod', time: '2026-01-16T00:00:00Z', data: { tokens: 1200 } }])
      .expect(204);
    await advance(app, 'PT1H');
    konnect = await request(app).get(`/v3/openmeter/customers/${acmeId}/entitlement-access`).expect(200);
    // 1200 used of the 1000 issued after reset: a hard limit, no access
    expect(konnect.body.data).toEqual([
      { type: 'boolean', feature_key: 'sso', has_access: true },
      { type: 'metered', feature_key: 'tokens', has_access: false },
    ]);
    const v1 = await request(app).get('/api/v1/customers/acme/access').expect(200);
    expect(v1.body.entitlements.tokens).toMatchObject({ hasAccess: false, usage: 1200, balance: 0, overage: 200 });
    // the next usage period (from the billing anchor, Feb 1) issues 1000 again
    await advance(app, 'P17D');
    const feb = await request(app).get('/api/v1/customers/acme/access').expect(200);
    expect(feb.body.entitlements.tokens).toMatchObject({ hasAccess: true, usage: 0 });
  });
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

describe('entitlements created on OpenMeter v1, access read on Konnect v3', () => {
  it('lists the customer access and answers access queries', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }).expect(200);
    await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' }).expect(201);
    await request(app).post('/api/v1/features').send({ key: 'sso', name: 'SSO' }).expect(201);
    await request(app).post('/api/v1/features').send({ key: 'limits', name: 'Limits' }).expect(201);
    await request(app).post('/api/v1/features').send({ key: 'unused', name: 'Unused' }).expect(201);
    const cust = await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme_prod'] } }).expect(201);
    await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'boolean', featureKey: 'sso' }).expect(201);
    await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'static', featureKey: 'limits', config: '{"seats":3}' }).expect(201);
    await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'MONTH' } }).expect(201);
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 5, effectiveAt: '2026-01-01T00:00:00Z' }).expect(201);
    await request(app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: 'e1', source: 't', type: 'tokens', subject: 'acme_prod', time: '2026-01-01T00:10:00Z', data: { tokens: 5 } }])
      .expect(204);
    await request(app).post('/_emulator/clock/advance').send({ by: 'PT1H' }).expect(200);

    const list = await request(app).get(`/v3/openmeter/customers/${cust.body.id}/entitlement-access`).expect(200);
    // 5 used of the 5 granted: balance 0, hard limit → no access. Sorted by feature key, not by
    // creation (api/v3/handlers/customers/entitlementaccess/list.go).
    expect(list.body.data).toEqual([
      { type: 'static', feature_key: 'limits', has_access: true, config: '{"seats":3}' },
      { type: 'boolean', feature_key: 'sso', has_access: true },
      { type: 'metered', feature_key: 'tokens', has_access: false },
    ]);

    const q = await request(app)
      .post('/v3/openmeter/entitlement-access/query')
      .send({ customer: { keys: ['acme', 'ghost'] }, feature: { keys: ['sso', 'tokens', 'unused', 'nope'] } })
      .expect(200);
    // openmeter/entitlementaccess/service/service.go resolveCustomers: the message names no key
    expect(q.body.errors).toEqual([{ code: 'customer_not_found', message: 'customer not found', customer: 'ghost' }]);
    expect(q.body.data).toHaveLength(1);
    expect(q.body.data[0]).toMatchObject({ matched: ['acme'], customer: { id: cust.body.id, key: 'acme' } });
    expect(q.body.data[0].features).toEqual({
      sso: { has_access: true },
      tokens: { has_access: false, reason: { code: 'usage_limit_reached', message: 'usage limit of tokens reached' } },
      unused: { has_access: false, reason: { code: 'feature_unavailable', message: 'unused is not available to the customer' } },
      nope: { has_access: false, reason: { code: 'feature_not_found', message: 'feature nope not found' } },
    });
    await request(app).get('/v3/openmeter/customers/01J00000000000000000000000/entitlement-access').expect(404);
  });

  it('pages the access query by (created_at, id) with the asked page size and first/last cursors', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/api/v1/features').send({ key: 'sso', name: 'SSO' }).expect(201);
    const ids: string[] = [];
    for (const key of ['c1', 'c2', 'c3']) {
      ids.push((await request(app).post('/api/v1/customers').send({ name: key, key }).expect(201)).body.id);
      await request(app).post('/_emulator/clock/advance').send({ by: 'PT1M' }).expect(200);
    }
    const cursor = (i: number, minute: number) => Buffer.from(`2026-01-01T00:0${minute}:00Z,${ids[i]}`).toString('base64');
    const query = (qs: string) => request(app).post(`/v3/openmeter/entitlement-access/query${qs}`).send({ customer: { keys: ['c3', 'c1', 'c2'] }, feature: { keys: ['sso'] } });

    // api/v3/handlers/entitlementaccess/query.go + mapping.go: size is the page size asked for
    // (default 100), not the number of items; first/last are the ends of the page
    const all = await query('').expect(200);
    expect(all.body.data.map((r: { customer: { key: string } }) => r.customer.key)).toEqual(['c1', 'c2', 'c3']);
    expect(all.body.meta.page).toEqual({ size: 100, first: cursor(0, 0), last: cursor(2, 2), next: null, previous: null });

    const p1 = await query('?page[size]=2').expect(200);
    expect(p1.body.data.map((r: { customer: { key: string } }) => r.customer.key)).toEqual(['c1', 'c2']);
    expect(p1.body.meta.page).toEqual({ size: 2, first: cursor(0, 0), last: cursor(1, 1), next: cursor(1, 1), previous: null });
    const p2 = await query(`?page[size]=2&page[after]=${encodeURIComponent(p1.body.meta.page.next)}`).expect(200);
    expect(p2.body.data.map((r: { customer: { key: string } }) => r.customer.key)).toEqual(['c3']);
    expect(p2.body.meta.page).toEqual({ size: 2, first: cursor(2, 2), last: cursor(2, 2), next: null, previous: cursor(2, 2) });
    const back = await query(`?page[size]=2&page[before]=${encodeURIComponent(p2.body.meta.page.previous)}`).expect(200);
    expect(back.body.data.map((r: { customer: { key: string } }) => r.customer.key)).toEqual(['c1', 'c2']);
    expect(back.body.meta.page).toMatchObject({ next: cursor(1, 1), previous: null });

    const bad = await query('?page[size]=101').expect(400);
    expect(bad.body.invalid_parameters[0]).toMatchObject({ field: 'page[size]', source: 'query' });
    await query('?page[after]=not-a-cursor').expect(400);
  });
});

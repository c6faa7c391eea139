import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * One subject, one owner. Customer A's own key is `x`; customer B lists `x` among its subject
 * keys. The real service resolves a usage key to the customer whose key it is first, and only
 * then to a subject-key owner (openmeter/customer/service/customer.go,
 * resolveCustomersByKeyWithPrecedence) — for events, meter queries, the legacy
 * `/subjects/{key}` entitlement routes and access alike (docs/decisions/0006).
 */
async function world() {
  const emu = createTestEmulator({ start: new Date('2026-01-01T00:00:00Z') });
  const { app } = emu;
  await request(app).post('/api/v1/meters').send({ slug: 'calls', name: 'Calls', eventType: 'call', aggregation: 'COUNT' }).expect(200);
  await request(app).post('/api/v1/features').send({ key: 'calls', name: 'Calls', meterSlug: 'calls' }).expect(201);
  const a = (await request(app).post('/api/v1/customers').send({ name: 'A', key: 'x' }).expect(201)).body as { id: string };
  const b = (await request(app).post('/api/v1/customers').send({ name: 'B', key: 'b', usageAttribution: { subjectKeys: ['x'] } }).expect(201)).body as { id: string };
  await request(app)
    .post('/api/v1/events')
    .send([
      { specversion: '1.0', id: 'e1', source: 't', type: 'call', subject: 'x', time: '2026-01-01T00:00:00Z' },
      { specversion: '1.0', id: 'e2', source: 't', type: 'call', subject: 'x', time: '2026-01-01T00:01:00Z' },
    ])
    .expect(204);
  await request(app).post('/_emulator/clock/advance').send({ by: 'PT1H' }).expect(200);
  return { ...emu, a, b };
}

describe('usage attribution: the customer key wins over another customer’s subject key', () => {
  it('OpenMeter v1: events, meter queries and the subject entitlement routes all name the key owner', async () => {
    const { app, a, b } = await world();
    const events = (await request(app).get('/api/v1/events').query({ from: '2026-01-01T00:00:00Z' }).expect(200)).body as Array<{ customerId: string }>;
    expect(events.map((e) => e.customerId)).toEqual([a.id, a.id]);
    const qa = await request(app).get('/api/v1/meters/calls/query').query({ filterCustomerId: a.id, from: '2026-01-01T00:00:00Z' }).expect(200);
    expect(qa.body.data.map((r: { value: number }) => r.value)).toEqual([2]);
    const qb = await request(app).get('/api/v1/meters/calls/query').query({ filterCustomerId: b.id, from: '2026-01-01T00:00:00Z' }).expect(200);
    expect(qb.body.data.map((r: { value: number }) => r.value)).toEqual([]);

    // the legacy subject route attaches the entitlement to the same owner metering chose
    await request(app)
      .post('/api/v1/subjects/x/entitlements')
      .send({ type: 'metered', featureKey: 'calls', usagePeriod: { interval: 'MONTH', anchor: '2026-01-01T00:00:00Z' }, measureUsageFrom: '2026-01-01T00:00:00Z' })
      .expect(201);
    const ofA = await request(app).get(`/api/v2/customers/${a.id}/entitlements`).expect(200);
    expect(ofA.body.items.map((e: { featureKey: string }) => e.featureKey)).toEqual(['calls']);
    const ofB = await request(app).get(`/api/v2/customers/${b.id}/entitlements`).expect(200);
    expect(ofB.body.items).toEqual([]);
    // and its value counts the usage of that owner: both events
    const value = await request(app).get('/api/v1/subjects/x/entitlements/calls/value').expect(200);
    expect(value.body).toMatchObject({ usage: 2 });
  });

  it('Konnect v3: events and entitlement access name the key owner', async () => {
    const { app, a, b } = await world();
    await request(app).post('/api/v1/subjects/x/entitlements').send({ type: 'boolean', featureKey: 'calls' }).expect(201);
    const events = await request(app).get('/v3/openmeter/events').expect(200);
    expect(events.body.data.map((e: { customer: { id: string } }) => e.customer.id)).toEqual([a.id, a.id]);
    const accessA = await request(app).get(`/v3/openmeter/customers/${a.id}/entitlement-access`).expect(200);
    expect(accessA.body.data.map((x: { feature_key: string }) => x.feature_key)).toEqual(['calls']);
    const accessB = await request(app).get(`/v3/openmeter/customers/${b.id}/entitlement-access`).expect(200);
    expect(accessB.body.data).toEqual([]);
  });

  it('Zuplo bucket: the same rule inside a bucket namespace (meter query by customer)', async () => {
    const { app, emulator } = createTestEmulator({ start: new Date('2026-01-01T00:00:00Z') });
    const bucket = '/v3/metering/bckt_attribution';
    await request(app).post(`${bucket}/meters`).send({ slug: 'calls', name: 'Calls', eventType: 'call', aggregation: 'COUNT' }).expect(201);
    // a bucket has no customer or event routes on the Zuplo surface yet: the domain is driven directly
    const ns = 'zuplo-bucket:bckt_attribution';
    const { a, b } = await emulator.run(ns, (tx) => ({
      a: emulator.services.customers.createCustomer(tx, { name: 'A', key: 'x' }),
      b: emulator.services.customers.createCustomer(tx, { name: 'B', key: 'b', usageAttribution: { subjectKeys: ['x'] } }),
    }));
    await emulator.run(ns, (tx) =>
      emulator.services.metering.ingestEvents(tx, [{ specversion: '1.0', id: 'e1', source: 't', type: 'call', subject: 'x', time: '2026-01-01T00:00:00Z' }]),
    );
    const qa = await request(app).get(`${bucket}/meters/calls/query`).query({ filterCustomerId: a.id, from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }).expect(200);
    expect(qa.body.data.map((r: { value: number }) => r.value)).toEqual([1]);
    const qb = await request(app).get(`${bucket}/meters/calls/query`).query({ filterCustomerId: b.id, from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }).expect(200);
    expect(qb.body.data).toEqual([]);
  });
});

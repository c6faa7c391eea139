import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const T0 = '2026-01-01T00:00:00Z';

const ev = (id: string, time: string, tokens: number, subject = 'acme_prod') => ({ specversion: '1.0', id, source: 'test', type: 'tokens', subject, time, data: { tokens } });
const advance = (app: Express, by: string) => request(app).post('/_emulator/clock/advance').send({ by }).expect(200);
const ingest = (app: Express, events: unknown[]) => request(app).post('/api/v1/events').send(events).expect(204);

/** meter `tokens_total` (SUM $.tokens), metered feature `tokens`, boolean `sso`, static `limits`, customer `acme` with subject `acme_prod` */
async function setup() {
  const t = createTestEmulator();
  const { app } = t;
  await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }).expect(200);
  await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' }).expect(201);
  await request(app).post('/api/v1/features').send({ key: 'sso', name: 'SSO' }).expect(201);
  await request(app).post('/api/v1/features').send({ key: 'limits', name: 'Limits' }).expect(201);
  const cust = await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme_prod'] } }).expect(201);
  return { ...t, customerId: cust.body.id as string };
}

describe('OpenMeter v1 entitlements', () => {
  it('boolean and static entitlements grant access; the customer access map lists them', async () => {
    const { app } = await setup();
    const b = await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'boolean', featureKey: 'sso' }).expect(201);
    expect(b.body).toMatchObject({ type: 'boolean', featureKey: 'sso', customerKey: 'acme', activeFrom: T0 });
    const s = await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'static', featureKey: 'limits', config: '{"seats":5}' }).expect(201);
    expect(s.body.config).toBe('{"seats":5}');
    expect((await request(app).get('/api/v2/customers/acme/entitlements/sso/value').expect(200)).body).toEqual({ hasAccess: true });
    expect((await request(app).get('/api/v1/customers/acme/entitlements/limits/value').expect(200)).body).toEqual({ hasAccess: true, config: '{"seats":5}' });
    const access = await request(app).get('/api/v1/customers/acme/access').expect(200);
    expect(access.body).toEqual({ entitlements: { sso: { hasAccess: true }, limits: { hasAccess: true, config: '{"seats":5}' } } });
    // a feature without an entitlement: no access rather than 404
    await request(app).post('/api/v1/features').send({ key: 'other', name: 'Other' }).expect(201);
    expect((await request(app).get('/api/v1/customers/acme/entitlements/other/value').expect(200)).body).toEqual({ hasAccess: false });
    // deleted: access gone, the list no longer shows it
    await request(app).delete(`/api/v2/customers/acme/entitlements/${b.body.id}`).expect(204);
    expect((await request(app).get('/api/v2/customers/acme/entitlements/sso/value').expect(200)).body).toEqual({ hasAccess: false });
    const list = await request(app).get('/api/v2/customers/acme/entitlements').expect(200);
    expect(list.body.items.map((e: { featureKey: string }) => e.featureKey)).toEqual(['limits']);
    expect((await request(app).get('/api/v2/customers/acme/entitlements?includeDeleted=true').expect(200)).body.totalCount).toBe(2);
  });

  it('a grant without priority burns first and shows no priority (kept: the document says minimum 1)', async () => {
    // OpenMeter stores priority 0 and always returns it, `"priority": 0`
    // (openmeter/entitlement/driver/v2/mapping.go MapAPIGrantV2ToCreateGrantInput / MapEntitlementGrantToAPIV2).
    // The emulator keeps the 0 for the burn-down but leaves it out of the response: EntitlementGrant
    // and EntitlementGrantV2 declare `priority` with `minimum: 1`, and every response is checked against them.
    const { app } = await setup();
    await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'MONTH' } }).expect(201);
    const g0 = await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 10, effectiveAt: T0 }).expect(201);
    expect(g0.body.priority).toBeUndefined();
    const g1 = await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 10, priority: 1, effectiveAt: T0 }).expect(201);
    await ingest(app, [ev('e1', '2026-01-01T00:10:00Z', 4)]);
    await advance(app, 'PT1H');
    const v = await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200);
    // priority 0 burns before priority 1: 10 − 4 = 6 left on the first grant
    expect(v.body.grantBalances).toEqual({ [g0.body.id]: 6, [g1.body.id]: 10 });
  });

  it('burns grants in priority order, resets automatically at the period end with v1 vs v2 rollover', async () => {
    const { app } = await setup();
    const ent = await request(app)
      .post('/api/v2/customers/acme/entitlements')
      .send({ type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'DAY' } })
      .expect(201);
    expect(ent.body).toMatchObject({
      type: 'metered',
      measureUsageFrom: T0,
      lastReset: T0,
      isSoftLimit: false,
      usagePeriod: { interval: 'DAY', anchor: T0, intervalISO: 'P1D' },
      currentUsagePeriod: { from: T0, to: '2026-01-02T00:00:00Z' },
    });
    // v1 (legacy subject route): maxRolloverAmount defaults to 0
    const g1 = await request(app)
      .post('/api/v1/subjects/acme_prod/entitlements/tokens/grants')
      .send({ amount: 100, priority: 1, effectiveAt: T0, expiration: { duration: 'MONTH', count: 1 } })
      .expect(201);
    expect(g1.body).toMatchObject({ amount: 100, priority: 1, maxRolloverAmount: 0, minRolloverAmount: 0, expiresAt: '2026-02-01T00:00:00Z', entitlementId: ent.body.id });
    // v2: maxRolloverAmount defaults to the amount
    const g2 = await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 50, priority: 2, effectiveAt: T0 }).expect(201);
    expect(g2.body).toMatchObject({ amount: 50, priority: 2, maxRolloverAmount: 50 });

    await ingest(app, [ev('e1', '2026-01-01T00:10:00Z', 25), ev('e2', '2026-01-01T00:20:00Z', 35), ev('other', '2026-01-01T00:20:00Z', 1000, 'someone_else')]);
    await advance(app, 'PT1H');
    // usage 25 + 35 = 60 (the other subject is not ours); priority 1 burns first: g1 100 − 60 = 40, g2 untouched 50
    // balance 40 + 50 = 90; totalAvailableGrantAmount = burnt 60 + balance 90 = 150
    const v = await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200);
    expect(v.body).toEqual({ hasAccess: true, usage: 60, balance: 90, overage: 0, totalAvailableGrantAmount: 150, grantBalances: { [g1.body.id]: 40, [g2.body.id]: 50 } });
    // the legacy subject route sees the same entitlement and value
    const legacy = await request(app).get('/api/v1/subjects/acme_prod/entitlements/tokens/value').expect(200);
    expect(legacy.body).toEqual({ hasAccess: true, usage: 60, balance: 90, overage: 0, totalAvailableGrantAmount: 150 });
    // value at a past time: after e1 only (00:15 → usage 25, balance 150 − 25 = 125)
    expect((await request(app).get('/api/v1/customers/acme/entitlements/tokens/value').query({ time: '2026-01-01T00:15:00Z' }).expect(200)).body).toMatchObject({ usage: 25, balance: 125 });

    // history: 15-minute-aligned HOUR window from T0 to 01:00 → one window
    const h = await request(app).get('/api/v2/customers/acme/entitlements/tokens/history').query({ windowSize: 'HOUR', from: T0, to: '2026-01-01T01:00:00Z' }).expect(200);
    expect(h.body.windowedHistory).toEqual([{ period: { from: T0, to: '2026-01-01T01:00:00Z' }, usage: 60, balanceAtStart: 150 }]);
    expect(h.body.burndownHistory[0]).toMatchObject({ usage: 60, balanceAtStart: 150, balanceAtEnd: 90, overage: 0, grantUsages: [{ grantId: g1.body.id, usage: 60 }] });

    // past the usage period end (2026-01-02T00:00): automatic reset. g1 (v1, maxRollover 0) loses its 40,
    // g2 (v2, maxRollover 50) keeps min(50, 50) = 50
    await advance(app, 'P1D');
    const after = await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200);
    expect(after.body).toMatchObject({ hasAccess: true, usage: 0, balance: 50, overage: 0 });
    expect(after.body.grantBalances[g1.body.id] ?? 0).toBe(0);
    expect(after.body.grantBalances[g2.body.id]).toBe(50);
    const got = await request(app).get(`/api/v1/subjects/acme_prod/entitlements/${ent.body.id}`).expect(200);
    expect(got.body).toMatchObject({ id: ent.body.id, subjectKey: 'acme_prod', lastReset: '2026-01-02T00:00:00Z', currentUsagePeriod: { from: '2026-01-02T00:00:00Z', to: '2026-01-03T00:00:00Z' } });

    // 70 in the new period: g2 pays 50, 70 − 50 = 20 overage, no balance → no access (hard limit)
    await ingest(app, [ev('e3', '2026-01-02T00:30:00Z', 70)]);
    expect((await request(app).get('/api/v1/subjects/acme_prod/entitlements/tokens/value').expect(200)).body).toEqual({ hasAccess: false, usage: 70, balance: 0, overage: 20, totalAvailableGrantAmount: 50 });
  });

  it('resets manually, voids grants, and issues the default grant after every reset', async () => {
    const { app } = await setup();
    const ent = await request(app)
      .post('/api/v1/subjects/acme_prod/entitlements')
      .send({ type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'MONTH' }, issueAfterReset: 10 })
      .expect(201);
    expect(ent.body).toMatchObject({ subjectKey: 'acme_prod', issueAfterReset: 10, issueAfterResetPriority: 1 });
    const extra = await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 20, priority: 5, effectiveAt: T0 }).expect(201);
    await ingest(app, [ev('e1', '2026-01-01T00:05:00Z', 4)]);
    await advance(app, 'PT1H');
    // default grant (priority 1) burns first: 10 − 4 = 6, extra 20 → balance 26
    expect((await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200)).body).toMatchObject({ usage: 4, balance: 26 });

    // void the extra grant now: balance back to 6
    await request(app).delete(`/api/v1/grants/${extra.body.id}`).expect(204);
    expect((await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200)).body).toMatchObject({ usage: 4, balance: 6 });
    const voided = await request(app).delete(`/api/v1/grants/${extra.body.id}`).expect(400);
    expect(voided.body).toMatchObject({ type: 'about:blank', status: 400 });
    const grants = await request(app).get('/api/v2/grants').query({ customer: 'acme' }).expect(200);
    expect(grants.body.totalCount).toBe(2);
    expect(grants.body.items.find((g: { id: string }) => g.id === extra.body.id).voidedAt).toBe('2026-01-01T01:00:00Z');
    // the v1 shapes require `expiration`: the default grant has none and never expires
    const v1grants = await request(app).get('/api/v1/grants').query({ subject: 'acme_prod' }).expect(200);
    expect(v1grants.body).toHaveLength(2);
    expect(v1grants.body[0]).toMatchObject({ amount: 10, priority: 1, maxRolloverAmount: 10, minRolloverAmount: 10, expiration: { duration: 'YEAR', count: 1000 } });
    expect(v1grants.body[0].expiresAt).toBeUndefined();
    const legacyGrants = await request(app).get(`/api/v1/subjects/acme_prod/entitlements/${ent.body.id}/grants`).expect(200);
    expect(legacyGrants.body.map((g: { id: string }) => g.id)).toEqual(v1grants.body.map((g: { id: string }) => g.id));

    // manual reset: the default grant is back at 10 (min = max rollover = 10), usage restarts
    await request(app).post(`/api/v1/subjects/acme_prod/entitlements/${ent.body.id}/reset`).send({}).expect(204);
    const v = await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200);
    expect(v.body).toMatchObject({ hasAccess: true, usage: 0, balance: 10, overage: 0 });
    const got = await request(app).get(`/api/v2/entitlements/${ent.body.id}`).expect(200);
    // retainAnchor defaults to false: the usage period is re-anchored at the reset
    expect(got.body).toMatchObject({ lastReset: '2026-01-01T01:00:00Z', usagePeriod: { anchor: '2026-01-01T01:00:00Z' } });
    // a second reset in the same minute is rejected, not a 500
    await request(app).post(`/api/v2/customers/acme/entitlements/tokens/reset`).send({}).expect(400);

    await ingest(app, [ev('e2', '2026-01-01T01:00:30Z', 3)]);
    await advance(app, 'PT1M');
    expect((await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200)).body).toMatchObject({ usage: 3, balance: 7 });
  });

  it('rejects duplicates with 409, unknown things with 404 and bad input with 400', async () => {
    const { app } = await setup();
    const first = await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'boolean', featureKey: 'sso' }).expect(201);
    const dup = await request(app).post('/api/v1/subjects/acme_prod/entitlements').send({ type: 'boolean', featureKey: 'sso' }).expect(409);
    expect(dup.headers['content-type']).toBe('application/problem+json');
    expect(dup.body).toMatchObject({ type: 'about:blank', status: 409, extensions: { conflictingEntityId: first.body.id } });

    await request(app).get('/api/v1/subjects/nobody/entitlements').expect(404);
    await request(app).get('/api/v2/customers/nobody/entitlements').expect(404);
    await request(app).get('/api/v2/customers/acme/entitlements/tokens').expect(404);
    await request(app).get('/api/v2/entitlements/01J00000000000000000000000').expect(404);
    await request(app).delete('/api/v1/grants/01J00000000000000000000000').expect(404);
    await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'boolean', featureKey: 'missing' }).expect(404);

    // metered on a feature without a meter; missing / too short usage period; malformed bodies
    for (const body of [
      { type: 'metered', featureKey: 'limits', usagePeriod: { interval: 'DAY' } },
      { type: 'metered', featureKey: 'tokens' },
      { type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'PT30M' } },
      { type: 'static', featureKey: 'limits', config: 'not json' },
      { type: 'nope', featureKey: 'tokens' },
      { type: 'boolean' },
      { type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'DAY' }, measureUsageFrom: 'tomorrow' },
    ]) {
      const r = await request(app).post('/api/v2/customers/acme/entitlements').send(body as object);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.status).toBe(400);
    }
    await request(app).post('/api/v2/customers/acme/entitlements').set('content-type', 'application/json').send('{not json').expect(400);
    await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'DAY' } }).expect(201);
    // grants: negative amount, missing effectiveAt, before the current period start, on a boolean entitlement
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: -1, effectiveAt: T0 }).expect(400);
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 1 }).expect(400);
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 1, effectiveAt: '2025-12-31T00:00:00Z' }).expect(400);
    await request(app).post('/api/v2/customers/acme/entitlements/sso/grants').send({ amount: 1, effectiveAt: T0 }).expect(400);
    await request(app).get('/api/v2/customers/acme/entitlements/tokens/history').query({ windowSize: 'MONTH' }).expect(400);
    await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').query({ time: 'yesterday' }).expect(400);
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/reset').send({ effectiveAt: '2027-01-01T00:00:00Z' }).expect(400);
  });

  it('overrides an entitlement and lists across customers with paging', async () => {
    const { app } = await setup();
    const a = await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'boolean', featureKey: 'sso' }).expect(201);
    const o = await request(app).put('/api/v2/customers/acme/entitlements/sso/override').send({ type: 'static', featureKey: 'sso', config: '{"a":1}' }).expect(201);
    expect(o.body.id).not.toBe(a.body.id);
    expect((await request(app).get(`/api/v2/entitlements/${a.body.id}`).expect(200)).body.deletedAt).toBe(T0);
    const legacy = await request(app).get('/api/v1/subjects/acme_prod/entitlements').expect(200);
    expect(legacy.body.map((e: { id: string }) => e.id)).toEqual([o.body.id]);
    const v1list = await request(app).get('/api/v1/entitlements').query({ subject: 'acme_prod' }).expect(200);
    expect(Array.isArray(v1list.body)).toBe(true);
    expect(v1list.body).toHaveLength(1);
    const paged = await request(app).get('/api/v1/entitlements').query({ page: 1, pageSize: 10 }).expect(200);
    expect(paged.body).toMatchObject({ totalCount: 1, page: 1, pageSize: 10 });
    const v2list = await request(app).get('/api/v2/entitlements').query({ entitlementType: 'static' }).expect(200);
    expect(v2list.body.items.map((e: { id: string }) => e.id)).toEqual([o.body.id]);
    expect((await request(app).get('/api/v2/entitlements').query({ entitlementType: 'metered' }).expect(200)).body.totalCount).toBe(0);
  });

  it('windows the history by hour and day, zero-filled, and rejects bad windows with 400', async () => {
    const { app } = await setup();
    await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'metered', featureKey: 'tokens', usagePeriod: { interval: 'MONTH' } }).expect(201);
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 100, effectiveAt: T0 }).expect(201);
    await ingest(app, [ev('e1', '2026-01-01T00:30:00Z', 10), ev('e2', '2026-01-01T02:15:00Z', 5)]);
    await advance(app, 'PT3H');
    const h = await request(app).get('/api/v2/customers/acme/entitlements/tokens/history').query({ windowSize: 'HOUR' }).expect(200);
    // from defaults to the period start (T0), to to now (03:00); the 01:00 hour is zero-filled
    expect(h.body.windowedHistory.map((w: { period: { from: string }; usage: number; balanceAtStart: number }) => [w.period.from, w.usage, w.balanceAtStart])).toEqual([
      [T0, 10, 100],
      ['2026-01-01T01:00:00Z', 0, 90],
      ['2026-01-01T02:00:00Z', 5, 90],
    ]);
    const day = await request(app).get('/api/v1/subjects/acme_prod/entitlements/tokens/history').query({ windowSize: 'DAY' }).expect(200);
    // one DAY window clipped to [T0, now): 10 + 5 = 15
    expect(day.body.windowedHistory).toEqual([{ period: { from: T0, to: '2026-01-01T03:00:00Z' }, usage: 15, balanceAtStart: 100 }]);
    await request(app).get('/api/v2/customers/acme/entitlements/tokens/history').query({ windowSize: 'HOUR', windowTimeZone: 'Mars/Olympus' }).expect(400);
    await request(app).get('/api/v2/customers/acme/entitlements/tokens/history').query({ windowSize: 'HOUR', from: '2025-12-01T00:00:00Z' }).expect(400);
    await request(app).get('/api/v2/customers/acme/entitlements/tokens/history').query({ windowSize: 'HOUR', from: '2026-01-01T02:00:00Z', to: '2026-01-01T01:00:00Z' }).expect(400);
    await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').query({ time: '2025-06-01T00:00:00Z' }).expect(200);
  });
});

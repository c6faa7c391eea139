import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const T0 = '2026-01-01T00:00:00Z';
const PROBLEM = 'application/problem+json';

async function withCatalog(): Promise<Express> {
  const { app } = createTestEmulator();
  await request(app)
    .post('/api/v1/meters')
    .send({ slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n', groupBy: { model: '$.model' } })
    .expect(200);
  await request(app)
    .post('/api/v1/meters')
    .send({ slug: 'latency', name: 'Latency', eventType: 'req', aggregation: 'AVG', valueProperty: '$.ms' })
    .expect(200);
  await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens' }).expect(201);
  await request(app).post('/api/v1/features').send({ key: 'sso', name: 'SSO' }).expect(201);
  return app;
}

const baseFee = { type: 'flat_fee', key: 'base', name: 'Base fee', billingCadence: 'P1M', price: { type: 'flat', amount: '10.50' } };
const tokenCard = {
  type: 'usage_based',
  key: 'tokens',
  name: 'Tokens',
  featureKey: 'tokens',
  billingCadence: 'P1M',
  price: { type: 'unit', amount: '0.01' },
  entitlementTemplate: { type: 'metered', isSoftLimit: true, issueAfterReset: 0 },
};
const planBody = (over: Record<string, unknown> = {}) => ({
  key: 'pro',
  name: 'Pro',
  currency: 'USD',
  billingCadence: 'P1M',
  phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [baseFee, tokenCard] }],
  ...over,
});

const advance = (app: Express, by: string) => request(app).post('/_emulator/clock/advance').send({ by }).expect(200);

/** `severity`: what every listed issue must carry (critical for a rejected create, either for a refused publish) */
function expectProblem(res: request.Response, status: number, codes?: string[], severity: 'critical' | 'any' = 'critical') {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe(PROBLEM);
  expect(res.body).toMatchObject({ type: 'about:blank', status });
  if (codes) {
    const errs = res.body.extensions.validationErrors as { code: string; field: string; message: string; severity: string }[];
    expect(errs.map((e) => e.code)).toEqual(codes);
    for (const e of errs) {
      if (severity === 'critical') expect(e.severity).toBe('critical');
      else expect(['critical', 'warning']).toContain(e.severity);
      expect(typeof e.message).toBe('string');
    }
  }
}

describe('v1 features', () => {
  it('creates, reads by id and key, lists (array or page) and filters by meter', async () => {
    const app = await withCatalog();
    const f = await request(app)
      .post('/api/v1/features')
      .send({ key: 'gpt_tokens', name: 'GPT tokens', meterSlug: 'tokens', meterGroupByFilters: { model: 'gpt' }, metadata: { tier: 'a' } })
      .expect(201);
    expect(f.body).toMatchObject({
      key: 'gpt_tokens',
      meterSlug: 'tokens',
      meterGroupByFilters: { model: 'gpt' },
      advancedMeterGroupByFilters: { model: { $eq: 'gpt' } },
      metadata: { tier: 'a' },
      createdAt: T0,
    });
    expect(f.body).not.toHaveProperty('meterId');
    expect((await request(app).get(`/api/v1/features/${f.body.id}`).expect(200)).body.key).toBe('gpt_tokens');
    expect((await request(app).get('/api/v1/features/gpt_tokens').expect(200)).body.id).toBe(f.body.id);

    // the real default order is key ASC (productcatalog/driver/feature.go), not creation order
    const arr = await request(app).get('/api/v1/features').expect(200);
    expect(Array.isArray(arr.body)).toBe(true);
    expect(arr.body.map((x: { key: string }) => x.key)).toEqual(['gpt_tokens', 'sso', 'tokens']);

    const page = await request(app).get('/api/v1/features?page=2&pageSize=2').expect(200);
    expect(page.body).toMatchObject({ totalCount: 3, page: 2, pageSize: 2 });
    expect(page.body.items.map((x: { key: string }) => x.key)).toEqual(['tokens']);

    const lim = await request(app).get('/api/v1/features?limit=1&offset=1').expect(200);
    expect(lim.body.map((x: { key: string }) => x.key)).toEqual(['sso']);

    const byMeter = await request(app).get('/api/v1/features?meterSlug=tokens').expect(200);
    expect(byMeter.body.map((x: { key: string }) => x.key)).toEqual(['gpt_tokens', 'tokens']);

    const ordered = await request(app).get('/api/v1/features?orderBy=key&order=DESC').expect(200);
    expect(ordered.body.map((x: { key: string }) => x.key)).toEqual(['tokens', 'sso', 'gpt_tokens']);
    const byCreation = await request(app).get('/api/v1/features?orderBy=createdAt').expect(200);
    expect(byCreation.body.map((x: { key: string }) => x.key)).toEqual(['tokens', 'sso', 'gpt_tokens']);
  });

  it('rejects a duplicate key with a plain 409 (no extensions, productcatalog/driver/errors.go); unknown meters and bad aggregations', async () => {
    const app = await withCatalog();
    const dup = await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'again' });
    expectProblem(dup, 409);
    expect(dup.body.extensions).toBeUndefined();

    expectProblem(await request(app).post('/api/v1/features').send({ key: 'x', name: 'X', meterSlug: 'nope' }), 404);
    expectProblem(await request(app).post('/api/v1/features').send({ key: 'lat', name: 'Latency', meterSlug: 'latency' }), 400);
    const badFilter = await request(app).post('/api/v1/features').send({ key: 'x', name: 'X', meterSlug: 'tokens', meterGroupByFilters: { region: 'eu' } });
    expectProblem(badFilter, 400, ['feature_invalid_group_by_filter']);
    expectProblem(await request(app).get('/api/v1/features/01KDVDNA00G69QW7FVK8G5NVEK'), 404);
  });

  it('DELETE archives: readable by id, hidden from lists, key free again; a feature sold by an active plan stays', async () => {
    const app = await withCatalog();
    const sso = await request(app).get('/api/v1/features/sso').expect(200);
    await request(app).delete(`/api/v1/features/${sso.body.id}`).expect(204);
    const archived = await request(app).get(`/api/v1/features/${sso.body.id}`).expect(200);
    expect(archived.body.archivedAt).toBe(T0);
    expect((await request(app).get('/api/v1/features').expect(200)).body.map((x: { key: string }) => x.key)).toEqual(['tokens']);
    expect((await request(app).get('/api/v1/features?includeArchived=true').expect(200)).body).toHaveLength(2);
    const again = await request(app).post('/api/v1/features').send({ key: 'sso', name: 'SSO v2' }).expect(201);
    expect(again.body.id).not.toBe(sso.body.id);
    // archiving again: the real lookup skips archived features, so 404 (feature/connector.go ArchiveFeature)
    expectProblem(await request(app).delete(`/api/v1/features/${sso.body.id}`), 404);

    const plan = await request(app).post('/api/v1/plans').send(planBody()).expect(201);
    await request(app).post(`/api/v1/plans/${plan.body.id}/publish`).expect(200);
    expectProblem(await request(app).delete('/api/v1/features/tokens'), 400);
  });
});

describe('v1 plans', () => {
  it('creates a draft with normalised rate cards and no publish blockers', async () => {
    const app = await withCatalog();
    const res = await request(app).post('/api/v1/plans').send(planBody({ metadata: { a: 'b' } })).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      key: 'pro',
      version: 1,
      status: 'draft',
      currency: 'USD',
      billingCadence: 'P1M',
      proRatingConfig: { enabled: true, mode: 'prorate_prices' },
      settlementMode: 'credit_then_invoice',
      metadata: { a: 'b' },
      // null, not []: the real struct field has no omitempty (productcatalog/http/mapping.go FromValidationErrors)
      validationErrors: null,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(res.body).not.toHaveProperty('effectiveFrom');
    // the real FromPlan never sets alignment (plan/httpdriver/mapping.go)
    expect(res.body).not.toHaveProperty('alignment');
    const [flat, usage] = res.body.phases[0].rateCards;
    expect(flat.price).toEqual({ type: 'flat', amount: '10.5', paymentTerm: 'in_advance' });
    // the unit price gets nothing from the other price types
    expect(usage.price).toEqual({ type: 'unit', amount: '0.01' });
    expect(usage.entitlementTemplate).toEqual({
      type: 'metered',
      isSoftLimit: true,
      issueAfterReset: 0,
      issueAfterResetPriority: 1,
      preserveOverageAtReset: false,
      usagePeriod: 'P1M',
    });
    expect(usage).not.toHaveProperty('featureId');
    expect((await request(app).get(`/api/v1/plans/${res.body.id}`).expect(200)).body).toEqual(res.body);
  });

  it('versions by key: publish archives the previous version at the same instant', async () => {
    const app = await withCatalog();
    const v1 = await request(app).post('/api/v1/plans').send(planBody()).expect(201);
    const pub1 = await request(app).post(`/api/v1/plans/${v1.body.id}/publish`).expect(200);
    expect(pub1.body).toMatchObject({ status: 'active', effectiveFrom: T0 });
    expect(pub1.body).not.toHaveProperty('effectiveTo');

    // an active plan is not editable
    expectProblem(await request(app).put(`/api/v1/plans/${v1.body.id}`).send({ ...planBody(), key: undefined, currency: undefined }), 400);

    const v2 = await request(app).post('/api/v1/plans').send(planBody({ name: 'Pro 2' })).expect(201);
    expect(v2.body).toMatchObject({ version: 2, status: 'draft' });
    // one draft per key: a plain 400, "only a single draft version is allowed for Plan" (plan/service/plan.go CreatePlan)
    const second = await request(app).post('/api/v1/plans').send(planBody());
    expectProblem(second, 400);
    expect(second.body.detail).toContain('only a single draft version is allowed for Plan');

    // by key: the active version, or the latest with includeLatest
    expect((await request(app).get('/api/v1/plans/pro').expect(200)).body.version).toBe(1);
    expect((await request(app).get('/api/v1/plans/pro?includeLatest=true').expect(200)).body.version).toBe(2);

    // drafts are editable (key and currency stay)
    const { key: _k, currency: _c, ...replace } = planBody({ name: 'Pro Two', description: 'second' });
    const upd = await request(app).put(`/api/v1/plans/${v2.body.id}`).send(replace).expect(200);
    expect(upd.body).toMatchObject({ name: 'Pro Two', description: 'second', version: 2, key: 'pro', status: 'draft' });

    await advance(app, 'P10D');
    const pub2 = await request(app).post(`/api/v1/plans/${v2.body.id}/publish`).expect(200);
    expect(pub2.body).toMatchObject({ status: 'active', effectiveFrom: '2026-01-11T00:00:00Z' });
    const old = await request(app).get(`/api/v1/plans/${v1.body.id}`).expect(200);
    expect(old.body).toMatchObject({ status: 'archived', effectiveFrom: T0, effectiveTo: pub2.body.effectiveFrom });
    expect((await request(app).get('/api/v1/plans/pro').expect(200)).body.id).toBe(v2.body.id);

    // a published version cannot be published again
    expectProblem(await request(app).post(`/api/v1/plans/${v2.body.id}/publish`), 400);
  });

  it('next version copies the latest published one; archive ends it; delete hides it', async () => {
    const app = await withCatalog();
    const v1 = await request(app).post('/api/v1/plans').send(planBody()).expect(201);
    // a draft of the key exists: the same 400 as a second create (plan/service/plan.go NextPlan)
    expectProblem(await request(app).post('/api/v1/plans/pro/next'), 400);
    await request(app).post(`/api/v1/plans/${v1.body.id}/publish`).expect(200);

    const next = await request(app).post('/api/v1/plans/pro/next').expect(201);
    expect(next.body).toMatchObject({ key: 'pro', version: 2, status: 'draft', name: 'Pro' });
    expect(next.body.id).not.toBe(v1.body.id);
    expect(next.body.phases).toEqual(v1.body.phases);
    expectProblem(await request(app).post(`/api/v1/plans/${v1.body.id}/next`), 400);

    // an active plan must be archived before it can be deleted
    expectProblem(await request(app).delete(`/api/v1/plans/${v1.body.id}`), 400);
    await advance(app, 'PT1H');
    const arch = await request(app).post(`/api/v1/plans/${v1.body.id}/archive`).expect(200);
    expect(arch.body).toMatchObject({ status: 'archived', effectiveTo: '2026-01-01T01:00:00Z' });
    expectProblem(await request(app).post(`/api/v1/plans/${v1.body.id}/archive`), 400);

    await request(app).delete(`/api/v1/plans/${next.body.id}`).expect(204);
    const gone = await request(app).get(`/api/v1/plans/${next.body.id}`).expect(200);
    expect(gone.body.deletedAt).toBe('2026-01-01T01:00:00Z');
    expect((await request(app).get('/api/v1/plans').expect(200)).body.items.map((p: { version: number }) => p.version)).toEqual([1]);
    expect((await request(app).get('/api/v1/plans?includeDeleted=true').expect(200)).body.totalCount).toBe(2);
    // the number of a deleted version is not reused
    expect((await request(app).post('/api/v1/plans').send(planBody()).expect(201)).body.version).toBe(3);
  });

  it('answers 404 for unknown plans', async () => {
    const app = await withCatalog();
    expectProblem(await request(app).get('/api/v1/plans/nope'), 404);
    expectProblem(await request(app).post('/api/v1/plans/01KDVDNA00G69QW7FVK8G5NVEK/publish'), 404);
  });

  it('rejects malformed plans with the real codes', async () => {
    const app = await withCatalog();
    const dupPhase = planBody({
      phases: [
        { key: 'trial', name: 'Trial', duration: 'P14D', rateCards: [baseFee] },
        { key: 'trial', name: 'Again', duration: null, rateCards: [baseFee] },
      ],
    });
    const r1 = await request(app).post('/api/v1/plans').send(dupPhase);
    expectProblem(r1, 400, ['plan_phase_duplicated_key']);
    // a JSONPath selecting the phase by key; the real selector names `key` twice (productcatalog/plan.go ValidatePlanPhases)
    expect(r1.body.extensions.validationErrors[0].field).toBe("$.phases[?(@.key=='trial')].key.key");

    const mismatch = planBody({ phases: [{ key: 'default', name: 'D', duration: null, rateCards: [{ ...tokenCard, key: 'other' }] }] });
    expectProblem(await request(app).post('/api/v1/plans').send(mismatch), 400, ['rate_card_key_feature_key_mismatch']);

    expectProblem(await request(app).post('/api/v1/plans').send(planBody({ billingCadence: 'P5D' })), 400, ['plan_billing_cadence_invalid']);

    const dupCard = planBody({ phases: [{ key: 'default', name: 'D', duration: null, rateCards: [baseFee, baseFee] }] });
    expectProblem(await request(app).post('/api/v1/plans').send(dupCard), 400, ['rate_card_duplicated_key']);

    const badDiscount = planBody({
      phases: [{ key: 'default', name: 'D', duration: null, rateCards: [{ ...tokenCard, discounts: { percentage: { percentage: 10 } }, price: null }] }],
    });
    expectProblem(await request(app).post('/api/v1/plans').send(badDiscount), 400, ['rate_card_discounts_with_no_price']);

    // schema violations never reach the domain: still a v1 problem
    const schema = await request(app).post('/api/v1/plans').send({ key: 'x' });
    expectProblem(schema, 400);
  });

  it('stores an incomplete draft, lists its publish blockers and refuses to publish it', async () => {
    const app = await withCatalog();
    const empty = planBody({ phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [] }] });
    const draft = await request(app).post('/api/v1/plans').send(empty).expect(201);
    // code, JSONPath field and the real message; no severity (productcatalog/http/mapping.go FromValidationErrors)
    expect(draft.body.validationErrors).toEqual([
      { code: 'plan_phase_has_no_rate_cards', field: "$.phases[?(@.key=='default')].rateCards", message: 'plan phase must have at least one rate card' },
    ]);
    const pub = await request(app).post(`/api/v1/plans/${draft.body.id}/publish`);
    expectProblem(pub, 400, ['plan_phase_has_no_rate_cards'], 'any');
    expect(pub.body.extensions.validationErrors[0].severity).toBe('warning');
    // fixing the draft clears its blockers
    const { key: _k, currency: _c, ...fixed } = planBody();
    expect((await request(app).put(`/api/v1/plans/${draft.body.id}`).send(fixed).expect(200)).body.validationErrors).toBeNull();
    await request(app).post(`/api/v1/plans/${draft.body.id}/publish`).expect(200);

    const twoOpen = await request(app)
      .post('/api/v1/plans')
      .send(
        planBody({
          key: 'team',
          phases: [
            { key: 'trial', name: 'Trial', duration: null, rateCards: [baseFee] },
            { key: 'main', name: 'Main', duration: null, rateCards: [baseFee] },
          ],
        }),
      )
      .expect(201);
    expectProblem(await request(app).post(`/api/v1/plans/${twoOpen.body.id}/publish`), 400, ['plan_has_non_last_phase_with_no_duration'], 'any');
  });

  it('pages, filters and orders plans', async () => {
    const app = await withCatalog();
    const ids: string[] = [];
    for (const key of ['alpha', 'beta', 'gamma']) ids.push((await request(app).post('/api/v1/plans').send(planBody({ key })).expect(201)).body.id);
    await request(app).post(`/api/v1/plans/${ids[1]}/publish`).expect(200);
    await request(app).post('/api/v1/plans').send(planBody({ key: 'eur', currency: 'EUR' })).expect(201);

    const keys = (r: request.Response) => r.body.items.map((p: { key: string }) => p.key);
    // without orderBy/order the real list is id DESC, newest first (plan/httpdriver/plan.go ListPlans)
    const all = await request(app).get('/api/v1/plans').expect(200);
    expect(all.body).toMatchObject({ totalCount: 4, page: 1, pageSize: 100 });
    expect(keys(all)).toEqual(['eur', 'gamma', 'beta', 'alpha']);
    const p2 = await request(app).get('/api/v1/plans?page=2&pageSize=3').expect(200);
    expect(p2.body).toMatchObject({ totalCount: 4, page: 2, pageSize: 3 });
    expect(keys(p2)).toEqual(['alpha']);
    // orderBy alone keeps the DESC default
    expect(keys(await request(app).get('/api/v1/plans?orderBy=key').expect(200))).toEqual(['gamma', 'eur', 'beta', 'alpha']);
    expect(keys(await request(app).get('/api/v1/plans?orderBy=key&order=ASC').expect(200))).toEqual(['alpha', 'beta', 'eur', 'gamma']);

    expect(keys(await request(app).get('/api/v1/plans?status=active').expect(200))).toEqual(['beta']);
    expect(keys(await request(app).get('/api/v1/plans?status=draft&key=alpha&key=gamma').expect(200))).toEqual(['gamma', 'alpha']);
    expect(keys(await request(app).get('/api/v1/plans?currency=EUR').expect(200))).toEqual(['eur']);
    expect(keys(await request(app).get(`/api/v1/plans?id=${ids[2]}`).expect(200))).toEqual(['gamma']);
    expect(keys(await request(app).get('/api/v1/plans?orderBy=key&order=DESC').expect(200))).toEqual(['gamma', 'eur', 'beta', 'alpha']);
    expect(keys(await request(app).get('/api/v1/plans?keyVersion[beta]=1&keyVersion[beta]=2').expect(200))).toEqual(['beta']);
    // one version is sent as a scalar by form encoders; it must mean the same list of one
    expect(keys(await request(app).get('/api/v1/plans?keyVersion[beta]=1').expect(200))).toEqual(['beta']);
    expect(keys(await request(app).get('/api/v1/plans?keyVersion[beta]=9').expect(200))).toEqual([]);
    expectProblem(await request(app).get('/api/v1/plans?pageSize=1001'), 400);
  });
});

describe('v1 add-ons and plan add-ons', () => {
  const addonBody = (over: Record<string, unknown> = {}) => ({
    key: 'extra_seats',
    name: 'Extra seats',
    instanceType: 'multiple',
    currency: 'USD',
    rateCards: [{ type: 'flat_fee', key: 'seat', name: 'Seat', billingCadence: 'P1M', price: { type: 'flat', amount: '5' } }],
    ...over,
  });

  it('runs the add-on lifecycle', async () => {
    const app = await withCatalog();
    const a1 = await request(app).post('/api/v1/addons').send(addonBody()).expect(201);
    expect(a1.body).toMatchObject({ key: 'extra_seats', version: 1, status: 'draft', instanceType: 'multiple', validationErrors: null });
    const { key: _k, currency: _c, ...replace } = addonBody({ name: 'More seats' });
    expect((await request(app).put(`/api/v1/addons/${a1.body.id}`).send(replace).expect(200)).body.name).toBe('More seats');
    const pub = await request(app).post(`/api/v1/addons/${a1.body.id}/publish`).expect(200);
    expect(pub.body).toMatchObject({ status: 'active', effectiveFrom: T0 });
    expectProblem(await request(app).put(`/api/v1/addons/${a1.body.id}`).send(replace), 400);
    expectProblem(await request(app).delete(`/api/v1/addons/${a1.body.id}`), 400);

    const a2 = await request(app).post('/api/v1/addons').send(addonBody({ name: 'Seats v2' })).expect(201);
    expect(a2.body.version).toBe(2);
    expect((await request(app).get('/api/v1/addons/extra_seats').expect(200)).body.version).toBe(1);
    expect((await request(app).get('/api/v1/addons/extra_seats?includeLatest=true').expect(200)).body.version).toBe(2);
    await advance(app, 'P1D');
    await request(app).post(`/api/v1/addons/${a2.body.id}/publish`).expect(200);
    const old = await request(app).get(`/api/v1/addons/${a1.body.id}`).expect(200);
    expect(old.body).toMatchObject({ status: 'archived', effectiveTo: '2026-01-02T00:00:00Z' });

    const listed = await request(app).get('/api/v1/addons?status=active').expect(200);
    expect(listed.body).toMatchObject({ totalCount: 1, page: 1, pageSize: 100 });
    expect(listed.body.items[0].id).toBe(a2.body.id);

    const arch = await request(app).post(`/api/v1/addons/${a2.body.id}/archive`).expect(200);
    expect(arch.body.status).toBe('archived');
    await request(app).delete(`/api/v1/addons/${a2.body.id}`).expect(204);
    expect((await request(app).get('/api/v1/addons').expect(200)).body.totalCount).toBe(1);

    // a multiple-instance add-on may grant a boolean entitlement: the real service has no such rule (productcatalog/addon.go)
    const bool = await request(app)
      .post('/api/v1/addons')
      .send(addonBody({ key: 'bool', rateCards: [{ ...baseFee, featureKey: 'sso', key: 'sso', entitlementTemplate: { type: 'boolean' } }] }))
      .expect(201);
    await request(app).post(`/api/v1/addons/${bool.body.id}/publish`).expect(200);
  });

  it('assigns add-ons to a draft plan, addressed by the add-on id or key', async () => {
    const app = await withCatalog();
    const addon = await request(app).post('/api/v1/addons').send(addonBody()).expect(201);
    const plan = await request(app).post('/api/v1/plans').send(planBody()).expect(201);
    const assign = { addonId: addon.body.id, fromPlanPhase: 'default', maxQuantity: 3 };

    // a draft add-on cannot be sold: a plain 400 without a rule list (planaddon/service/planaddon.go CreatePlanAddon)
    const draftAddon = await request(app).post(`/api/v1/plans/${plan.body.id}/addons`).send(assign);
    expectProblem(draftAddon, 400);
    expect(draftAddon.body.extensions).toBeUndefined();
    await request(app).post(`/api/v1/addons/${addon.body.id}/publish`).expect(200);

    // an unknown phase is stored and reported on read, not refused (PlanAddon.Validate runs on read)
    const pa = await request(app).post(`/api/v1/plans/${plan.body.id}/addons`).send({ ...assign, fromPlanPhase: 'nope' }).expect(201);
    expect(pa.body).toMatchObject({ fromPlanPhase: 'nope', maxQuantity: 3, addon: { id: addon.body.id, status: 'active' } });
    expect(pa.body.validationErrors.map((e: { code: string }) => e.code)).toEqual(['plan_addon_unknown_plan_phase_key']);
    const dup = await request(app).post(`/api/v1/plans/${plan.body.id}/addons`).send(assign);
    expectProblem(dup, 409);
    expect(dup.body.extensions).toBeUndefined();
    // an update re-checks the compatibility, and refuses what is still wrong
    expectProblem(await request(app).put(`/api/v1/plans/${plan.body.id}/addons/${addon.body.id}`).send({ fromPlanPhase: 'nope', maxQuantity: 3 }), 400, ['plan_addon_unknown_plan_phase_key'], 'any');
    const fixed = await request(app).put(`/api/v1/plans/${plan.body.id}/addons/${addon.body.id}`).send({ fromPlanPhase: 'default', maxQuantity: 3 }).expect(200);
    expect(fixed.body.validationErrors).toBeNull();

    expect((await request(app).get(`/api/v1/plans/${plan.body.id}/addons/${addon.body.id}`).expect(200)).body.maxQuantity).toBe(3);
    expect((await request(app).get(`/api/v1/plans/${plan.body.id}/addons/extra_seats`).expect(200)).body.addon.key).toBe('extra_seats');
    const list = await request(app).get(`/api/v1/plans/${plan.body.id}/addons`).expect(200);
    expect(list.body).toMatchObject({ totalCount: 1, page: 1, pageSize: 100 });

    const upd = await request(app).put(`/api/v1/plans/${plan.body.id}/addons/${addon.body.id}`).send({ fromPlanPhase: 'default', maxQuantity: 5 }).expect(200);
    expect(upd.body.maxQuantity).toBe(5);

    // once the plan is published its add-ons are fixed
    await request(app).post(`/api/v1/plans/${plan.body.id}/publish`).expect(200);
    // the real service answers 404 here (planaddon/service/planaddon.go DeletePlanAddon)
    expectProblem(await request(app).delete(`/api/v1/plans/${plan.body.id}/addons/${addon.body.id}`), 404);

    // the next version carries the assignment, and it can be removed there
    const next = await request(app).post('/api/v1/plans/pro/next').expect(201);
    expect((await request(app).get(`/api/v1/plans/${next.body.id}/addons`).expect(200)).body.totalCount).toBe(1);
    await request(app).delete(`/api/v1/plans/${next.body.id}/addons/${addon.body.id}`).expect(204);
    expect((await request(app).get(`/api/v1/plans/${next.body.id}/addons`).expect(200)).body.totalCount).toBe(0);
    expectProblem(await request(app).get(`/api/v1/plans/${next.body.id}/addons/extra_seats`), 404);
  });
});

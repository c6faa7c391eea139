/**
 * One row per product-catalog rule code: the request that breaks the rule, and the code the
 * real service puts in `extensions.validationErrors[]` (v1), checked at the moment it checks it
 * (create, or publish for completeness rules). Plan rows run on OpenMeter v1 and on Zuplo's
 * per-bucket routes (same bodies); the Konnect v3 table below uses v3 bodies.
 */
import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

type Body = Record<string, unknown>;
interface Surface {
  name: string;
  base: string;
  headers: Record<string, string>;
  problemType: string;
}
const V1: Surface = { name: 'openmeter v1', base: '/api/v1', headers: {}, problemType: 'about:blank' };
const ZUPLO: Surface = {
  name: 'zuplo bucket',
  base: '/v3/metering/bucket_a',
  headers: { Authorization: 'Bearer zpka_test_key' },
  problemType: 'https://httpproblems.com/http-status/400',
};

async function seed(s: Surface): Promise<Express> {
  const { app } = createTestEmulator();
  const post = (path: string, body: Body) => request(app).post(`${s.base}${path}`).set(s.headers).send(body).expect(201);
  // OpenMeter v1 answers a new meter with 200 (meter/httphandler/meter.go); Zuplo with 201
  await request(app)
    .post(`${s.base}/meters`)
    .set(s.headers)
    .send({ slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n', groupBy: { model: '$.model' } })
    .expect(s === V1 ? 200 : 201);
  await post('/features', { key: 'tokens', name: 'Tokens', meterSlug: 'tokens' });
  await post('/features', { key: 'sso', name: 'SSO' });
  await post('/features', { key: 'legacy', name: 'Legacy' });
  return app;
}

const fee = (over: Body = {}): Body => ({ type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '10' }, ...over });
const usage = (over: Body = {}): Body => ({
  type: 'usage_based',
  key: 'tokens',
  name: 'Tokens',
  featureKey: 'tokens',
  billingCadence: 'P1M',
  price: { type: 'unit', amount: '1' },
  ...over,
});
const unitWith = (over: Body): Body => usage({ price: { type: 'unit', amount: '1', ...over } });
const tiered = (tiers: unknown[]): Body => usage({ price: { type: 'tiered', mode: 'graduated', tiers } });
const unitTier = (upToAmount: string | undefined, amount = '1') => ({ ...(upToAmount ? { upToAmount } : {}), flatPrice: null, unitPrice: { type: 'unit', amount } });
const phase = (key: string, duration: string | null, rateCards: unknown[]) => ({ key, name: key, duration, rateCards });
const plan = (rateCards: unknown[], over: Body = {}): Body => ({
  key: 'pro',
  name: 'Pro',
  currency: 'USD',
  billingCadence: 'P1M',
  phases: [phase('default', null, rateCards)],
  ...over,
});

/**
 * When the real service reports a rule (plan/service/plan.go, plan/httpdriver/plan.go: create and
 * update set IgnoreNonCriticalIssues):
 *  - `create`: a critical code, the create is refused;
 *  - `draft`: a warning code (productcatalog/errors.go WithWarningSeverity), the draft is stored,
 *    lists it in `validationErrors` and cannot be published;
 *  - `publish`: checked only when publishing (ValidatePlanWithFeatures), not listed on the draft.
 */
interface Row {
  code: string;
  at: 'create' | 'draft' | 'publish';
  body: Body;
  /** runs before the request (e.g. archives a feature the draft uses) */
  before?: (app: Express, s: Surface) => Promise<void>;
}

const metered = (over: Body = {}) => ({ type: 'metered', issueAfterReset: 0, ...over });

const planRows: Row[] = [
  // critical codes of productcatalog/errors.go
  { code: 'plan_billing_cadence_invalid', at: 'create', body: plan([fee()], { billingCadence: 'P5D' }) },
  { code: 'plan_billing_cadence_invalid', at: 'create', body: plan([fee({ billingCadence: 'PT1H' })], { billingCadence: 'PT1H' }) },
  { code: 'plan_phase_duplicated_key', at: 'create', body: plan([], { phases: [phase('a', 'P1M', [fee()]), phase('a', null, [fee()])] }) },
  { code: 'rate_card_duplicated_key', at: 'create', body: plan([fee(), fee()]) },
  { code: 'rate_card_key_feature_key_mismatch', at: 'create', body: plan([usage({ key: 'other' })]) },
  { code: 'rate_card_feature_not_found', at: 'create', body: plan([usage({ key: 'nope', featureKey: 'nope' })]) },
  { code: 'entitlement_template_invalid_json_config', at: 'create', body: plan([fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'static', config: '[1]' } })]) },
  { code: 'entitlement_template_invalid_json_config', at: 'create', body: plan([fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'static', config: '{nope' } })]) },
  // warning codes: stored on the draft, block publish (C1)
  { code: 'billing_cadence_invalid_value', at: 'draft', body: plan([fee({ billingCadence: 'PT30M' })]) },
  { code: 'rate_card_billing_cadence_unaligned', at: 'draft', body: plan([fee({ billingCadence: 'P1W' })]) },
  { code: 'rate_card_billing_cadence_unaligned', at: 'draft', body: plan([usage({ billingCadence: 'P5D' })], { billingCadence: 'P1W' }) },
  { code: 'rate_card_billing_cadence_unaligned', at: 'draft', body: plan([fee({ billingCadence: 'P3W' })]) },
  { code: 'usage_discount_negative_quantity', at: 'draft', body: plan([usage({ discounts: { usage: { quantity: '-5' } } })]) },
  { code: 'usage_discount_with_flat_price', at: 'draft', body: plan([fee({ discounts: { usage: { quantity: '5' } } })]) },
  { code: 'usage_discount_with_flat_price', at: 'draft', body: plan([usage({ price: { type: 'flat', amount: '5' }, discounts: { usage: { quantity: '5' } } })]) },
  { code: 'entitlement_template_usage_period_less_then_an_hour', at: 'draft', body: plan([usage({ entitlementTemplate: metered({ usagePeriod: 'PT30M' }) })]) },
  { code: 'entitlement_template_negative_usage_period', at: 'draft', body: plan([usage({ entitlementTemplate: metered({ usagePeriod: 'PT0S' }) })]) },
  { code: 'entitlement_template_with_no_feature', at: 'draft', body: plan([fee({ entitlementTemplate: { type: 'boolean' } })]) },
  // C2: added to the real service in 2026-03 (productcatalog/ratecard.go RateCardMeta.Validate)
  { code: 'entitlement_template_issue_after_reset_required', at: 'draft', body: plan([usage({ entitlementTemplate: { type: 'metered' } })]) },
  { code: 'entitlement_template_invalid_issue_after_reset_with_priority', at: 'draft', body: plan([usage({ entitlementTemplate: { type: 'metered', issueAfterResetPriority: 5 } })]) },
  { code: 'usage_based_price_with_no_feature', at: 'draft', body: plan([usage({ key: 'api', featureKey: undefined })]) },
  { code: 'plan_has_non_last_phase_with_no_duration', at: 'draft', body: plan([], { phases: [phase('trial', null, [fee()]), phase('default', null, [fee()])] }) },
  { code: 'plan_has_last_phase_with_duration', at: 'draft', body: plan([], { phases: [phase('default', 'P1M', [fee()])] }) },
  { code: 'plan_phase_has_no_rate_cards', at: 'draft', body: plan([]) },
  { code: 'plan_phase_duration_less_then_an_hour', at: 'draft', body: plan([], { phases: [phase('trial', 'PT30M', [fee()]), phase('default', null, [fee()])] }) },
  // only when publishing (ValidatePlanWithFeatures)
  { code: 'usage_based_price_with_feature_and_no_meter', at: 'publish', body: plan([usage({ key: 'sso', featureKey: 'sso' })]) },
  {
    code: 'rate_card_feature_archived',
    at: 'publish',
    body: plan([fee({ key: 'legacy', featureKey: 'legacy' })]),
    before: async (app, s) => {
      await request(app).delete(`${s.base}/features/legacy`).set(s.headers).expect(204);
    },
  },
  // price shapes: plain errors in the real service, so critical; the codes are this emulator's
  { code: 'rate_card_discounts_with_no_price', at: 'create', body: plan([fee({ price: null, discounts: { percentage: { percentage: 10 } } })]) },
  { code: 'price_amount_negative', at: 'create', body: plan([fee({ price: { type: 'flat', amount: '-1' } })]) },
  { code: 'price_commitment_negative', at: 'create', body: plan([unitWith({ minimumAmount: '-1' })]) },
  { code: 'price_minimum_amount_greater_than_maximum', at: 'create', body: plan([unitWith({ minimumAmount: '100', maximumAmount: '10' })]) },
  { code: 'tiered_price_missing_open_ended_tier', at: 'create', body: plan([tiered([unitTier('10'), unitTier('20')])]) },
  { code: 'tiered_price_multiple_open_ended_tiers', at: 'create', body: plan([tiered([unitTier('10'), unitTier(undefined), unitTier(undefined)])]) },
  { code: 'tiered_price_duplicated_up_to_amount', at: 'create', body: plan([tiered([unitTier('10'), unitTier('10'), unitTier(undefined)])]) },
  { code: 'tiered_price_tier_with_no_price', at: 'create', body: plan([tiered([{ upToAmount: '10', flatPrice: null, unitPrice: null }, unitTier(undefined)])]) },
  { code: 'package_price_invalid_quantity_per_package', at: 'create', body: plan([usage({ price: { type: 'package', amount: '1', quantityPerPackage: '0' } })]) },
  { code: 'dynamic_price_negative_multiplier', at: 'create', body: plan([usage({ price: { type: 'dynamic', multiplier: '-1' } })]) },
];

/** Codes the request schema already rejects on v1 (bounds, enums, patterns): a 400 without a rule code. */
const schemaRows: { what: string; body: Body }[] = [
  { what: 'percentage > 100 (percentage_discount_invalid_value in the domain)', body: plan([fee({ discounts: { percentage: { percentage: 150 } } })]) },
  { what: 'percentage < 0', body: plan([fee({ discounts: { percentage: { percentage: -1 } } })]) },
  { what: 'no phases (plan_with_no_phases in the domain)', body: plan([], { phases: [] }) },
  { what: 'bad key (resource_key_invalid)', body: plan([fee()], { key: 'Bad Key' }) },
  { what: 'no tiers (tiered_price_with_no_tiers)', body: plan([tiered([])]) },
  { what: 'negative issueAfterReset (entitlement_template_issue_after_reset_negative)', body: plan([usage({ entitlementTemplate: { type: 'metered', issueAfterReset: -1 } })]) },
  { what: 'usage-based without cadence (rate_card_billing_cadence_missing)', body: plan([usage({ billingCadence: null })]) },
  { what: 'amount not a number (price_amount_invalid)', body: plan([usage({ price: { type: 'unit', amount: '1.2.3' } })]) },
  { what: 'bad Stripe tax code (tax_config_invalid)', body: plan([fee({ taxConfig: { stripe: { code: 'txcd_1' } } })]) },
  { what: 'flat fee with a unit price (flat_fee_rate_card_with_non_flat_price)', body: plan([fee({ price: { type: 'unit', amount: '1' } })]) },
];

function codesOf(res: request.Response): string[] {
  return (res.body.extensions?.validationErrors ?? []).map((e: { code: string }) => e.code);
}

function expectCode(res: request.Response, s: Surface, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.type).toBe(s.problemType);
  expect(codesOf(res)).toContain(code);
}

describe.each([V1, ZUPLO])('catalog rule codes on $name', (s) => {
  it.each(planRows.map((r) => [`${r.code} (${r.at})`, r] as const))('%s', async (_name, row) => {
    const app = await seed(s);
    if (row.at === 'create') {
      const res = await request(app).post(`${s.base}/plans`).set(s.headers).send(row.body);
      expectCode(res, s, row.code);
      // a rejected create lists critical issues only
      for (const e of res.body.extensions.validationErrors) expect(e.severity).toBe('critical');
      return;
    }
    const draft = await request(app).post(`${s.base}/plans`).set(s.headers).send(row.body);
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    await row.before?.(app, s);
    const read = await request(app).get(`${s.base}/plans/${draft.body.id}`).set(s.headers).expect(200);
    const listed = (read.body.validationErrors ?? []).map((e: { code: string }) => e.code);
    if (row.at === 'draft') expect(listed).toContain(row.code);
    else expect(listed).not.toContain(row.code);
    const pub = await request(app).post(`${s.base}/plans/${draft.body.id}/publish`).set(s.headers).send();
    expectCode(pub, s, row.code);
    if (row.at === 'draft') expect(pub.body.extensions.validationErrors.find((e: { code: string }) => e.code === row.code).severity).toBe('warning');
    expect((await request(app).get(`${s.base}/plans/${draft.body.id}`).set(s.headers).expect(200)).body.status).toBe('draft');
  });

  it.each(schemaRows.map((r) => [r.what, r.body] as const))('schema rejects %s', async (_what, body) => {
    const app = await seed(s);
    const res = await request(app).post(`${s.base}/plans`).set(s.headers).send(body);
    expect(res.status).toBe(400);
    expect(res.body.type).toBe(s.problemType);
  });

  it('an update of a draft is refused for critical issues and stores warnings', async () => {
    const app = await seed(s);
    const draft = await request(app).post(`${s.base}/plans`).set(s.headers).send(plan([fee()])).expect(201);
    const { key: _k, currency: _c, ...dup } = plan([fee(), fee()]);
    expectCode(await request(app).put(`${s.base}/plans/${draft.body.id}`).set(s.headers).send(dup), s, 'rate_card_duplicated_key');
    const { key: _k2, currency: _c2, ...unaligned } = plan([fee({ billingCadence: 'P3W' })]);
    const upd = await request(app).put(`${s.base}/plans/${draft.body.id}`).set(s.headers).send(unaligned).expect(200);
    expect(upd.body.validationErrors.map((e: { code: string }) => e.code)).toEqual(['rate_card_billing_cadence_unaligned']);
  });

  it('draft issues carry the real JSONPath field and message, and no severity (C4)', async () => {
    const app = await seed(s);
    const draft = await request(app).post(`${s.base}/plans`).set(s.headers).send(plan([usage({ billingCadence: 'P3W', entitlementTemplate: { type: 'metered' } })])).expect(201);
    // productcatalog/plan.go ValidatePlanHasAlignedBillingCadences, ratecard.go RateCardMeta.Validate, errors.go messages
    expect(draft.body.validationErrors).toEqual([
      {
        code: 'entitlement_template_issue_after_reset_required',
        field: "$.phases[?(@.key=='default')].ratecards[?(@.key=='tokens')].entitlementTemplate.issueAfterReset",
        message: 'issueAfterReset is required for metered entitlement templates',
      },
      {
        code: 'rate_card_billing_cadence_unaligned',
        field: "$.phases[?(@.key=='default')].rateCards[?(@.key=='tokens')].billingCadence",
        message: 'ratecards with prices must have compatible billing cadence',
      },
    ]);
    // a clean plan reads `validationErrors: null` (productcatalog/http/mapping.go FromValidationErrors)
    const clean = await request(app).post(`${s.base}/plans`).set(s.headers).send(plan([fee()], { key: 'clean' })).expect(201);
    expect(clean.body.validationErrors).toBeNull();
  });

  it('a metered entitlement template on a feature without a meter is accepted: the real catalog has no such rule', async () => {
    const app = await seed(s);
    const body = plan([fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'metered', issueAfterReset: 10 } })]);
    const draft = await request(app).post(`${s.base}/plans`).set(s.headers).send(body).expect(201);
    expect(draft.body.validationErrors).toBeNull();
    await request(app).post(`${s.base}/plans/${draft.body.id}/publish`).set(s.headers).send().expect(200);
  });

  it('a second draft of a key is a 400, not a conflict (C5, plan/service/plan.go CreatePlan)', async () => {
    const app = await seed(s);
    await request(app).post(`${s.base}/plans`).set(s.headers).send(plan([fee()])).expect(201);
    const res = await request(app).post(`${s.base}/plans`).set(s.headers).send(plan([fee()]));
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('only a single draft version is allowed for Plan');
  });
});

describe('add-on and plan add-on rule codes on openmeter v1', () => {
  const addon = (over: Body = {}): Body => ({ key: 'extra', name: 'Extra', currency: 'USD', instanceType: 'single', rateCards: [fee({ key: 'extra_fee' })], ...over });

  it('A4: a multiple-instance add-on may grant a boolean entitlement (no such rule in productcatalog/addon.go)', async () => {
    const app = await seed(V1);
    const body = addon({ instanceType: 'multiple', rateCards: [fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'boolean' } })] });
    const a = await request(app).post('/api/v1/addons').send(body).expect(201);
    expect(a.body.validationErrors).toBeNull();
    await request(app).post(`/api/v1/addons/${a.body.id}/publish`).expect(200);
  });

  // productcatalog/addon.go Publishable: ValidateAddonHasCompatiblePrices, ValidateAddonHasSingleBillingCadence
  const publishRows: [string, Body, string][] = [
    ['A2', addon({ instanceType: 'multiple', rateCards: [usage()] }), 'addon_invalid_ratecard_price_for_multi_instance'],
    ['A3', addon({ rateCards: [fee({ key: 'monthly' }), fee({ key: 'yearly', billingCadence: 'P1Y' })] }), 'rate_card_multiple_billing_cadence'],
  ];
  it.each(publishRows)('%s: %s… is stored, then refused at publish', async (_row, body, code) => {
    const app = await seed(V1);
    const a = await request(app).post('/api/v1/addons').send(body).expect(201);
    // not part of Addon.Validate, so not listed on the draft
    expect(a.body.validationErrors).toBeNull();
    const pub = await request(app).post(`/api/v1/addons/${a.body.id}/publish`).send();
    expectCode(pub, V1, code);
    expect(pub.body.extensions.validationErrors[0].severity).toBe('warning');
    expect((await request(app).get(`/api/v1/addons/${a.body.id}`).expect(200)).body.status).toBe('draft');
  });

  it('A1: addon_has_no_rate_cards is listed on the draft and blocks publish', async () => {
    const app = await seed(V1);
    const a = await request(app).post('/api/v1/addons').send(addon({ rateCards: [] }));
    expect(a.status).toBe(201);
    expect(a.body.validationErrors.map((e: { code: string }) => e.code)).toEqual(['addon_has_no_rate_cards']);
    expectCode(await request(app).post(`/api/v1/addons/${a.body.id}/publish`).send(), V1, 'addon_has_no_rate_cards');
  });

  it('C5: a second draft add-on of a key is a 400 (addon/service/addon.go CreateAddon)', async () => {
    const app = await seed(V1);
    await request(app).post('/api/v1/addons').send(addon()).expect(201);
    const res = await request(app).post('/api/v1/addons').send(addon());
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('only a single draft version is allowed for add-on');
  });

  async function draftPlanAndAddon(app: Express, addonOver: Body = {}, publishAddon = true) {
    const p = await request(app).post('/api/v1/plans').send(plan([fee()])).expect(201);
    const a = await request(app).post('/api/v1/addons').send(addon(addonOver)).expect(201);
    if (publishAddon) await request(app).post(`/api/v1/addons/${a.body.id}/publish`).expect(200);
    return { planId: p.body.id as string, addonId: a.body.id as string };
  }

  // PA1/PA2: planaddon/service/planaddon.go stores these; PlanAddon.Validate reports them on read
  // (planaddon/httpdriver/mapping.go) and the plan's publish fails (plan/service/plan.go PublishPlan)
  const storedCases: [string, Body, Body, string][] = [
    ['plan_addon_unknown_plan_phase_key', { fromPlanPhase: 'nope' }, {}, '$.fromPlanPhase'],
    ['plan_addon_max_quantity_must_not_be_set', { fromPlanPhase: 'default', maxQuantity: 3 }, {}, '$.maxQuantity'],
    ['plan_addon_max_quantity_must_not_be_set', { fromPlanPhase: 'default', maxQuantity: 1 }, {}, '$.maxQuantity'],
    ['rate_card_billing_cadence_unaligned', { fromPlanPhase: 'default' }, { rateCards: [fee({ key: 'extra_fee', billingCadence: 'P1W' })] }, '$.billingCadence'],
    ['rate_card_billing_cadence_mismatch', { fromPlanPhase: 'default' }, { rateCards: [fee({ billingCadence: 'P3M' })] }, "$.addon.ratecards[?(@.key=='base')].billingCadence"],
  ];
  it.each(storedCases)('%s is stored, reported on read and blocks the plan publish', async (code, body, addonOver, field) => {
    const app = await seed(V1);
    const { planId, addonId } = await draftPlanAndAddon(app, addonOver);
    const pa = await request(app).post(`/api/v1/plans/${planId}/addons`).send({ addonId, ...body }).expect(201);
    expect(pa.body.validationErrors).toEqual([{ code, field, message: expect.any(String) }]);
    const read = await request(app).get(`/api/v1/plans/${planId}/addons/${addonId}`).expect(200);
    expect(read.body.validationErrors.map((e: { code: string }) => e.code)).toEqual([code]);
    const pub = await request(app).post(`/api/v1/plans/${planId}/publish`).send();
    expectCode(pub, V1, 'plan_has_incompatible_addon');
    // an update re-checks the compatibility
    expectCode(await request(app).put(`/api/v1/plans/${planId}/addons/${addonId}`).send(body), V1, code);
  });

  it('PA2: maxQuantity 0 on a multiple-instance add-on is plan_addon_max_quantity_must_be_set', async () => {
    const app = await seed(V1);
    const { planId, addonId } = await draftPlanAndAddon(app, { instanceType: 'multiple' });
    const pa = await request(app).post(`/api/v1/plans/${planId}/addons`).send({ addonId, fromPlanPhase: 'default', maxQuantity: 0 });
    expect(pa.status).toBe(201);
    expect(pa.body.validationErrors.map((e: { code: string }) => e.code)).toEqual(['plan_addon_max_quantity_must_be_set']);
  });

  it('PA2: an add-on archived after the assignment reports plan_addon_incompatible_status', async () => {
    const app = await seed(V1);
    const { planId, addonId } = await draftPlanAndAddon(app);
    await request(app).post(`/api/v1/plans/${planId}/addons`).send({ addonId, fromPlanPhase: 'default' }).expect(201);
    await request(app).post(`/api/v1/addons/${addonId}/archive`).expect(200);
    const read = await request(app).get(`/api/v1/plans/${planId}/addons/${addonId}`).expect(200);
    expect(read.body.validationErrors.map((e: { code: string; field: string }) => [e.code, e.field])).toEqual([['plan_addon_incompatible_status', '$.addon.status']]);
    expectCode(await request(app).post(`/api/v1/plans/${planId}/publish`).send(), V1, 'plan_has_incompatible_addon');
  });

  it('currencies are checked when assigning (planaddon.go ValidatePlanAddonRateCardCurrencies)', async () => {
    const app = await seed(V1);
    const { planId, addonId } = await draftPlanAndAddon(app, { currency: 'EUR' });
    expectCode(await request(app).post(`/api/v1/plans/${planId}/addons`).send({ addonId, fromPlanPhase: 'default' }), V1, 'plan_multiple_fiat_currencies');
  });

  it('statuses are checked when assigning: a plain 400 without a rule list', async () => {
    const app = await seed(V1);
    const draftAddon = await draftPlanAndAddon(app, {}, false);
    const r1 = await request(app).post(`/api/v1/plans/${draftAddon.planId}/addons`).send({ addonId: draftAddon.addonId, fromPlanPhase: 'default' });
    expect(r1.status).toBe(400);
    expect(r1.body.extensions).toBeUndefined();

    const app2 = await seed(V1);
    const { planId, addonId } = await draftPlanAndAddon(app2);
    await request(app2).post(`/api/v1/plans/${planId}/publish`).expect(200);
    const r2 = await request(app2).post(`/api/v1/plans/${planId}/addons`).send({ addonId, fromPlanPhase: 'default' });
    expect(r2.status).toBe(400);
    expect(r2.body.extensions).toBeUndefined();
  });
});

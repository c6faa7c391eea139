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
  await post('/meters', { slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.n', groupBy: { model: '$.model' } });
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

interface Row {
  code: string;
  /** when the real service reports it: at create/update, or only when publishing */
  at: 'create' | 'publish';
  body: Body;
  /** runs before the request (e.g. archives a feature the draft uses) */
  before?: (app: Express, s: Surface) => Promise<void>;
}

const planRows: Row[] = [
  // engine.md §6.1 codes
  { code: 'plan_billing_cadence_invalid', at: 'create', body: plan([fee()], { billingCadence: 'P5D' }) },
  { code: 'plan_billing_cadence_invalid', at: 'create', body: plan([fee({ billingCadence: 'PT1H' })], { billingCadence: 'PT1H' }) },
  { code: 'plan_phase_duplicated_key', at: 'create', body: plan([], { phases: [phase('a', 'P1M', [fee()]), phase('a', null, [fee()])] }) },
  { code: 'rate_card_duplicated_key', at: 'create', body: plan([fee(), fee()]) },
  { code: 'rate_card_key_feature_key_mismatch', at: 'create', body: plan([usage({ key: 'other' })]) },
  { code: 'billing_cadence_invalid_value', at: 'create', body: plan([fee({ billingCadence: 'PT30M' })]) },
  { code: 'rate_card_billing_cadence_unaligned', at: 'create', body: plan([fee({ billingCadence: 'P1W' })]) },
  { code: 'rate_card_billing_cadence_unaligned', at: 'create', body: plan([usage({ billingCadence: 'P5D' })], { billingCadence: 'P1W' }) },
  { code: 'usage_based_price_with_feature_and_no_meter', at: 'create', body: plan([usage({ key: 'sso', featureKey: 'sso' })]) },
  { code: 'usage_discount_negative_quantity', at: 'create', body: plan([usage({ discounts: { usage: { quantity: '-5' } } })]) },
  { code: 'usage_discount_with_flat_price', at: 'create', body: plan([fee({ discounts: { usage: { quantity: '5' } } })]) },
  { code: 'usage_discount_with_flat_price', at: 'create', body: plan([usage({ price: { type: 'flat', amount: '5' }, discounts: { usage: { quantity: '5' } } })]) },
  { code: 'entitlement_template_usage_period_less_then_an_hour', at: 'create', body: plan([usage({ entitlementTemplate: { type: 'metered', usagePeriod: 'PT30M' } })]) },
  { code: 'usage_based_price_with_no_feature', at: 'publish', body: plan([usage({ key: 'api', featureKey: undefined })]) },
  { code: 'plan_has_non_last_phase_with_no_duration', at: 'publish', body: plan([], { phases: [phase('trial', null, [fee()]), phase('default', null, [fee()])] }) },
  { code: 'plan_has_last_phase_with_duration', at: 'publish', body: plan([], { phases: [phase('default', 'P1M', [fee()])] }) },
  { code: 'plan_phase_has_no_rate_cards', at: 'publish', body: plan([]) },
  // rules without a code in engine.md (emulator-named, see src/domain/catalog/errors.ts)
  { code: 'plan_phase_duration_invalid', at: 'create', body: plan([], { phases: [phase('trial', 'P0D', [fee()]), phase('default', null, [fee()])] }) },
  { code: 'rate_card_feature_not_found', at: 'create', body: plan([usage({ key: 'nope', featureKey: 'nope' })]) },
  {
    code: 'rate_card_feature_archived',
    at: 'publish',
    body: plan([fee({ key: 'legacy', featureKey: 'legacy' })]),
    before: async (app, s) => {
      await request(app).delete(`${s.base}/features/legacy`).set(s.headers).expect(204);
    },
  },
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
  { code: 'entitlement_template_with_no_feature', at: 'create', body: plan([fee({ entitlementTemplate: { type: 'boolean' } })]) },
  { code: 'entitlement_template_usage_period_invalid', at: 'create', body: plan([usage({ entitlementTemplate: { type: 'metered', usagePeriod: 'PT0S' } })]) },
  { code: 'entitlement_template_metered_feature_with_no_meter', at: 'create', body: plan([fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'metered' } })]) },
  {
    code: 'entitlement_template_invalid_issue_after_reset_with_priority',
    at: 'create',
    body: plan([usage({ entitlementTemplate: { type: 'metered', issueAfterResetPriority: 5 } })]),
  },
  { code: 'entitlement_template_invalid_json_config', at: 'create', body: plan([fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'static', config: '[1]' } })]) },
  { code: 'entitlement_template_invalid_json_config', at: 'create', body: plan([fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'static', config: '{nope' } })]) },
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

function expectCode(res: request.Response, s: Surface, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.type).toBe(s.problemType);
  const codes = (res.body.extensions?.validationErrors ?? []).map((e: { code: string }) => e.code);
  expect(codes).toContain(code);
}

describe.each([V1, ZUPLO])('catalog rule codes on $name', (s) => {
  it.each(planRows.map((r) => [`${r.code} (${r.at})`, r] as const))('%s', async (_name, row) => {
    const app = await seed(s);
    if (row.at === 'create') {
      expectCode(await request(app).post(`${s.base}/plans`).set(s.headers).send(row.body), s, row.code);
      return;
    }
    // a publish-only rule: the draft is stored and lists the blocker, publish refuses
    const draft = await request(app).post(`${s.base}/plans`).set(s.headers).send(row.body);
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    await row.before?.(app, s);
    const read = await request(app).get(`${s.base}/plans/${draft.body.id}`).set(s.headers).expect(200);
    expect(read.body.validationErrors.map((e: { code: string }) => e.code)).toContain(row.code);
    expectCode(await request(app).post(`${s.base}/plans/${draft.body.id}/publish`).set(s.headers).send(), s, row.code);
    expect((await request(app).get(`${s.base}/plans/${draft.body.id}`).set(s.headers).expect(200)).body.status).toBe('draft');
  });

  it.each(schemaRows.map((r) => [r.what, r.body] as const))('schema rejects %s', async (_what, body) => {
    const app = await seed(s);
    const res = await request(app).post(`${s.base}/plans`).set(s.headers).send(body);
    expect(res.status).toBe(400);
    expect(res.body.type).toBe(s.problemType);
  });

  it('a rule also applies to an update of a draft', async () => {
    const app = await seed(s);
    const draft = await request(app).post(`${s.base}/plans`).set(s.headers).send(plan([fee()])).expect(201);
    const { key: _k, currency: _c, ...upd } = plan([fee(), fee()]);
    expectCode(await request(app).put(`${s.base}/plans/${draft.body.id}`).set(s.headers).send(upd), s, 'rate_card_duplicated_key');
  });
});

describe('add-on and plan add-on rule codes on openmeter v1', () => {
  const addon = (over: Body = {}): Body => ({ key: 'extra', name: 'Extra', currency: 'USD', instanceType: 'single', rateCards: [fee({ key: 'extra_fee' })], ...over });

  it('addon_multiple_instance_with_boolean_entitlement at create', async () => {
    const app = await seed(V1);
    const body = addon({ instanceType: 'multiple', rateCards: [fee({ key: 'sso', featureKey: 'sso', entitlementTemplate: { type: 'boolean' } })] });
    expectCode(await request(app).post('/api/v1/addons').send(body), V1, 'addon_multiple_instance_with_boolean_entitlement');
  });

  async function draftPlanAndAddon(app: Express, addonOver: Body = {}, publishAddon = true) {
    const p = await request(app).post('/api/v1/plans').send(plan([fee()])).expect(201);
    const a = await request(app).post('/api/v1/addons').send(addon(addonOver)).expect(201);
    if (publishAddon) await request(app).post(`/api/v1/addons/${a.body.id}/publish`).expect(200);
    return { planId: p.body.id as string, addonId: a.body.id as string };
  }
  const cases: [string, Body, { addon?: Body; publishAddon?: boolean }][] = [
    ['plan_addon_unknown_plan_phase_key', { fromPlanPhase: 'nope' }, {}],
    ['plan_addon_max_quantity_must_not_be_set', { fromPlanPhase: 'default', maxQuantity: 3 }, {}],
    ['plan_addon_max_quantity_invalid', { fromPlanPhase: 'default', maxQuantity: 0 }, { addon: { instanceType: 'multiple' } }],
    ['plan_addon_currency_mismatch', { fromPlanPhase: 'default' }, { addon: { currency: 'EUR' } }],
    ['plan_addon_incompatible_addon_status', { fromPlanPhase: 'default' }, { publishAddon: false }],
    ['rate_card_billing_cadence_unaligned', { fromPlanPhase: 'default' }, { addon: { rateCards: [fee({ key: 'extra_fee', billingCadence: 'P1W' })] } }],
    ['plan_addon_incompatible_rate_card', { fromPlanPhase: 'default' }, { addon: { rateCards: [fee({ billingCadence: 'P3M' })] } }],
  ];
  it.each(cases)('%s when assigning', async (code, body, opt) => {
    const app = await seed(V1);
    const { planId, addonId } = await draftPlanAndAddon(app, opt.addon, opt.publishAddon ?? true);
    expectCode(await request(app).post(`/api/v1/plans/${planId}/addons`).send({ addonId, ...body }), V1, code);
  });

  it('plan_addon_incompatible_plan_status: an active plan takes no new add-ons', async () => {
    const app = await seed(V1);
    const { planId, addonId } = await draftPlanAndAddon(app);
    await request(app).post(`/api/v1/plans/${planId}/publish`).expect(200);
    expectCode(await request(app).post(`/api/v1/plans/${planId}/addons`).send({ addonId, fromPlanPhase: 'default' }), V1, 'plan_addon_incompatible_plan_status');
  });

  it('addon_with_no_rate_cards only at publish', async () => {
    const app = await seed(V1);
    const a = await request(app).post('/api/v1/addons').send(addon({ rateCards: [] }));
    if (a.status === 400) {
      // the schema requires a rate card: nothing to publish
      expect(a.body.extensions?.validationErrors).toBeUndefined();
      return;
    }
    expect(a.status).toBe(201);
    expect(a.body.validationErrors.map((e: { code: string }) => e.code)).toContain('addon_with_no_rate_cards');
    expectCode(await request(app).post(`/api/v1/addons/${a.body.id}/publish`).send(), V1, 'addon_with_no_rate_cards');
  });
});

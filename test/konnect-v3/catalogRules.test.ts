/**
 * The product-catalog rules on Konnect v3: the same violations as test/openmeter-v1/catalogRules
 * expressed in v3 bodies (no rate card type, features by id, commitments/payment term on the
 * rate card) give a 400 `bad-request` with the same code in `extensions.validationErrors`.
 */
import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const P = '/v3/openmeter';
type Body = Record<string, unknown>;
interface Ctx {
  tokens: string;
  sso: string;
}

async function seed(): Promise<{ app: Express; ctx: Ctx }> {
  const { app } = createTestEmulator();
  const m = await request(app).post(`${P}/meters`).send({ key: 'tokens', name: 'Tokens', event_type: 'prompt', aggregation: 'sum', value_property: '$.n' }).expect(201);
  const t = await request(app).post(`${P}/features`).send({ key: 'tokens', name: 'Tokens', meter: { id: m.body.id } }).expect(201);
  const s = await request(app).post(`${P}/features`).send({ key: 'sso', name: 'SSO' }).expect(201);
  return { app, ctx: { tokens: t.body.id, sso: s.body.id } };
}

const fee = (over: Body = {}): Body => ({ key: 'base', name: 'Base', billing_cadence: 'P1M', price: { type: 'flat', amount: '10' }, ...over });
const usage = (c: Ctx, over: Body = {}): Body => ({ key: 'tokens', name: 'Tokens', feature: { id: c.tokens }, billing_cadence: 'P1M', price: { type: 'unit', amount: '1' }, ...over });
const phase = (key: string, rateCards: unknown[], duration?: string): Body => ({ key, name: key, rate_cards: rateCards, ...(duration ? { duration } : {}) });
const plan = (rateCards: unknown[], over: Body = {}): Body => ({ key: 'pro', name: 'Pro', currency: 'USD', billing_cadence: 'P1M', phases: [phase('default', rateCards)], ...over });

/** create: critical, refused; draft: warning, stored and listed in validation_errors, publish refused; publish: only at publish */
type At = 'create' | 'draft' | 'publish';
const metered = (over: Body = {}) => ({ type: 'metered', limit: 0, ...over });
const rows: [code: string, at: At, body: (c: Ctx) => Body][] = [
  ['plan_billing_cadence_invalid', 'create', () => plan([fee()], { billing_cadence: 'P5D' })],
  ['plan_phase_duplicated_key', 'create', () => plan([], { phases: [phase('a', [fee()], 'P1M'), phase('a', [fee()])] })],
  ['rate_card_duplicated_key', 'create', () => plan([fee(), fee()])],
  ['rate_card_key_feature_key_mismatch', 'create', (c) => plan([usage(c, { key: 'other' })])],
  ['rate_card_billing_cadence_missing', 'create', (c) => plan([usage(c, { billing_cadence: undefined })])],
  ['price_payment_term_invalid', 'create', (c) => plan([usage(c, { payment_term: 'in_advance' })])],
  ['price_minimum_amount_greater_than_maximum', 'create', (c) => plan([usage(c, { commitments: { minimum_amount: '100', maximum_amount: '10' } })])],
  [
    'tiered_price_missing_open_ended_tier',
    'create',
    (c) => plan([usage(c, { price: { type: 'volume', tiers: [{ up_to_amount: '10', unit_price: { type: 'unit', amount: '1' } }] } })]),
  ],
  ['tiered_price_tier_with_no_price', 'create', (c) => plan([usage(c, { price: { type: 'graduated', tiers: [{ up_to_amount: '10' }, { unit_price: { type: 'unit', amount: '1' } }] } })])],
  ['billing_cadence_invalid_value', 'draft', () => plan([fee({ billing_cadence: 'PT30M' })])],
  ['rate_card_billing_cadence_unaligned', 'draft', () => plan([fee({ billing_cadence: 'P1W' })])],
  ['usage_discount_with_flat_price', 'draft', () => plan([fee({ discounts: { usage: '5' } })])],
  ['usage_discount_negative_quantity', 'draft', (c) => plan([usage(c, { discounts: { usage: '-5' } })])],
  ['entitlement_template_usage_period_less_then_an_hour', 'draft', (c) => plan([usage(c, { entitlement: metered({ usage_period: 'PT30M' }) })])],
  ['entitlement_template_with_no_feature', 'draft', (c) => plan([usage(c, { key: 'api', feature: undefined, entitlement: metered() })])],
  // C2: a metered entitlement without `limit` (issueAfterReset) is a warning (productcatalog/ratecard.go)
  ['entitlement_template_issue_after_reset_required', 'draft', (c) => plan([usage(c, { entitlement: { type: 'metered' } })])],
  ['usage_based_price_with_no_feature', 'draft', (c) => plan([usage(c, { key: 'api', feature: undefined })])],
  ['plan_has_last_phase_with_duration', 'draft', () => plan([], { phases: [phase('default', [fee()], 'P1M')] })],
  ['plan_has_non_last_phase_with_no_duration', 'draft', () => plan([], { phases: [phase('trial', [fee()]), phase('default', [fee()])] })],
  ['plan_phase_has_no_rate_cards', 'draft', () => plan([])],
  ['usage_based_price_with_feature_and_no_meter', 'publish', (c) => plan([usage(c, { key: 'sso', feature: { id: c.sso } })])],
];

/** rule codes of a service error: `extensions.validationErrors[].code` (X1, the shared OpenMeter shape) */
function problemCodes(res: request.Response): string[] {
  return (res.body.extensions?.validationErrors ?? []).map((e: { code: string }) => e.code);
}

function expectCode(res: request.Response, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  // catalog rule errors come down the shared OpenMeter error path: `about:blank` with
  // extensions.validationErrors and no invalid_parameters (api/v3/apierrors/encoder.go, e2e/v3helpers_test.go)
  expect(res.body.type).toBe('about:blank');
  expect(res.body.invalid_parameters).toBeUndefined();
  expect(problemCodes(res)).toContain(code);
}

describe('catalog rule codes on konnect v3', () => {
  it.each(rows)('%s (%s)', async (code, at, body) => {
    const { app, ctx } = await seed();
    const b = JSON.parse(JSON.stringify(body(ctx))) as Body;
    if (at === 'create') {
      expectCode(await request(app).post(`${P}/plans`).send(b), code);
      return;
    }
    const draft = await request(app).post(`${P}/plans`).send(b);
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    const listed = (draft.body.validation_errors ?? []).map((e: { code: string }) => e.code);
    if (at === 'draft') expect(listed).toContain(code);
    else expect(listed).not.toContain(code);
    expectCode(await request(app).post(`${P}/plans/${draft.body.id}/publish`).send(), code);
  });

  it('validation_errors carry code, the JSONPath field with domain names, and the real message (C4, plans/convert.go)', async () => {
    const { app } = await seed();
    const draft = await request(app).post(`${P}/plans`).send(plan([fee({ billing_cadence: 'P3W' })])).expect(201);
    expect(draft.body.validation_errors).toEqual([
      {
        code: 'rate_card_billing_cadence_unaligned',
        field: "$.phases[?(@.key=='default')].rateCards[?(@.key=='base')].billingCadence",
        message: 'ratecards with prices must have compatible billing cadence',
      },
    ]);
  });

  it('a second draft of a key is a 400 (C5)', async () => {
    const { app } = await seed();
    await request(app).post(`${P}/plans`).send(plan([fee()])).expect(201);
    expect((await request(app).post(`${P}/plans`).send(plan([fee()]))).status).toBe(400);
  });

  it('a flat price keeps payment_term in_advance; v1 reads the same plan back', async () => {
    const { app } = await seed();
    const p = await request(app).post(`${P}/plans`).send(plan([fee({ payment_term: 'in_advance' })])).expect(201);
    expect(p.body.phases[0].rate_cards[0].payment_term).toBe('in_advance');
    const v1 = await request(app).get(`/api/v1/plans/${p.body.id}`).expect(200);
    expect(v1.body.phases[0].rateCards[0].price).toEqual({ type: 'flat', amount: '10', paymentTerm: 'in_advance' });
  });
});

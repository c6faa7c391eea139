import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const PREFIXES = ['/v3/openmeter', '/api/v3/openmeter'] as const;

async function seed(app: Express, P: string) {
  const meter = await request(app)
    .post(`${P}/meters`)
    .send({ key: 'tokens', name: 'Tokens', event_type: 'prompt', aggregation: 'sum', value_property: '$.tokens', dimensions: { model: '$.model' } })
    .expect(201);
  const feature = await request(app)
    .post(`${P}/features`)
    .send({ key: 'tokens', name: 'Tokens', meter: { id: meter.body.id, filters: { model: { eq: 'gpt' } } }, unit_cost: { type: 'manual', amount: '0.25' } });
  expect(feature.status).toBe(201);
  return { meterId: meter.body.id as string, featureId: feature.body.id as string };
}

const planBody = (featureId: string, over: Record<string, unknown> = {}) => ({
  key: 'pro',
  name: 'Pro',
  currency: 'USD',
  billing_cadence: 'P1M',
  phases: [
    {
      key: 'default',
      name: 'Default',
      rate_cards: [
        { key: 'base', name: 'Base fee', billing_cadence: 'P1M', price: { type: 'flat', amount: '10.50' }, payment_term: 'in_advance' },
        {
          key: 'tokens',
          name: 'Tokens',
          feature: { id: featureId },
          billing_cadence: 'P1M',
          price: { type: 'graduated', tiers: [{ up_to_amount: '1000', unit_price: { type: 'unit', amount: '0.01' } }, { unit_price: { type: 'unit', amount: '0.005' } }] },
          commitments: { minimum_amount: '5', maximum_amount: '100' },
          discounts: { percentage: 10, usage: '100' },
          entitlement: { type: 'metered', is_soft_limit: true, limit: 500 },
        },
      ],
    },
  ],
  ...over,
});

describe.each(PREFIXES)('konnect v3 features under %s', (P) => {
  it('creates, reads, lists, patches unit cost, queries cost and deletes', async () => {
    const { app } = createTestEmulator();
    const { meterId, featureId } = await seed(app, P);
    const got = await request(app).get(`${P}/features/${featureId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ key: 'tokens', name: 'Tokens', meter: { id: meterId, filters: { model: { eq: 'gpt' } } }, unit_cost: { type: 'manual', amount: '0.25' } });

    await request(app).post(`${P}/features`).send({ key: 'support', name: 'Support' }).expect(201);
    const list = await request(app).get(`${P}/features?filter[meter_id]=${meterId}`);
    expect(list.body.data.map((f: { key: string }) => f.key)).toEqual(['tokens']);
    const sorted = await request(app).get(`${P}/features?sort=key desc&page[size]=1`);
    expect(sorted.body).toMatchObject({ meta: { page: { number: 1, size: 1, total: 2 } } });
    expect(sorted.body.data[0].key).toBe('tokens');

    await request(app)
      .post(`${P}/events`)
      .send([
        { specversion: '1.0', id: '1', source: 's', type: 'prompt', subject: 'a', time: '2026-01-01T00:10:00Z', data: { tokens: 10, model: 'gpt' } },
        { specversion: '1.0', id: '2', source: 's', type: 'prompt', subject: 'a', time: '2026-01-01T00:20:00Z', data: { tokens: 3, model: 'gpt' } },
        { specversion: '1.0', id: '3', source: 's', type: 'prompt', subject: 'a', time: '2026-01-01T00:30:00Z', data: { tokens: 1000, model: 'claude' } },
      ])
      .expect(202);
    const cost = await request(app).post(`${P}/features/${featureId}/cost/query`).send({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', group_by_dimensions: ['model'] });
    expect(cost.status).toBe(200);
    // the feature's own filter (model=gpt) applies: 13 × 0.25
    expect(cost.body.data).toEqual([{ usage: '13', cost: '3.25', currency: 'USD', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', dimensions: { model: 'gpt' } }]);

    const patched = await request(app).patch(`${P}/features/${featureId}`).send({ unit_cost: null });
    expect(patched.status).toBe(200);
    expect(patched.body.unit_cost).toBeUndefined();
    const noCost = await request(app).post(`${P}/features/${featureId}/cost/query`).send({});
    expect(noCost.body.data[0]).toMatchObject({ usage: '13', cost: null, detail: 'feature tokens has no unit cost' });
    const repatched = await request(app).patch(`${P}/features/${featureId}`).send({ unit_cost: { type: 'manual', amount: '1.5' } });
    expect(repatched.body.unit_cost).toEqual({ type: 'manual', amount: '1.5' });

    await request(app).delete(`${P}/features/${featureId}`).expect(204);
    const after = await request(app).get(`${P}/features`);
    expect(after.body.data.map((f: { key: string }) => f.key)).toEqual(['support']);
    const archived = await request(app).get(`${P}/features/${featureId}`);
    expect(archived.body.deleted_at).toBe('2026-01-01T00:00:00Z');

    const bad = await request(app).get(`${P}/features/nope`);
    expect(bad.status).toBe(404);
    const missing = await request(app).get(`${P}/features/01ARZ3NDEKTSV4RRFFQ69G5FAV`);
    expect(missing.status).toBe(404);
    // not found raised by the service: the shared OpenMeter shape (api/v3/apierrors/encoder.go)
    expect(missing.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
  });
});

describe.each(PREFIXES)('konnect v3 plans and add-ons under %s', (P) => {
  it('round-trips a plan with v3 prices, commitments, discounts and entitlements; publishes and archives', async () => {
    const { app } = createTestEmulator();
    const { featureId } = await seed(app, P);
    const created = await request(app).post(`${P}/plans`).send(planBody(featureId));
    expect(created.status).toBe(201);
    const plan = created.body;
    expect(plan).toMatchObject({ key: 'pro', version: 1, status: 'draft', currency: 'USD', billing_cadence: 'P1M', pro_rating_enabled: true, settlement_mode: 'credit_then_invoice' });
    const [base, tokens] = plan.phases[0].rate_cards;
    // `currency` only appears for a per-rate-card override (api/v3/handlers/plans/convert.go ToAPIBillingRateCard)
    expect(base).toEqual({ name: 'Base fee', key: 'base', billing_cadence: 'P1M', price: { type: 'flat', amount: '10.5' }, payment_term: 'in_advance' });
    expect(tokens).toEqual({
      name: 'Tokens',
      key: 'tokens',
      feature: { id: featureId },
      billing_cadence: 'P1M',
      price: { type: 'graduated', tiers: [{ up_to_amount: '1000', unit_price: { type: 'unit', amount: '0.01' } }, { unit_price: { type: 'unit', amount: '0.005' } }] },
      commitments: { minimum_amount: '5', maximum_amount: '100' },
      discounts: { percentage: 10, usage: '100' },
      entitlement: { type: 'metered', is_soft_limit: true, limit: 500, usage_period: 'P1M' },
    });
    const got = await request(app).get(`${P}/plans/${plan.id}`);
    expect(got.body).toEqual(plan);

    const upd = await request(app).put(`${P}/plans/${plan.id}`).send({ name: 'Pro 2', phases: [{ key: 'default', name: 'Default', rate_cards: [{ key: 'base', name: 'Base', billing_cadence: 'P1M', price: { type: 'flat', amount: '20' } }] }] });
    expect(upd.status).toBe(200);
    expect(upd.body.name).toBe('Pro 2');
    expect(upd.body.phases[0].rate_cards).toHaveLength(1);
    // v3 documents `payment_term` with default in_arrears (the v1 flat price defaults to in_advance)
    expect(upd.body.phases[0].rate_cards[0].payment_term).toBe('in_arrears');

    const pub = await request(app).post(`${P}/plans/${plan.id}/publish`);
    expect(pub.status).toBe(200);
    expect(pub.body.status).toBe('active');
    expect(pub.body.effective_from).toBe('2026-01-01T00:00:00Z');

    const list = await request(app).get(`${P}/plans?filter[status]=active`);
    expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([plan.id]);
    const none = await request(app).get(`${P}/plans?filter[status][neq]=active`);
    expect(none.body.data).toEqual([]);

    const cannotDelete = await request(app).delete(`${P}/plans/${plan.id}`);
    expect(cannotDelete.status).toBe(400);
    const arch = await request(app).post(`${P}/plans/${plan.id}/archive`);
    expect(arch.status).toBe(200);
    expect(arch.body.status).toBe('archived');
    await request(app).delete(`${P}/plans/${plan.id}`).expect(204);
  });

  it('renders product-catalog rule violations as 400 with extensions.validationErrors', async () => {
    const { app } = createTestEmulator();
    const { featureId } = await seed(app, P);
    const body = planBody(featureId);
    body.phases[0]!.rate_cards[1]!.key = 'other_key';
    const bad = await request(app).post(`${P}/plans`).send(body);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    // product-catalog rule errors use the shared OpenMeter shape, as e2e/v3helpers_test.go documents
    expect(bad.body).toMatchObject({ type: 'about:blank', status: 400, title: 'Bad Request' });
    expect(bad.body.extensions.validationErrors).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'rate_card_key_feature_key_mismatch', severity: 'critical' })]));

    const unknownFeature = await request(app).post(`${P}/plans`).send(planBody('01ARZ3NDEKTSV4RRFFQ69G5FAV'));
    expect(unknownFeature.status).toBe(400);
    expect(unknownFeature.body.extensions.validationErrors[0]).toMatchObject({ code: 'rate_card_feature_not_found', field: 'phases[0].rate_cards[1].feature.id' });

    const schema = await request(app).post(`${P}/plans`).send({ ...planBody(featureId), phases: [] });
    expect(schema.status).toBe(400);
    expect(schema.body.invalid_parameters[0]).toMatchObject({ source: 'body', rule: 'min_items' });

    // an empty-phase draft is saved; its publish blockers are listed and publish fails
    const draft = await request(app).post(`${P}/plans`).send({ ...planBody(featureId), phases: [{ key: 'p', name: 'P', rate_cards: [] }] });
    expect(draft.status).toBe(201);
    expect(draft.body.validation_errors.map((e: { code: string }) => e.code)).toContain('plan_phase_has_no_rate_cards');
    const pub = await request(app).post(`${P}/plans/${draft.body.id}/publish`);
    expect(pub.status).toBe(400);
    expect(pub.body.extensions.validationErrors.map((e: { code: string }) => e.code)).toContain('plan_phase_has_no_rate_cards');
  });

  it('manages add-ons and plan add-ons', async () => {
    const { app } = createTestEmulator();
    const { featureId } = await seed(app, P);
    const plan = (await request(app).post(`${P}/plans`).send(planBody(featureId)).expect(201)).body;
    const addon = await request(app)
      .post(`${P}/addons`)
      .send({ key: 'boost', name: 'Boost', instance_type: 'multiple', currency: 'USD', rate_cards: [{ key: 'boost_fee', name: 'Boost fee', billing_cadence: 'P1M', price: { type: 'flat', amount: '5' } }] });
    expect(addon.status).toBe(201);
    expect(addon.body).toMatchObject({ key: 'boost', version: 1, status: 'draft', instance_type: 'multiple' });
    const upd = await request(app).put(`${P}/addons/${addon.body.id}`).send({ name: 'Boost+', instance_type: 'multiple', rate_cards: addon.body.rate_cards });
    expect(upd.status).toBe(200);
    expect(upd.body.name).toBe('Boost+');
    const pub = await request(app).post(`${P}/addons/${addon.body.id}/publish`);
    expect(pub.body.status).toBe('active');
    expect((await request(app).get(`${P}/addons?filter[key]=boost`)).body.data).toHaveLength(1);
    expect((await request(app).get(`${P}/addons/${addon.body.id}`)).body.status).toBe('active');

    const pa = await request(app).post(`${P}/plans/${plan.id}/addons`).send({ name: 'Boost on Pro', addon: { id: addon.body.id }, from_plan_phase: 'default', max_quantity: 3 });
    expect(pa.status).toBe(201);
    expect(pa.body).toMatchObject({ name: 'Boost on Pro', addon: { id: addon.body.id }, from_plan_phase: 'default', max_quantity: 3 });
    const listed = await request(app).get(`${P}/plans/${plan.id}/addons`);
    expect(listed.body).toMatchObject({ meta: { page: { number: 1, total: 1 } } });
    expect((await request(app).get(`${P}/plans/${plan.id}/addons/${pa.body.id}`)).body.id).toBe(pa.body.id);
    const paUpd = await request(app).put(`${P}/plans/${plan.id}/addons/${pa.body.id}`).send({ name: 'Boost', from_plan_phase: 'default', max_quantity: 5 });
    expect(paUpd.body.max_quantity).toBe(5);
    const badPhase = await request(app).put(`${P}/plans/${plan.id}/addons/${pa.body.id}`).send({ name: 'Boost', from_plan_phase: 'nope' });
    expect(badPhase.status).toBe(400);
    expect(badPhase.body.extensions.validationErrors[0].code).toBe('plan_addon_unknown_plan_phase_key');
    await request(app).delete(`${P}/plans/${plan.id}/addons/${pa.body.id}`).expect(204);
    expect((await request(app).get(`${P}/plans/${plan.id}/addons`)).body.data).toEqual([]);

    const arch = await request(app).post(`${P}/addons/${addon.body.id}/archive`);
    expect(arch.body.status).toBe('archived');
    await request(app).delete(`${P}/addons/${addon.body.id}`).expect(204);
  });
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const prefix = '/v3/openmeter';
type App = ReturnType<typeof createTestEmulator>['app'];

/** A customer `acme` (its key is its usage key), a `tokens` meter (sum of $.n) and its feature. */
async function setup(): Promise<{ app: App; id: string; featureId: string }> {
  const { app } = createTestEmulator();
  const m = await request(app).post(`${prefix}/meters`).send({ key: 'tokens', name: 'Tokens', event_type: 'prompt', aggregation: 'sum', value_property: '$.n' }).expect(201);
  const f = await request(app).post(`${prefix}/features`).send({ key: 'tokens', name: 'Tokens', meter: { id: m.body.id } }).expect(201);
  const id = (await request(app).post(`${prefix}/customers`).send({ key: 'acme', name: 'ACME', currency: 'USD' }).expect(201)).body.id;
  return { app, id, featureId: f.body.id };
}
let seq = 0;
const ingest = (app: App, time: string, n: number) =>
  request(app).post(`${prefix}/events`).send({ specversion: '1.0', id: `e${++seq}`, source: 'test', type: 'prompt', subject: 'acme', time, data: { n } }).expect(202);
const advance = (app: App, to: string) => request(app).post('/_emulator/clock/advance').send({ to }).expect(200);
const charges = (id: string) => `${prefix}/customers/${id}/charges`;
const grants = (id: string) => `${prefix}/customers/${id}/credits/grants`;
const settled = async (app: App, id: string) => (await request(app).get(`${prefix}/customers/${id}/credits/balance?filter[currency]=USD`).expect(200)).body.balances[0];

const JAN = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
const flatFee = (over: Record<string, unknown> = {}) => ({
  type: 'flat_fee',
  name: 'Platform fee',
  currency: 'USD',
  invoice_at: JAN.from,
  service_period: JAN,
  settlement_mode: 'credit_only',
  payment_term: 'in_advance',
  proration_configuration: { mode: 'prorate_prices' },
  amount_before_proration: { amount: '40', currency: 'USD' },
  ...over,
});
const usage = (featureId: string, over: Record<string, unknown> = {}) => ({
  type: 'usage_based',
  name: 'Tokens',
  currency: 'USD',
  invoice_at: JAN.to,
  service_period: JAN,
  settlement_mode: 'credit_then_invoice',
  feature_id: featureId,
  price: { type: 'unit', amount: '0.10' },
  ...over,
});

// api/v3/handlers/customers/charges/{create,list,convert}.go; openmeter/billing/charges/README.md
describe('Konnect v3 customer charges', () => {
  it('creates a flat fee: prorated amount, manual lifecycle, realized against credit at invoice_at', async () => {
    const { app, id } = await setup();
    const mismatch = await request(app).post(charges(id)).send(flatFee({ amount_before_proration: { amount: '40', currency: 'EUR' } })).expect(400);
    // the handler's intent validation: Konnect shape, field "intents" (customers/charges/create.go)
    expect(mismatch.body).toMatchObject({ type: 'https://kongapi.info/konnect/bad-request' });
    expect(mismatch.body.invalid_parameters).toEqual([expect.objectContaining({ field: 'intents', source: 'body' })]);
    // half of January (15.5 of 31 days): 40 × 15.5 / 31 = 20
    const half = await request(app)
      .post(charges(id))
      .send(flatFee({ invoice_at: '2026-01-16T12:00:00Z', service_period: { from: '2026-01-16T12:00:00Z', to: JAN.to }, full_service_period: JAN }))
      .expect(201);
    expect(half.body).toMatchObject({
      type: 'flat_fee',
      status: 'created',
      lifecycle_controller: 'manual',
      customer: { id },
      amount_after_proration: { amount: '20', currency: 'USD' },
      price: { type: 'flat', amount: '40' },
      full_service_period: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      billing_period: { from: '2026-01-16T12:00:00Z', to: '2026-02-01T00:00:00Z' },
      advance_after: '2026-01-16T12:00:00Z',
      labels: {},
    });
    await advance(app, '2026-01-17T00:00:00Z');
    const list = await request(app).get(charges(id)).expect(200);
    // credit_only with no credit: realized anyway, the balance goes negative by 20
    expect(list.body.data[0]).toMatchObject({ id: half.body.id, status: 'final' });
    expect((await settled(app, id)).settled).toBe('-20');
  });

  it('usage-based charges need a metered feature; unique_reference_id clashes are 409', async () => {
    const { app, id, featureId } = await setup();
    const sso = await request(app).post(`${prefix}/features`).send({ key: 'sso', name: 'SSO' }).expect(201);
    // productcatalog/feature/featuremeter.go: no meter → 400, unknown feature → 404
    const noMeter = await request(app).post(charges(id)).send(usage(sso.body.id)).expect(400);
    expect(noMeter.body).toMatchObject({ type: 'about:blank', detail: 'feature[sso] has no meter associated' });
    const unknown = await request(app).post(charges(id)).send(usage('01J0000000000000000000000Z')).expect(404);
    expect(unknown.body.detail).toBe('feature[01J0000000000000000000000Z] not found');
    await request(app).post(charges(id)).send(usage(featureId, { price: { type: 'free' } })).expect(400);
    const c = await request(app).post(charges(id)).send(usage(featureId, { unique_reference_id: 'ref-1' })).expect(201);
    expect(c.body).toMatchObject({ type: 'usage_based', status: 'active', feature_key: 'tokens', feature_id: featureId, unique_reference_id: 'ref-1', price: { type: 'unit', amount: '0.10' } });
    expect(c.body.totals.booked).toMatchObject({ amount: '0', credits_total: '0', total: '0' });
    const dup = await request(app).post(charges(id)).send(usage(featureId, { unique_reference_id: 'ref-1' })).expect(409);
    expect(dup.body.detail).toBe('charge conflicts with an existing charge');
    await request(app).post(`${prefix}/customers/01J0000000000000000000000Z/charges`).send(usage(featureId)).expect(404);
  });

  it('lists with filter[status][oeq], sort and expand=real_time_usage', async () => {
    const { app, id, featureId } = await setup();
    const future = await request(app).post(charges(id)).send(usage(featureId, { name: 'Feb', service_period: { from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, invoice_at: '2026-03-01T00:00:00Z' })).expect(201);
    const now = await request(app).post(charges(id)).send(usage(featureId, { name: 'Jan' })).expect(201);
    await ingest(app, '2026-01-02T00:00:00Z', 250);
    await advance(app, '2026-01-10T00:00:00Z');
    const active = await request(app).get(`${charges(id)}?filter[status][oeq]=active`).expect(200);
    expect(active.body.data.map((c: { id: string }) => c.id)).toEqual([now.body.id]);
    const created = await request(app).get(`${charges(id)}?filter[status][oeq]=created,final`).expect(200);
    expect(created.body.data.map((c: { id: string }) => c.id)).toEqual([future.body.id]);
    await request(app).get(`${charges(id)}?filter[status][oeq]=bogus`).expect(400);
    const sorted = await request(app).get(`${charges(id)}?sort=service_period.from desc`).expect(200);
    expect(sorted.body.data.map((c: { name: string }) => c.name)).toEqual(['Feb', 'Jan']);
    await request(app).get(`${charges(id)}?sort=name`).expect(400);
    const rt = await request(app).get(`${charges(id)}?expand=real_time_usage&filter[status][oeq]=active`).expect(200);
    // 250 tokens so far × 0.10 = 25.00, nothing booked yet
    expect(rt.body.data[0].totals.realtime).toMatchObject({ amount: '25', total: '25' });
    expect(rt.body.data[0].totals.booked.total).toBe('0');
    expect((await request(app).get(charges(id)).expect(200)).body.data[0].totals.realtime).toBeUndefined();
  });

  it('a worked month: grants, usage, a void, an expiry and charges consuming credit', async () => {
    const { app, id, featureId } = await setup();
    // Jan 1 — three grants (USD):
    //   A promotional 50, priority 10
    //   B external 100 at cost basis 0.8, priority 20 (purchase 100 × 0.8 = 80)
    //   C promotional 30, priority 10, only for `tokens`, expires after 20 days (Jan 21)
    const a = await request(app).post(grants(id)).send({ name: 'A', funding_method: 'none', currency: 'USD', amount: '50' }).expect(201);
    const b = await request(app).post(grants(id)).send({ name: 'B', funding_method: 'external', currency: 'USD', amount: '100', priority: 20, purchase: { currency: 'USD', per_unit_cost_basis: '0.8' } }).expect(201);
    expect(b.body.purchase.amount).toBe('80');
    await request(app).post(grants(id)).send({ name: 'C', funding_method: 'none', currency: 'USD', amount: '30', filters: { features: ['tokens'] }, expires_after: 'P20D' }).expect(201);
    // settled = 50 + 100 + 30 = 180
    expect(await settled(app, id)).toEqual({ currency: 'USD', live: '180', settled: '180', pending: '0' });

    // a credit_only platform fee of 40 for January, due now: realized at once.
    // It has no feature, so C cannot pay; A (priority 10) pays 40 → A has 10 left
    const fee = await request(app).post(charges(id)).send(flatFee()).expect(201);
    expect(fee.body.status).toBe('final');
    // settled = 180 − 40 = 140
    expect((await settled(app, id)).settled).toBe('140');

    // a credit_then_invoice token charge for January at $0.10 a token
    const tok = await request(app).post(charges(id)).send(usage(featureId)).expect(201);
    expect(tok.body).toMatchObject({ status: 'active', advance_after: '2026-02-01T01:00:00Z' }); // period end + collection interval PT1H
    await ingest(app, '2026-01-05T00:00:00Z', 1000);
    await advance(app, '2026-01-10T00:00:00Z');
    // current due 1,000 × 0.10 = 100.00, which usable credit covers in full (C 30, A 10, B 60)
    // live = 140 − min(100, 140) = 40; settled unchanged
    expect(await settled(app, id)).toEqual({ currency: 'USD', live: '40', settled: '140', pending: '0' });

    // Jan 15 — void A: only its unused 10 is forfeited
    await advance(app, '2026-01-15T00:00:00Z');
    await request(app).post(`${grants(id)}/${a.body.id}/void`).send({}).expect(200);
    // settled = 140 − 10 = 130
    expect((await settled(app, id)).settled).toBe('130');

    // Jan 21 — C expires unused: −30 → settled 100
    await advance(app, '2026-01-22T00:00:00Z');
    expect((await settled(app, id)).settled).toBe('100');

    // Jan 25 — 500 more tokens; cumulative 1,500 × 0.10 = 150.00, only B (100) is left to pay
    await ingest(app, '2026-01-25T00:00:00Z', 500);
    await advance(app, '2026-01-26T00:00:00Z');
    // live = 100 − min(150, 100) = 0
    expect((await settled(app, id)).live).toBe('0');

    // Feb 1 01:00 — the final run: 150.00 rated, B pays 100, 50.00 is left for the invoice; the
    // charge's gathering line is collected then with the credit on it, and the sandbox pays it, so
    // the charge is final (charges README: final = the payment lifecycle is complete)
    await advance(app, '2026-02-01T02:00:00Z');
    expect((await request(app).get(`${charges(id)}?filter[status][oeq]=active`).expect(200)).body.data).toEqual([]);
    const after = (await request(app).get(`${charges(id)}?filter[status][oeq]=final`).expect(200)).body.data.filter((c: { id: string }) => c.id === tok.body.id);
    const inv = (await request(app).get(`${prefix}/billing/invoices`).query({ 'filter[customer_id]': id }).expect(200)).body.data;
    // line 1,500 × 0.10 = 150, credits 100 (drawn by the charge), total 150 − 100 = 50
    expect(inv.map((i: { status: string; totals: { amount: string; credits_total: string; total: string } }) => [i.status, i.totals.amount, i.totals.credits_total, i.totals.total])).toEqual([['paid', '150', '100', '50']]);
    // amount 150 − credits 100 = total 50
    expect(after[0].totals.booked).toEqual({
      amount: '150',
      taxes_total: '0',
      taxes_inclusive_total: '0',
      taxes_exclusive_total: '0',
      charges_total: '0',
      discounts_total: '0',
      credits_total: '100',
      total: '50',
    });
    expect(await settled(app, id)).toEqual({ currency: 'USD', live: '0', settled: '0', pending: '0' });

    // Feb 2 — another credit_only fee of 25 with no credit left: booked as an advance, settled −25
    await advance(app, '2026-02-02T00:00:00Z');
    await request(app)
      .post(charges(id))
      .send(flatFee({ name: 'Support', invoice_at: '2026-02-02T00:00:00Z', service_period: { from: '2026-02-02T00:00:00Z', to: '2026-03-02T00:00:00Z' }, amount_before_proration: { amount: '25', currency: 'USD' } }))
      .expect(201);
    expect((await settled(app, id)).settled).toBe('-25');

    // the ledger, newest first, with the running balance beside each row
    const tx = await request(app).get(`${prefix}/customers/${id}/credits/transactions`).expect(200);
    expect(tx.body.data.map((t: { type: string; name: string; amount: string; available_balance: { after: string } }) => [t.type, t.name, t.amount, t.available_balance.after])).toEqual([
      ['consumed', 'Support', '-25', '-25'], //  0 − 25
      ['consumed', 'Tokens', '-100', '0'], // 100 − 100 (from B)
      ['expired', 'C', '-30', '100'], // 130 − 30
      ['voided', 'A', '-10', '130'], // 140 − 10
      ['consumed', 'Platform fee', '-40', '140'], // 180 − 40 (from A)
      ['funded', 'C', '30', '180'], // 150 + 30
      ['funded', 'B', '100', '150'], // 50 + 100
      ['funded', 'A', '50', '50'],
    ]);
    const consumed = tx.body.data.find((t: { name: string }) => t.name === 'Tokens');
    expect(consumed.labels).toMatchObject({ charge_id: tok.body.id, feature_id: featureId });
  });
});

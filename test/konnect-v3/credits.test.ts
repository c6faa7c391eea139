import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const prefix = '/v3/openmeter';
type App = ReturnType<typeof createTestEmulator>['app'];

async function customer(app: App, key = 'acme'): Promise<string> {
  return (await request(app).post(`${prefix}/customers`).send({ key, name: key.toUpperCase(), currency: 'USD' }).expect(201)).body.id;
}
const grants = (id: string) => `${prefix}/customers/${id}/credits/grants`;
const advance = (app: App, to: string) => request(app).post('/_emulator/clock/advance').send({ to }).expect(200);
const balance = async (app: App, id: string, query = '') => (await request(app).get(`${prefix}/customers/${id}/credits/balance${query}`).expect(200)).body;

// api/v3/handlers/customers/credits/*.go, openmeter/billing/creditgrant/service/service.go
describe('Konnect v3 credit grants', () => {
  it('creates a promotional grant with the schema defaults applied (priority 10) and effective_at echoed only when sent', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    const r = await request(app).post(grants(id)).send({ name: 'Welcome', funding_method: 'none', currency: 'USD', amount: '50' }).expect(201);
    expect(r.body).toMatchObject({ name: 'Welcome', funding_method: 'none', currency: 'USD', amount: '50', priority: 10, status: 'active', labels: {} });
    expect(r.body.effective_at).toBeUndefined();
    expect(r.body.purchase).toBeUndefined();
    expect(r.body.expires_at).toBeUndefined();
    // expires_at = (effective_at ?: now) + expires_after
    const e = await request(app)
      .post(grants(id))
      .send({ name: 'Later', funding_method: 'none', currency: 'USD', amount: '30', effective_at: '2026-02-01T00:00:00Z', expires_after: 'P1M', priority: 5, filters: { features: ['tokens'] } })
      .expect(201);
    expect(e.body).toMatchObject({ effective_at: '2026-02-01T00:00:00Z', expires_at: '2026-03-01T00:00:00Z', priority: 5, filters: { features: ['tokens'] }, status: 'active' });
  });

  it('external funding: purchase amount = round(amount × cost basis), settlement pending → authorized → settled; other moves 412', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    const r = await request(app)
      .post(grants(id))
      .send({ name: 'Top-up', funding_method: 'external', currency: 'USD', amount: '100', purchase: { currency: 'USD', per_unit_cost_basis: '0.8' } })
      .expect(201);
    // 100 × 0.8 = 80
    expect(r.body.purchase).toEqual({ currency: 'USD', per_unit_cost_basis: '0.8', amount: '80', availability_policy: 'on_creation', settlement_status: 'pending' });
    expect(r.body.status).toBe('active');
    const g = r.body.id as string;
    const settle = (status: string) => request(app).post(`${grants(id)}/${g}/settlement/external`).send({ status });
    const bad = await settle('pending').expect(400);
    // a validation issue, rendered in the OpenMeter shape (customers/credits/errors.go)
    expect(bad.body).toMatchObject({ type: 'about:blank', status: 400 });
    expect(bad.body.extensions.validationErrors[0]).toMatchObject({ code: 'credit_grant_external_settlement_status_invalid', field: 'status' });
    expect((await settle('authorized').expect(200)).body.purchase.settlement_status).toBe('authorized');
    await settle('authorized').expect(412);
    const done = await settle('settled').expect(200);
    expect(done.body).toMatchObject({ status: 'active', purchase: { settlement_status: 'settled' } });
    await settle('settled').expect(412);
    // a promotional grant has no external settlement
    const promo = await request(app).post(grants(id)).send({ name: 'Promo', funding_method: 'none', currency: 'USD', amount: '5' }).expect(201);
    const ns = await request(app).post(`${grants(id)}/${promo.body.id}/settlement/external`).send({ status: 'settled' }).expect(400);
    expect(ns.body.extensions.validationErrors[0]).toMatchObject({ code: 'credit_grant_external_settlement_not_supported' });
    // default cost basis "1.0" → purchase amount = amount
    const one = await request(app).post(grants(id)).send({ name: 'Par', funding_method: 'external', currency: 'USD', amount: '12.345', purchase: { currency: 'USD' } }).expect(201);
    // 12.345 × 1 = 12.345 → rounded half away from zero at USD precision = 12.35
    expect(one.body.purchase).toMatchObject({ per_unit_cost_basis: '1', amount: '12.35' });
  });

  it('invoice funding: pending until its invoice exists, counted as pending balance, not voidable (409)', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    // effective next month: its invoice waits for then (creditpurchase gathering line, invoice_at = effective_at)
    const r = await request(app)
      .post(grants(id))
      .send({ name: 'Pack', funding_method: 'invoice', currency: 'USD', amount: '200', effective_at: '2026-02-01T00:00:00Z', purchase: { currency: 'USD', per_unit_cost_basis: '0.5' } })
      .expect(201);
    // 200 × 0.5 = 100
    expect(r.body).toMatchObject({ status: 'pending', purchase: { amount: '100', per_unit_cost_basis: '0.5', settlement_status: 'pending' } });
    expect(r.body.purchase.availability_policy).toBeUndefined();
    const v = await request(app).post(`${grants(id)}/${r.body.id}/void`).send({}).expect(409);
    expect(v.body.detail).toBe(`credit grant ${r.body.id} is pending and cannot be voided`);
    expect((await balance(app, id)).balances).toEqual([{ currency: 'USD', live: '0', settled: '0', pending: '200' }]);
    const pending = await request(app).get(`${grants(id)}?filter[status]=pending`).expect(200);
    expect(pending.body.data.map((g: { id: string }) => g.id)).toEqual([r.body.id]);
  });

  it('rejects invalid grants with 400, unknown customers with 404, a key reused for the same customer with 409', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    const other = await customer(app, 'other');
    const base = { name: 'G', funding_method: 'none', currency: 'USD', amount: '10' };
    await request(app).post(grants(id)).send({ ...base, amount: '0' }).expect(400);
    await request(app).post(grants(id)).send({ ...base, funding_method: 'external' }).expect(400);
    await request(app).post(grants(id)).send({ ...base, funding_method: 'external', purchase: { currency: 'EUR' } }).expect(400);
    await request(app).post(grants(id)).send({ ...base, funding_method: 'external', purchase: { currency: 'USD', per_unit_cost_basis: '0' } }).expect(400);
    await request(app).post(grants(id)).send({ ...base, expires_after: 'PT0S' }).expect(400);
    // the handler's own decoding (fromAPICreateCreditGrantRequest) answers in the Konnect shape
    const dupFeature = await request(app).post(grants(id)).send({ ...base, filters: { features: ['a', 'a'] } }).expect(400);
    expect(dupFeature.body).toMatchObject({ type: 'https://kongapi.info/konnect/bad-request' });
    // the service's own validation in the OpenMeter shape
    const zero = await request(app).post(grants(id)).send({ ...base, amount: '-1' }).expect(400);
    expect(zero.body).toMatchObject({ type: 'about:blank', status: 400 });
    await request(app).post(grants(id)).send({ ...base, priority: 0 }).expect(400);
    const tc = await request(app).post(grants(id)).send({ ...base, tax_config: { tax_code: { id: '01J0000000000000000000000Z' } } }).expect(400);
    expect(tc.body.extensions.validationErrors[0]).toMatchObject({ code: 'tax_code_not_found' });
    await request(app).post(grants('01J0000000000000000000000Z')).send(base).expect(404);
    await request(app).post(grants(id)).send({ ...base, key: 'k1' }).expect(201);
    const dup = await request(app).post(grants(id)).send({ ...base, key: 'k1' }).expect(409);
    expect(dup.body).toMatchObject({ type: 'about:blank', status: 409, detail: 'charge conflicts with an existing charge' });
    // the same key for another customer, and grants without a key, never conflict
    await request(app).post(grants(other)).send({ ...base, key: 'k1' }).expect(201);
    await request(app).post(grants(id)).send(base).expect(201);
    await request(app).post(grants(id)).send(base).expect(201);
    // a grant of another customer is not found through this one
    const otherGrant = (await request(app).get(grants(other)).expect(200)).body.data[0].id;
    await request(app).get(`${grants(id)}/${otherGrant}`).expect(404);
    expect((await request(app).get(`${grants(id)}?filter[key]=k1`).expect(200)).body.data).toHaveLength(1);
    await request(app).get(`${grants(id)}?filter[status]=bogus`).expect(400);
  });

  it('no tax_config → the organisation credit-grant default tax code is attached (quirk)', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    const a = await request(app).post(`${prefix}/tax-codes`).send({ key: 'nontaxable', name: 'Non-taxable', app_mappings: [] }).expect(201);
    const b = await request(app).post(`${prefix}/tax-codes`).send({ key: 'standard', name: 'Standard', app_mappings: [] }).expect(201);
    await request(app).put(`${prefix}/defaults/tax-codes`).send({ invoicing_tax_code: { id: b.body.id }, credit_grant_tax_code: { id: a.body.id } }).expect(200);
    const g = await request(app).post(grants(id)).send({ name: 'G', funding_method: 'none', currency: 'USD', amount: '10' }).expect(201);
    expect(g.body.tax_config).toEqual({ tax_code: { id: a.body.id } });
  });

  it('void forfeits only the unused remainder, is idempotent, and expired grants cannot be voided (409)', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    const a = await request(app).post(grants(id)).send({ name: 'A', funding_method: 'none', currency: 'USD', amount: '25' }).expect(201);
    await advance(app, '2026-01-02T00:00:00Z');
    await request(app).post(grants(id)).send({ name: 'B', funding_method: 'none', currency: 'USD', amount: '40' }).expect(201);
    await advance(app, '2026-01-03T00:00:00Z');
    const v = await request(app).post(`${grants(id)}/${a.body.id}/void`).send({}).expect(200);
    expect(v.body).toMatchObject({ status: 'voided', voided_at: '2026-01-03T00:00:00Z' });
    await advance(app, '2026-01-04T00:00:00Z');
    const again = await request(app).post(`${grants(id)}/${a.body.id}/void`).expect(200);
    // the original voided_at, not now
    expect(again.body.voided_at).toBe('2026-01-03T00:00:00Z');
    await request(app).post(`${grants(id)}/${a.body.id}/void`).send({ payment_adjustment: 'refund' }).expect(400);
    // konnect-billing.md §4.7 example: grant 25, grant 40, void of the first
    const t = await request(app).get(`${prefix}/customers/${id}/credits/transactions`).expect(200);
    expect(t.body.data.map((x: Record<string, unknown>) => [x.type, x.amount, x.available_balance])).toEqual([
      ['voided', '-25', { before: '65', after: '40' }], // 65 − 25 = 40
      ['funded', '40', { before: '25', after: '65' }], // 25 + 40 = 65
      ['funded', '25', { before: '0', after: '25' }],
    ]);
    expect(t.body.meta.page).toEqual({ size: 20, next: null, previous: null });
    // rows carry the ledger annotations as labels (the grant's charge id), not the grant's labels
    expect(t.body.data[0].labels).toEqual({ charge_id: a.body.id });
    expect(t.body.data[0].name).toBe('A');
    expect((await request(app).get(`${grants(id)}?filter[status]=voided`).expect(200)).body.data.map((g: { id: string }) => g.id)).toEqual([a.body.id]);

    const exp = await request(app).post(grants(id)).send({ name: 'Short', funding_method: 'none', currency: 'USD', amount: '5', expires_after: 'P1D' }).expect(201);
    await advance(app, '2026-01-05T00:00:00Z');
    expect((await request(app).get(`${grants(id)}/${exp.body.id}`).expect(200)).body.status).toBe('expired');
    const ve = await request(app).post(`${grants(id)}/${exp.body.id}/void`).send({}).expect(409);
    expect(ve.body.detail).toBe(`credit grant ${exp.body.id} has already expired`);
  });
});

describe('Konnect v3 credit balance and transactions', () => {
  it('settled, pending and live per currency; a timestamp query answers live "0" (quirk); future credit is pending until due', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    // konnect-billing.md §4.6: promotional A 50 now; external B 100 at cost basis 0.8; promotional C 30 effective next month
    const a = await request(app).post(grants(id)).send({ name: 'A', funding_method: 'none', currency: 'USD', amount: '50' }).expect(201);
    await request(app).post(grants(id)).send({ name: 'B', funding_method: 'external', currency: 'USD', amount: '100', purchase: { currency: 'USD', per_unit_cost_basis: '0.8' } }).expect(201);
    await request(app).post(grants(id)).send({ name: 'C', funding_method: 'none', currency: 'USD', amount: '30', effective_at: '2026-02-01T00:00:00Z' }).expect(201);
    await request(app).post(grants(id)).send({ name: 'E', funding_method: 'none', currency: 'EUR', amount: '7' }).expect(201);
    const b = await balance(app, id);
    expect(b.retrieved_at).toBe('2026-01-01T00:00:00Z');
    // USD settled = 50 + 100 = 150; pending = 30 (C effective later); no charges → live = settled
    expect(b.balances).toEqual([
      { currency: 'EUR', live: '7', settled: '7', pending: '0' },
      { currency: 'USD', live: '150', settled: '150', pending: '30' },
    ]);
    expect((await balance(app, id, '?filter[currency]=USD')).balances).toEqual([{ currency: 'USD', live: '150', settled: '150', pending: '30' }]);
    // filtered currencies are listed even without credit
    expect((await balance(app, id, '?filter[currency][oeq]=GBP,USD')).balances.map((x: { currency: string }) => x.currency)).toEqual(['GBP', 'USD']);
    await request(app).get(`${prefix}/customers/${id}/credits/balance?filter[currency][neq]=USD`).expect(400);
    await request(app).get(`${prefix}/customers/${id}/credits/balance?timestamp=yesterday`).expect(400);

    await advance(app, '2026-02-15T00:00:00Z');
    // C became available: settled 150 + 30 = 180
    expect((await balance(app, id, '?filter[currency]=USD')).balances[0]).toEqual({ currency: 'USD', live: '180', settled: '180', pending: '0' });
    // historical: as of Jan 10 only A and B were booked; live is always "0" with a timestamp
    const hist = await balance(app, id, '?filter[currency]=USD&timestamp=' + encodeURIComponent('2026-01-10T00:00:00Z'));
    expect(hist).toEqual({ retrieved_at: '2026-01-10T00:00:00Z', balances: [{ currency: 'USD', live: '0', settled: '150', pending: '30' }] });
    // void A → settled 180 − 50 = 130
    await request(app).post(`${grants(id)}/${a.body.id}/void`).send({}).expect(200);
    expect((await balance(app, id, '?filter[currency]=USD')).balances[0].settled).toBe('130');
    await request(app).get(`${prefix}/customers/01J0000000000000000000000Z/credits/balance`).expect(404);
  });

  it('expiry forfeits the remainder at expires_at; feature views include unrestricted credit', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    await request(app).post(grants(id)).send({ name: 'Any', funding_method: 'none', currency: 'USD', amount: '10' }).expect(201);
    await request(app).post(grants(id)).send({ name: 'Tokens', funding_method: 'none', currency: 'USD', amount: '20', filters: { features: ['tokens'] }, expires_after: 'P10D' }).expect(201);
    // all: 10 + 20 = 30; tokens view: 10 + 20 = 30; other feature: 10; unrestricted only: 10
    expect((await balance(app, id)).balances[0].settled).toBe('30');
    expect((await balance(app, id, '?filter[feature_key]=tokens')).balances[0].settled).toBe('30');
    expect((await balance(app, id, '?filter[feature_key]=images')).balances[0].settled).toBe('10');
    expect((await balance(app, id, '?filter[feature_key][exists]=false')).balances[0].settled).toBe('10');
    await request(app).get(`${prefix}/customers/${id}/credits/balance?filter[feature_key][contains]=tok`).expect(400);
    // the expiry row is hidden until its time
    expect((await request(app).get(`${prefix}/customers/${id}/credits/transactions?filter[type]=expired`).expect(200)).body.data).toEqual([]);
    await advance(app, '2026-01-11T00:00:00Z');
    const ex = await request(app).get(`${prefix}/customers/${id}/credits/transactions?filter[type]=expired`).expect(200);
    // 20 unused at expiry → −20; balance 30 → 10
    expect(ex.body.data).toEqual([expect.objectContaining({ type: 'expired', amount: '-20', name: 'Tokens', booked_at: '2026-01-11T00:00:00Z', available_balance: { before: '30', after: '10' } })]);
    expect((await balance(app, id)).balances[0].settled).toBe('10');
  });

  it('pages transactions newest first with opaque cursors; a bad cursor or size is 400', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    for (let i = 1; i <= 5; i++) {
      await advance(app, `2026-01-0${i + 1}T00:00:00Z`);
      await request(app).post(grants(id)).send({ name: `G${i}`, funding_method: 'none', currency: 'USD', amount: String(i) }).expect(201);
    }
    const url = `${prefix}/customers/${id}/credits/transactions`;
    const p1 = await request(app).get(`${url}?page[size]=2`).expect(200);
    expect(p1.body.data.map((t: { name: string }) => t.name)).toEqual(['G5', 'G4']);
    // running balances: 1+2+3+4+5 = 15 after G5; 15 − 5 = 10 after G4
    expect(p1.body.data.map((t: { available_balance: unknown }) => t.available_balance)).toEqual([
      { before: '10', after: '15' },
      { before: '6', after: '10' },
    ]);
    expect(p1.body.meta.page.previous).toBeNull();
    const p2 = await request(app).get(`${url}?page[size]=2&page[after]=${encodeURIComponent(p1.body.meta.page.next)}`).expect(200);
    expect(p2.body.data.map((t: { name: string }) => t.name)).toEqual(['G3', 'G2']);
    expect(p2.body.meta.page.previous).not.toBeNull();
    const p3 = await request(app).get(`${url}?page[size]=2&page[after]=${encodeURIComponent(p2.body.meta.page.next)}`).expect(200);
    expect(p3.body.data.map((t: { name: string }) => t.name)).toEqual(['G1']);
    expect(p3.body.meta.page.next).toBeNull();
    const back = await request(app).get(`${url}?page[size]=2&page[before]=${encodeURIComponent(p3.body.meta.page.previous)}`).expect(200);
    expect(back.body.data.map((t: { name: string }) => t.name)).toEqual(['G3', 'G2']);
    // the cursor is base64 JSON {booked_at, created_at, id}
    expect(Object.keys(JSON.parse(Buffer.from(p1.body.meta.page.next, 'base64').toString()))).toEqual(['booked_at', 'created_at', 'id']);
    await request(app).get(`${url}?page[after]=not-a-cursor`).expect(400);
    await request(app).get(`${url}?page[size]=0`).expect(400);
    await request(app).get(`${url}?filter[type]=bogus`).expect(400);
  });

  it('adjustments answer 501 (the real route is not built)', async () => {
    const { app } = createTestEmulator();
    const id = await customer(app);
    await request(app).post(`${prefix}/customers/${id}/credits/adjustments`).send({ name: 'Fix', currency: 'USD', amount: '5' }).expect(501);
  });
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const P = '/v3/openmeter';
const MISSING = '01JZZZZZZZZZZZZZZZZZZZZZZZ';

/**
 * `kind` is the Konnect problem type of schema and list-parameter errors; `domain` is an error
 * raised by the service, which real v3 renders in the shared OpenMeter shape (api/v3/apierrors/encoder.go).
 */
function expectProblem(res: request.Response, status: number, kind: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body.type).toBe(kind === 'domain' ? 'about:blank' : `https://kongapi.info/konnect/${kind}`);
  expect(res.body.status).toBe(status);
  expect(typeof res.body.title).toBe('string');
  expect(res.body.instance).toMatch(/^urn:request:/);
}

const taxBody = (over: Record<string, unknown> = {}) => ({
  key: 'vat_standard',
  name: 'VAT standard',
  app_mappings: [{ app_type: 'stripe', tax_code: 'txcd_10000000' }],
  ...over,
});

describe('v3 currencies', () => {
  it('lists ISO fiat currencies with their real precision, sorted and filtered', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).get(`${P}/currencies`).query({ 'page[size]': 1000 }).expect(200);
    const byCode = new Map(res.body.data.map((c: { code: string }) => [c.code, c]));
    expect(byCode.get('JPY')).toMatchObject({ type: 'fiat', precision: 0, symbol: '¥' });
    expect(byCode.get('KWD')).toMatchObject({ type: 'fiat', precision: 3 });
    expect(byCode.get('EUR')).toMatchObject({ precision: 2, decimal_mark: ',', thousand_separator: '.' });
    expect(byCode.get('USD')).toMatchObject({ precision: 2, decimal_mark: '.', thousand_separator: ',', name: 'US Dollar' });
    expect(byCode.has('CLF')).toBe(false); // funds are not billing currencies
    const codes = res.body.data.map((c: { code: string }) => c.code);
    expect(codes).toEqual([...codes].sort());
    expect(res.body.meta.page.total).toBe(codes.length);

    const page2 = await request(app).get(`${P}/currencies`).query({ 'page[size]': 2, 'page[number]': 2 }).expect(200);
    expect(page2.body.data.map((c: { code: string }) => c.code)).toEqual(codes.slice(2, 4));

    const usd = await request(app).get(`${P}/currencies`).query({ 'filter[code][oeq]': 'AUD,USD', sort: 'name desc' }).expect(200);
    expect(usd.body.data.map((c: { code: string }) => c.code)).toEqual(['USD', 'AUD']);
  });

  it('creates a custom currency that round-trips and shows up under filter[type]=custom', async () => {
    const { app } = createTestEmulator();
    const created = await request(app)
      .post(`${P}/currencies/custom`)
      .send({ code: 'CREDITS', name: 'Credits', symbol: 'cr', precision: 4, decimal_mark: '.', thousand_separator: ',' })
      .expect(201);
    expect(created.body).toMatchObject({ type: 'custom', code: 'CREDITS', name: 'Credits', symbol: 'cr', precision: 4, cost_basis: [] });
    expect(created.body.created_at).toBe('2026-01-01T00:00:00Z');
    const got = await request(app).get(`${P}/currencies/custom/${created.body.id}`).expect(200);
    expect(got.body).toEqual(created.body);
    const custom = await request(app).get(`${P}/currencies`).query({ 'filter[type]': 'custom' }).expect(200);
    expect(custom.body.data).toHaveLength(1);
    expect(custom.body.data[0].id).toBe(created.body.id);
    expect(custom.body.data[0].cost_basis).toBeUndefined();

    const dup = await request(app).post(`${P}/currencies/custom`).send({ code: 'credits', name: 'Again', precision: 2, decimal_mark: '.', thousand_separator: ',' });
    expectProblem(dup, 409, 'domain');
  });

  it('rejects malformed custom currencies with 400 and unknown ids with 404', async () => {
    const { app } = createTestEmulator();
    expectProblem(await request(app).post(`${P}/currencies/custom`).send({ code: 'ABC', name: 'x', precision: 2, decimal_mark: '.', thousand_separator: ',' }), 400, 'bad-request');
    expectProblem(await request(app).post(`${P}/currencies/custom`).send({ code: 'TOKENS', name: 'x', precision: 2, decimal_mark: '.', thousand_separator: '.' }), 400, 'domain');
    expectProblem(await request(app).post(`${P}/currencies/custom`).send({ code: 'TOKENS', name: 'x', precision: 99, decimal_mark: '.', thousand_separator: ',' }), 400, 'domain');
    expectProblem(await request(app).post(`${P}/currencies/custom`).send({ code: 'TOKENS', name: 'x', precision: 2, decimal_mark: '.', thousand_separator: ',', extra: 1 }), 400, 'bad-request');
    expectProblem(await request(app).post(`${P}/currencies/custom`).set('content-type', 'application/json').send('{"code":'), 400, 'bad-request');
    expectProblem(await request(app).get(`${P}/currencies/custom/${MISSING}`), 404, 'domain');
    expectProblem(await request(app).get(`${P}/currencies/custom/not-a-ulid`), 404, 'not-found');
    expectProblem(await request(app).get(`${P}/currencies`).query({ 'filter[nope]': 'x' }), 400, 'bad-request');
    expectProblem(await request(app).get(`${P}/currencies`).query({ sort: 'precision' }), 400, 'bad-request');
  });

  it('keeps dated cost bases and shows only the active and scheduled ones on the currency', async () => {
    const { app } = createTestEmulator();
    const cur = await request(app).post(`${P}/currencies/custom`).send({ code: 'TOKENS', name: 'Tokens', precision: 0, decimal_mark: '.', thousand_separator: ',' }).expect(201);
    const base = `${P}/currencies/custom/${cur.body.id}/cost-bases`;
    const old = await request(app).post(base).send({ fiat_code: 'USD', rate: '0.010', effective_from: '2025-01-01T00:00:00Z' }).expect(201);
    expect(old.body).toMatchObject({ fiat_code: 'USD', rate: '0.01', effective_from: '2025-01-01T00:00:00Z' });
    const now = await request(app).post(base).send({ fiat_code: 'USD', rate: '0.02' }).expect(201);
    expect(now.body.effective_from).toBe('2026-01-01T00:00:00Z');
    const later = await request(app).post(base).send({ fiat_code: 'USD', rate: '0.03', effective_from: '2026-06-01T00:00:00Z', effective_to: '2027-01-01T00:00:00Z' }).expect(201);
    const eur = await request(app).post(base).send({ fiat_code: 'EUR', rate: '0.5' }).expect(201);

    const all = await request(app).get(base).expect(200);
    expect(all.body.meta.page.total).toBe(4);
    const usdOnly = await request(app).get(base).query({ 'filter[fiat_code]': 'USD' }).expect(200);
    expect(usdOnly.body.data.map((b: { rate: string }) => b.rate)).toEqual(['0.01', '0.02', '0.03']);

    const got = await request(app).get(`${P}/currencies/custom/${cur.body.id}`).expect(200);
    expect(got.body.cost_basis.map((b: { id: string }) => b.id)).toEqual([eur.body.id, now.body.id, later.body.id]);
    const listed = await request(app).get(`${P}/currencies`).query({ 'filter[type]': 'custom', expand: 'cost_basis' }).expect(200);
    expect(listed.body.data[0].cost_basis).toHaveLength(3);
    expect(old.body.id).not.toBe(now.body.id);

    expectProblem(await request(app).post(base).send({ fiat_code: 'XYZ', rate: '1' }), 400, 'domain');
    expectProblem(await request(app).post(base).send({ fiat_code: 'USD', rate: '0' }), 400, 'domain');
    expectProblem(await request(app).post(base).send({ fiat_code: 'USD', rate: '1.5e3' }), 400, 'bad-request');
    expectProblem(await request(app).post(base).send({ fiat_code: 'USD', rate: '1', effective_from: '2026-02-01T00:00:00Z', effective_to: '2026-01-01T00:00:00Z' }), 400, 'domain');
    expectProblem(await request(app).post(`${P}/currencies/custom/${MISSING}/cost-bases`).send({ fiat_code: 'USD', rate: '1' }), 404, 'domain');
    expectProblem(await request(app).get(`${P}/currencies/custom/${MISSING}/cost-bases`), 404, 'domain');
  });
});

describe('v3 tax codes', () => {
  it('runs the CRUD lifecycle: create, get, list, upsert, delete, 404 after delete', async () => {
    const { app, emulator } = createTestEmulator();
    const created = await request(app).post(`${P}/tax-codes`).send(taxBody({ labels: { region: 'eu' } })).expect(201);
    expect(created.body).toMatchObject({ key: 'vat_standard', name: 'VAT standard', labels: { region: 'eu' }, app_mappings: [{ app_type: 'stripe', tax_code: 'txcd_10000000' }] });
    const id = created.body.id as string;
    expect(await request(app).get(`${P}/tax-codes/${id}`).expect(200)).toHaveProperty('body', created.body);

    expectProblem(await request(app).post(`${P}/tax-codes`).send(taxBody({ name: 'Other' })), 409, 'domain');

    emulator.clock.set(new Date('2026-01-01T00:01:00Z'));
    const upserted = await request(app)
      .put(`${P}/tax-codes/${id}`)
      .send({ name: 'VAT (standard)', app_mappings: [{ app_type: 'stripe', tax_code: 'txcd_20030000' }, { app_type: 'external_invoicing', tax_code: 'S' }] })
      .expect(200);
    expect(upserted.body).toMatchObject({ id, key: 'vat_standard', name: 'VAT (standard)', created_at: created.body.created_at, updated_at: '2026-01-01T00:01:00Z' });
    expect(upserted.body.labels).toBeUndefined();
    expect(upserted.body.app_mappings).toHaveLength(2);

    const list = await request(app).get(`${P}/tax-codes`).expect(200);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([id]);

    await request(app).delete(`${P}/tax-codes/${id}`).expect(204);
    expectProblem(await request(app).get(`${P}/tax-codes/${id}`), 404, 'domain');
    expectProblem(await request(app).delete(`${P}/tax-codes/${id}`), 404, 'domain');
    expectProblem(await request(app).put(`${P}/tax-codes/${id}`).send({ name: 'x', app_mappings: [] }), 410, 'domain');
    expect((await request(app).get(`${P}/tax-codes`).expect(200)).body.data).toEqual([]);
    const withDeleted = await request(app).get(`${P}/tax-codes`).query({ include_deleted: true }).expect(200);
    expect(withDeleted.body.data[0]).toMatchObject({ id });
    expect(typeof withDeleted.body.data[0].deleted_at).toBe('string');

    // the key is free again once deleted
    const again = await request(app).post(`${P}/tax-codes`).send(taxBody()).expect(201);
    expect(again.body.id).not.toBe(id);
  });

  it('rejects bad tax codes without a 500', async () => {
    const { app } = createTestEmulator();
    expectProblem(await request(app).post(`${P}/tax-codes`).send(taxBody({ key: 'Bad Key' })), 400, 'bad-request');
    expectProblem(await request(app).post(`${P}/tax-codes`).send(taxBody({ app_mappings: [{ app_type: 'paypal', tax_code: 'x' }] })), 400, 'bad-request');
    const dupMapping = await request(app).post(`${P}/tax-codes`).send(taxBody({ app_mappings: [{ app_type: 'stripe', tax_code: 'a' }, { app_type: 'stripe', tax_code: 'b' }] }));
    expectProblem(dupMapping, 400, 'domain');
    expect(dupMapping.body.extensions.validationErrors[0].code).toBe('tax_code_app_mapping_duplicated');
    expectProblem(await request(app).post(`${P}/tax-codes`).send({ name: 'x' }), 400, 'bad-request');
    expectProblem(await request(app).get(`${P}/tax-codes/${MISSING}`), 404, 'domain');
    expectProblem(await request(app).put(`${P}/tax-codes/${MISSING}`).send({ name: 'x', app_mappings: [] }), 404, 'domain');
    expectProblem(await request(app).get(`${P}/tax-codes/xyz`), 404, 'not-found');
    expectProblem(await request(app).get(`${P}/tax-codes`).query({ 'page[size]': 0 }), 400, 'bad-request');
  });

  it('manages the organization default tax codes', async () => {
    const { app } = createTestEmulator();
    expectProblem(await request(app).get(`${P}/defaults/tax-codes`), 404, 'domain');
    const a = (await request(app).post(`${P}/tax-codes`).send(taxBody({ key: 'invoicing' })).expect(201)).body.id;
    const b = (await request(app).post(`${P}/tax-codes`).send(taxBody({ key: 'credits' })).expect(201)).body.id;
    expectProblem(await request(app).put(`${P}/defaults/tax-codes`).send({ invoicing_tax_code: { id: a } }), 400, 'domain');
    expectProblem(await request(app).put(`${P}/defaults/tax-codes`).send({ invoicing_tax_code: { id: a }, credit_grant_tax_code: { id: MISSING } }), 400, 'domain');
    const set = await request(app).put(`${P}/defaults/tax-codes`).send({ invoicing_tax_code: { id: a }, credit_grant_tax_code: { id: b } }).expect(200);
    expect(set.body).toMatchObject({ invoicing_tax_code: { id: a }, credit_grant_tax_code: { id: b } });
    const partial = await request(app).put(`${P}/defaults/tax-codes`).send({ credit_grant_tax_code: { id: a } }).expect(200);
    expect(partial.body).toMatchObject({ invoicing_tax_code: { id: a }, credit_grant_tax_code: { id: a } });
    expect((await request(app).get(`${P}/defaults/tax-codes`).expect(200)).body).toEqual(partial.body);
    // a default cannot be deleted out from under the organization
    expectProblem(await request(app).delete(`${P}/tax-codes/${a}`), 400, 'domain');
    await request(app).delete(`${P}/tax-codes/${b}`).expect(204);
  });
});

describe('v3 LLM cost', () => {
  it('lists the built-in prices with per-token decimals, filtered and sorted', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).get(`${P}/llm-cost/prices`).query({ 'filter[provider]': 'openai' }).expect(200);
    expect(res.body.data.map((p: { model: { id: string } }) => p.model.id)).toEqual(['gpt-4o', 'gpt-4o-mini', 'o1']);
    const gpt4o = res.body.data[0];
    expect(gpt4o).toMatchObject({ provider: { id: 'openai', name: 'OpenAI' }, currency: 'USD', source: 'system', pricing: { input_per_token: '0.0000025', output_per_token: '0.00001', cache_read_per_token: '0.00000125' } });
    const got = await request(app).get(`${P}/llm-cost/prices/${gpt4o.id}`).expect(200);
    expect(got.body).toEqual(gpt4o);
    const desc = await request(app).get(`${P}/llm-cost/prices`).query({ sort: 'model.id desc', 'filter[model_name][contains]': 'claude' }).expect(200);
    expect(desc.body.data.map((p: { model: { id: string } }) => p.model.id)).toEqual(['claude-3-opus-20240229', 'claude-3-5-sonnet-20241022', 'claude-3-5-haiku-20241022']);
    expectProblem(await request(app).get(`${P}/llm-cost/prices`).query({ sort: 'price' }), 400, 'bad-request');
    expectProblem(await request(app).get(`${P}/llm-cost/prices/${MISSING}`), 404, 'domain');
  });

  it('an override shadows the built-in price, updates in place, and unshadows when deleted', async () => {
    const { app } = createTestEmulator();
    const builtIn = (await request(app).get(`${P}/llm-cost/prices`).query({ 'filter[model_id]': 'gpt-4o' }).expect(200)).body.data[0];
    const body = { provider: 'openai', model_id: 'gpt-4o', pricing: { input_per_token: '0.000002', output_per_token: '0.000008' }, currency: 'USD', effective_from: '2025-12-01T00:00:00Z' };
    const ov = await request(app).post(`${P}/llm-cost/overrides`).send(body).expect(201);
    expect(ov.body).toMatchObject({ source: 'manual', model: { id: 'gpt-4o', name: 'GPT-4o' }, pricing: { input_per_token: '0.000002', output_per_token: '0.000008' } });

    const prices = await request(app).get(`${P}/llm-cost/prices`).query({ 'filter[model_id]': 'gpt-4o' }).expect(200);
    expect(prices.body.data).toHaveLength(1);
    expect(prices.body.data[0]).toMatchObject({ id: ov.body.id, source: 'manual', pricing: { input_per_token: '0.000002' } });
    expect((await request(app).get(`${P}/llm-cost/prices/${builtIn.id}`).expect(200)).body.id).toBe(ov.body.id);

    const again = await request(app).post(`${P}/llm-cost/overrides`).send({ ...body, pricing: { input_per_token: '0.000001', output_per_token: '0.000004' } }).expect(201);
    expect(again.body.id).toBe(ov.body.id);
    const overrides = await request(app).get(`${P}/llm-cost/overrides`).expect(200);
    expect(overrides.body.data).toHaveLength(1);
    expect(overrides.body.data[0].pricing.input_per_token).toBe('0.000001');

    // a scheduled override does not shadow yet
    const future = await request(app).post(`${P}/llm-cost/overrides`).send({ ...body, model_id: 'o1', effective_from: '2027-01-01T00:00:00Z' }).expect(201);
    expect((await request(app).get(`${P}/llm-cost/prices`).query({ 'filter[model_id]': 'o1' }).expect(200)).body.data[0].source).toBe('system');
    await request(app).delete(`${P}/llm-cost/overrides/${future.body.id}`).expect(204);

    await request(app).delete(`${P}/llm-cost/overrides/${ov.body.id}`).expect(204);
    expect((await request(app).get(`${P}/llm-cost/prices/${builtIn.id}`).expect(200)).body).toEqual(builtIn);
    expectProblem(await request(app).delete(`${P}/llm-cost/overrides/${ov.body.id}`), 404, 'domain');
  });

  it('rejects malformed overrides with 400', async () => {
    const { app } = createTestEmulator();
    const body = { provider: 'acme', model_id: 'm1', pricing: { input_per_token: '0.1', output_per_token: '0.2' }, currency: 'USD', effective_from: '2025-12-01T00:00:00Z' };
    expectProblem(await request(app).post(`${P}/llm-cost/overrides`).send({ ...body, pricing: { input_per_token: '-1', output_per_token: '0' } }), 400, 'domain');
    expectProblem(await request(app).post(`${P}/llm-cost/overrides`).send({ ...body, pricing: { input_per_token: 'abc', output_per_token: '0' } }), 400, 'bad-request');
    expectProblem(await request(app).post(`${P}/llm-cost/overrides`).send({ ...body, effective_from: 'yesterday' }), 400, 'bad-request');
    expectProblem(await request(app).post(`${P}/llm-cost/overrides`).send({ ...body, effective_to: '2025-01-01T00:00:00Z' }), 400, 'domain');
    expectProblem(await request(app).post(`${P}/llm-cost/overrides`).send({ ...body, provider: ' ' }), 400, 'domain');
    expectProblem(await request(app).get(`${P}/llm-cost/overrides`).query({ 'filter[price]': '1' }), 400, 'bad-request');
    // a new model appears among the prices under its own id
    const ov = await request(app).post(`${P}/llm-cost/overrides`).send(body).expect(201);
    expect(ov.body).toMatchObject({ provider: { id: 'acme', name: 'acme' }, model: { id: 'm1', name: 'm1' } });
    expect((await request(app).get(`${P}/llm-cost/prices`).query({ 'filter[provider]': 'acme' }).expect(200)).body.data).toHaveLength(1);
  });
});

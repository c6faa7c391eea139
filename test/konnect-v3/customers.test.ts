import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const P = '/v3/openmeter';

const body = (over: Record<string, unknown> = {}) => ({
  name: 'Acme',
  key: 'acme',
  usage_attribution: { subject_keys: ['acme-prod'] },
  primary_email: 'ops@acme.io',
  currency: 'USD',
  billing_address: { country: 'US', postal_code: '94105', phone_number: '+1' },
  labels: { tier: 'gold' },
  ...over,
});

describe('Konnect v3 customers', () => {
  it.each(['/v3/openmeter', '/api/v3/openmeter'])('creates, gets, upserts and deletes under %s', async (prefix) => {
    const { app } = createTestEmulator();
    const created = await request(app).post(`${prefix}/customers`).send(body()).expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/),
      name: 'Acme',
      key: 'acme',
      usage_attribution: { subject_keys: ['acme-prod'] },
      primary_email: 'ops@acme.io',
      currency: 'USD',
      billing_address: { country: 'US', postal_code: '94105', phone_number: '+1' },
      labels: { tier: 'gold' },
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    });
    const id = created.body.id as string;
    expect((await request(app).get(`${prefix}/customers/${id}`).expect(200)).body).toEqual(created.body);

    const up = await request(app).put(`${prefix}/customers/${id}`).send({ name: 'Acme Inc', usage_attribution: { subject_keys: ['acme-prod', 'acme-dev'] } }).expect(200);
    // the key is immutable on v3 and stays; everything else is replaced
    expect(up.body).toMatchObject({ id, key: 'acme', name: 'Acme Inc', usage_attribution: { subject_keys: ['acme-prod', 'acme-dev'] } });
    expect(up.body.primary_email).toBeUndefined();
    // labels is always present, `{}` when empty (api/v3/handlers/customers/convert.go → api/v3/labels/convert.go)
    expect(up.body.labels).toEqual({});

    await request(app).delete(`${prefix}/customers/${id}`).expect(204);
    expect((await request(app).get(`${prefix}/customers/${id}`).expect(200)).body.deleted_at).toBe('2026-01-01T00:00:00Z');
    const gone = await request(app).put(`${prefix}/customers/${id}`).send({ name: 'x' }).expect(410);
    // raised by the service: the shared OpenMeter problem shape (api/v3/apierrors/encoder.go)
    expect(gone.body).toMatchObject({ type: 'about:blank', title: 'Gone', status: 410 });
    await request(app).delete(`${prefix}/customers/${id}`).expect(404);
    expect((await request(app).get(`${prefix}/customers`).expect(200)).body.data).toEqual([]);
  });

  it('answers a duplicate key or subject key with a 409 in the shared OpenMeter shape (api/v3/apierrors/encoder.go)', async () => {
    const { app } = createTestEmulator();
    const a = await request(app).post(`${P}/customers`).send(body()).expect(201);
    const dup = await request(app).post(`${P}/customers`).send(body({ usage_attribution: { subject_keys: [] } })).expect(409);
    expect(dup.headers['content-type']).toBe('application/problem+json');
    expect(dup.body).toMatchObject({ type: 'about:blank', status: 409, title: 'Conflict' });
    // openmeter/customer/errors.go: a plain conflict, no conflictingEntityId
    expect(dup.body.extensions).toBeUndefined();
    expect(dup.body.detail).toContain('key "acme"');
    expect((await request(app).get(`${P}/customers/${a.body.id}`).expect(200)).body.key).toBe('acme');
    expect(dup.body.instance).toMatch(/^urn:request:/);
    const subj = await request(app).post(`${P}/customers`).send(body({ key: 'other' })).expect(409);
    expect(subj.body.detail).toMatch(/acme-prod/);
  });

  it('rejects malformed input with 400 (invalid_parameters) and a malformed id with 404', async () => {
    const { app } = createTestEmulator();
    const noKey = await request(app).post(`${P}/customers`).send({ name: 'A' }).expect(400);
    expect(noKey.body.invalid_parameters).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringContaining('key'), rule: 'required', source: 'body' })]));
    await request(app).post(`${P}/customers`).send(body({ extra: 1 })).expect(400);
    await request(app).post(`${P}/customers`).send(body({ usage_attribution: { subjectKeys: ['x'] } })).expect(400);
    await request(app).post(`${P}/customers`).send(body({ currency: 'usd' })).expect(400);
    await request(app).put(`${P}/customers/01JZZZZZZZZZZZZZZZZZZZZZZZ`).send({ name: 'x', key: 'k' }).expect(400);
    await request(app).get(`${P}/customers?filter[nope]=1`).expect(400);
    await request(app).get(`${P}/customers?sort=email`).expect(400);
    await request(app).get(`${P}/customers/not-an-id`).expect(404);
    await request(app).get(`${P}/customers/01JZZZZZZZZZZZZZZZZZZZZZZZ`).expect(404);
    await request(app).put(`${P}/customers/01JZZZZZZZZZZZZZZZZZZZZZZZ`).send({ name: 'x' }).expect(404);
  });

  it('lists with AIP filters, sort and pages', async () => {
    const { app, emulator } = createTestEmulator();
    await request(app).post(`${P}/customers`).send(body({ name: 'Zeta', key: 'zeta', usage_attribution: { subject_keys: ['zeta-prod'] } })).expect(201);
    emulator.clock.set(new Date('2026-01-02T00:00:00Z'));
    await request(app).post(`${P}/customers`).send(body({ name: 'Alpha', key: 'alpha', primary_email: 'a@alpha.dev', usage_attribution: { subject_keys: ['alpha-prod', 'alpha-dev'] } })).expect(201);
    await request(app).post(`${P}/customers`).send(body({ name: 'Nobody', key: 'nobody', usage_attribution: { subject_keys: [] } })).expect(201);
    const keys = async (qs: string) => (await request(app).get(`${P}/customers${qs}`).expect(200)).body.data.map((c: { key: string }) => c.key);
    expect(await keys('')).toEqual(['zeta', 'alpha', 'nobody']);
    expect(await keys('?sort=name')).toEqual(['alpha', 'nobody', 'zeta']);
    expect(await keys('?sort=name desc')).toEqual(['zeta', 'nobody', 'alpha']);
    // one sort field only: a comma list is a 400 (api/v3/request/sort.go)
    await request(app).get(`${P}/customers?sort=created_at desc,name`).expect(400);
    expect(await keys('?filter[key]=alpha')).toEqual(['alpha']);
    expect(await keys('?filter[name][contains]=ET')).toEqual(['zeta']);
    expect(await keys('?filter[primary_email][contains]=alpha')).toEqual(['alpha']);
    expect(await keys('?filter[usage_attribution_subject_key]=alpha-dev')).toEqual(['alpha']);
    expect(await keys('?filter[usage_attribution_subject_key][contains]=prod')).toEqual(['zeta', 'alpha']);
    expect(await keys('?filter[usage_attribution_subject_key][neq]=alpha-dev')).toEqual(['zeta', 'nobody']);
    expect(await keys('?filter[plan_key]=pro')).toEqual([]);
    const page = await request(app).get(`${P}/customers?page[size]=2&page[number]=2`).expect(200);
    expect(page.body.meta).toEqual({ page: { number: 2, size: 2, total: 3 } });
    expect(page.body.data.map((c: { key: string }) => c.key)).toEqual(['nobody']);
  });
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

describe('OpenMeter v1 customers', () => {
  it('creates, reads by id and key, replaces and soft-deletes a customer', async () => {
    const { app } = createTestEmulator();
    const created = await request(app)
      .post('/api/v1/customers')
      .send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme-prod', 'acme-dev'] }, primaryEmail: 'ops@acme.io', currency: 'EUR', billingAddress: { country: 'DE', city: 'Berlin' }, metadata: { tier: 'gold' } })
      .expect(201);
    expect(created.body).toMatchObject({
      name: 'Acme',
      key: 'acme',
      usageAttribution: { subjectKeys: ['acme-prod', 'acme-dev'] },
      primaryEmail: 'ops@acme.io',
      currency: 'EUR',
      billingAddress: { country: 'DE', city: 'Berlin' },
      metadata: { tier: 'gold' },
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(created.body.id).toMatch(ULID);
    expect(created.body.deletedAt).toBeUndefined();
    const id = created.body.id as string;

    expect((await request(app).get(`/api/v1/customers/${id}`).expect(200)).body).toEqual(created.body);
    expect((await request(app).get('/api/v1/customers/acme').expect(200)).body.id).toBe(id);
    // no running subscription: no `subscriptions` member even when expanded (customer/httpdriver/apimapping.go sets it only for a non-empty list)
    expect((await request(app).get('/api/v1/customers/acme?expand=subscriptions').expect(200)).body.subscriptions).toBeUndefined();

    const upd = await request(app).put('/api/v1/customers/acme').send({ name: 'Acme GmbH', key: 'acme-gmbh', usageAttribution: { subjectKeys: ['acme-prod'] } }).expect(200);
    expect(upd.body).toMatchObject({ id, name: 'Acme GmbH', key: 'acme-gmbh', usageAttribution: { subjectKeys: ['acme-prod'] } });
    // PUT replaces: what the body leaves out is cleared
    expect(upd.body.primaryEmail).toBeUndefined();
    expect(upd.body.metadata).toBeUndefined();
    await request(app).get('/api/v1/customers/acme').expect(404);

    await request(app).delete(`/api/v1/customers/${id}`).expect(204);
    const deleted = await request(app).get(`/api/v1/customers/${id}`).expect(200);
    expect(deleted.body.deletedAt).toBe('2026-01-01T00:00:00Z');
    await request(app).get('/api/v1/customers/acme-gmbh').expect(404);
    const again = await request(app).delete(`/api/v1/customers/${id}`).expect(412);
    expect(again.headers['content-type']).toBe('application/problem+json');
    await request(app).put(`/api/v1/customers/${id}`).send({ name: 'x', key: 'x' }).expect(412);
    // the key and the subject keys are free again
    await request(app).post('/api/v1/customers').send({ name: 'Acme 2', key: 'acme-gmbh', usageAttribution: { subjectKeys: ['acme-prod'] } }).expect(201);
  });

  it('answers conflicts with a plain 409 in OpenMeter words (openmeter/customer/errors.go, adapter/customer.go)', async () => {
    const { app } = createTestEmulator();
    const a = await request(app).post('/api/v1/customers').send({ name: 'A', key: 'a', usageAttribution: { subjectKeys: ['s1'] } }).expect(201);
    const dupKey = await request(app).post('/api/v1/customers').send({ name: 'B', key: 'a' }).expect(409);
    expect(dupKey.headers['content-type']).toBe('application/problem+json');
    expect(dupKey.body).toMatchObject({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'key "a" is already used by an another customer in the namespace default' });
    expect(dupKey.body.extensions).toBeUndefined();
    // on create every requested subject key is named, not only the taken one
    const dupSubject = await request(app).post('/api/v1/customers').send({ name: 'B', key: 'b', usageAttribution: { subjectKeys: ['s2', 's1'] } }).expect(409);
    expect(dupSubject.body.detail).toBe('one or multiple subject keys of [s2, s1] are already associated with an different customer in the namespace default');
    expect(dupSubject.body.extensions).toBeUndefined();
    // on update only the keys being added are named
    await request(app).post('/api/v1/customers').send({ name: 'C', key: 'c', usageAttribution: { subjectKeys: ['s3'] } }).expect(201);
    const upd = await request(app).put('/api/v1/customers/c').send({ name: 'C', key: 'c', usageAttribution: { subjectKeys: ['s3', 's1'] } }).expect(409);
    expect(upd.body.detail).toBe('one or multiple subject keys of [s1] are already associated with an different customer in the namespace default');
    const list = await request(app).get('/api/v1/customers').expect(200);
    expect(list.body.items.map((x: { id: string }) => x.id)).toContain(a.body.id);
    expect(list.body.totalCount).toBe(2);
  });

  it('rejects malformed input with 400, never 500', async () => {
    const { app } = createTestEmulator();
    const noKey = await request(app).post('/api/v1/customers').send({ name: 'A' }).expect(400);
    expect(noKey.body.extensions.validationErrors[0]).toMatchObject({ code: 'customer_key_or_subject_keys_required', field: 'key' });
    await request(app).post('/api/v1/customers').send({ key: 'a' }).expect(400);
    await request(app).post('/api/v1/customers').send({ name: '', key: 'a' }).expect(400);
    await request(app).post('/api/v1/customers').send({ name: 'A', key: 'a', currency: 'euro' }).expect(400);
    await request(app).post('/api/v1/customers').send({ name: 'A', usageAttribution: { subjectKeys: [''] } }).expect(400);
    await request(app).post('/api/v1/customers').send({ name: 'A', usageAttribution: {} }).expect(400);
    await request(app).post('/api/v1/customers').set('content-type', 'application/json').send('{nope').expect(400);
    await request(app).get('/api/v1/customers?pageSize=0').expect(400);
    await request(app).get('/api/v1/customers?orderBy=email').expect(400);
    await request(app).get('/api/v1/customers/nobody').expect(404);
    expect((await request(app).get('/api/v1/customers').expect(200)).body).toEqual({ totalCount: 0, page: 1, pageSize: 100, items: [] });
  });

  it('lists with partial filters, includeDeleted, ordering and pages', async () => {
    const { app, emulator } = createTestEmulator();
    const mk = async (body: Record<string, unknown>) => (await request(app).post('/api/v1/customers').send(body).expect(201)).body;
    await mk({ name: 'Zeta', key: 'zeta', primaryEmail: 'billing@zeta.io', usageAttribution: { subjectKeys: ['zeta-prod'] } });
    emulator.clock.set(new Date('2026-01-02T00:00:00Z'));
    await mk({ name: 'Alpha', key: 'alpha', usageAttribution: { subjectKeys: ['alpha-prod', 'alpha-staging'] } });
    const beta = await mk({ name: 'Beta', key: 'beta' });
    await request(app).delete(`/api/v1/customers/${beta.id}`).expect(204);

    const names = async (qs: string) => (await request(app).get(`/api/v1/customers${qs}`).expect(200)).body.items.map((c: { name: string }) => c.name);
    expect(await names('')).toEqual(['Alpha', 'Zeta']);
    expect(await names('?order=DESC')).toEqual(['Zeta', 'Alpha']);
    expect(await names('?orderBy=createdAt&includeDeleted=true')).toEqual(['Zeta', 'Alpha', 'Beta']);
    expect(await names('?key=ZET')).toEqual(['Zeta']);
    expect(await names('?subject=staging')).toEqual(['Alpha']);
    expect(await names('?primaryEmail=ZETA.io')).toEqual(['Zeta']);
    expect(await names('?name=lph')).toEqual(['Alpha']);
    expect(await names('?planKey=pro')).toEqual([]);
    const p2 = await request(app).get('/api/v1/customers?page=2&pageSize=1').expect(200);
    expect(p2.body).toMatchObject({ totalCount: 2, page: 2, pageSize: 1 });
    expect(p2.body.items.map((c: { name: string }) => c.name)).toEqual(['Zeta']);
  });
});

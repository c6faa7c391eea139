import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const ev = (id: string, subject: string, tokens: number, time = '2025-12-31T10:00:00Z') => ({
  specversion: '1.0',
  id,
  source: 'test',
  type: 'prompt',
  subject,
  time,
  data: { tokens, model: 'gpt' },
});

describe('customers created on OpenMeter v1 attribute usage on both surfaces', () => {
  it('reads the customer on v3 and attributes events by subject key and by customer key', async () => {
    const { app } = createTestEmulator();
    const meter = await request(app)
      .post('/api/v1/meters')
      .send({ slug: 'tokens', name: 'Tokens', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.tokens', groupBy: { model: '$.model' } })
      .expect(200);

    // usage before the customer exists is attributed at query time all the same
    await request(app).post('/api/v1/events').send([ev('early', 'acme-dev', 1, '2025-12-30T10:00:00Z')]).expect(204);

    const c1 = await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme-prod', 'acme-dev'] }, currency: 'USD' }).expect(201);
    const id = c1.body.id as string;
    await request(app).post('/api/v1/customers').send({ name: 'Other', key: 'other', usageAttribution: { subjectKeys: ['other-prod'] } }).expect(201);

    const c3 = await request(app).get(`/v3/openmeter/customers/${id}`).expect(200);
    expect(c3.body).toMatchObject({ id, key: 'acme', name: 'Acme', usage_attribution: { subject_keys: ['acme-prod', 'acme-dev'] }, currency: 'USD', created_at: c1.body.createdAt, updated_at: c1.body.updatedAt });
    const listed3 = await request(app).get('/v3/openmeter/customers?filter[key]=acme').expect(200);
    expect(listed3.body.data.map((c: { id: string }) => c.id)).toEqual([id]);

    await request(app)
      .post('/api/v1/events')
      .set('content-type', 'application/cloudevents-batch+json')
      .send(JSON.stringify([ev('p1', 'acme-prod', 5), ev('d1', 'acme-dev', 7), ev('k1', 'acme', 11), ev('o1', 'other-prod', 1000), ev('u1', 'stranger', 100)]))
      .expect(204);

    const q1 = await request(app).get(`/api/v1/meters/tokens/query?filterCustomerId=${id}`).expect(200);
    expect(q1.body.data).toHaveLength(1);
    expect(q1.body.data[0]).toMatchObject({ value: 24, customerId: id });

    const q3 = await request(app)
      .post(`/v3/openmeter/meters/${meter.body.id}/query`)
      .send({ filters: { dimensions: { customer_id: { eq: id } } } })
      .expect(200);
    expect(q3.body.data).toHaveLength(1);
    expect(q3.body.data[0].value).toBe('24');

    const grouped = await request(app).post(`/v3/openmeter/meters/${meter.body.id}/query`).send({ group_by_dimensions: ['customer_id'] }).expect(200);
    const byCustomer = Object.fromEntries(grouped.body.data.map((r: { value: string; dimensions: { customer_id: string } }) => [r.dimensions.customer_id, r.value]));
    expect(byCustomer[id]).toBe('24');

    const events = await request(app).get('/api/v1/events').expect(200);
    const byId = Object.fromEntries(events.body.map((e: { event: { id: string } }) => [e.event.id, e]));
    for (const k of ['p1', 'd1', 'k1', 'early']) {
      expect(byId[k].customerId).toBe(id);
      expect(byId[k].validationError).toBeUndefined();
    }
    expect(byId.o1.customerId).not.toBe(id);
    // metering reports an unattributed subject as a validation error (OpenMeter meter/parse.go, ingest)
    expect(byId.u1.customerId).toBeUndefined();
    expect(byId.u1.validationError).toMatch(/no customer found for event subject: stranger/);

    // after the customer is deleted its subjects are no longer attributed; v1 no longer finds the
    // customer (404, meter/httphandler/mapping.go), v3 still resolves it (query/customers.go lists deleted ones)
    await request(app).delete(`/api/v1/customers/${id}`).expect(204);
    await request(app).get(`/api/v1/meters/tokens/query?filterCustomerId=${id}`).expect(404);
    const after = await request(app)
      .post(`/v3/openmeter/meters/${meter.body.id}/query`)
      .send({ filters: { dimensions: { customer_id: { eq: id } } } })
      .expect(200);
    expect(after.body.data).toEqual([]);
  });

  it('created on v3, updated on v1, read back on v3', async () => {
    const { app } = createTestEmulator();
    const c3 = await request(app).post('/api/v3/openmeter/customers').send({ name: 'Acme', key: 'acme', usage_attribution: { subject_keys: ['s1'] } }).expect(201);
    const dup = await request(app).post('/api/v1/customers').send({ name: 'Again', key: 'acme' }).expect(409);
    expect(dup.body.detail).toBe('key "acme" is already used by an another customer in the namespace default');
    await request(app).put('/api/v1/customers/acme').send({ name: 'Acme v1', key: 'acme', usageAttribution: { subjectKeys: ['s1', 's2'] }, metadata: { note: 'has spaces' } }).expect(200);
    const back = await request(app).get(`/v3/openmeter/customers/${c3.body.id}`).expect(200);
    expect(back.body).toMatchObject({ name: 'Acme v1', usage_attribution: { subject_keys: ['s1', 's2'] } });
    // a v1 metadata value outside the v3 label rule is not shown as a label; labels is then `{}`
    expect(back.body.labels).toEqual({});
  });
});

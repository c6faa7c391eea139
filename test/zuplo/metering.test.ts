import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const meter = { slug: 'requests', name: 'Requests', eventType: 'api_request', aggregation: 'COUNT' };

describe('Zuplo /v3/metering/{bucketId}/meters', () => {
  it('keeps every bucket its own namespace', async () => {
    const { app, emulator } = createTestEmulator();
    const a = await request(app).post('/v3/metering/bckt_aaaaaaaa/meters').send(meter).expect(201);
    await request(app).post('/v3/metering/bckt_bbbbbbbb/meters').send({ ...meter, aggregation: 'SUM', valueProperty: '$.n' }).expect(201);
    const listA = await request(app).get('/v3/metering/bckt_aaaaaaaa/meters').expect(200);
    expect(listA.body.map((m: { id: string }) => m.id)).toEqual([a.body.id]);
    expect(listA.body[0].aggregation).toBe('COUNT');
    // neither bucket leaks into the default OpenMeter organisation
    expect((await request(app).get('/api/v1/meters').expect(200)).body).toEqual([]);

    await emulator.run('zuplo-bucket:bckt_aaaaaaaa', (tx) =>
      emulator.services.metering.ingestEvents(tx, [
        { specversion: '1.0', id: '1', source: 'gw', type: 'api_request', subject: 'consumer-1', time: '2025-12-31T10:00:00Z', data: {} },
        { specversion: '1.0', id: '2', source: 'gw', type: 'api_request', subject: 'consumer-1', time: '2025-12-31T11:00:00Z', data: {} },
      ]),
    );
    const qa = await request(app).post('/v3/metering/bckt_aaaaaaaa/meters/requests/query').send({ windowSize: 'DAY' }).expect(200);
    expect(qa.body.data).toEqual([expect.objectContaining({ value: 2, windowStart: '2025-12-31T00:00:00Z' })]);
    const qb = await request(app).get('/v3/metering/bckt_bbbbbbbb/meters/requests/query').expect(200);
    expect(qb.body.data).toEqual([]);
  });

  it("answers errors in Zuplo's problem shape", async () => {
    const { app } = createTestEmulator();
    const nf = await request(app).get('/v3/metering/bckt_aaaaaaaa/meters/nope').expect(404);
    expect(nf.headers['content-type']).toBe('application/problem+json');
    expect(nf.body).toMatchObject({ type: 'https://httpproblems.com/http-status/404', title: 'Not Found', status: 404 });
    const bad = await request(app).post('/v3/metering/bckt_aaaaaaaa/meters').send({ slug: 'x' }).expect(400);
    expect(bad.body.type).toBe('https://httpproblems.com/http-status/400');
    expect(bad.body.detail).toMatch(/eventType|aggregation/);
  });

  it('answers 501 naming the operation for what is not built yet', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).get('/v1/who-am-i');
    if (res.status === 501) {
      expect(res.body.type).toBe('https://httpproblems.com/http-status/501');
      expect(JSON.stringify(res.body)).toMatch(/V1_whoAmI/);
    } else {
      expect(res.status).toBe(200);
    }
  });
});

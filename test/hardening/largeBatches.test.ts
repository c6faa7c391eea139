import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * D18: a large batch is parsed, checked and ingested in steps, so other clients get turns. Every
 * answer stays what one whole pass gives: all or nothing, malformed JSON a 400, the first bad
 * event named by its index in the whole batch.
 */
const json = 'application/json';
const event = (i: number) => ({ specversion: '1.0', id: `e${i}`, source: 'load', type: 'calls', subject: `s${i % 50}`, time: '2026-01-05T00:00:00Z', data: { n: i } });
const batch = (n: number) => Array.from({ length: n }, (_, i) => event(i));

async function world() {
  const { app } = createTestEmulator({ validateResponses: false, frozen: true, start: new Date('2026-01-10T00:00:00Z') });
  await request(app).post('/api/v1/meters').send({ slug: 'calls', eventType: 'calls', aggregation: 'COUNT' }).expect(200);
  return app;
}

const total = async (app: Awaited<ReturnType<typeof world>>) => {
  const r = await request(app).get('/api/v1/meters/calls/query?from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z').expect(200);
  return (r.body as { data: Array<{ value: number }> }).data.reduce((a, row) => a + row.value, 0);
};

describe('D18: a large batch, parsed and checked in steps', () => {
  it('a batch of several megabytes is kept whole', async () => {
    const app = await world();
    const body = JSON.stringify(batch(30_000));
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    await request(app).post('/api/v1/events').set('content-type', json).send(body).expect(204);
    expect(await total(app)).toBe(30_000);
  }, 60_000);

  it('malformed JSON in a large body is the same 400 as in a small one, and nothing is kept', async () => {
    const app = await world();
    const small = await request(app).post('/api/v1/events').set('content-type', json).send('[{"id":"x"},,{"id":"y"}]');
    const body = JSON.stringify(batch(30_000)).replace('},{"specversion":"1.0","id":"e20000"', '},,{"specversion":"1.0","id":"e20000"');
    expect(body).toContain('},,{');
    const large = await request(app).post('/api/v1/events').set('content-type', json).send(body);
    expect(small.status).toBe(400);
    expect(large.status).toBe(400);
    expect({ ...large.body, instance: undefined }).toEqual({ ...small.body, instance: undefined });
    expect(await total(app)).toBe(0);
  }, 60_000);

  it('one bad event deep in a large batch rejects all of it, naming that event', async () => {
    const app = await world();
    const events = batch(30_000) as Array<Record<string, unknown>>;
    events[25_001] = { ...events[25_001], time: 'yesterday' };
    const r = await request(app).post('/api/v1/events').set('content-type', json).send(JSON.stringify(events));
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('25001');
    expect(await total(app)).toBe(0);
  }, 60_000);

  it('the envelope checks past the schema run over the whole batch in steps: the same 400, nothing kept', async () => {
    const app = await world();
    const small = await request(app).post('/api/v1/events').set('content-type', json).send([event(0), { ...event(1), specversion: '0.3' }]);
    const events = batch(30_000) as Array<Record<string, unknown>>;
    events[29_999] = { ...events[29_999], specversion: '0.3' };
    const large = await request(app).post('/api/v1/events').set('content-type', json).send(JSON.stringify(events));
    expect(small.status).toBe(400);
    expect(large.status).toBe(400);
    expect(large.body.detail).toBe(small.body.detail);
    expect(small.body.extensions.validationErrors).toEqual([expect.objectContaining({ field: '[1].specversion' })]);
    expect(large.body.extensions.validationErrors).toEqual([{ ...small.body.extensions.validationErrors[0], field: '[29999].specversion' }]);
    expect(await total(app)).toBe(0);
  }, 60_000);
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body.type).toBe('about:blank');
  expect(res.body.status).toBe(status);
  expect(typeof res.body.title).toBe('string');
}

/** Minimal parser for the Prometheus text format: metric name + labels → value. */
function parsePrometheus(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const event = (id: string, subject: string, data: unknown = { tokens: 1 }) => ({ specversion: '1.0', id, source: 'test', type: 'prompt', subject, time: '2025-12-31T12:00:00Z', data });

describe('v1 info and debug', () => {
  it('lists ISO 4217 currencies as a bare array with real subunits', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).get('/api/v1/info/currencies').expect(200);
    expect(Array.isArray(res.body)).toBe(true);
    const byCode = new Map(res.body.map((c: { code: string }) => [c.code, c]));
    expect(byCode.get('JPY')).toEqual({ code: 'JPY', name: 'Yen', symbol: '¥', subunits: 0 });
    expect(byCode.get('KWD')).toMatchObject({ subunits: 3 });
    expect(byCode.get('USD')).toMatchObject({ subunits: 2, symbol: '$' });
    expect(byCode.get('EUR')).toMatchObject({ subunits: 2, symbol: '€' });
    expect(res.body.length).toBeGreaterThan(150);
  });

  it('answers 404 in the v1 problem shape for progress nobody recorded', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).get('/api/v1/info/progress/some-import');
    expectProblem(res, 404);
    expect(res.body.detail).toContain('some-import');
  });

  it('serves a recorded progress', async () => {
    const { app, emulator } = createTestEmulator();
    await emulator.run('default', (tx) => emulator.services.info.recordProgress(tx, { id: 'job1', success: 3, failed: 1, total: 10 }));
    const res = await request(app).get('/api/v1/info/progress/job1').expect(200);
    expect(res.body).toEqual({ success: 3, failed: 1, total: 10, updatedAt: '2026-01-01T00:00:00Z' });
  });

  it('exposes per-subject event counters of today in Prometheus text', async () => {
    const { app, emulator } = createTestEmulator();
    const empty = await request(app).get('/api/v1/debug/metrics').expect(200);
    expect(empty.headers['content-type']).toMatch(/^text\/plain/);
    expect(parsePrometheus(empty.text)).toEqual([]);
    expect(empty.text).toContain('# TYPE openmeter_events_total counter');

    await request(app).post('/api/v1/meters').send({ slug: 'prompts', eventType: 'prompt', aggregation: 'COUNT' }).expect(200);
    await request(app).post('/api/v1/customers').send({ name: 'One', usageAttribution: { subjectKeys: ['customer-1'] } }).expect(201);
    await request(app)
      .post('/api/v1/events')
      .set('content-type', 'application/cloudevents-batch+json')
      .send([event('1', 'customer-1'), event('2', 'customer-1'), event('3', 'cust "2"'), { ...event('4', 'customer-1'), type: 'unmetered' }])
      .expect(204);
    const res = await request(app).get('/api/v1/debug/metrics').expect(200);
    const samples = parsePrometheus(res.text);
    expect(samples).toEqual([
      // invalid events (no customer for the subject, no meter for the type) are counted apart
      { name: 'openmeter_events_total', labels: { subject: 'cust "2"', error: 'true' }, value: 1 },
      { name: 'openmeter_events_total', labels: { subject: 'customer-1' }, value: 2 },
      { name: 'openmeter_events_total', labels: { subject: 'customer-1', error: 'true' }, value: 1 },
    ]);

    // the counters reset at midnight UTC
    emulator.clock.set(new Date('2026-01-02T00:00:00Z'));
    expect(parsePrometheus((await request(app).get('/api/v1/debug/metrics').expect(200)).text)).toEqual([]);
  });
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../src/harness/testEmulator.ts';

describe('control plane /_emulator', () => {
  it('reports health with every surface and its operation count', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).get('/_emulator/health').expect(200);
    expect(res.body.status).toBe('ok');
    const names = res.body.surfaces.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['openmeter-v1', 'konnect-v3']));
    const v1 = res.body.surfaces.find((s: { name: string }) => s.name === 'openmeter-v1');
    expect(v1.operations).toBe(153);
  });

  it('freezes, sets and advances the clock', async () => {
    const { app } = createTestEmulator({ start: new Date('2026-01-31T15:00:00Z') });
    const c0 = await request(app).get('/_emulator/clock').expect(200);
    expect(c0.body).toEqual({ now: '2026-01-31T15:00:00.000Z', frozen: true });

    const adv = await request(app).post('/_emulator/clock/advance').send({ by: 'P1M' }).expect(200);
    // no-overflow month addition: Jan 31 + 1 month = Feb 28
    expect(adv.body.now).toBe('2026-02-28T15:00:00.000Z');
    expect(adv.body.jobsRun).toEqual([]);

    await request(app).post('/_emulator/clock/advance').send({ to: '2026-03-01T00:00:00Z' }).expect(200);
    const c1 = await request(app).get('/_emulator/clock').expect(200);
    expect(c1.body.now).toBe('2026-03-01T00:00:00.000Z');

    const set = await request(app).put('/_emulator/clock').send({ now: '2025-06-01T00:00:00Z' }).expect(200);
    expect(set.body.now).toBe('2025-06-01T00:00:00.000Z');
  });

  it('lets a running clock run, and freezes it on request', async () => {
    const { app } = createTestEmulator({ frozen: false, start: new Date('2030-01-01T00:00:00Z') });
    const a = await request(app).get('/_emulator/clock').expect(200);
    expect(a.body.frozen).toBe(false);
    expect(Date.parse(a.body.now)).toBeGreaterThanOrEqual(Date.parse('2030-01-01T00:00:00Z'));
    const f = await request(app).post('/_emulator/clock/freeze').expect(200);
    expect(f.body.frozen).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    const b = await request(app).get('/_emulator/clock').expect(200);
    expect(b.body.now).toBe(f.body.now);
  });

  it('rejects a malformed advance with a problem, never a 500', async () => {
    const { app } = createTestEmulator();
    const r1 = await request(app).post('/_emulator/clock/advance').send({ by: 'one month' }).expect(400);
    expect(r1.headers['content-type']).toBe('application/problem+json');
    await request(app).post('/_emulator/clock/advance').send({}).expect(400);
    await request(app).post('/_emulator/clock/advance').send({ to: '2020-01-01T00:00:00Z' }).expect(400);
    await request(app).post('/_emulator/clock/advance').set('content-type', 'application/json').send('{"by":').expect(400);
  });

  it('journals requests to the vendor surfaces', async () => {
    const { app } = createTestEmulator();
    // an undeclared query parameter is ignored, as the real validator does (docs/decisions/0008)
    await request(app).get('/api/v1/meters?unknown=1');
    await request(app).get('/api/v1/meters/nope!');
    const res = await request(app).get('/_emulator/requests?limit=5').expect(200);
    expect(res.body.data[0]).toMatchObject({ method: 'GET', path: '/api/v1/meters/nope!', surface: 'openmeter-v1', status: 400 });
    expect(res.body.data[1]).toMatchObject({ method: 'GET', path: '/api/v1/meters?unknown=1', surface: 'openmeter-v1', status: 200 });
    await request(app).delete('/_emulator/requests').expect(204);
    const empty = await request(app).get('/_emulator/requests').expect(200);
    expect(empty.body.data).toEqual([]);
  });

  it('round-trips a snapshot and rejects a foreign document', async () => {
    const { app } = createTestEmulator();
    const snap = await request(app).get('/_emulator/snapshot').expect(200);
    expect(snap.body.format).toBe('localmeter-snapshot@1');
    await request(app).put('/_emulator/snapshot').send(snap.body).expect(204);
    const bad = await request(app).put('/_emulator/snapshot').send({ hello: 'world' }).expect(400);
    expect(bad.body.detail).toMatch(/snapshot/);
  });
});

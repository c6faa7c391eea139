import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * The defects of the reliability audit of main at cf9380b (D1–D18, kept by the maintainers),
 * each reproduced over HTTP: every one used to answer 500, crash the process or lose data.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'lm-hostile-'));
  dirs.push(d);
  return d;
};
const json = 'application/json';
const CE = { specversion: '1.0', source: 'test', type: 'call', subject: 'alice' };

describe('D1: the clock never holds an instant it cannot print', () => {
  it.each([
    ['advance by 300,000 years', 'post', '/_emulator/clock/advance', { by: 'P300000Y' }],
    ['advance by 1e20 seconds', 'post', '/_emulator/clock/advance', { by: 'PT99999999999999999999S' }],
    ['advance to garbage', 'post', '/_emulator/clock/advance', { to: 'garbage' }],
    ['set to garbage', 'put', '/_emulator/clock', { now: 'garbage' }],
    ['set to year 275760', 'put', '/_emulator/clock', { now: '+275760-01-01T00:00:00Z' }],
    ['snapshot clock garbage', 'put', '/_emulator/snapshot', { format: 'localmeter-snapshot@1', clock: { now: 'garbage' } }],
    ['snapshot clock 1e20', 'put', '/_emulator/snapshot', { format: 'localmeter-snapshot@1', clock: { now: 1e20 } }],
  ] as const)('%s → 400, and the next vendor request is answered', async (_name, method, path, body) => {
    const { app } = createTestEmulator();
    const res = await request(app)[method](path).set('content-type', json).send(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await request(app).get('/api/v1/meters')).status).toBe(200);
    expect((await request(app).get('/_emulator/clock')).body.now).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('D6: a required body that is missing is a 400, not a dereference of undefined', () => {
  it.each([
    ['put', '/api/v1/meters/tokens'],
    ['post', '/api/v1/notification/channels'],
    ['post', '/api/v1/notification/rules'],
    ['post', '/api/v1/subjects'],
    ['post', '/api/v1/entitlements'],
    ['put', '/v3/openmeter/meters/01JAAAAAAAAAAAAAAAAAAAAAAA'],
    ['post', '/v3/openmeter/app-catalog/install'],
    ['put', '/_emulator/clock'],
    ['post', '/_emulator/clock/advance'],
    ['put', '/_emulator/snapshot'],
  ] as const)('%s %s with Content-Type json and no body', async (method, path) => {
    const { app } = createTestEmulator();
    const res = await request(app)[method](path).set('content-type', json);
    expect(res.status).toBeLessThan(500);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('D5/D12: deep JSON is refused at the door, so nothing downstream overflows', () => {
  const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  it('a 10,000-level event answers 400 and event listing and snapshots keep working', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).post('/api/v1/events').set('content-type', 'application/cloudevents+json').send(`{"specversion":"1.0","id":"deep","source":"t","type":"t","subject":"s","data":${deep(10_000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/deeper than/);
    expect((await request(app).get('/api/v1/events')).status).toBe(200);
    expect((await request(app).get('/_emulator/snapshot')).status).toBe(200);
  });
  it('a 5,000-level Zuplo proxy configuration answers 400', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).put('/v1/accounts/acme/fleets/f1/proxy-configuration').set('content-type', json).send(deep(5000));
    expect(res.status).toBe(400);
  });
  it('nesting of 60 levels (legitimate free-form data) is accepted', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).post('/api/v1/events').set('content-type', 'application/cloudevents+json').send(`{"specversion":"1.0","id":"ok","source":"t","type":"t","subject":"s","data":${deep(60)}}`);
    expect(res.status).toBe(204);
  });
});

describe('D8: snapshot import checks the whole document and a bad one changes nothing', () => {
  it.each([
    ['events [null]', { events: { default: [null] } }],
    ['namespaces "x"', { namespaces: 'x' }],
    ['a record that is a string', { namespaces: { default: { collections: { customers: { a: 'x' } } } } }],
    ['an event without id', { events: { default: [{}] } }],
    ['an event time "garbage"', { events: { default: [{ id: 'e', source: 's', type: 't', subject: 's', time: 'garbage', seq: 0 }] } }],
    ['a 300-character namespace', { namespaces: { ['n'.repeat(300)]: { collections: {} } } }],
  ])('%s → 400 and the customers are still there', async (_name, doc) => {
    const { app } = createTestEmulator();
    expect((await request(app).post('/api/v1/customers').send({ key: 'keep', name: 'Keep' })).status).toBe(201);
    const res = await request(app).put('/_emulator/snapshot').set('content-type', json).send({ format: 'localmeter-snapshot@1', ...doc });
    expect(res.status).toBe(400);
    const list = await request(app).get('/api/v1/customers');
    expect(list.body.items.map((c: { key: string }) => c.key)).toEqual(['keep']);
  });
});

describe('D4: no namespace name reaches outside namespaces/', () => {
  it('a snapshot naming ".." is kept inside namespaces/, and reset deletes no file it did not write', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'important.txt'), 'keep');
    writeFileSync(join(dir, 'src', 'app.ts'), 'code');
    const { app, emulator } = createTestEmulator({ dataDir: dir });
    const imp = await request(app).put('/_emulator/snapshot').set('content-type', json).send({ format: 'localmeter-snapshot@1', namespaces: { '..': { collections: {} }, '.': { collections: {} } } });
    expect(imp.status).toBe(204);
    expect(existsSync(join(dir, 'journal.jsonl'))).toBe(false);
    expect((await request(app).post('/_emulator/reset').set('content-type', json).send({})).status).toBe(204);
    await emulator.close();
    expect(existsSync(join(dir, 'important.txt'))).toBe(true);
    expect(existsSync(join(dir, 'src', 'app.ts'))).toBe(true);
    expect(readdirSync(join(dir, 'namespaces')).every((n) => n !== '.' && n !== '..')).toBe(true);
  });
  it('a stray file inside a namespace directory survives a reset', async () => {
    const dir = tempDir();
    const { app, emulator } = createTestEmulator({ dataDir: dir });
    expect((await request(app).post('/api/v1/customers').send({ key: 'a', name: 'A' })).status).toBe(201);
    writeFileSync(join(dir, 'namespaces', 'default', 'notes.txt'), 'mine');
    expect((await request(app).post('/_emulator/reset').set('content-type', json).send({})).status).toBe(204);
    await emulator.close();
    expect(existsSync(join(dir, 'namespaces', 'default', 'notes.txt'))).toBe(true);
  });
});

describe('D9: Zuplo bucket ids are bounded and reads create nothing', () => {
  it('a 255-character bucket id answers without a 500; writes to it are a 400', async () => {
    const dir = tempDir();
    const { app } = createTestEmulator({ dataDir: dir });
    const id = 'b'.repeat(255);
    expect((await request(app).get(`/v3/metering/${id}/meters`)).status).toBeLessThan(500);
    const w = await request(app).post(`/v3/metering/${id}/meters`).send({ slug: 'm', name: 'm', eventType: 'e', aggregation: 'COUNT' });
    expect(w.status).toBe(400);
    const wide = await request(app).post(`/v3/metering/${'é'.repeat(100)}/meters`).send({ slug: 'm', name: 'm', eventType: 'e', aggregation: 'COUNT' });
    expect(wide.status).toBe(400);
  });
  it('100 reads of unseen buckets create no directory', async () => {
    const dir = tempDir();
    const { app } = createTestEmulator({ dataDir: dir });
    const before = readdirSync(join(dir, 'namespaces')).length;
    for (let i = 0; i < 100; i++) await request(app).get(`/v3/metering/r${i}/meters`);
    expect(readdirSync(join(dir, 'namespaces')).length).toBe(before);
  });
});

describe('D11: an object where a list of strings is expected', () => {
  it.each(['/v3/openmeter/currencies?expand[a]=1', '/v3/openmeter/customers/01JAAAAAAAAAAAAAAAAAAAAAAA/charges?expand[a]=1'])('%s → 4xx in the Konnect shape', async (url) => {
    const { app } = createTestEmulator();
    const res = await request(app).get(url);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.type).toMatch(/^https:\/\/kongapi.info\/konnect\//);
  });
});

describe('D13: dedupe keys cannot collide', () => {
  it('(source "a\\0b", id "c") and (source "a", id "b\\0c") are two events', async () => {
    const { app } = createTestEmulator();
    const post = (e: object) => request(app).post('/api/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify({ ...CE, ...e }));
    expect((await post({ source: 'a\u0000b', id: 'c' })).status).toBe(204);
    expect((await post({ source: 'a', id: 'b\u0000c' })).status).toBe(204);
    const list = await request(app).get('/api/v1/events?limit=10');
    expect(list.body).toHaveLength(2);
  });
});

describe('D14: numbers past the float range', () => {
  it('a literal 1e309 in event data is a 400 (Go cannot decode it either)', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).post('/api/v1/events').set('content-type', 'application/cloudevents+json').send('{"specversion":"1.0","id":"big","source":"t","type":"t","subject":"s","data":{"n":1e309}}');
    expect(res.status).toBe(400);
  });
  it('a sum that overflows is still a number on the v1 wire', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/api/v1/meters').send({ slug: 'n', eventType: 'big', aggregation: 'SUM', valueProperty: '$.n' }).expect(200);
    for (const id of ['x1', 'x2']) {
      await request(app).post('/api/v1/events').set('content-type', 'application/cloudevents+json').send(JSON.stringify({ ...CE, id, type: 'big', time: '2025-12-31T12:00:00Z', data: { n: 1.7976931348623157e308 } })).expect(204);
    }
    const q = await request(app).get('/api/v1/meters/n/query');
    expect(q.status).toBe(200);
    expect(typeof q.body.data[0].value).toBe('number');
  });
});

describe('D15/D16/D17/D18: problem shapes and odd input', () => {
  it('D15: an undecodable Konnect path segment or a corrupt gzip body is a 4xx in the Konnect shape', async () => {
    const { app } = createTestEmulator();
    const path = await request(app).get('/v3/openmeter/customers/%ff%fe');
    expect(path.status).toBeGreaterThanOrEqual(400);
    expect(path.status).toBeLessThan(500);
    const gz = await request(app).post('/v3/openmeter/customers').set('content-type', json).set('content-encoding', 'gzip').send(Buffer.from('not gzip at all'));
    expect(gz.status).toBe(400);
    // a 400 without parameter issues omits invalid_parameters, as NewBadRequestError does (see test/konnect-v3/metering.test.ts)
    expect(gz.body).toMatchObject({ type: 'https://kongapi.info/konnect/bad-request', status: 400 });
  });
  it('D16: Zuplo does not echo a megabyte-long name back', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).post('/v1/projects?accountName=acme').set('content-type', json).send({ name: 'X'.repeat(1_000_000) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body).length).toBeLessThan(5000);
  });
  it('D17: a __proto__ group-by key comes back on the v1 wire', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).post('/api/v1/meters').set('content-type', json).send('{"slug":"p","eventType":"p","aggregation":"COUNT","groupBy":{"__proto__":"$.x"}}');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.groupBy)).toEqual(['__proto__']);
  });
  it('D18: a GET body is not parsed', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).get('/api/v1/meters').set('content-type', json).send('{"broken": ');
    expect(res.status).toBe(200);
  });
});

describe('D18: a large batch is ingested in steps, and still all or nothing', () => {
  const batch = (n: number, bad?: number) =>
    JSON.stringify(Array.from({ length: n }, (_, i) => ({ ...CE, id: `big-${i}`, ...(i === bad ? { specversion: undefined, type: '' } : {}) })));
  it('5,000 events with one malformed near the end: 400, and none is stored (OpenMeter rejects the whole batch)', async () => {
    const { app } = createTestEmulator();
    const res = await request(app).post('/api/v1/events').set('content-type', 'application/cloudevents-batch+json').send(batch(5000, 4500));
    expect(res.status).toBe(400);
    expect((await request(app).get('/api/v1/events?limit=10')).body).toHaveLength(0);
  });
  it('5,000 valid events (three steps) are all stored, and a retry adds nothing', async () => {
    const { app, emulator } = createTestEmulator();
    for (let k = 0; k < 2; k++) expect((await request(app).post('/api/v1/events').set('content-type', 'application/cloudevents-batch+json').send(batch(5000))).status).toBe(204);
    expect(emulator.events.exportAll().default).toHaveLength(5000);
  });
});

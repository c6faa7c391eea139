import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * D7 of the reliability audit: any web page the developer had open could wipe the emulator with a
 * no-cors POST, and a DNS-rebinding page could read everything. Strict mode is the opt-in key check.
 */
describe('D7: the control plane refuses cross-site requests and foreign Host headers', () => {
  it('a no-cors POST /_emulator/reset from another site is refused (403) and wipes nothing', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/api/v1/customers').send({ key: 'keep', name: 'Keep' }).expect(201);
    const res = await request(app).post('/_emulator/reset').set('Origin', 'https://evil.example').set('content-type', 'text/plain').send('');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    for (const path of ['/_emulator/clock/freeze', '/_emulator/clock/unfreeze']) {
      expect((await request(app).post(path).set('Sec-Fetch-Site', 'cross-site')).status).toBe(403);
    }
    expect((await request(app).post('/_emulator/reset').set('Origin', 'null')).status).toBe(403);
    expect((await request(app).get('/api/v1/customers')).body.items).toHaveLength(1);
  });

  it('a page on localhost (another port) may still drive the control plane', async () => {
    const { app } = createTestEmulator();
    expect((await request(app).post('/_emulator/clock/freeze').set('Origin', 'http://localhost:3000')).status).toBe(200);
  });

  it('a DNS-rebinding Host is refused on every surface, loopback names are served', async () => {
    const { app } = createTestEmulator();
    for (const path of ['/_emulator/snapshot', '/api/v1/meters', '/v3/openmeter/meters', '/v3/metering/b1/meters']) {
      expect((await request(app).get(path).set('Host', 'attacker.example:8787')).status).toBe(403);
    }
    for (const host of ['localhost:8787', '127.0.0.1:8787', '[::1]:8787', 'app.localhost']) {
      expect((await request(app).get('/api/v1/meters').set('Host', host)).status).toBe(200);
    }
  });
});

describe('strict auth: every surface checks the key and answers its own 401', () => {
  const strict = () => createTestEmulator({ auth: 'strict', apiKeys: ['om_secret', 'kpat_abc123', 'zpka_key'] });

  it('OpenMeter v1: no token or a wrong one is a 401 problem; a configured key works', async () => {
    const { app } = strict();
    const none = await request(app).get('/api/v1/meters');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401 });
    expect((await request(app).get('/api/v1/meters').set('Authorization', 'Bearer wrong')).status).toBe(401);
    expect((await request(app).get('/api/v1/meters').set('Authorization', 'Bearer om_secret')).status).toBe(200);
  });

  it('Konnect v3: kpat_ tokens, 401 in the Konnect shape', async () => {
    const { app } = strict();
    const none = await request(app).get('/v3/openmeter/meters').set('Authorization', 'Bearer kpat_other');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ type: 'https://kongapi.info/konnect/unauthenticated', title: 'Unauthenticated', status: 401 });
    expect((await request(app).get('/v3/openmeter/meters').set('Authorization', 'Bearer kpat_abc123')).status).toBe(200);
    expect((await request(app).get('/api/v3/openmeter/meters').set('Authorization', 'Bearer kpat_abc123')).status).toBe(200);
  });

  it('Zuplo: API keys, 401 in the Zuplo shape', async () => {
    const { app } = strict();
    const none = await request(app).get('/v3/metering/b1/meters');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ type: 'https://httpproblems.com/http-status/401', status: 401 });
    expect((await request(app).get('/v3/metering/b1/meters').set('Authorization', 'Bearer zpka_key')).status).toBe(200);
  });

  it('the control plane needs a key too, except the health probe', async () => {
    const { app } = strict();
    expect((await request(app).post('/_emulator/reset')).status).toBe(401);
    expect((await request(app).get('/_emulator/health')).status).toBe(200);
    expect((await request(app).get('/_emulator/clock').set('Authorization', 'Bearer om_secret')).status).toBe(200);
  });

  it('the portal query is checked by its portal token, as OpenMeter checks it', async () => {
    const { app } = strict();
    const auth = { Authorization: 'Bearer om_secret' };
    await request(app).post('/api/v1/meters').set(auth).send({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }).expect(200);
    const token = await request(app).post('/api/v1/portal/tokens').set(auth).send({ subject: 'alice' });
    expect(token.status).toBe(200);
    expect((await request(app).get('/api/v1/portal/meters/calls/query')).status).toBe(401);
    expect((await request(app).get('/api/v1/portal/meters/calls/query').set('Authorization', `Bearer ${token.body.token}`)).status).toBe(200);
  });

  it('open mode (the default) takes any token or none', async () => {
    const { app } = createTestEmulator();
    expect((await request(app).get('/api/v1/meters')).status).toBe(200);
    expect((await request(app).get('/api/v1/meters').set('Authorization', 'Bearer anything')).status).toBe(200);
  });
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { isWellFormedApiKey } from '../../src/domain/apikeys/apiKeyFormat.ts';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const A = '/v1/accounts/localmeter';

async function withConsumer() {
  const t = createTestEmulator();
  await request(t.app).post(`${A}/key-buckets`).send({ name: 'my-bucket', tags: { team: 'core' } }).expect(200);
  const c = await request(t.app)
    .post(`${A}/key-buckets/my-bucket/consumers?with-api-key=true`)
    .send({ name: 'org-123', description: 'Org 123', tags: { orgId: 'org_123' }, metadata: { plan: 'gold' }, managers: ['owner@example.com'] })
    .expect(200);
  return { ...t, consumer: c.body };
}

describe('Zuplo API keys: buckets', () => {
  it('creates, reads, updates and deletes a bucket; names are unique and patterned', async () => {
    const { app } = createTestEmulator();
    const b = await request(app).post(`${A}/key-buckets`).send({ name: 'my-bucket', tags: { env: 'x' } }).expect(200);
    expect(b.body.id).toMatch(/^bckt_[A-Za-z0-9]{32}$/);
    expect(b.body).toMatchObject({ name: 'my-bucket', isRetrievable: true, tags: { env: 'x' } });
    expect(b.body.createdOn).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await request(app).post(`${A}/key-buckets`).send({ name: 'my-bucket' }).expect(409);
    await request(app).post(`${A}/key-buckets`).send({ name: 'BAD' }).expect(400);
    expect((await request(app).get(`${A}/key-buckets/${b.body.id}`).expect(200)).body.name).toBe('my-bucket');
    const u = await request(app).patch(`${A}/key-buckets/my-bucket`).send({ tags: { env: 'y' } }).expect(200);
    expect(u.body.tags).toEqual({ env: 'y' });
    await request(app).delete(`${A}/key-buckets/my-bucket`).expect(204);
    const nf = await request(app).get(`${A}/key-buckets/my-bucket`).expect(404);
    expect(nf.body.type).toBe('https://httpproblems.com/http-status/404');
  });

  it('gives every project tagged buckets, as `zuplo bucket list` shows them', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/v1/projects?accountName=localmeter').send({ name: 'lime-fox' }).expect(200);
    const list = await request(app).get(`${A}/key-buckets`).expect(200);
    expect(list.body.data.map((b: { tags: Record<string, string> }) => [b.tags.project, b.tags.environmentType])).toEqual([
      ['lime-fox', 'production'],
      ['lime-fox', 'preview'],
      ['lime-fox', 'working-copy'],
    ]);
    expect(list.body.total).toBe(3);
    // idempotent: looking again creates nothing new
    expect((await request(app).get(`${A}/key-buckets`).expect(200)).body.data).toHaveLength(3);
    // accounts are separate namespaces
    expect((await request(app).get('/v1/accounts/other/key-buckets').expect(200)).body.data).toEqual([]);
  });
});

describe('Zuplo API keys: consumers and keys', () => {
  it('creates a consumer with a key (`?with-api-key=true`) in the zpka_ format', async () => {
    const { consumer } = await withConsumer();
    expect(consumer.id).toMatch(/^csmr_[A-Za-z0-9]{24}$/);
    expect(consumer).toMatchObject({ name: 'org-123', description: 'Org 123', tags: { orgId: 'org_123' }, metadata: { plan: 'gold' } });
    expect(consumer.apiKeys).toHaveLength(1);
    expect(consumer.apiKeys[0].id).toMatch(/^key_[A-Za-z0-9]{24}$/);
    expect(consumer.apiKeys[0].key).toMatch(/^zpka_[0-9a-f]{32}_[0-9a-f]{8}$/);
    expect(isWellFormedApiKey(consumer.apiKeys[0].key)).toBe(true);
    expect(consumer.managerInvites).toEqual([{ email: 'owner@example.com' }]);
  });

  it('derives ids and keys from the seeded generator: two emulators agree', async () => {
    const a = await withConsumer();
    const b = await withConsumer();
    expect(b.consumer.id).toBe(a.consumer.id);
    expect(b.consumer.apiKeys[0].key).toBe(a.consumer.apiKeys[0].key);
  });

  it('lists consumers with keys in each key-format, filters by tag and manager email, pages', async () => {
    const { app, consumer } = await withConsumer();
    await request(app).post(`${A}/key-buckets/my-bucket/consumers`).send({ name: 'org-456', tags: { orgId: 'org_456' } }).expect(200);
    const full = consumer.apiKeys[0].key as string;
    const base = `${A}/key-buckets/my-bucket/consumers`;
    const visible = await request(app).get(`${base}?include-api-keys=true&key-format=visible`).expect(200);
    expect(visible.body).toMatchObject({ limit: 1000, offset: 0, total: 2 });
    expect(visible.body.data[0].apiKeys[0].key).toBe(full);
    const masked = await request(app).get(`${base}?include-api-keys=true&key-format=masked`).expect(200);
    expect(masked.body.data[0].apiKeys[0].key).toBe(`****${full.slice(-8)}`);
    const none = await request(app).get(`${base}?include-api-keys=true&key-format=none`).expect(200);
    expect(none.body.data[0].apiKeys[0].key).toBeUndefined();
    expect((await request(app).get(base).expect(200)).body.data[0].apiKeys).toBeUndefined();

    const tagged = await request(app).get(`${base}?tag.orgId=org_456`).expect(200);
    expect(tagged.body.data.map((c: { name: string }) => c.name)).toEqual(['org-456']);
    const byManager = await request(app).get(`${base}?manager-email=${encodeURIComponent("OWNER@example.com")}`).expect(200);
    expect(byManager.body.data.map((c: { name: string }) => c.name)).toEqual(['org-123']);
    const paged = await request(app).get(`${base}?limit=1&offset=1`).expect(200);
    expect(paged.body).toMatchObject({ limit: 1, offset: 1, total: 2 });
    expect(paged.body.data.map((c: { name: string }) => c.name)).toEqual(['org-456']);
    await request(app).post(base).send({ name: 'org-456' }).expect(409);
  });

  it('uses tag query parameters as authorization on non-GET requests', async () => {
    const { app } = await withConsumer();
    const one = `${A}/key-buckets/my-bucket/consumers/org-123`;
    await request(app).delete(`${one}?tag.orgId=org_999`).expect(404);
    await request(app).patch(`${one}?tag.orgId=org_999`).send({ metadata: { plan: 'x' } }).expect(404);
    const upd = await request(app).patch(`${one}?tag.orgId=org_123`).send({ metadata: { plan: 'platinum' } }).expect(200);
    expect(upd.body.metadata).toEqual({ plan: 'platinum' });
    await request(app).delete(`${one}?tag.orgId=org_123`).expect(204);
    await request(app).get(one).expect(404);
  });

  it('creates, bulk-creates, reads, updates and deletes keys', async () => {
    const { app } = await withConsumer();
    const keys = `${A}/key-buckets/my-bucket/consumers/org-123/keys`;
    const k = await request(app).post(keys).send({ expiresOn: '2026-06-01T00:00:00Z', description: 'ci' }).expect(200);
    expect(k.body).toMatchObject({ expiresOn: '2026-06-01T00:00:00.000Z', description: 'ci' });
    const bulk = await request(app).post(`${keys}/$bulk`).send([{}, { key: 'my-own-key-value' }]).expect(200);
    expect(bulk.body.data).toHaveLength(2);
    expect(bulk.body.data[1].key).toBe('my-own-key-value');
    await request(app).post(keys).send({ key: 'my-own-key-value' }).expect(409);
    const list = await request(app).get(`${keys}?key-format=masked`).expect(200);
    expect(list.body.total).toBe(4);
    expect(list.body.data.every((x: { key: string }) => x.key.startsWith('****'))).toBe(true);
    const got = await request(app).get(`${keys}/${k.body.id}`).expect(200);
    expect(got.body.key).toBe(k.body.key);
    const upd = await request(app).patch(`${keys}/${k.body.id}`).send({ expiresOn: '2026-07-01T00:00:00.000Z' }).expect(200);
    expect(upd.body.expiresOn).toBe('2026-07-01T00:00:00.000Z');
    await request(app).delete(`${keys}/${k.body.id}`).expect(204);
    await request(app).get(`${keys}/${k.body.id}`).expect(404);
  });

  it('rolls keys: old ones get the expiry, a new non-expiring key appears', async () => {
    const { app, consumer } = await withConsumer();
    const c = `${A}/key-buckets/my-bucket/consumers/org-123`;
    await request(app).post(`${c}/roll-key`).send({ expiresOn: '2026-01-08T00:00:00.000Z' }).expect(204);
    const list = await request(app).get(`${c}/keys`).expect(200);
    expect(list.body.data).toHaveLength(2);
    const old = list.body.data.find((k: { id: string }) => k.id === consumer.apiKeys[0].id);
    const fresh = list.body.data.find((k: { id: string }) => k.id !== consumer.apiKeys[0].id);
    expect(old.expiresOn).toBe('2026-01-08T00:00:00.000Z');
    expect(fresh.expiresOn).toBeUndefined();
    await request(app).post(`${c}/roll-key`).send({}).expect(400);
  });

  it('manages consumer managers; a direct manager replaces the invite', async () => {
    const { app } = await withConsumer();
    const m = `${A}/key-buckets/my-bucket/consumers/org-123/managers`;
    const created = await request(app).post(m).send({ email: 'owner@example.com', sub: 'auth0|1' }).expect(200);
    expect(created.body.id).toMatch(/^eusr_/);
    expect((await request(app).get(m).expect(200)).body).toMatchObject({ total: 1, data: [{ email: 'owner@example.com', sub: 'auth0|1' }] });
    const c = await request(app).get(`${A}/key-buckets/my-bucket/consumers/org-123?include-managers=true&include-manager-invites=true`).expect(200);
    expect(c.body.managers).toHaveLength(1);
    expect(c.body.managerInvites).toEqual([]);
    await request(app).delete(`${m}/${created.body.id}`).expect(204);
    await request(app).delete(`${m}/${created.body.id}`).expect(404);
  });

  it('lets the MCP server look a key up', async () => {
    const { app, consumer } = await withConsumer();
    const r = await request(app).post('/mcp').send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'lookup_api_key', arguments: { key: consumer.apiKeys[0].key } } }).expect(200);
    expect(r.body.result.structuredContent).toMatchObject({ valid: true, bucket: 'my-bucket', consumer: 'org-123' });
  });
});

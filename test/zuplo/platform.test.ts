import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { TEST_CERT_PEM, TEST_KEY_PEM } from './fixtures.ts';

const AUTH = { Authorization: 'Bearer zpka_test_key' };

describe('Zuplo Developer API: the CLI deploy flow', () => {
  it('whoami → project create → source-url (text/plain from fetch, or no Content-Type) → upload → status → list', async () => {
    const { app } = createTestEmulator();
    const who = await request(app).get('/v1/who-am-i').set(AUTH).expect(200);
    expect(who.body.account).toBe('localmeter');
    expect(who.body.sub).toMatch(/^apikey\|[0-9a-f]{24}$/);
    const other = await request(app).get('/v1/who-am-i').set({ Authorization: 'Bearer another' }).expect(200);
    expect(other.body.sub).not.toBe(who.body.sub);
    expect((await request(app).get('/v1/accounts').set(AUTH).expect(200)).body.data).toEqual([expect.objectContaining({ name: 'localmeter' })]);

    const proj = await request(app).post('/v1/projects?accountName=localmeter').set(AUTH).send({ name: 'lime-fox' }).expect(200);
    expect(proj.body).toMatchObject({ name: 'lime-fox', accountName: 'localmeter' });
    const taken = await request(app).post('/v1/projects?accountName=localmeter').set(AUTH).send({ name: 'lime-fox' }).expect(422);
    expect(taken.body.type).toBe('https://httpproblems.com/http-status/422');
    expect((await request(app).get('/v1/projects?accountName=localmeter').set(AUTH).expect(200)).body.data.map((p: { name: string }) => p.name)).toEqual(['lime-fox']);

    // The CLI (deploy/handler.js) sets only Authorization and passes the JSON as a string, so
    // fetch sends it as text/plain;charset=UTF-8; other clients send it with no Content-Type.
    const src = await request(app)
      .post('/v1/deployments/source-url')
      .set(AUTH)
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .send(JSON.stringify({ accountName: 'localmeter', projectName: 'lime-fox', environment: 'main', repositoryUrl: undefined, sha: 'abcdef1234567' }))
      .expect(200);
    const bare = await request(app)
      .post('/v1/deployments/source-url')
      .set(AUTH)
      .unset('Content-Type')
      .send(Buffer.from(JSON.stringify({ accountName: 'localmeter', projectName: 'lime-fox', environment: 'feature-x' })))
      .expect(200);
    expect(bare.body.deploymentId).not.toBe(src.body.deploymentId);
    await request(app).post('/v1/deployments/source-url').set(AUTH).set('Content-Type', 'text/plain;charset=UTF-8').send('not json').expect(400);
    expect(src.body.uploadUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/deployments\/uploads\/[0-9a-f-]{36}$/);
    const id = src.body.deploymentId as string;
    expect(src.body.uploadUrl.endsWith(id)).toBe(true);

    const before = await request(app).get(`/v1/accounts/localmeter/projects/lime-fox/deployment-status/${id}`).set(AUTH).expect(200);
    expect(before.body.status).toBe('IN_PROGRESS');

    // file-upload.js: a PUT of the tarball bytes with Content-length and x-goog-meta-* headers, no Content-Type
    const path = new URL(src.body.uploadUrl).pathname;
    await request(app)
      .put(path)
      .unset('Content-Type')
      .set({ 'x-goog-meta-deployment-id': id, 'x-goog-meta-account': 'localmeter', 'x-goog-meta-project': 'lime-fox', 'x-goog-meta-environment': 'main', 'x-goog-meta-repository-url': '', 'x-goog-meta-sha': 'abcdef1234567' })
      .send(Buffer.from('fake-tarball'))
      .expect(200);

    const st = await request(app).get(`/v1/accounts/localmeter/projects/lime-fox/deployment-status/${id}`).set(AUTH).expect(200);
    expect(st.body.status).toBe('SUCCESS');
    expect(st.body.url).toMatch(/^https:\/\/lime-fox-main-[0-9a-f]{7}\.localmeter\.local$/);
    expect(st.body.url).not.toContain('.zuplo.app');
    expect(st.body.buildResult.sizeBytes).toBe(12);
    await request(app).get(`/v1/accounts/localmeter/projects/other/deployment-status/${id}`).set(AUTH).expect(404);

    const list = await request(app).get('/v1/accounts/localmeter/projects/lime-fox/deployments').set(AUTH).expect(200);
    expect(list.body.data).toHaveLength(2);
    const dep = list.body.data[0];
    expect(dep).toMatchObject({ url: st.body.url, state: 'STARTED', environmentType: 'PRODUCTION', branchName: 'main', projectName: 'lime-fox' });
    expect(dep.loggingId).toBe('localmeter::lime-fox::main::main::abcdef1');
    expect((await request(app).get(`/v1/deployments/${dep.name}`).set(AUTH).expect(200)).body.name).toBe(dep.name);

    const logs = await request(app).get(`/v1/deployments/${dep.name}/builds/${st.body.buildId}/logs`).set(AUTH).expect(200);
    expect(Object.keys(logs.body.data.api)).toContain('build');
    const env = await request(app).get('/v1/environments?accountName=localmeter&projectName=lime-fox').set(AUTH).expect(200);
    expect(env.body.data).toEqual([expect.objectContaining({ name: dep.name, environmentType: 'production' }), expect.objectContaining({ branchName: 'feature-x', environmentType: 'preview' })]);
    expect((await request(app).post(`/v1/deployments/${dep.name}/deploy`).set(AUTH).expect(200)).body.status).toBe('request enqueued');
  });

  it('`zuplo project list` shows type and productType (project/list/handler.js prints both)', async () => {
    const { app } = createTestEmulator();
    const made = await request(app).post('/v1/projects?accountName=localmeter').set(AUTH).set('Content-Type', 'application/json').send(JSON.stringify({ name: 'lime-fox' })).expect(200);
    expect(made.body).toEqual({ name: 'lime-fox', accountName: 'localmeter', type: 'managed-edge', productType: 'api-gateway' });
    const list = await request(app).get('/v1/projects?accountName=localmeter').set(AUTH).expect(200);
    expect(list.body.data).toEqual([{ name: 'lime-fox', accountName: 'localmeter', type: 'managed-edge', productType: 'api-gateway' }]);
  });

  it('`zuplo link --environment main` resolves the environment by its branch; by its name as before', async () => {
    const { app } = createTestEmulator();
    const deploy = async (projectName: string, environment: string) => {
      const src = await request(app).post('/v1/deployments/source-url').set(AUTH).set('Content-Type', 'text/plain;charset=UTF-8').send(JSON.stringify({ accountName: 'localmeter', projectName, environment })).expect(200);
      await request(app).put(new URL(src.body.uploadUrl).pathname).unset('Content-Type').send(Buffer.from('x')).expect(200);
      return (await request(app).get(`/v1/accounts/localmeter/projects/${projectName}/deployment-status/${src.body.deploymentId}`).set(AUTH).expect(200)).body.url as string;
    };
    const mainUrl = await deploy('lime-fox', 'main');
    await deploy('lime-fox', 'staging');
    await request(app).post('/v1/accounts/localmeter/projects/lime-fox/branches/main/variables').set(AUTH).send({ name: 'API_URL', isSecret: false, value: 'https://a' }).expect(201);

    // link/handler.js → populate.js pullLocalConfig: GET /v1/environments/<--environment>/local-configurations, Authorization only
    // one Host for both reads: the edge URL inside systemConfigurations is the emulator as reached
    const local = await request(app).get('/v1/environments/main/local-configurations').set('authorization', AUTH.Authorization).set('Host', 'localhost:8787').expect(200);
    expect(local.body).toMatchObject({ accountName: 'localmeter', projectName: 'lime-fox', environmentType: 'production', ZUPLO_PUBLIC_SERVER_URL: mainUrl, API_URL: 'https://a' });
    const name = new URL(mainUrl).hostname.split('.')[0]!;
    expect((await request(app).get(`/v1/environments/${name}/local-configurations`).set(AUTH).set('Host', 'localhost:8787').expect(200)).body).toEqual(local.body);
    expect((await request(app).get('/v1/environments/staging/configurations').set(AUTH).expect(200)).body.environmentType).toBe('preview');
    expect((await request(app).get('/v1/environments/main').set(AUTH).expect(200)).body.name).toBe(name);
    // the CLI reads 404 as "doesn't exist or you don't have access"
    await request(app).get('/v1/environments/nope/local-configurations').set(AUTH).expect(404);

    // the route names no project: a branch deployed in two projects must be named in full
    await deploy('other-app', 'main');
    const ambiguous = await request(app).get('/v1/environments/main/local-configurations').set(AUTH).expect(404);
    expect(ambiguous.body.detail).toContain(name);
    await request(app).get(`/v1/environments/${name}/local-configurations`).set(AUTH).expect(200);
  });

  it('deletes a preview deployment by project and name, and by name', async () => {
    const { app } = createTestEmulator();
    const deploy = async (branch: string) => {
      const src = await request(app).post('/v1/deployments/source-url').send({ accountName: 'localmeter', projectName: 'demo', environment: branch }).expect(200);
      await request(app).put(new URL(src.body.uploadUrl).pathname).set('Content-Type', 'application/octet-stream').send(Buffer.from('x')).expect(200);
      return (await request(app).get(`/v1/accounts/localmeter/projects/demo/deployment-status/${src.body.deploymentId}`).expect(200)).body.url as string;
    };
    const a = await deploy('feature-a');
    const b = await deploy('feature/b');
    const nameA = new URL(a).hostname.split('.')[0]!;
    const nameB = new URL(b).hostname.split('.')[0]!;
    expect(nameB).toMatch(/^demo-feature-b-[0-9a-f]{7}$/);
    await request(app).delete(`/v1/accounts/localmeter/projects/demo/deployments/${nameA}`).expect(200);
    await request(app).delete(`/v1/deployments/${nameB}`).expect(200);
    await request(app).delete(`/v1/deployments/${nameB}`).expect(404);
    expect((await request(app).get('/v1/accounts/localmeter/projects/demo/deployments').expect(200)).body.data).toEqual([]);
  });

  it('creates and updates variables, visible to `zuplo link`', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/v1/projects?accountName=localmeter').send({ name: 'vars' }).expect(200);
    const base = '/v1/accounts/localmeter/projects/vars/branches/main/variables';
    const v = await request(app).post(base).send({ name: 'API_URL', isSecret: false, value: 'https://a' }).expect(201);
    expect(v.body).toMatchObject({ name: 'API_URL', branch: 'main', value: 'https://a', isSecret: false });
    await request(app).post(base).send({ name: 'API_URL', isSecret: false, value: 'x' }).expect(409);
    await request(app).post(base).send({ name: 'TOKEN', isSecret: true, value: 's3cret' }).expect(201);
    const u = await request(app).patch(`${base}/API_URL`).send({ value: 'https://b' }).expect(200);
    expect(u.body.value).toBe('https://b');
    await request(app).patch(`${base}/NOPE`).send({ value: 'x' }).expect(404);

    const src = await request(app).post('/v1/deployments/source-url').send({ accountName: 'localmeter', projectName: 'vars', environment: 'main' }).expect(200);
    await request(app).put(new URL(src.body.uploadUrl).pathname).set('Content-Type', 'application/gzip').send(Buffer.from('x')).expect(200);
    const env = (await request(app).get('/v1/environments?accountName=localmeter&projectName=vars').expect(200)).body.data[0];
    const local = await request(app).get(`/v1/environments/${env.name}/local-configurations`).expect(200);
    expect(local.body).toMatchObject({ accountName: 'localmeter', projectName: 'vars', environmentType: 'production', API_URL: 'https://b' });
    expect(local.body.TOKEN).toBeUndefined();
  });
});

describe('Zuplo Developer API: tunnels', () => {
  it('create → list → rotate → services update → poll provisioning → delete → poll teardown', async () => {
    const { app } = createTestEmulator();
    const base = '/v1/accounts/localmeter/tunnels';
    const t = await request(app).post(base).set(AUTH).send({ name: 'my-tunnel' }).expect(201);
    expect(t.body.tunnelId).toMatch(/^tnl_[A-Za-z0-9]{24}$/);
    expect(t.body.token).toBeTruthy();
    await request(app).post(base).send({ name: 'my-tunnel' }).expect(409);
    expect((await request(app).get(base).expect(200)).body).toEqual({ data: [{ id: t.body.tunnelId, name: 'my-tunnel' }], limit: 1000, offset: 0, total: 1 });
    const rotated = await request(app).post(`${base}/${t.body.tunnelId}/$rotate-token`).expect(200);
    expect(rotated.body.token).not.toBe(t.body.token);

    const cfg = { version: 1, services: [{ name: 'db-api', endpoint: 'http://localhost:8080', configurations: [{ project: 'demo', accessibleBy: ['production'] }] }] };
    const prov = await request(app).put(`${base}/${t.body.tunnelId}/services-configuration`).send(cfg).expect(200);
    expect(prov.body.status).toBe('in-progress');
    expect((await request(app).get(`${base}/${t.body.tunnelId}/provisioning-operations/${prov.body.id}`).expect(200)).body.status).toBe('success');
    expect((await request(app).get(`${base}/${t.body.tunnelId}/services-configuration`).expect(200)).body).toEqual(cfg);

    const del = await request(app).delete(`${base}/${t.body.tunnelId}`).expect(200);
    expect(del.body.status).toBe('in-progress');
    const poll = await request(app).get(`${base}/${t.body.tunnelId}/teardown-operations/${del.body.id}`).expect(200);
    expect(poll.body.status).toBe('success');
    await request(app).get(`${base}/${t.body.tunnelId}`).expect(404);
    const nf = await request(app).get(`${base}/${t.body.tunnelId}/teardown-operations/nope`).expect(404);
    expect(nf.headers['content-type']).toContain('application/problem+json');
    expect(nf.body.title).toBe('Not Found');
  });
});

describe('Zuplo Developer API: custom domains, certificates, fleets', () => {
  it('attaches a custom domain to a deployment and removes it', async () => {
    const { app } = createTestEmulator();
    const src = await request(app).post('/v1/deployments/source-url').send({ accountName: 'localmeter', projectName: 'shop', environment: 'main' }).expect(200);
    await request(app).put(new URL(src.body.uploadUrl).pathname).set('Content-Type', 'application/gzip').send(Buffer.from('x')).expect(200);
    const dep = (await request(app).get('/v1/accounts/localmeter/projects/shop/deployments').expect(200)).body.data[0];
    const base = '/v1/accounts/localmeter/custom-domains';
    const created = await request(app).post(base).send({ hostname: 'api.example.com', deploymentName: dep.name, stage: 'api' }).expect(200);
    expect(created.body).toMatchObject({ hostname: 'api.example.com', deploymentName: dep.name, stage: 'api', cname: `${dep.name}.localmeter.local` });
    expect(created.body.ownershipVerification.type).toBe('TXT');
    await request(app).post(base).send({ hostname: 'api.example.com' }).expect(409);
    const list = await request(app).get(base).expect(200);
    expect(list.body.data[0]).toMatchObject({ hostname: 'api.example.com', projectName: 'shop', provider: 'cloudflare' });
    expect(list.body.data[0].deployments[0]).toMatchObject({ environmentType: 'PRODUCTION', branch: 'main' });
    await request(app).delete(`${base}?hostname=api.example.com&deploymentName=${dep.name}`).expect(200);
    await request(app).delete(`${base}?hostname=api.example.com`).expect(404);
  });

  it('parses uploaded CA and mTLS certificates', async () => {
    const { app } = createTestEmulator();
    const ca = await request(app).post('/v1/accounts/localmeter/client-mtls-ca-certificates').send({ name: 'partners', certificate: TEST_CERT_PEM }).expect(201);
    expect(ca.body.id).toMatch(/^cert_/);
    expect(ca.body.certificateInfo.subject).toContain('CN=localmeter-test-ca');
    await request(app).post('/v1/accounts/localmeter/client-mtls-ca-certificates').send({ name: 'bad', certificate: 'not a pem' }).expect(400);
    const upd = await request(app).patch(`/v1/accounts/localmeter/client-mtls-ca-certificates/${ca.body.id}`).send({ name: 'renamed' }).expect(200);
    expect(upd.body.name).toBe('renamed');
    expect((await request(app).get('/v1/accounts/localmeter/client-mtls-ca-certificates').expect(200)).body.data).toHaveLength(1);
    await request(app).delete(`/v1/accounts/localmeter/client-mtls-ca-certificates/${ca.body.id}`).expect(204);

    const base = '/v1/accounts/localmeter/projects/shop/mtls-certificates';
    const m = await request(app).post(base).send({ name: 'upstream', certificate: TEST_CERT_PEM, key: TEST_KEY_PEM, environments: ['production'] }).expect(201);
    expect(m.body.environments).toEqual({ development: false, preview: false, production: true });
    const disabled = await request(app).patch(`${base}/${m.body.id}`).send({ environments: [] }).expect(200);
    expect(disabled.body.environments.production).toBe(false);
    await request(app).delete(`${base}/${m.body.id}`).expect(204);
    await request(app).get(`${base}/${m.body.id}`).expect(404);
  });

  it('stores a fleet proxy configuration', async () => {
    const { app } = createTestEmulator();
    const base = '/v1/accounts/localmeter/fleets/edge-eu';
    expect((await request(app).get(base).expect(200)).body.name).toBe('edge-eu');
    await request(app).get(`${base}/proxy-configuration`).expect(404);
    await request(app).put(`${base}/proxy-configuration`).send({ routes: [{ path: '/x' }] }).expect(200);
    expect((await request(app).get(`${base}/proxy-configuration`).expect(200)).body).toEqual({ routes: [{ path: '/x' }] });
    await request(app).delete(`${base}/proxy-configuration`).expect(204);
  });
});

describe('Zuplo Developer API: audit logs, openapi, MCP', () => {
  it('records mutations, filters them and limits the range to 30 days', async () => {
    const { app } = createTestEmulator();
    await request(app).post('/v1/accounts/localmeter/tunnels').set(AUTH).send({ name: 'tun-1' }).expect(201);
    await request(app).post('/v1/accounts/localmeter/tunnels').set(AUTH).send({ name: 'tun-1' }).expect(409);
    await request(app).post('/v1/accounts/localmeter/key-buckets').set(AUTH).send({ name: 'my-bucket' }).expect(200);
    const all = await request(app).get('/v1/accounts/localmeter/audit-logs').expect(200);
    expect(all.body.data.map((e: { action: string; success: boolean }) => [e.action, e.success])).toEqual([
      ['key-bucket.create', true],
      ['tunnel.create', false],
      ['tunnel.create', true],
    ]);
    expect(all.body.pagination).toEqual({ limit: 20, offset: 0, total: 3, hasMore: false });
    const failed = await request(app).get('/v1/accounts/localmeter/audit-logs?success=false').expect(200);
    expect(failed.body.data).toHaveLength(1);
    expect(failed.body.data[0].error).toContain('already exists');
    const page = await request(app).get('/v1/accounts/localmeter/audit-logs?action=tunnel.create&limit=1').expect(200);
    expect(page.body.pagination).toEqual({ limit: 1, offset: 0, total: 2, hasMore: true });
    const range = (from: string, to: string) => `/v1/accounts/localmeter/audit-logs?startDate=${encodeURIComponent(from)}&endDate=${encodeURIComponent(to)}`;
    const tooLong = await request(app).get(range('2025-10-01T00:00:00Z', '2026-01-01T00:00:00Z')).expect(400);
    expect(tooLong.body.detail).toContain('30 days');
    const old = await request(app).get(range('2025-12-01T00:00:00Z', '2025-12-20T00:00:00Z')).expect(200);
    expect(old.body.data).toEqual([]);
  });

  it('serves its own OpenAPI document', async () => {
    const { app } = createTestEmulator();
    const r = await request(app).get('/openapi').expect(200);
    expect(r.body.paths['/v1/who-am-i']).toBeDefined();
  });

  it('answers JSON-RPC 2.0 on /mcp and /mcp/docs', async () => {
    const { app } = createTestEmulator();
    const init = await request(app).post('/mcp').send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }).expect(200);
    expect(init.body.result.serverInfo.name).toBe('zuplo-developer-api');
    const tools = await request(app).post('/mcp').send({ jsonrpc: '2.0', id: 2, method: 'tools/list' }).expect(200);
    expect(tools.body.result.tools.map((t: { name: string }) => t.name)).toEqual(['list_meters', 'query_meter', 'lookup_api_key']);
    await request(app).post('/v3/metering/bckt_x/meters').send({ slug: 'requests', name: 'Requests', eventType: 'req', aggregation: 'COUNT' }).expect(201);
    const call = await request(app).post('/mcp').send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_meters', arguments: { bucketId: 'bckt_x' } } }).expect(200);
    expect(call.body.result.structuredContent).toEqual([expect.objectContaining({ slug: 'requests', aggregation: 'COUNT' })]);
    const unknown = await request(app).post('/mcp').send({ jsonrpc: '2.0', id: 4, method: 'nope' }).expect(200);
    expect(unknown.body.error.code).toBe(-32601);
    const invalid = await request(app).post('/mcp/docs').send({ id: 5, method: 'initialize' }).expect(200);
    expect(invalid.body.error.code).toBe(-32600);
    await request(app).post('/mcp').send({ jsonrpc: '2.0', method: 'notifications/initialized' }).expect(202);
    const malformed = await request(app).post('/mcp').set('Content-Type', 'application/json').send('{"jsonrpc": "2.0", "id": 6,').expect(400);
    expect(malformed.body.error.code).toBe(-32700);
    const notObject = await request(app).post('/mcp').set('Content-Type', 'application/json').send('"hello"').expect(400);
    expect(notObject.body.error.code).toBe(-32600);
  });
});

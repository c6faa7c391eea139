import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { base58Decode } from '../../src/domain/platform/base58.ts';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

const AUTH = { Authorization: 'Bearer zpka_test_key' };

/** As @zuplo/runtime's Environment constructor and Zudoku's vite/zuplo.ts read it: base58 → UTF-8 → JSON. */
const decodeSystemConfigurations = (s: string): Record<string, string> => JSON.parse(new TextDecoder().decode(base58Decode(s))) as Record<string, string>;

describe('Zuplo `zuplo link`: systemConfigurations a linked runtime can decode', () => {
  it('local-configurations and configurations carry base58(JSON) pointing the runtime at this emulator', async () => {
    const { app } = createTestEmulator();
    const src = await request(app).post('/v1/deployments/source-url').set(AUTH).send({ accountName: 'localmeter', projectName: 'shop', environment: 'main' }).expect(200);
    await request(app).put(new URL(src.body.uploadUrl).pathname).set('Content-Type', 'application/octet-stream').send(Buffer.from('x')).expect(200);
    const status = await request(app).get(`/v1/accounts/localmeter/projects/shop/deployment-status/${src.body.deploymentId}`).set(AUTH).expect(200);
    const deploymentName = new URL(status.body.url as string).hostname.split('.')[0]!;

    const local = await request(app).get('/v1/environments/main/local-configurations').set(AUTH).set('Host', 'localhost:8787').expect(200);
    // not JSON any more: the runtime would log "Failed to parse runtime configuration"
    expect(local.body.systemConfigurations).toMatch(/^[1-9A-HJ-NP-Za-km-z]+$/);
    const sys = decodeSystemConfigurations(local.body.systemConfigurations as string);
    expect(sys).toEqual({
      __ZUPLO_DEPLOYMENT_NAME: deploymentName,
      __ZUPLO_AUTH_API_JWT: expect.stringMatching(/^[\w-]+\.[\w-]+\.$/),
      // the edge URL is this emulator as the client reached it (the Host header)
      __ZUPLO_EDGE_API_URL: 'http://localhost:8787',
      __ZUPLO_CONFIG: expect.any(String),
      ZUPLO_SERVICE_BUCKET_ID: 'zprj-shop-production',
      ZUPLO_API_KEY_SERVICE_BUCKET_NAME: 'zprj-shop-production',
      ZUPLO_ENVIRONMENT_TYPE: 'production',
      ZUPLO_PROJECT_ID: expect.any(String),
    });
    // the runtime reads __ZUPLO_CONFIG with atob + JSON.parse
    expect(JSON.parse(atob(sys.__ZUPLO_CONFIG!))).toEqual({ deployment_name: deploymentName, account_name: 'localmeter', project_name: 'shop', zuplo_edge_api_url: 'http://localhost:8787' });
    const claims = JSON.parse(Buffer.from(sys.__ZUPLO_AUTH_API_JWT!.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, string>;
    expect(claims.sub).toBe(deploymentName);

    // `zuplo link` without --local reads /configurations: the same encoding
    const conf = await request(app).get(`/v1/environments/${deploymentName}/configurations`).set(AUTH).set('Host', 'localhost:8787').expect(200);
    expect(decodeSystemConfigurations(conf.body.systemConfigurations as string)).toEqual(sys);

    // the bucket named there is the project's key bucket `zuplo bucket list` shows
    const buckets = await request(app).get('/v1/accounts/localmeter/key-buckets').set(AUTH).expect(200);
    expect(buckets.body.data.map((b: { name: string }) => b.name)).toContain('zprj-shop-production');
  });

  it('a preview branch links to the preview bucket', async () => {
    const { app } = createTestEmulator();
    const src = await request(app).post('/v1/deployments/source-url').set(AUTH).send({ accountName: 'localmeter', projectName: 'shop', environment: 'feature-x' }).expect(200);
    await request(app).put(new URL(src.body.uploadUrl).pathname).set('Content-Type', 'application/octet-stream').send(Buffer.from('x')).expect(200);
    const local = await request(app).get('/v1/environments/feature-x/local-configurations').set(AUTH).expect(200);
    const sys = decodeSystemConfigurations(local.body.systemConfigurations as string);
    expect(sys.ZUPLO_SERVICE_BUCKET_ID).toBe('zprj-shop-preview');
    expect(sys.__ZUPLO_EDGE_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../../src/harness/testEmulator.ts';
import type { RunningEmulator } from '../../src/runtime/main.ts';

/**
 * The real Zuplo runtime against this emulator: a minimal project with the
 * MonetizationInboundPolicy, linked with the real `zuplo link` and served by the real `zuplo dev`
 * (workerd). Opt-in and slow (~1 min): the CLI needs Node ≥ 24 and is not a dependency here.
 * Prepare a folder once (outside the repository):
 *
 *   mkdir /tmp/zuplo-try && cd /tmp/zuplo-try && npm init -y && npm i node@24 zuplo@7.4.5
 *
 * then run `LOCALMETER_ZUPLO_DEV=/tmp/zuplo-try npx vitest run test/zuplo/zuploDev.test.ts`.
 */
const tools = process.env.LOCALMETER_ZUPLO_DEV;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const USER = { Authorization: `Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'auth0|dev', email: 'dev@example.com' })}.` };

describe.runIf(tools !== undefined && tools !== '')('the real `zuplo dev` with the monetization policy (LOCALMETER_ZUPLO_DEV)', () => {
  let work: string | undefined;
  let running: RunningEmulator | undefined;
  let dev: ChildProcess | undefined;
  afterAll(async () => {
    if (dev?.pid) {
      try {
        process.kill(-dev.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await running?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('zuplo link writes a configuration the runtime decodes; the policy validates keys and meters usage here', async () => {
    const nodeModules = join(tools!, 'node_modules');
    const zuplo = join(nodeModules, '.bin', 'zuplo');
    expect(existsSync(zuplo), `${zuplo} (npm i node@24 zuplo@7.4.5 in ${tools})`).toBe(true);
    // a running clock: the policy's events carry no time, so they are stamped "now", and a frozen
    // clock would read usage up to that same instant (windows end exclusive)
    running = await startTestEmulator({ frozen: false });
    work = mkdtempSync(join(tmpdir(), 'lm-zuplo-dev-'));
    const api = running.url;
    const json = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const r = await fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await r.text();
      if (r.status >= 400) throw new Error(`${method} ${path} → ${r.status} ${text}`);
      return text ? (JSON.parse(text) as Record<string, any>) : {};
    };

    // a deployed project: its production bucket is zprj-mini-production
    const src = await json('POST', '/v1/deployments/source-url', { accountName: 'localmeter', projectName: 'mini', environment: 'main' });
    await fetch(src.uploadUrl as string, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
    const bucket = '/v3/metering/zprj-mini-production';
    await json('POST', `${bucket}/meters`, { slug: 'api_requests', name: 'API requests', eventType: 'api_requests', aggregation: 'SUM', valueProperty: '$.total' });
    await json('POST', `${bucket}/features`, { key: 'api_requests', name: 'API requests', meterSlug: 'api_requests' });
    const plan = await json('POST', `${bucket}/plans`, {
      key: 'free',
      name: 'Free',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'usage_based', key: 'api_requests', name: 'API requests', featureKey: 'api_requests', billingCadence: 'P1M', price: null, entitlementTemplate: { type: 'metered', isSoftLimit: false, issueAfterReset: 2, usagePeriod: 'P1M' } }] }],
    });
    await json('POST', `${bucket}/plans/${plan.id}/publish`);

    // the project: one route behind the monetization policy (meter `api_requests`, 1 per call)
    const proj = join(work, 'proj');
    mkdirSync(join(proj, 'config'), { recursive: true });
    mkdirSync(join(proj, 'modules'));
    symlinkSync(nodeModules, join(proj, 'node_modules'));
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'mini', version: '0.1.0', type: 'module', private: true, dependencies: { zuplo: '7.4.5' } }));
    writeFileSync(join(proj, 'zuplo.jsonc'), JSON.stringify({ version: 1, compatibilityDate: '2025-02-06' }));
    // the CLI would write numeric compiler options into a tsconfig of its own and then refuse them on the next start
    writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({ include: ['modules/**/*', '.zuplo/**/*'], compilerOptions: { module: 'ESNext', target: 'ES2022', moduleResolution: 'Bundler', lib: ['ESNext', 'WebWorker'], noEmit: true } }));
    writeFileSync(join(proj, 'modules', 'hello.ts'), 'export default async function (request: any) {\n  return new Response(JSON.stringify({ sub: request.user?.sub ?? null }), { headers: { "content-type": "application/json" } });\n}\n');
    writeFileSync(
      join(proj, 'config', 'policies.json'),
      JSON.stringify({ policies: [{ name: 'monetization-inbound', policyType: 'monetization-inbound', handler: { export: 'MonetizationInboundPolicy', module: '$import(@zuplo/runtime)', options: { meters: { api_requests: 1 } } } }] }),
    );
    writeFileSync(
      join(proj, 'config', 'routes.oas.json'),
      JSON.stringify({
        openapi: '3.1.0',
        info: { version: '1.0.0', title: 'mini' },
        paths: { '/hello': { get: { operationId: 'hello', responses: { '200': { description: 'ok' } }, 'x-zuplo-route': { corsPolicy: 'none', handler: { export: 'default', module: '$import(./modules/hello)' }, policies: { inbound: ['monetization-inbound'] } } } } },
      }),
    );
    const env = { ...process.env, PATH: `${join(nodeModules, 'node', 'bin')}:${process.env.PATH}`, ZUPLO_DEVELOPER_API_ENDPOINT: api, ZUPLO_API_KEY: 'anything', ZUPLO_DO_NOT_TRACK: '1', NODE_OPTIONS: '' };

    // not spawnSync: the emulator answering the CLI runs in this process
    const link = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(zuplo, ['link', '--account', 'localmeter', '--project', 'mini', '--environment', 'main'], { cwd: proj, env });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => resolve({ code, out }));
    });
    expect(link.code, link.out).toBe(0);
    expect(readFileSync(join(proj, '.env.zuplo'), 'utf8')).toMatch(/^ZUPLO_SYSTEM_CONFIGURATIONS=[1-9A-HJ-NP-Za-km-z]+$/m);

    // a developer subscribes in the portal and gets a key
    const deployment = /ZUPLO_PUBLIC_DEPLOYMENT_NAME="([^"]+)"/.exec(readFileSync(join(proj, '.env.zuplo'), 'utf8'))![1]!;
    const sub = await json('POST', `/v3/zudoku-metering/${deployment}/subscriptions`, { planId: plan.id }, USER);
    const key = sub.consumer.apiKeys[0].key as string;

    const port = await freePort();
    let log = '';
    dev = spawn(zuplo, ['dev', '--port', String(port), '--no-start-editor', '--no-start-docs'], { cwd: proj, env, detached: true });
    dev.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    dev.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const gw = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await fetch(`${gw}/hello`);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`zuplo dev did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const call = async (auth?: string) => {
      const r = await fetch(`${gw}/hello`, auth ? { headers: { authorization: auth } } : {});
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };

    // the policy's refusals (reference §1.1 rows 1 and 4): 403 problem details
    expect(await call()).toMatchObject({ status: 403, body: { detail: 'No Authorization Header' } });
    expect(await call('Bearer zpka_unknown')).toMatchObject({ status: 403, body: { detail: 'Authorization Failed' } });
    // the subscription's key passes; user.sub is the consumer's name
    expect(await call(`Bearer ${key}`)).toEqual({ status: 200, body: { sub: sub.consumer.name } });
    expect((await call(`Bearer ${key}`)).status).toBe(200);

    // the policy sends its CloudEvents after the response: wait until both are in
    const usage = async () => (await json('GET', `/v3/zudoku-metering/${deployment}/subscriptions/${sub.id}/usage`, undefined, USER)).entitlements.api_requests as Record<string, unknown>;
    const until = Date.now() + 20_000;
    while ((await usage()).usage !== 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    const journal = await json('GET', '/_emulator/requests?operationId=MeteringEventsService_ingest');
    expect(journal.data.length, JSON.stringify(await json('GET', '/_emulator/requests?surface=zuplo'))).toBeGreaterThanOrEqual(1);
    expect(journal.data[0].body).toEqual([expect.objectContaining({ type: 'api_requests', source: 'monetization-policy', subject: sub.consumer.name, subscription: sub.id, data: { total: 1 } })]);
    expect(await usage()).toMatchObject({ hasAccess: false, usage: 2, balance: 0 });
  }, 180_000);
});

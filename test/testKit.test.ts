import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, writeOperationsReport, type KitEmulator } from '../src/entry/testing.ts';

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const event = (subject: string, tokens: number) => ({
  method: 'POST',
  headers: { 'content-type': 'application/cloudevents+json' },
  body: JSON.stringify({ specversion: '1.0', id: `${subject}-${tokens}`, source: 'test', type: 'tokens', subject, data: { tokens } }),
});

describe('the contract-test kit', () => {
  let lm: KitEmulator;
  const reportDir = mkdtempSync(join(tmpdir(), 'lm-kit-report-'));
  beforeAll(async () => {
    lm = await startEmulator({ seed: 1, report: reportDir });
  });
  beforeEach(() => lm.reset());
  afterAll(async () => {
    await lm.stop();
    rmSync(reportDir, { recursive: true, force: true });
  });

  it('serves every surface on a free port, with base URLs per surface', async () => {
    expect(lm.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lm.urls).toEqual({ openmeter: lm.url, openmeterApi: `${lm.url}/api/v1`, konnect: `${lm.url}/v3`, zuplo: lm.url, control: `${lm.url}/_emulator` });
    expect((await fetch(`${lm.urls.openmeterApi}/meters`)).status).toBe(200);
    expect((await fetch(`${lm.urls.konnect}/openmeter/meters`)).status).toBe(200);
    expect((await fetch(`${lm.urls.zuplo}/v3/metering/bckt_1/meters`)).status).toBe(200);
    expect((await fetch(`${lm.urls.control}/health`)).status).toBe(200);
  });

  it('starts frozen at 2026-01-01 and moves only when told; advance runs the jobs due on the way', async () => {
    expect(lm.clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(lm.clock.frozen).toBe(true);
    await lm.clock.advance('P1M');
    expect(lm.clock.now().toISOString()).toBe('2026-02-01T00:00:00.000Z');
    await lm.clock.advance({ to: '2026-02-15T00:00:00Z' });
    expect(lm.clock.now().toISOString()).toBe('2026-02-15T00:00:00.000Z');
    await lm.clock.set('2026-01-10T00:00:00Z');
    expect(lm.clock.now().toISOString()).toBe('2026-01-10T00:00:00.000Z');
    await expect(lm.clock.advance('one month')).rejects.toThrow(/not an ISO 8601 duration: one month \(e\.g\. 'P1M'/);
    await expect(lm.clock.advance({ to: '2025-01-01T00:00:00Z' })).rejects.toThrow(/before now/);
  });

  it('journals each request with its operation and body, and verifies calls', async () => {
    await fetch(`${lm.urls.openmeterApi}/meters`, json({ slug: 'tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }));
    await fetch(`${lm.urls.openmeterApi}/events`, event('alice', 10));
    await fetch(`${lm.urls.openmeterApi}/events`, event('bob', 5));
    expect(lm.requests().map((r) => `${r.method} ${r.path} ${r.status} ${r.operationId}`)).toEqual([
      'POST /api/v1/meters 200 createMeter',
      'POST /api/v1/events 204 ingestEvents',
      'POST /api/v1/events 204 ingestEvents',
    ]);
    expect(lm.calls('ingestEvents')[0]!.body).toMatchObject({ subject: 'alice', data: { tokens: 10 } });
    expect(lm.called('createMeter')).toBe(true);
    expect(lm.expectCalled('ingestEvents', { times: 2, body: { subject: 'bob' } })).toHaveLength(2);
    expect(() => lm.expectCalled('ingestEvents', { times: 1 })).toThrow('expected ingestEvents to be called 1 time(s), it was called 2 time(s); requests served: POST /api/v1/meters → 200 (createMeter);');
    expect(() => lm.expectCalled('ingestEvents', { body: { subject: 'carol' } })).toThrow('no call of ingestEvents had a body matching {"subject":"carol"}: call 1: $.subject: expected "carol", got "alice"; call 2: $.subject: expected "carol", got "bob"');
    expect(() => lm.expectCalled('deleteMeter')).toThrow(/^expected deleteMeter to be called; requests served: /);
    lm.expectNotCalled('deleteMeter');
    expect(() => lm.expectNotCalled('createMeter')).toThrow('expected createMeter not to be called; it was called 1 time(s): POST /api/v1/meters');
  });

  it('the control plane journal carries bodies and filters by operation', async () => {
    await fetch(`${lm.urls.openmeterApi}/meters`, json({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }));
    await fetch(`${lm.urls.openmeterApi}/meters`);
    const res = (await (await fetch(`${lm.urls.control}/requests?operationId=createMeter`)).json()) as { data: Array<{ operationId: string; body: unknown }> };
    expect(res.data).toHaveLength(1);
    expect(res.data[0]).toMatchObject({ operationId: 'createMeter', body: { slug: 'calls' } });
  });

  it('reset drops state and the journal, not what the run exercised', async () => {
    await fetch(`${lm.urls.openmeterApi}/meters`, json({ slug: 'calls', eventType: 'call', aggregation: 'COUNT' }));
    await lm.reset();
    expect(lm.requests()).toEqual([]);
    expect(await (await fetch(`${lm.urls.openmeterApi}/meters`)).json()).toEqual([]);
    expect(lm.exercised()).toEqual(expect.arrayContaining(['openmeter-v1 createMeter', 'openmeter-v1 listMeters']));
  });

  it('instances are isolated from each other', async () => {
    const other = await startEmulator();
    try {
      await fetch(`${other.urls.openmeterApi}/meters`, json({ slug: 'elsewhere', eventType: 'e', aggregation: 'COUNT' }));
      expect(await (await fetch(`${lm.urls.openmeterApi}/meters`)).json()).toEqual([]);
      expect(lm.called('createMeter')).toBe(false);
    } finally {
      await other.stop();
    }
  });

  it('writes what a run exercised against every documented operation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lm-kit-report2-'));
    try {
      const a = await startEmulator({ report: dir });
      const b = await startEmulator({ report: dir });
      await fetch(`${a.urls.openmeterApi}/meters`);
      await fetch(`${b.urls.openmeterApi}/meters`);
      await fetch(`${b.urls.openmeterApi}/meters/nope`);
      await fetch(`${b.urls.konnect}/openmeter/meters`);
      await a.stop();
      await b.stop();
      expect(readdirSync(dir).filter((f) => f.startsWith('exercised-'))).toHaveLength(2);
      const report = writeOperationsReport(dir);
      expect(report.summary).toBe('localmeter: openmeter-v1: 2 of 153 documented operations exercised\nlocalmeter: konnect-v3: 1 of 101 documented operations exercised');
      expect(report.operations.find((o) => o.surface === 'openmeter-v1' && o.operationId === 'listMeters')).toMatchObject({ calls: 2, statuses: { 200: 2 } });
      expect(report.operations.find((o) => o.operationId === 'getMeter' && o.surface === 'openmeter-v1')).toMatchObject({ calls: 1, statuses: { 404: 1 } });
      expect(readFileSync(join(dir, 'operations.md'), 'utf8')).toContain('| listMeters | GET | `/api/v1/meters` | 2 | 200×2 |');
      expect(existsSync(join(dir, 'operations.json'))).toBe(true);
      // the parts are merged once
      expect(readdirSync(dir).filter((f) => f.startsWith('exercised-'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * The credit burn-down engine as the v1 entitlement value and history show it. Real behaviour:
 * `openmeter/credit/engine/reset.go` (the zero-length rollover segment and the preserved overage
 * it pays), `engine/history.go` (that payment counts as grant usage of the new period),
 * `openmeter/credit/balance.go GetBalanceForPeriod` (history restarts from the balance at `from`).
 */
const T0 = '2026-01-01T00:00:00Z';
const ev = (id: string, time: string, tokens: number) => ({ specversion: '1.0', id, source: 'test', type: 'tokens', subject: 'acme_prod', time, data: { tokens } });
const advance = (app: Express, by: string) => request(app).post('/_emulator/clock/advance').send({ by }).expect(200);
const ingest = (app: Express, events: unknown[]) => request(app).post('/api/v1/events').send(events).expect(204);

async function setup(entitlement: Record<string, unknown>) {
  const { app } = createTestEmulator();
  await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }).expect(200);
  await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' }).expect(201);
  await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme_prod'] } }).expect(201);
  const ent = await request(app).post('/api/v2/customers/acme/entitlements').send({ type: 'metered', featureKey: 'tokens', ...entitlement }).expect(201);
  return { app, entitlementId: ent.body.id as string };
}

describe('OpenMeter v1: credit engine at resets and history windows', () => {
  it('an automatic reset adds a zero-length rollover segment; the overage it pays counts as grant usage', async () => {
    const { app } = await setup({ usagePeriod: { interval: 'DAY' }, preserveOverageAtReset: true });
    const g = await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 20, minRolloverAmount: 20, effectiveAt: T0 }).expect(201);
    await ingest(app, [ev('e1', '2026-01-01T00:10:00Z', 35)]);
    await advance(app, 'PT25H'); // past the Jan 2 reset

    // Jan 1: 20 − 35 → overage 15. Reset: rollover max(20, 0) = 20 pays the preserved 15 → 5.
    // totalAvailableGrantAmount = 15 paid at the reset + 0 burnt since + balance 5 = 20
    const v = await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200);
    expect(v.body).toMatchObject({ usage: 0, balance: 5, overage: 0, totalAvailableGrantAmount: 20 });

    const h = await request(app).get('/api/v2/customers/acme/entitlements/tokens/history').query({ windowSize: 'DAY', from: T0, to: '2026-01-02T01:00:00Z' }).expect(200);
    expect(h.body.burndownHistory).toEqual([
      { period: { from: T0, to: '2026-01-02T00:00:00Z' }, usage: 35, overage: 15, balanceAtStart: 20, balanceAtEnd: 0,
        grantBalancesAtStart: { [g.body.id]: 20 }, grantBalancesAtEnd: { [g.body.id]: 0 }, grantUsages: [{ grantId: g.body.id, usage: 20 }] },
      // the rollover transition [T, T]: starts at the rolled-over 20, pays 15 of overage → 5
      { period: { from: '2026-01-02T00:00:00Z', to: '2026-01-02T00:00:00Z' }, usage: 0, overage: 0, balanceAtStart: 20, balanceAtEnd: 5,
        grantBalancesAtStart: { [g.body.id]: 20 }, grantBalancesAtEnd: { [g.body.id]: 5 }, grantUsages: [{ grantId: g.body.id, usage: 15 }] },
      { period: { from: '2026-01-02T00:00:00Z', to: '2026-01-02T01:00:00Z' }, usage: 0, overage: 0, balanceAtStart: 5, balanceAtEnd: 5,
        grantBalancesAtStart: { [g.body.id]: 5 }, grantBalancesAtEnd: { [g.body.id]: 5 }, grantUsages: [] },
    ]);
    // the windows are unchanged by the zero-length segment
    expect(h.body.windowedHistory.map((w: { balanceAtStart: number }) => w.balanceAtStart)).toEqual([20, 5]);
  });

  it('a manual reset with preserveOverage keeps the paid overage as grant usage after it', async () => {
    const { app, entitlementId } = await setup({ usagePeriod: { interval: 'MONTH' } });
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 20, minRolloverAmount: 20, effectiveAt: T0 }).expect(201);
    await ingest(app, [ev('e1', '2026-01-01T00:05:00Z', 26)]);
    await advance(app, 'PT1H');
    await request(app).post(`/api/v1/subjects/acme_prod/entitlements/${entitlementId}/reset`).send({ preserveOverage: true }).expect(204);
    await ingest(app, [ev('e2', '2026-01-01T01:00:30Z', 4)]);
    await advance(app, 'PT1M');
    // 20 − 26 → overage 6; reset at 01:00: rollover 20 pays 6 → 14; then 14 − 4 = 10
    // totalAvailableGrantAmount = 6 paid at the reset + 4 + 10 = 20
    const v = await request(app).get('/api/v2/customers/acme/entitlements/tokens/value').expect(200);
    expect(v.body).toMatchObject({ usage: 4, balance: 10, overage: 0, totalAvailableGrantAmount: 20 });
  });

  it('history starts at the requested `from`, not at the entitlement start', async () => {
    const { app } = await setup({ usagePeriod: { interval: 'MONTH' } });
    await request(app).post('/api/v2/customers/acme/entitlements/tokens/grants').send({ amount: 100, effectiveAt: T0 }).expect(201);
    await ingest(app, [ev('e1', '2026-01-01T00:30:00Z', 10), ev('e2', '2026-01-01T02:30:00Z', 5)]);
    await advance(app, 'PT4H');
    const h = await request(app).get('/api/v1/subjects/acme_prod/entitlements/tokens/history').query({ windowSize: 'HOUR', from: '2026-01-01T02:00:00Z', to: '2026-01-01T04:00:00Z' }).expect(200);
    // the engine restarts from the balance at 02:00: 100 − 10 = 90, then 90 − 5 = 85
    expect(h.body.burndownHistory.map((s: { period: { from: string; to: string }; usage: number; balanceAtStart: number; balanceAtEnd: number }) => [s.period.from, s.period.to, s.usage, s.balanceAtStart, s.balanceAtEnd])).toEqual([
      ['2026-01-01T02:00:00Z', '2026-01-01T04:00:00Z', 5, 90, 85],
    ]);
    expect(h.body.windowedHistory).toEqual([
      { period: { from: '2026-01-01T02:00:00Z', to: '2026-01-01T03:00:00Z' }, usage: 5, balanceAtStart: 90 },
      { period: { from: '2026-01-01T03:00:00Z', to: '2026-01-01T04:00:00Z' }, usage: 0, balanceAtStart: 85 },
    ]);
  });
});

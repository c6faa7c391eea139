import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { setupSubscriptions } from './subscriptionFixtures.ts';

/**
 * Subscriptions feed billing through SubscriptionBillingSource: their target lines (engine.md
 * §3.3) become pending lines when their billing period starts, and the collection job invoices
 * them (worker/subscriptionsync, worker/collect).
 */
describe('invoices from subscriptions', () => {
  it('pro plan: the trial bills nothing; then 30 in advance each month and tokens in arrears at 0.01', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'pro' } }).expect(201);
    await request(app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: 'e1', source: 't', type: 'tokens', subject: 'acme_prod', time: '2026-01-20T00:00:00Z', data: { tokens: 500 } }])
      .expect(204);
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-03-01T02:00:00Z' }).expect(200);
    const list = (await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId, expand: 'lines', orderBy: 'createdAt' }).expect(200)).body.items;
    // the gathering invoice already holds April's fee (generated one billing period ahead)
    const gathering = list.filter((i: { status: string }) => i.status === 'gathering');
    expect(gathering).toHaveLength(1);
    const rows = list.filter((i: { status: string }) => i.status !== 'gathering').map((i: { number: string; status: string; totals: { total: string }; issuedAt: string; lines: Array<{ name: string; totals: { total: string }; managedBy: string }> }) => [
      i.number,
      i.status,
      i.totals.total,
      i.issuedAt,
      i.lines.map((l) => `${l.name}=${l.totals.total}`),
    ]);
    expect(rows).toEqual([
      // trial ends 2026-01-15: the fee of the first (partial) billing period, prorated 30 × 17/31 days = 16.45, in advance
      ['OM-SANDBOX-ACME-1', 'paid', '16.45', '2026-01-15T00:00:00Z', ['Base fee=16.45']],
      // February's fee 30 in advance + January's tokens 500 × 0.01 = 5, after the PT1H collection interval
      ['OM-SANDBOX-ACME-2', 'paid', '35', '2026-02-01T01:00:00Z', ['Base fee=30', 'Tokens=5']],
      // March's fee 30 + February's tokens 0 × 0.01 = 0
      ['OM-SANDBOX-ACME-3', 'paid', '30', '2026-03-01T01:00:00Z', ['Base fee=30', 'Tokens=0']],
    ]);
    expect(list.flatMap((i: { lines: Array<{ managedBy: string }> }) => i.lines).every((l: { managedBy: string }) => l.managedBy === 'subscription')).toBe(true);
  });
});

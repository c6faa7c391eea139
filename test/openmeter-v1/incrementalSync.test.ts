import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { setupSubscriptions } from './subscriptionFixtures.ts';

/**
 * A customer's subscription sync where only time moved since its last reconcile handles only the
 * items newly due and the invoices replaced since (InvoiceService `reconciled`). Whatever happens
 * in between — invoices collected, issued and paid, a gathering invoice deleted, a subscription
 * edited or canceled, usage arriving — the invoices must come out exactly as when every sync
 * reconciles every item and invoice (worker/subscriptionsync reconciles the whole target state).
 */
describe('incremental subscription sync', () => {
  const world = async (incremental: boolean) => {
    const w = await setupSubscriptions();
    w.emulator.services.invoices.incrementalSync = incremental;
    return w;
  };
  const invoices = async (app: Express, customerId: string) =>
    (await request(app).get('/api/v1/billing/invoices').query({ customers: customerId, expand: 'lines', orderBy: 'createdAt', includeDeletedLines: true }).expect(200)).body.items;
  const advance = (app: Express, to: string) => request(app).post('/_emulator/clock/advance').send({ to }).expect(200);
  const usage = (app: Express, id: string, time: string, tokens: number) =>
    request(app).post('/api/v1/events').send([{ specversion: '1.0', id, source: 't', type: 'tokens', subject: 'acme_prod', time, data: { tokens } }]).expect(204);

  it('leaves the same invoices as full reconciles: collected and paid months, a deleted gathering invoice, an edit, a cancel', async () => {
    const steps = async (w: Awaited<ReturnType<typeof world>>) => {
      const { app, acmeId } = w;
      const sub = (await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'pro' } }).expect(201)).body;
      await usage(app, 'e1', '2026-01-20T00:00:00Z', 500);
      await advance(app, '2026-02-01T02:00:00Z');
      // the pending lines of the gathering invoice go with it; the next sync finds their items again
      const gathering = (await invoices(app, acmeId)).find((i: { status: string }) => i.status === 'gathering');
      expect(gathering).toBeDefined();
      await request(app).delete(`/api/v1/billing/invoices/${gathering.id}`).expect(204);
      await usage(app, 'e2', '2026-02-10T00:00:00Z', 700);
      await advance(app, '2026-04-01T02:00:00Z');
      // an edit (a new item from May) and, later, a cancel at the period's end
      await request(app)
        .patch(`/api/v1/subscriptions/${sub.id}`)
        .send({ customizations: [{ op: 'add_item', phaseKey: 'default', rateCard: { type: 'flat_fee', key: 'support', name: 'Support', billingCadence: 'P1M', price: { type: 'flat', amount: '5', paymentTerm: 'in_advance' } } }] })
        .expect(200);
      await advance(app, '2026-06-01T02:00:00Z');
      await usage(app, 'e3', '2026-06-03T00:00:00Z', 100);
      await request(app).post(`/api/v1/subscriptions/${sub.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
      await advance(app, '2026-09-01T02:00:00Z');
      return invoices(app, acmeId);
    };
    const incremental = await steps(await world(true));
    const full = await steps(await world(false));
    expect(incremental.length).toBeGreaterThan(5);
    expect(incremental).toEqual(full);
  });
});

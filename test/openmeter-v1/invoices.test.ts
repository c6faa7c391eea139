import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * OpenMeter v1 invoices over HTTP: pending lines, invoice-now, the state machine and its
 * refusals. Behaviour from openmeter/billing/service/{gatheringinvoicependinglines.go,
 * stdinvoicestate.go,invoice.go}, app/sandbox/app.go and engine.md §2.
 */

const ingest = (app: Express, events: unknown[]) => request(app).post('/api/v1/events').send(events).expect(204);
const ev = (id: string, time: string, tokens: number) => ({ specversion: '1.0', id, source: 'test', type: 'tokens', subject: 'acme_prod', time, data: { tokens } });

/** meter tokens_total (SUM), feature `tokens`, customer "Acme Corp" (prefix ACCO) with subject acme_prod; clock 2026-01-01 */
async function setup() {
  const t = createTestEmulator();
  const { app } = t;
  await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }).expect(200);
  await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' }).expect(201);
  const cust = await request(app).post('/api/v1/customers').send({ name: 'Acme Corp', key: 'acme', usageAttribution: { subjectKeys: ['acme_prod'] } }).expect(201);
  return { ...t, customerId: cust.body.id as string };
}

const flatLine = (amount: string, from = '2026-01-01T00:00:00Z', to = '2026-02-01T00:00:00Z') => ({
  name: 'Platform fee',
  period: { from, to },
  invoiceAt: from,
  rateCard: { price: { type: 'flat', amount } },
});
const unitLine = (amount: string, from = '2025-12-01T00:00:00Z', to = '2026-01-01T00:00:00Z') => ({
  name: 'Tokens',
  period: { from, to },
  invoiceAt: to,
  rateCard: { featureKey: 'tokens', price: { type: 'unit', amount } },
});

describe('OpenMeter v1 pending lines and gathering invoices', () => {
  it('creates a gathering invoice per customer and currency, numbered GATHER-<prefix>-<currency>-<n>, answering 201', async () => {
    const { app, customerId } = await setup();
    const r = await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flatLine('10')] }).expect(201);
    expect(r.body.isInvoiceNew).toBe(true);
    expect(r.body.invoice.number).toBe('GATHER-ACCO-USD-1');
    expect(r.body.invoice.status).toBe('gathering');
    expect(r.body.lines).toHaveLength(1);
    // a flat price without a payment term is in advance (productcatalog DefaultPaymentTerm)
    expect(r.body.lines[0].price).toEqual({ type: 'flat', amount: '10', paymentTerm: 'in_advance' });
    const again = await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flatLine('5')] }).expect(201);
    expect(again.body.isInvoiceNew).toBe(false);
    expect(again.body.invoice.id).toBe(r.body.invoice.id);
    expect(again.body.invoice.lines).toHaveLength(2);
    const eur = await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'EUR', lines: [flatLine('5')] }).expect(201);
    expect(eur.body.invoice.number).toBe('GATHER-ACCO-EUR-2');
    const list = await request(app).get('/api/v1/billing/invoices').query({ customers: customerId }).expect(200);
    expect(list.body.totalCount).toBe(2);
  });

  it('refuses a usage-based line without a feature (usage_based_price_with_no_feature)', async () => {
    const { app, customerId } = await setup();
    const r = await request(app)
      .post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`)
      .send({ currency: 'USD', lines: [{ ...unitLine('1'), rateCard: { price: { type: 'unit', amount: '1' } } }] })
      .expect(400);
    expect(r.body.extensions.validationErrors[0].code).toBe('usage_based_price_with_no_feature');
  });

  it('a v1 DELETE of a gathering invoice deletes its pending lines and answers 204', async () => {
    const { app, customerId } = await setup();
    const r = await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flatLine('10')] }).expect(201);
    await request(app).delete(`/api/v1/billing/invoices/${r.body.invoice.id}`).expect(204);
    expect((await request(app).get('/api/v1/billing/invoices').expect(200)).body.totalCount).toBe(0);
    const withDeleted = await request(app).get('/api/v1/billing/invoices').query({ includeDeleted: true }).expect(200);
    expect(withDeleted.body.items[0].deletedAt).toBeDefined();
    // nothing left to invoice
    const now = await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(400);
    expect(now.body.extensions.code).toBe('invoice_create_no_lines');
  });
});

describe('OpenMeter v1 invoice now and the sandbox app', () => {
  it('a flat-only invoice with the default sandbox profile ends paid at once, numbered OM-SANDBOX-<prefix>-<n>', async () => {
    const { app, customerId } = await setup();
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flatLine('10.005')] }).expect(201);
    const r = await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201);
    expect(r.body).toHaveLength(1);
    const inv = r.body[0];
    expect(inv.status).toBe('paid');
    expect(inv.statusDetails.extendedStatus).toBe('paid');
    expect(inv.number).toBe('OM-SANDBOX-ACCO-1');
    // 10.005 rounds half away from zero to 10.01 (currencyx RoundToPrecision)
    expect(inv.totals.total).toBe('10.01');
    expect(inv.issuedAt).toBe('2026-01-01T00:00:00Z');
    // dueAt = draftUntil (createdAt, draftPeriod P0D) + dueAfter P30D
    expect(inv.dueAt).toBe('2026-01-31T00:00:00Z');
    expect(inv.lines[0].children[0]).toMatchObject({ name: 'Platform fee', quantity: '1', perUnitAmount: '10.005', paymentTerm: 'in_advance' });
    // the gathering invoice had only that line: it is gone
    const list = await request(app).get('/api/v1/billing/invoices').expect(200);
    expect(list.body.items.map((i: { status: string }) => i.status)).toEqual(['paid']);
  });

  it('a usage invoice waits for the collection interval (PT1H) in draft.waiting_for_collection', async () => {
    const { app, customerId } = await setup();
    await ingest(app, [ev('a', '2025-12-10T00:00:00Z', 100), ev('b', '2025-12-20T00:00:00Z', 23)]);
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [unitLine('0.1')] }).expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    expect(inv.statusDetails.extendedStatus).toBe('draft.waiting_for_collection');
    expect(inv.number).toBe('DRAFT-ACCO-1');
    // collectionAt = invoiceAt 2026-01-01T00:00Z + PT1H
    expect(inv.collectionAt).toBe('2026-01-01T01:00:00Z');
    // 123 tokens × 0.1 = 12.3
    expect(inv.totals.total).toBe('12.3');
    expect(inv.lines[0].quantity).toBe('123');
    // force-collect, then next until stable: the draft period ends at draftUntil = collectionAt + P0D, still ahead
    expect(inv.statusDetails.availableActions.snapshotQuantities).toEqual({ resultingState: 'draft.waiting_auto_approval' });
    expect(inv.statusDetails.availableActions.delete).toEqual({ resultingState: 'deleted' });
    expect(inv.statusDetails.availableActions.advance).toBeUndefined();
    // advance is refused until collection: invoice_cannot_advance
    const refused = await request(app).post(`/api/v1/billing/invoices/${inv.id}/advance`).expect(400);
    expect(refused.body.extensions.code).toBe('invoice_cannot_advance');
    // approve is not available in this state
    const approve = await request(app).post(`/api/v1/billing/invoices/${inv.id}/approve`).expect(400);
    expect(approve.body.extensions.code).toBe('invoice_action_not_available');
    // a late event inside the period counts: quantities are snapshotted again at collection
    await ingest(app, [ev('c', '2025-12-31T23:30:00Z', 7)]);
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-01-01T02:00:00Z' }).expect(200);
    const after = (await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body;
    expect(after.status).toBe('paid');
    // 130 × 0.1 = 13
    expect(after.totals.total).toBe('13');
    expect(after.number).toBe('OM-SANDBOX-ACCO-1');
  });

  it('snapshot-quantities collects at once; the invoice then waits for draftUntil, approve skips the draft period', async () => {
    const { app, customerId } = await setup();
    await ingest(app, [ev('a', '2025-12-10T00:00:00Z', 10)]);
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [unitLine('1')] }).expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    const snap = await request(app).post(`/api/v1/billing/invoices/${inv.id}/snapshot-quantities`).expect(200);
    expect(snap.body.statusDetails.extendedStatus).toBe('draft.waiting_auto_approval');
    // approve dry-runs to payment_processing.pending: payment is not a `next` step (stdinvoicestate.go calculateAvailableActionDetails)
    expect(snap.body.statusDetails.availableActions.approve).toEqual({ resultingState: 'payment_processing.pending' });
    const approved = await request(app).post(`/api/v1/billing/invoices/${inv.id}/approve`).expect(200);
    expect(approved.body.status).toBe('paid');
    expect(approved.body.statusDetails.immutable).toBe(true);
    expect(approved.body.statusDetails.availableActions).toEqual({});
    // 10 × 1 = 10
    expect(approved.body.totals.total).toBe('10');
    // a paid invoice cannot be deleted
    const del = await request(app).delete(`/api/v1/billing/invoices/${inv.id}`).expect(400);
    expect(del.body.extensions.code).toBe('invoice_action_not_available');
    const retry = await request(app).post(`/api/v1/billing/invoices/${inv.id}/retry`).expect(400);
    expect(retry.body.extensions.code).toBe('invoice_action_not_available');
  });

  it('deleting a draft invoice ends in deleted and leaves the usage unbilled (its lines do not return to gathering)', async () => {
    const { app, customerId } = await setup();
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [unitLine('1')] }).expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    await request(app).delete(`/api/v1/billing/invoices/${inv.id}`).expect(204);
    const got = (await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body;
    expect(got.statusDetails.extendedStatus).toBe('deleted');
    expect(got.deletedAt).toBeDefined();
    expect((await request(app).get('/api/v1/billing/invoices').expect(200)).body.totalCount).toBe(0);
  });

  it('void and tax recalculation answer 501 as in OpenMeter OSS', async () => {
    const { app } = await setup();
    await request(app).post('/api/v1/billing/invoices/01J0000000000000000000000A/void').send({ reason: 'x', action: { percentage: 100, action: { type: 'discard' } } }).expect(501);
    await request(app).post('/api/v1/billing/invoices/01J0000000000000000000000A/taxes/recalculate').expect(501);
  });

  it('an unknown invoice is 404 invoice_not_found', async () => {
    const { app } = await setup();
    const r = await request(app).get('/api/v1/billing/invoices/01J0000000000000000000000A').expect(404);
    expect(r.body.extensions.code).toBe('invoice_not_found');
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * Invoicing apps behind the billing port: the sandbox's metadata-driven payment outcomes
 * (app/sandbox/app.go TargetPaymentStatusMetadataKey), custom invoicing's sync hooks and payment
 * status endpoint (app/custominvoicing/{app.go,service/sync.go}), and invoice.created /
 * invoice.updated notifications (notification/consumer/invoice.go).
 */

async function setup() {
  const { app } = createTestEmulator();
  const cust = (await request(app).post('/api/v1/customers').send({ name: 'Jo', key: 'jo', usageAttribution: { subjectKeys: ['jo'] } }).expect(201)).body;
  return { app, customerId: cust.id as string };
}

const flat = (amount: string) => ({
  name: 'Setup fee',
  period: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
  invoiceAt: '2026-01-01T00:00:00Z',
  rateCard: { price: { type: 'flat', amount } },
});

/** invoices the pending lines with manual approval, so the draft can be edited before it is issued */
async function manualDraft(app: Express, customerId: string) {
  const p = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items.find((x: { default: boolean }) => x.default);
  await request(app)
    .put(`/api/v1/billing/profiles/${p.id}`)
    .send({ name: p.name, supplier: p.supplier, default: true, workflow: { ...p.workflow, invoicing: { ...p.workflow.invoicing, autoAdvance: false } } })
    .expect(200);
  await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flat('20')] }).expect(201);
  const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
  return inv;
}

const withMetadata = (inv: Record<string, any>, metadata: Record<string, string>) => ({
  metadata,
  supplier: inv.supplier,
  customer: { key: inv.customer.key, name: inv.customer.name },
  workflow: { workflow: { invoicing: { autoAdvance: false, draftPeriod: 'P0D', dueAfter: 'P30D', subscriptionEndProrationMode: 'bill_actual_period' }, payment: { collectionMethod: 'charge_automatically' } } },
  lines: inv.lines.map((l: Record<string, any>) => ({ id: l.id, name: l.name, period: l.period, invoiceAt: l.invoiceAt, rateCard: { price: l.price } })),
});

describe('sandbox app payment outcomes', () => {
  it('manual approval: the draft waits in draft.manual_approval_needed; approve issues and pays it', async () => {
    const { app, customerId } = await setup();
    const inv = await manualDraft(app, customerId);
    expect(inv.statusDetails.extendedStatus).toBe('draft.manual_approval_needed');
    expect(inv.draftUntil).toBeUndefined();
    expect(inv.statusDetails.availableActions).toEqual({ approve: { resultingState: 'payment_processing.pending' }, delete: { resultingState: 'deleted' } });
    const paid = (await request(app).post(`/api/v1/billing/invoices/${inv.id}/approve`).expect(200)).body;
    expect(paid.status).toBe('paid');
    // manual: dueAt = issuedAt + P30D
    expect(paid.dueAt).toBe('2026-01-31T00:00:00Z');
    expect(paid.number).toBe('OM-SANDBOX-JO-1');
  });

  it.each([
    ['failed', 'payment_processing.failed', true],
    ['uncollectible', 'uncollectible', false],
    ['action_required', 'payment_processing.action_required', false],
  ])('metadata openmeter.io/sandbox/target-payment-status=%s ends in %s', async (target, extended, failed) => {
    const { app, customerId } = await setup();
    const inv = await manualDraft(app, customerId);
    const upd = (await request(app).put(`/api/v1/billing/invoices/${inv.id}`).send(withMetadata(inv, { 'openmeter.io/sandbox/target-payment-status': target })).expect(200)).body;
    // an update recalculates and returns to the draft flow (draft.updating → draft.waiting_for_collection → …)
    expect(upd.statusDetails.extendedStatus).toBe('draft.manual_approval_needed');
    const done = (await request(app).post(`/api/v1/billing/invoices/${inv.id}/approve`).expect(200)).body;
    expect(done.statusDetails.extendedStatus).toBe(extended);
    expect(done.statusDetails.failed).toBe(failed);
  });

  it('a paid invoice cannot be updated (invoice_action_not_available)', async () => {
    const { app, customerId } = await setup();
    const inv = await manualDraft(app, customerId);
    await request(app).post(`/api/v1/billing/invoices/${inv.id}/approve`).expect(200);
    const r = await request(app).put(`/api/v1/billing/invoices/${inv.id}`).send(withMetadata(inv, {})).expect(400);
    expect(r.body.extensions.code).toBe('invoice_action_not_available');
  });

  it('an update edits lines: a changed price is re-rated, a line left out is deleted', async () => {
    const { app, customerId } = await setup();
    const inv = await manualDraft(app, customerId);
    const body = withMetadata(inv, {});
    body.lines[0].rateCard.price = { type: 'flat', amount: '35.5', paymentTerm: 'in_advance' };
    body.lines.push({ name: 'Extra', period: inv.lines[0].period, invoiceAt: inv.lines[0].invoiceAt, rateCard: { price: { type: 'flat', amount: '4.5' } } });
    const upd = (await request(app).put(`/api/v1/billing/invoices/${inv.id}`).send(body).expect(200)).body;
    // 35.5 + 4.5 = 40
    expect(upd.totals.total).toBe('40');
    body.lines = body.lines.slice(1);
    const again = (await request(app).put(`/api/v1/billing/invoices/${inv.id}`).send(body).expect(200)).body;
    // only the extra line is left: 4.5
    expect(again.totals.total).toBe('4.5');
    expect(again.lines).toHaveLength(1);
  });
});

describe('custom invoicing app', () => {
  it('with both sync hooks the invoice waits for the outside system at draft.syncing and issuing.syncing; payment comes from the status endpoint', async () => {
    const { app, customerId } = await setup();
    const inst = (await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ name: 'ERP' }).expect(200)).body;
    await request(app).put(`/api/v1/apps/${inst.app.id}`).send({ type: 'custom_invoicing', name: 'ERP', enableDraftSyncHook: true, enableIssuingSyncHook: true }).expect(200);
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flat('20')] }).expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    expect(inv.statusDetails.extendedStatus).toBe('draft.syncing');
    // not yet issuing: the issuing sync is refused
    const early = await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/issuing/synchronized`).send({}).expect(400);
    expect(early.body.detail).toBe('invoice is not in issuing.syncing state');
    // the draft sync needs its upsert results
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/draft/synchronized`).send({}).expect(400);
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/draft/synchronized`).send({ invoicing: { externalId: 'erp-1' } }).expect(204);
    let got = (await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body;
    expect(got.statusDetails.extendedStatus).toBe('issuing.syncing');
    expect(got.metadata['openmeter.io/custominvoicing/draft-synced-at']).toBe('2026-01-01T00:00:00Z');
    expect(got.externalIds).toEqual({ invoicing: 'erp-1' });
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/issuing/synchronized`).send({ invoicing: { invoiceNumber: 'ERP-2026-0001' } }).expect(204);
    got = (await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body;
    // no automatic payment: it waits in payment_processing.pending
    expect(got.statusDetails.extendedStatus).toBe('payment_processing.pending');
    expect(got.number).toBe('ERP-2026-0001');
    expect(got.issuedAt).toBe('2026-01-01T00:00:00Z');
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/payment/status`).send({ trigger: 'paid' }).expect(204);
    got = (await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body;
    expect(got.status).toBe('paid');
    // paid is final: no more payment triggers
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/payment/status`).send({ trigger: 'payment_failed' }).expect(400);
  });

  it('with the issuing hook on and no number sent, the invoice keeps its draft number [quirk of custominvoicing/app.go]', async () => {
    const { app, customerId } = await setup();
    const inst = (await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ name: 'ERP' }).expect(200)).body;
    await request(app).put(`/api/v1/apps/${inst.app.id}`).send({ type: 'custom_invoicing', name: 'ERP', enableDraftSyncHook: false, enableIssuingSyncHook: true }).expect(200);
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flat('20')] }).expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    expect(inv.statusDetails.extendedStatus).toBe('issuing.syncing');
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/issuing/synchronized`).send({ payment: { externalId: 'pay-1' } }).expect(204);
    const got = (await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body;
    expect(got).toMatchObject({ number: 'DRAFT-JO-1', externalIds: { payment: 'pay-1' }, statusDetails: { extendedStatus: 'payment_processing.pending' } });
  });

  it('without hooks the invoice issues at once with an INV-<prefix>-<n> number', async () => {
    const { app, customerId } = await setup();
    await request(app).post('/api/v1/marketplace/listings/custom_invoicing/install').send({ name: 'ERP' }).expect(200);
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flat('20')] }).expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    expect(inv.statusDetails.extendedStatus).toBe('payment_processing.pending');
    expect(inv.number).toBe('INV-JO-1');
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/payment/status`).send({ trigger: 'payment_uncollectible' }).expect(204);
    expect((await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body.status).toBe('uncollectible');
  });

  it('the sync endpoints refuse an invoice of another app', async () => {
    const { app, customerId } = await setup();
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flat('20')] }).expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body;
    await request(app).post(`/api/v1/apps/custom-invoicing/${inv.id}/payment/status`).send({ trigger: 'paid' }).expect(400);
  });
});

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('invoice notifications', () => {
  it('invoice.created and invoice.updated events go to the rules of those types, with the invoice as data', async () => {
    const received: Array<{ type: string; data: { status: string; statusDetails: { extendedStatus: string } } }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { app, customerId } = await setup();
    const ch = (await request(app).post('/api/v1/notification/channels').send({ type: 'WEBHOOK', name: 'h', url }).expect(201)).body;
    await request(app).post('/api/v1/notification/rules').send({ type: 'invoice.created', name: 'created', channels: [ch.id] }).expect(201);
    await request(app).post('/api/v1/notification/rules').send({ type: 'invoice.updated', name: 'updated', channels: [ch.id] }).expect(201);
    await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flat('20')] }).expect(201);
    await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201);
    // gathering invoices raise nothing; the standard invoice is created, then updated at every transition
    expect(received[0]).toMatchObject({ type: 'invoice.created', data: { statusDetails: { extendedStatus: 'draft.created' } } });
    expect(received.slice(1).every((e) => e.type === 'invoice.updated')).toBe(true);
    expect(received.map((e) => e.data.statusDetails.extendedStatus)).toContain('paid');
    const events = (await request(app).get('/api/v1/notification/events').expect(200)).body;
    expect(events.totalCount).toBe(received.length);
  });
});

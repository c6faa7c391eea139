import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * Konnect v3 invoices: the same invoices as v1, standard ones only, snake_case, amounts as decimal
 * strings (api/v3/handlers/billinginvoices; konnect-billing.md §3).
 */

async function setup() {
  const { app } = createTestEmulator();
  const cust = (await request(app).post('/api/v1/customers').send({ name: 'Test Customer', key: 'tc', usageAttribution: { subjectKeys: ['tc'] } }).expect(201)).body;
  return { app, customerId: cust.id as string };
}

const flat = (amount: string) => ({
  name: 'Fee',
  period: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
  invoiceAt: '2026-01-01T00:00:00Z',
  rateCard: { price: { type: 'flat', amount } },
});

async function manualInvoice(app: Express, customerId: string) {
  const p = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items[0];
  await request(app)
    .put(`/api/v1/billing/profiles/${p.id}`)
    .send({ name: p.name, supplier: p.supplier, default: true, workflow: { ...p.workflow, invoicing: { ...p.workflow.invoicing, autoAdvance: false } } })
    .expect(200);
  await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [flat('12.34')] }).expect(201);
  return (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId }).expect(201)).body[0];
}

describe('Konnect v3 invoices', () => {
  it('lists standard invoices only, without lines; a gathering invoice is 404 on get and delete, 400 on actions', async () => {
    const { app, customerId } = await setup();
    const g = (await request(app).post(`/api/v1/billing/customers/${customerId}/invoices/pending-lines`).send({ currency: 'USD', lines: [{ ...flat('1'), invoiceAt: '2026-03-01T00:00:00Z' }] }).expect(201)).body.invoice;
    expect((await request(app).get('/v3/openmeter/billing/invoices').expect(200)).body).toEqual({ data: [], meta: { page: { number: 1, size: 20, total: 0 } } });
    await request(app).get(`/v3/openmeter/billing/invoices/${g.id}`).expect(404);
    await request(app).delete(`/v3/openmeter/billing/invoices/${g.id}`).expect(404);
    await request(app).post(`/v3/openmeter/billing/invoices/${g.id}/advance`).expect(400);
  });

  it('shows the v1 invoice in snake_case with decimal-string totals and available actions; approve issues it', async () => {
    const { app, customerId } = await setup();
    const v1 = await manualInvoice(app, customerId);
    const list = (await request(app).get('/v3/openmeter/billing/invoices').expect(200)).body;
    expect(list.meta.page.total).toBe(1);
    expect(list.data[0].lines).toBeUndefined();
    const got = (await request(app).get(`/v3/openmeter/billing/invoices/${v1.id}`).expect(200)).body;
    expect(got).toMatchObject({
      id: v1.id,
      type: 'standard',
      number: 'DRAFT-TECU-1',
      status: 'draft',
      totals: { amount: '12.34', total: '12.34', taxes_total: '0' },
      status_details: { extended_status: 'draft.manual_approval_needed', available_actions: { approve: { resulting_state: 'payment_processing.pending' }, delete: { resulting_state: 'deleted' } } },
      // no metered line: collection_at falls back to created_at [quirk]
      collection_at: got.created_at,
    });
    expect(got.lines[0]).toMatchObject({ type: 'standard_line', lifecycle_controller: 'manual', rate_card: { price: { type: 'flat', amount: '12.34' } } });
    expect(got.lines[0].detailed_lines[0]).toMatchObject({ quantity: '1', unit_price: '12.34', category: 'regular' });
    const advance = await request(app).post(`/v3/openmeter/billing/invoices/${v1.id}/advance`).expect(400);
    expect(advance.body.status).toBe(400);
    const approved = (await request(app).post(`/v3/openmeter/billing/invoices/${v1.id}/approve`).expect(200)).body;
    expect(approved).toMatchObject({ status: 'paid', number: 'OM-SANDBOX-TECU-1' });
    const paid = (await request(app).get('/v3/openmeter/billing/invoices').query({ 'filter[status]': 'paid' }).expect(200)).body;
    expect(paid.meta.page.total).toBe(1);
    const drafts = (await request(app).get('/v3/openmeter/billing/invoices').query({ 'filter[status]': 'draft' }).expect(200)).body;
    expect(drafts.meta.page.total).toBe(0);
    await request(app).get('/v3/openmeter/billing/invoices').query({ 'filter[status]': 'bogus' }).expect(400);
  });

  it('PUT replaces the mutable parts; lines left out are deleted', async () => {
    const { app, customerId } = await setup();
    const v1 = await manualInvoice(app, customerId);
    const upd = await request(app)
      .put(`/v3/openmeter/billing/invoices/${v1.id}`)
      .send({
        type: 'standard',
        description: 'edited',
        supplier: { name: 'Supplier' },
        customer: { id: customerId, name: 'Renamed' },
        workflow: { workflow: { invoicing: { auto_advance: false, draft_period: 'P0D' } } },
        lines: [
          { id: v1.lines[0].id, type: 'standard_line', name: 'Fee', service_period: v1.lines[0].period, rate_card: { price: { type: 'flat', amount: '20' } } },
          { type: 'standard_line', name: 'Extra', service_period: v1.lines[0].period, rate_card: { price: { type: 'flat', amount: '5.5' } } },
        ],
      })
      .expect(200);
    // 20 + 5.5 = 25.5
    expect(upd.body).toMatchObject({ description: 'edited', customer: { name: 'Renamed' }, totals: { total: '25.5' } });
    expect(upd.body.lines).toHaveLength(2);
    await request(app).delete(`/v3/openmeter/billing/invoices/${v1.id}`).expect(204);
    expect((await request(app).get('/v3/openmeter/billing/invoices').expect(200)).body.meta.page.total).toBe(0);
  });
});

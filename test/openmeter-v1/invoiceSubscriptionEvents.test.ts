import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { T0, advance, publishPlan, meteredPlan, setupSubscriptions } from './subscriptionFixtures.ts';

/**
 * Billing follows subscription events at once (worker/subscriptionsync/service/sync.go
 * `synchronizeSubscriptionAndInvoiceCustomer`, handlers.go, billing/worker/worker.go): on
 * create / update / continue the customer's lines are synced as of now and `InvoicePendingLines`
 * runs with partial lines disabled, "so that any in advance fees are invoiced immediately"; a
 * cancel syncs the subscription up to its end first.
 */

type Line = { id: string; name: string; totals: { total: string }; period: { from: string; to: string }; invoiceAt: string };
type Inv = { id: string; number: string; status: string; issuedAt?: string; totals: { total: string }; lines: Line[]; validationIssues?: Array<{ code: string; severity: string; message: string }> };

async function invoices(app: Express, customerId: string): Promise<Inv[]> {
  return (await request(app).get('/api/v1/billing/invoices').query({ customers: customerId, expand: 'lines', orderBy: 'createdAt' }).expect(200)).body.items as Inv[];
}

async function setupStarter() {
  const t = await setupSubscriptions();
  await publishPlan(t.app, {
    key: 'starter',
    name: 'Starter',
    currency: 'USD',
    billingCadence: 'P1M',
    phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'flat_fee', key: 'base', name: 'Starter fee', billingCadence: 'P1M', price: { type: 'flat', amount: '29', paymentTerm: 'in_advance' } }] }],
  });
  return t;
}

describe('invoices raised by subscription events', () => {
  it('v1 create of a $29/month in-advance plan: the $29 invoice is issued and paid (sandbox) before the response is read, at the creation instant', async () => {
    const { app, acmeId } = await setupStarter();
    await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'starter' } }).expect(201);
    const list = await invoices(app, acmeId);
    const standard = list.filter((i) => i.status !== 'gathering');
    expect(standard.map((i) => [i.number, i.status, i.totals.total, i.issuedAt])).toEqual([['OM-SANDBOX-ACME-1', 'paid', '29', T0]]);
    expect(standard[0]!.lines.map((l) => [l.name, l.period, l.totals.total])).toEqual([['Starter fee', { from: T0, to: '2026-02-01T00:00:00Z' }, '29']]);
    // the generation horizon already holds February's fee on the gathering invoice (invoiceAt = its period start)
    const gathering = list.filter((i) => i.status === 'gathering');
    expect(gathering.flatMap((g) => g.lines.map((l) => [l.name, l.invoiceAt]))).toEqual([['Starter fee', '2026-02-01T00:00:00Z']]);
  });

  it('v3 create (Konnect): the same invoice at once, visible on the v3 invoice list', async () => {
    const { app, acmeId } = await setupStarter();
    await request(app).post('/v3/openmeter/subscriptions').send({ customer: { key: 'acme' }, plan: { key: 'starter' } }).expect(201);
    const v3 = (await request(app).get('/v3/openmeter/billing/invoices').query({ 'filter[customer_id]': acmeId }).expect(200)).body.data;
    expect(v3.map((i: { status: string; totals: { total: string }; issued_at: string }) => [i.status, i.totals.total, i.issued_at])).toEqual([['paid', '29', T0]]);
  });

  it('mid-month create: the first fee is prorated and invoiced at once (29 × 17/31 days = 15.90)', async () => {
    const { app, acmeId } = await setupStarter();
    await advance(app, 'P14D'); // 2026-01-15
    await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'starter' }, billingAnchor: T0 }).expect(201);
    const standard = (await invoices(app, acmeId)).filter((i) => i.status !== 'gathering');
    expect(standard.map((i) => [i.status, i.totals.total, i.issuedAt])).toEqual([['paid', '15.9', '2026-01-15T00:00:00Z']]);
  });

  it('a plan whose fees are all in arrears or usage: nothing is invoiced at create (no billable lines is not an error)', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await publishPlan(app, {
      key: 'arrears',
      name: 'Arrears',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'flat_fee', key: 'base', name: 'Fee', billingCadence: 'P1M', price: { type: 'flat', amount: '29', paymentTerm: 'in_arrears' } }] }],
    });
    await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'arrears' } }).expect(201);
    const list = await invoices(app, acmeId);
    expect(list.map((i) => i.status)).toEqual(['gathering']);
  });

  it('change to another plan mid-month: the new plan’s prorated in-advance fee is invoiced at the change instant', async () => {
    const { app, acmeId } = await setupStarter();
    const s = await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'starter' } }).expect(201);
    await advance(app, 'P10D'); // 2026-01-11
    await request(app).post(`/api/v1/subscriptions/${s.body.id}/change`).send({ timing: 'immediate', plan: { key: 'basic' } }).expect(200);
    const standard = (await invoices(app, acmeId)).filter((i) => i.status !== 'gathering');
    // basic: 10 × 21/31 days (Jan 11 → Feb 1, anchor kept) = 6.774… → 6.77
    expect(standard.map((i) => [i.number, i.totals.total, i.issuedAt])).toEqual([
      ['OM-SANDBOX-ACME-1', '29', T0],
      ['OM-SANDBOX-ACME-2', '6.77', '2026-01-11T00:00:00Z'],
    ]);
    // the ended subscription's paid fee would now be 29 × 10/31 = 9.35: a warning, not a credit note
    expect(standard[0]!.validationIssues?.map((i) => [i.severity, i.message])).toEqual([
      ['warning', "flat fee line's per unit amount cannot be changed on immutable invoice (new per unit amount: 9.35)"],
    ]);
  });

  it('cancel mid-month after the fee was paid: no credit note — the paid invoice gets a warning with the prorated amount, the next fee leaves the gathering invoice, usage is invoiced up to the end at once', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await publishPlan(app, meteredPlan);
    const s = await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'metered' } }).expect(201);
    await request(app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: 'e1', source: 't', type: 'tokens', subject: 'acme_prod', time: '2026-01-05T00:00:00Z', data: { tokens: 300 } }])
      .expect(204);
    await advance(app, 'P10D'); // 2026-01-11
    await request(app).post(`/api/v1/subscriptions/${s.body.id}/cancel`).send({ timing: 'immediate' }).expect(200);
    const list = await invoices(app, acmeId);
    // the gathering invoice lost February's fee and January's tokens (now invoiced): nothing pending is left
    expect(list.filter((i) => i.status === 'gathering')).toEqual([]);
    const [first, tokens] = list.filter((i) => i.status !== 'gathering');
    // reconciler/invoiceupdater/invoiceupdate.go updateImmutableInvoice: 29 × 10/31 days = 9.354… → 9.35, as a warning
    expect(first).toMatchObject({ status: 'paid', totals: { total: '29' } });
    expect(first!.validationIssues).toEqual([
      expect.objectContaining({
        code: 'immutable_invoice_handling_not_supported',
        severity: 'warning',
        component: 'subscription-sync',
        field: `lines/${first!.lines[0]!.id}`,
        message: "flat fee line's per unit amount cannot be changed on immutable invoice (new per unit amount: 9.35)",
      }),
    ]);
    // January's tokens, shrunk to [Jan 1, Jan 11) and due at the end, are invoiced at the cancel: 300 × 0.01 = 3,
    // waiting for the PT1H collection interval
    expect(tokens).toMatchObject({ status: 'draft', totals: { total: '3' } });
    expect(tokens!.lines.map((l) => [l.name, l.period])).toEqual([['Tokens', { from: T0, to: '2026-01-11T00:00:00Z' }]]);
    // a second sync (the clock) adds no duplicate warning
    await advance(app, 'PT2H');
    const again = (await invoices(app, acmeId)).filter((i) => i.status !== 'gathering');
    expect(again[0]!.validationIssues).toHaveLength(1);
    expect(again[1]).toMatchObject({ status: 'paid', totals: { total: '3' } });
  });

  it('cancel while the fee waits for manual approval: the draft line takes the prorated amount and period (mutable invoices are updated)', async () => {
    const { app, acmeId } = await setupStarter();
    const p = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items.find((x: { default: boolean }) => x.default);
    await request(app)
      .put(`/api/v1/billing/profiles/${p.id}`)
      .send({ name: p.name, supplier: p.supplier, default: true, workflow: { ...p.workflow, invoicing: { ...p.workflow.invoicing, autoAdvance: false } } })
      .expect(200);
    const s = await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'starter' } }).expect(201);
    let [draft] = (await invoices(app, acmeId)).filter((i) => i.status !== 'gathering');
    expect(draft).toMatchObject({ status: 'draft', totals: { total: '29' } });
    await advance(app, 'P10D'); // 2026-01-11
    await request(app).post(`/api/v1/subscriptions/${s.body.id}/cancel`).send({ timing: 'immediate' }).expect(200);
    [draft] = (await invoices(app, acmeId)).filter((i) => i.status !== 'gathering');
    // 29 × 10/31 = 9.35 for [Jan 1, Jan 11)
    expect(draft).toMatchObject({ status: 'draft', totals: { total: '9.35' } });
    expect(draft!.lines.map((l) => [l.period, l.totals.total])).toEqual([[{ from: T0, to: '2026-01-11T00:00:00Z' }, '9.35']]);
    expect(draft!.validationIssues ?? []).toEqual([]);
  });

  it('cancel at the next billing cycle: nothing already invoiced changes; the next period’s fee leaves the gathering invoice', async () => {
    const { app, acmeId } = await setupStarter();
    const s = await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'starter' } }).expect(201);
    await advance(app, 'P10D');
    await request(app).post(`/api/v1/subscriptions/${s.body.id}/cancel`).send({ timing: 'next_billing_cycle' }).expect(200);
    const list = await invoices(app, acmeId);
    expect(list.map((i) => [i.status, i.totals.total, i.validationIssues ?? []])).toEqual([['paid', '29', []]]);
    await advance(app, 'P60D');
    expect((await invoices(app, acmeId)).length).toBe(1);
  });

  it('cancel mid-month after a progressive invoice: the rest of the split usage line ends at the cancel instant and is invoiced at once; nothing after it is billed (reconciler/patchinvoicelinehierarchy.go AddShrink)', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await publishPlan(app, {
      key: 'usage',
      name: 'Usage',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.01' } }] }],
    });
    const s = await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'usage' } }).expect(201);
    const event = (id: string, time: string, tokens: number) => ({ specversion: '1.0', id, source: 't', type: 'tokens', subject: 'acme_prod', time, data: { tokens } });
    await request(app)
      .post('/api/v1/events')
      .send([event('e1', '2026-01-05T00:00:00Z', 300), event('e2', '2026-01-15T00:00:00Z', 200), event('e3', '2026-01-25T00:00:00Z', 400)])
      .expect(204);
    await advance(app, 'P10D'); // 2026-01-11
    // progressive billing (the default profile's progressiveBilling: true): the usage so far, [Jan 1, Jan 11)
    await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId: acmeId }).expect(201);
    let list = await invoices(app, acmeId);
    const gathering = list.find((i) => i.status === 'gathering')!;
    expect(gathering.lines.map((l) => [l.name, l.period])).toEqual([['Tokens', { from: '2026-01-11T00:00:00Z', to: '2026-02-01T00:00:00Z' }]]);
    await advance(app, 'PT2H'); // the first part is issued and paid: immutable
    await advance(app, 'P9DT22H'); // 2026-01-21
    await request(app).post(`/api/v1/subscriptions/${s.body.id}/cancel`).send({ timing: 'immediate' }).expect(200);
    list = await invoices(app, acmeId);
    // the split line group shrinks to the cancel: the pending rest ends at Jan 21 and is invoiced at once
    expect(list.filter((i) => i.status === 'gathering')).toEqual([]);
    const [first, rest] = list;
    expect(first).toMatchObject({ status: 'paid', totals: { total: '3' } });
    expect(first!.lines.map((l) => l.period)).toEqual([{ from: T0, to: '2026-01-11T00:00:00Z' }]);
    // the paid part ends before the cancel: nothing to change, no warning
    expect(first!.validationIssues ?? []).toEqual([]);
    // 200 × 0.01: the Jan 25 tokens fall after the cancel
    expect(rest).toMatchObject({ status: 'draft', totals: { total: '2' } });
    expect(rest!.lines.map((l) => [l.name, l.period])).toEqual([['Tokens', { from: '2026-01-11T00:00:00Z', to: '2026-01-21T00:00:00Z' }]]);
    await advance(app, 'P60D');
    list = await invoices(app, acmeId);
    expect(list.map((i) => [i.status, i.totals.total])).toEqual([
      ['paid', '3'],
      ['paid', '2'],
    ]);
  });

  it('taxes with the sandbox app: the rate card’s tax config is on the line, every tax total is 0 (rating/service/detailedline.go: "TODO[OM-979]: implement taxes")', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await publishPlan(app, {
      key: 'taxed',
      name: 'Taxed',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [
        {
          key: 'default',
          name: 'Default',
          duration: null,
          rateCards: [
            {
              type: 'flat_fee',
              key: 'base',
              name: 'Fee',
              billingCadence: 'P1M',
              taxConfig: { behavior: 'exclusive', stripe: { code: 'txcd_10000000' } },
              price: { type: 'flat', amount: '29', paymentTerm: 'in_advance' },
            },
          ],
        },
      ],
    });
    await request(app).post('/api/v1/subscriptions').send({ customerId: acmeId, plan: { key: 'taxed' } }).expect(201);
    const [inv] = (await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId, expand: 'lines', extendedStatuses: 'paid' }).expect(200)).body.items;
    expect(inv.lines[0].taxConfig).toEqual({ behavior: 'exclusive', stripe: { code: 'txcd_10000000' } });
    expect(inv.totals).toEqual({ amount: '29', chargesTotal: '0', discountsTotal: '0', creditsTotal: '0', taxesInclusiveTotal: '0', taxesExclusiveTotal: '0', taxesTotal: '0', total: '29' });
  });
});

import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

/**
 * Invoices driven by the clock: the collection job turns pending lines into invoices at the
 * instant they become billable without partial periods (worker/collect/collect.go
 * WithPartialInvoiceLinesDisabled), the advance job waits out the collection interval and the
 * draft period (worker/advance), the sandbox pays. The arithmetic is written beside each amount.
 */

const months = (n: number) => Array.from({ length: n + 1 }, (_, i) => new Date(Date.UTC(2026, i, 1)).toISOString().replace('.000Z', 'Z'));

async function world(opts: { draftPeriod?: string } = {}) {
  const { app } = createTestEmulator({ start: new Date('2026-01-01T00:00:00Z') });
  await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }).expect(200);
  await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' }).expect(201);
  const cust = (await request(app).post('/api/v1/customers').send({ name: 'Peter Turi', key: 'peter', usageAttribution: { subjectKeys: ['peter'] } }).expect(201)).body;
  if (opts.draftPeriod) {
    const profiles = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items;
    const p = profiles[0];
    await request(app)
      .put(`/api/v1/billing/profiles/${p.id}`)
      .send({ name: p.name, supplier: p.supplier, default: true, workflow: { ...p.workflow, invoicing: { ...p.workflow.invoicing, draftPeriod: opts.draftPeriod } } })
      .expect(200);
  }
  // a year of monthly lines: a flat fee in advance, unit-priced tokens and graduated tokens in arrears
  const m = months(12);
  const lines = [];
  for (let i = 0; i < 12; i++) {
    const period = { from: m[i], to: m[i + 1] };
    lines.push({ name: 'Platform', period, invoiceAt: m[i], rateCard: { price: { type: 'flat', amount: '49' } } });
    lines.push({ name: 'Tokens', period, invoiceAt: m[i + 1], rateCard: { featureKey: 'tokens', price: { type: 'unit', amount: '0.01' } } });
    lines.push({
      name: 'Tiered tokens',
      period,
      invoiceAt: m[i + 1],
      rateCard: {
        featureKey: 'tokens',
        price: {
          type: 'tiered',
          mode: 'graduated',
          tiers: [
            { upToAmount: '1000', unitPrice: { type: 'unit', amount: '0' }, flatPrice: { type: 'flat', amount: '5' } },
            { unitPrice: { type: 'unit', amount: '0.002' }, flatPrice: null },
          ],
        },
      },
    });
  }
  const created = await request(app).post(`/api/v1/billing/customers/${cust.id}/invoices/pending-lines`).send({ currency: 'USD', lines });
  expect(created.body.detail).toBeUndefined();
  // month i (0-based) uses 1000 × (i + 1) tokens, in two events
  const events = [];
  for (let i = 0; i < 12; i++) {
    const mid = new Date(Date.UTC(2026, i, 10)).toISOString();
    const late = new Date(Date.UTC(2026, i + 1, 1) - 30 * 60_000).toISOString(); // 30 min before month end
    events.push({ specversion: '1.0', id: `m${i}a`, source: 't', type: 'tokens', subject: 'peter', time: mid, data: { tokens: 400 * (i + 1) } });
    events.push({ specversion: '1.0', id: `m${i}b`, source: 't', type: 'tokens', subject: 'peter', time: late, data: { tokens: 600 * (i + 1) } });
  }
  await request(app).post('/api/v1/events').send(events).expect(204);
  return { app, customerId: cust.id as string };
}

const summary = async (app: Express) =>
  (await request(app).get('/api/v1/billing/invoices').query({ pageSize: 1000, orderBy: 'createdAt' }).expect(200)).body.items.map(
    (i: { number: string; status: string; totals: { total: string }; period: { from: string; to: string }; issuedAt?: string; createdAt: string; lines?: unknown[] }) => ({
      number: i.number,
      status: i.status,
      total: i.totals.total,
      period: i.period,
      issuedAt: i.issuedAt,
      createdAt: i.createdAt,
    }),
  );

describe('invoices over a year of clock advances', () => {
  it('January: the in-advance fee is invoiced at once; usage waits for month end + PT1H', async () => {
    const { app } = await world();
    // the in-advance fee of January is due at 2026-01-01 (invoiceAt = period start): the job runs at that instant
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-01-01T00:00:01Z' }).expect(200);
    let s = await summary(app);
    const standard = s.filter((i: { status: string }) => i.status !== 'gathering');
    expect(standard).toEqual([
      // 49 (flat, in advance)
      { number: 'OM-SANDBOX-PETU-1', status: 'paid', total: '49', period: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }, issuedAt: '2026-01-01T00:00:00Z', createdAt: '2026-01-01T00:00:00Z' },
    ]);
    // at month end the usage lines and February's fee become one invoice, waiting for collection
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-02-01T00:30:00Z' }).expect(200);
    s = await summary(app);
    const waiting = s.find((i: { status: string; number: string }) => i.number.startsWith('DRAFT-'));
    expect(waiting).toMatchObject({ status: 'draft' });
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-02-01T01:00:00Z' }).expect(200);
    s = await summary(app);
    const feb = s.filter((i: { status: string }) => i.status === 'paid');
    // January usage 400 + 600 = 1000 tokens: unit 1000 × 0.01 = 10; graduated: tier 1 flat 5 + 1000 × 0 = 5; February fee 49 → 64
    expect(feb[1]).toMatchObject({ number: 'OM-SANDBOX-PETU-2', total: '64', issuedAt: '2026-02-01T01:00:00Z' });
  });

  it('one jump of a year gives exactly the invoices twelve one-month jumps give', async () => {
    const a = await world();
    await request(a.app).post('/_emulator/clock/advance').send({ to: '2027-01-01T02:00:00Z' }).expect(200);
    const b = await world();
    for (const to of months(12).slice(1)) await request(b.app).post('/_emulator/clock/advance').send({ to }).expect(200);
    await request(b.app).post('/_emulator/clock/advance').send({ to: '2027-01-01T02:00:00Z' }).expect(200);
    const sa = await summary(a.app);
    const sb = await summary(b.app);
    expect(sa).toEqual(sb);
    // 13 invoices: January's fee alone, then each month end usage of the month + next fee; the last has no fee
    expect(sa).toHaveLength(13);
    expect(sa.every((i: { status: string }) => i.status === 'paid')).toBe(true);
    // December: 12000 tokens → unit 12000 × 0.01 = 120; graduated 5 + (12000 − 1000) × 0.002 = 27; no fee → 147
    expect(sa[12]).toMatchObject({ number: 'OM-SANDBOX-PETU-13', total: '147', issuedAt: '2027-01-01T01:00:00Z' });
    // June (i = 5): 6000 tokens → 60 + (5 + 5000 × 0.002 = 15) + July fee 49 = 124
    expect(sa[6]).toMatchObject({ total: '124', period: { from: '2026-06-01T00:00:00Z', to: '2026-08-01T00:00:00Z' } });
  });

  it('a draft period holds the invoice in draft.waiting_auto_approval until draftUntil', async () => {
    const { app } = await world({ draftPeriod: 'P2D' });
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-01-01T00:00:01Z' }).expect(200);
    let inv = (await request(app).get('/api/v1/billing/invoices').query({ statuses: 'draft' }).expect(200)).body.items[0];
    expect(inv.statusDetails.extendedStatus).toBe('draft.waiting_auto_approval');
    // draftUntil = createdAt 2026-01-01T00:00Z + P2D
    expect(inv.draftUntil).toBe('2026-01-03T00:00:00Z');
    // dueAt = draftUntil + P30D
    expect(inv.dueAt).toBe('2026-02-02T00:00:00Z');
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-01-03T00:00:00Z' }).expect(200);
    inv = (await request(app).get(`/api/v1/billing/invoices/${inv.id}`).expect(200)).body;
    expect(inv.status).toBe('paid');
    expect(inv.issuedAt).toBe('2026-01-03T00:00:00Z');
  });
});

describe('subscription lines follow the clock (SubscriptionBillingSource port)', () => {
  it('an in-advance monthly fee is invoiced at each period start, whether the clock jumps once or month by month', async () => {
    const run = async (steps: string[]) => {
      const { app, emulator } = createTestEmulator({ start: new Date('2026-01-15T00:00:00Z') });
      const cust = (await request(app).post('/api/v1/customers').send({ name: 'Sub Scriber', key: 'sub' }).expect(201)).body;
      // what the subscriptions domain will answer: periods of a P1M cadence anchored 2026-02-01, generated up to the horizon
      emulator.services.invoices.useSubscriptionSource({
        customersWithSubscriptions: () => [cust.id],
        billableItems: (_tx, { asOf }) => {
          const out = [];
          for (let m = 1; m <= 12; m++) {
            const from = new Date(Date.UTC(2026, m, 1)).toISOString();
            const to = new Date(Date.UTC(2026, m + 1, 1)).toISOString();
            if (Date.parse(from) > Date.parse(asOf)) break;
            out.push({
              childUniqueReferenceId: `s/p/fee/v[0]/period[${m - 1}]`,
              subscriptionId: 's',
              phaseId: 'p',
              itemId: 'i',
              name: 'Fee',
              currency: 'USD',
              price: { type: 'flat' as const, amount: '30' },
              servicePeriod: { from, to },
              billingPeriod: { from, to },
              invoiceAt: from,
            });
          }
          return out;
        },
      });
      for (const to of steps) await request(app).post('/_emulator/clock/advance').send({ to }).expect(200);
      return summary(app);
    };
    const once = await run(['2027-01-01T00:00:00Z']);
    const monthly = await run(months(12).slice(1).concat('2027-01-01T00:00:00Z'));
    expect(once).toEqual(monthly);
    // Feb 1 … Dec 1 and Jan 1 2027: 12 fees of 30, each issued at its period start
    const paid = once.filter((i: { status: string }) => i.status === 'paid');
    expect(paid).toHaveLength(12);
    expect(paid[0]).toMatchObject({ total: '30', issuedAt: '2026-02-01T00:00:00Z' });
    expect(paid[11]).toMatchObject({ issuedAt: '2027-01-01T00:00:00Z' });
  });
});

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { publishPlan, meteredPlan, setupSubscriptions } from '../openmeter-v1/subscriptionFixtures.ts';

/**
 * Billing credits consumed by invoices. In OpenMeter a `credit_then_invoice` subscription's items
 * are charges that draw the customer's credit first (priority, then expiry, then creation —
 * ledger/collector) and invoice the rest; the invoice line carries the allocations and the
 * rating engine's credits step takes them last (rating/service/mutator/credits.go,
 * charges/flatfee/service/linemapper.go). An invoice-funded grant is a credit-purchase charge
 * whose flat in-advance line "<name> (<amount> <CUR> credits)" is invoiced at once when effective
 * now; the credit is granted when that invoice is created and its settlement follows the payment
 * (charges/creditpurchase/service/{create,invoice}.go, charges/service/create.go).
 */
const v3 = '/v3/openmeter';

describe('credits consumed by invoices (worked month)', () => {
  it('a promotional and an invoice-funded grant pay the first fee, a void forfeits only the unused grant, and the next invoice uses the rest', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await publishPlan(app, meteredPlan);
    const grants = `${v3}/customers/${acmeId}/credits/grants`;
    const balance = async () => (await request(app).get(`${v3}/customers/${acmeId}/credits/balance`).expect(200)).body.balances;
    const invoices = async () =>
      (await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId, expand: 'lines', orderBy: 'createdAt' }).expect(200)).body.items.filter((i: { status: string }) => i.status !== 'gathering') as Array<{
        number: string;
        status: string;
        totals: { amount: string; creditsTotal: string; total: string };
        lines: Array<{ name: string; totals: { amount: string; creditsTotal: string; total: string } }>;
      }>;

    // 2026-01-01: A, promotional 20
    const a = await request(app).post(grants).send({ name: 'A', funding_method: 'none', currency: 'USD', amount: '20' }).expect(201);
    // B, 50 credits bought by invoice at 0.8 each: purchase amount 50 × 0.8 = 40
    const b = await request(app).post(grants).send({ name: 'B', funding_method: 'invoice', currency: 'USD', amount: '50', purchase: { currency: 'USD', per_unit_cost_basis: '0.8' } }).expect(201);
    // the create answers the charge as created (pending); its invoice is made right after
    expect(b.body).toMatchObject({ status: 'pending', purchase: { amount: '40', settlement_status: 'pending' } });
    let inv = await invoices();
    // the purchase invoice: "B (50 USD credits)" = 40, issued and paid by the sandbox at once; it draws no credit
    expect(inv.map((i) => [i.number, i.status, i.totals.total, i.lines.map((l) => l.name)])).toEqual([['OM-SANDBOX-ACME-1', 'paid', '40', ['B (50 USD credits)']]]);
    // granted when its invoice was created, settled when it was paid
    expect((await request(app).get(`${grants}/${b.body.id}`).expect(200)).body).toMatchObject({ status: 'active', purchase: { settlement_status: 'settled' } });
    // settled = 20 (A) + 50 (B) = 70
    expect(await balance()).toEqual([{ currency: 'USD', live: '70', settled: '70', pending: '0' }]);

    // subscribe (v3: settlement credit_then_invoice): January's 29 fee is invoiced at once and paid by credit
    await request(app).post(`${v3}/subscriptions`).send({ customer: { key: 'acme' }, plan: { key: 'metered' } }).expect(201);
    inv = await invoices();
    // 29 due: A gives 20 (priority 10, created first), B gives 29 − 20 = 9; total 29 − 29 = 0
    expect(inv[1]).toMatchObject({ number: 'OM-SANDBOX-ACME-2', status: 'paid', totals: { amount: '29', creditsTotal: '29', total: '0' } });
    // settled = 70 − 29 = 41 (A 0 left, B 41 left)
    expect(await balance()).toEqual([{ currency: 'USD', live: '41', settled: '41', pending: '0' }]);

    // C, promotional 10, voided on Jan 10 before any of it is used: the void forfeits all 10
    const c = await request(app).post(grants).send({ name: 'C', funding_method: 'none', currency: 'USD', amount: '10', priority: 20 }).expect(201);
    // 41 + 10 = 51
    expect((await balance())[0].settled).toBe('51');
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-01-10T00:00:00Z' }).expect(200);
    await request(app).post(`${grants}/${c.body.id}/void`).send({}).expect(200);
    // 51 − 10 = 41
    expect((await balance())[0].settled).toBe('41');
    // voiding A, already used up, forfeits nothing (0 left) but still answers the voided grant
    expect((await request(app).post(`${grants}/${a.body.id}/void`).send({}).expect(200)).body.status).toBe('voided');
    expect((await balance())[0].settled).toBe('41');

    // usage: 1,500 tokens in January
    await request(app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: 'u1', source: 't', type: 'tokens', subject: 'acme_prod', time: '2026-01-20T00:00:00Z', data: { tokens: 1500 } }])
      .expect(204);
    // Feb 1: February's fee 29 + January's tokens 1,500 × 0.01 = 15 → 44 due, collected at 01:00 (PT1H)
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-02-01T02:00:00Z' }).expect(200);
    inv = await invoices();
    // credit left 41 (all B) pays 41 of 44: total 44 − 41 = 3, paid by the sandbox
    expect(inv[2]).toMatchObject({ number: 'OM-SANDBOX-ACME-3', status: 'paid', totals: { amount: '44', creditsTotal: '41', total: '3' } });
    expect(inv[2]!.lines.map((l) => l.totals.amount).sort()).toEqual(['15', '29']);
    // the credit is spent: settled 41 − 41 = 0
    expect(await balance()).toEqual([{ currency: 'USD', live: '0', settled: '0', pending: '0' }]);
    // v3 shows the same totals (snake_case)
    const v3List = (await request(app).get(`${v3}/billing/invoices`).query({ 'filter[customer_id]': acmeId }).expect(200)).body.data;
    expect(v3List.map((i: { totals: { credits_total: string; total: string } }) => [i.totals.credits_total, i.totals.total])).toEqual([
      ['0', '40'],
      ['29', '0'],
      ['41', '3'],
    ]);

    // transactions, oldest first here: funded A +20, funded B +50, consumed −20 (A) and −9 (B) by the January fee,
    // funded C +10, voided C −10, then February's lines consume 41 of B
    const tx = (await request(app).get(`${v3}/customers/${acmeId}/credits/transactions`).query({ 'page[size]': 50 }).expect(200)).body.data as Array<{
      type: string;
      amount: string;
      name: string;
      available_balance: { before: string; after: string };
    }>;
    const rows = tx.reverse();
    expect(rows.slice(0, 6).map((r) => [r.type, r.amount, r.available_balance.after])).toEqual([
      ['funded', '20', '20'],
      ['funded', '50', '70'],
      ['consumed', '-20', '50'],
      ['consumed', '-9', '41'],
      ['funded', '10', '51'],
      ['voided', '-10', '41'],
    ]);
    // February: the two lines together consume 41, the balance ends at 0
    const feb = rows.slice(6);
    expect(feb.every((r) => r.type === 'consumed')).toBe(true);
    expect(feb.reduce((s, r) => s + Number(r.amount), 0)).toBe(-41);
    expect(feb.at(-1)!.available_balance.after).toBe('0');
    // the consumed rows carry the invoice line's name
    expect(rows[2]!.name).toBe('Base fee');
  });

  it('v1 pending lines (no charge behind them) draw no credit', async () => {
    const { app, acmeId } = await setupSubscriptions();
    await request(app).post(`${v3}/customers/${acmeId}/credits/grants`).send({ name: 'A', funding_method: 'none', currency: 'USD', amount: '20' }).expect(201);
    await request(app)
      .post(`/api/v1/billing/customers/${acmeId}/invoices/pending-lines`)
      .send({ currency: 'USD', lines: [{ type: 'usage_based', name: 'Setup', period: { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, invoiceAt: '2026-01-01T00:00:00Z', price: { type: 'flat', amount: '15' } }] })
      .expect(201);
    const [inv] = (await request(app).post('/api/v1/billing/invoices/invoice').send({ customerId: acmeId }).expect(201)).body;
    expect(inv.totals).toMatchObject({ amount: '15', creditsTotal: '0', total: '15' });
    expect((await request(app).get(`${v3}/customers/${acmeId}/credits/balance`).expect(200)).body.balances[0].settled).toBe('20');
  });

  it('a draft holds its credit; deleting the draft gives it back, a recalculation that lowers a line gives back the excess', async () => {
    const { app, acmeId } = await setupSubscriptions();
    const p = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items.find((x: { default: boolean }) => x.default);
    await request(app)
      .put(`/api/v1/billing/profiles/${p.id}`)
      .send({ name: p.name, supplier: p.supplier, default: true, workflow: { ...p.workflow, invoicing: { ...p.workflow.invoicing, autoAdvance: false } } })
      .expect(200);
    await publishPlan(app, {
      key: 'starter',
      name: 'Starter',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'flat_fee', key: 'base', name: 'Fee', billingCadence: 'P1M', price: { type: 'flat', amount: '29', paymentTerm: 'in_advance' } }] }],
    });
    await request(app).post(`${v3}/customers/${acmeId}/credits/grants`).send({ name: 'A', funding_method: 'none', currency: 'USD', amount: '20' }).expect(201);
    const settled = async () => (await request(app).get(`${v3}/customers/${acmeId}/credits/balance`).expect(200)).body.balances[0].settled;
    const s = await request(app).post(`${v3}/subscriptions`).send({ customer: { key: 'acme' }, plan: { key: 'starter' } }).expect(201);
    const list = async () => (await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId, extendedStatuses: 'draft.manual_approval_needed', expand: 'lines' }).expect(200)).body.items;
    let [draft] = await list();
    // the draft waits for approval, past collection: 29 due, 20 of credit held → total 9
    expect(draft.totals).toMatchObject({ amount: '29', creditsTotal: '20', total: '9' });
    expect(await settled()).toBe('0');
    // cancel on Jan 11: the draft line becomes 29 × 10/31 = 9.35, so it holds 9.35 and gives 20 − 9.35 = 10.65 back
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-01-11T00:00:00Z' }).expect(200);
    await request(app).post(`${v3}/subscriptions/${s.body.id}/cancel`).send({}).expect(200);
    [draft] = await list();
    expect(draft.totals).toMatchObject({ amount: '9.35', creditsTotal: '9.35', total: '0' });
    expect(await settled()).toBe('10.65');
    // deleting the draft returns the rest: 10.65 + 9.35 = 20
    await request(app).delete(`/api/v1/billing/invoices/${draft.id}`).expect(204);
    expect(await settled()).toBe('20');
  });

  it('an invoice-funded grant effective Feb 1 stays pending (balance pending 100) until the collection job invoices its line then', async () => {
    const { app, acmeId } = await setupSubscriptions();
    const grants = `${v3}/customers/${acmeId}/credits/grants`;
    const g = await request(app)
      .post(grants)
      .send({ name: 'Pack', funding_method: 'invoice', currency: 'USD', amount: '100', effective_at: '2026-02-01T00:00:00Z', purchase: { currency: 'USD', per_unit_cost_basis: '0.5' } })
      .expect(201);
    const balance = async () => (await request(app).get(`${v3}/customers/${acmeId}/credits/balance`).expect(200)).body.balances;
    expect(await balance()).toEqual([{ currency: 'USD', live: '0', settled: '0', pending: '100' }]);
    // the line waits on the gathering invoice, due at the effective time
    const gathering = (await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId, expand: 'lines' }).expect(200)).body.items;
    expect(gathering.map((i: { status: string; lines: Array<{ name: string; invoiceAt: string }> }) => [i.status, i.lines.map((l) => [l.name, l.invoiceAt])])).toEqual([
      ['gathering', [['Pack (100 USD credits)', '2026-02-01T00:00:00Z']]],
    ]);
    await request(app).post('/_emulator/clock/advance').send({ to: '2026-02-01T00:00:00Z' }).expect(200);
    // invoiced at Feb 1 (100 × 0.5 = 50), paid by the sandbox: granted and settled
    const inv = (await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId }).expect(200)).body.items;
    expect(inv.map((i: { status: string; totals: { total: string }; issuedAt: string }) => [i.status, i.totals.total, i.issuedAt])).toEqual([['paid', '50', '2026-02-01T00:00:00Z']]);
    expect((await request(app).get(`${grants}/${g.body.id}`).expect(200)).body).toMatchObject({ status: 'active', purchase: { settlement_status: 'settled' } });
    expect(await balance()).toEqual([{ currency: 'USD', live: '100', settled: '100', pending: '0' }]);
  });
});

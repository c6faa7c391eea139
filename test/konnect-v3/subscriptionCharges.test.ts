import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { meteredPlan, publishPlan, setupSubscriptions } from '../openmeter-v1/subscriptionFixtures.ts';

/**
 * Subscriptions settled through charges. With the credits stack on, OpenMeter's subscription sync
 * routes the items of a `credit_only` / `credit_then_invoice` subscription to the charges stack
 * (billing/worker/subscriptionsync/service/reconciler/patch.go ResolveDefaultCollection): each item
 * period is a flat-fee or usage-based charge owned by the subscription
 * (reconciler/patchchargeflatfee.go, patchchargeusagebased.go: unique reference = the item
 * period's id, `subscription {id, phase {id, item {id}}}`, managed by the system —
 * api/v3/handlers/customers/charges/convert.go). A charge draws credit when it is realized (flat fee
 * at invoice_at, usage once the period and the collection interval are over). `credit_only` never
 * reaches an invoice and books a shortfall as an advance (charges README "Settlement semantics");
 * `credit_then_invoice` invoices the rest through the charge's line, which carries the credit the
 * charge drew (flatfee/service/linemapper.go `CreditsApplied` from the run's credit realizations).
 */
const v3 = '/v3/openmeter';

type Charge = {
  id: string;
  type: string;
  name: string;
  status: string;
  lifecycle_controller: string;
  settlement_mode: string;
  unique_reference_id?: string;
  service_period: { from: string; to: string };
  subscription?: { id: string; phase: { id: string; item: { id: string } } };
  totals?: { booked: { amount: string; credits_total: string; total: string } };
  amount_after_proration?: { amount: string };
};
type Line = { name: string; totals: { amount: string; creditsTotal: string; total: string } };
type Inv = { number: string; status: string; totals: { amount: string; creditsTotal: string; total: string }; lines: Line[] };

async function world() {
  const w = await setupSubscriptions();
  await publishPlan(w.app, meteredPlan);
  const { app, acmeId } = w;
  const listCharges = async (query: Record<string, string> = {}) => (await request(app).get(`${v3}/customers/${acmeId}/charges`).query(query).expect(200)).body.data as Charge[];
  const balance = async () => (await request(app).get(`${v3}/customers/${acmeId}/credits/balance`).expect(200)).body.balances;
  const invoices = async () =>
    ((await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId, expand: 'lines', orderBy: 'createdAt' }).expect(200)).body.items as Array<Inv & { status: string }>).filter(
      (i) => i.status !== 'gathering',
    );
  const gatheringLines = async () =>
    ((await request(app).get('/api/v1/billing/invoices').query({ customers: acmeId, expand: 'lines' }).expect(200)).body.items as Array<Inv>)
      .filter((i) => i.status === 'gathering')
      .flatMap((i) => i.lines.map((l) => l.name));
  const transactions = async () =>
    ((await request(app).get(`${v3}/customers/${acmeId}/credits/transactions`).query({ 'page[size]': 50 }).expect(200)).body.data as Array<{
      type: string;
      name: string;
      amount: string;
      labels?: Record<string, string>;
      available_balance: { before: string; after: string };
    }>).reverse();
  const grant = (body: Record<string, unknown>) => request(app).post(`${v3}/customers/${acmeId}/credits/grants`).send({ funding_method: 'none', currency: 'USD', ...body }).expect(201);
  const ingest = (time: string, tokens: number) =>
    request(app)
      .post('/api/v1/events')
      .send([{ specversion: '1.0', id: `u-${time}`, source: 't', type: 'tokens', subject: 'acme_prod', time, data: { tokens } }])
      .expect(204);
  const advanceTo = (to: string) => request(app).post('/_emulator/clock/advance').send({ to }).expect(200);
  return { ...w, listCharges, balance, invoices, gatheringLines, transactions, grant, ingest, advanceTo };
}

describe('credit_then_invoice subscription: items are charges, credit first, the rest invoiced (worked month)', () => {
  it('a $29 fee in advance and tokens at $0.01 against 20 of credit and 10 of tokens-only credit', async () => {
    const w = await world();
    const { app } = w;
    // 2026-01-01: A, promotional 20, usable by anything
    await w.grant({ name: 'A', amount: '20' });
    const sub = await request(app).post(`${v3}/subscriptions`).send({ customer: { key: 'acme' }, plan: { key: 'metered' }, settlement_mode: 'credit_then_invoice' }).expect(201);
    expect(sub.body.settlement_mode).toBe('credit_then_invoice');
    const phaseId = sub.body.phases[0].id as string;
    const itemIds = Object.fromEntries((sub.body.phases[0].items as Array<{ id: string; rate_card: { key: string } }>).map((i) => [i.rate_card.key, i.id]));

    // January's items are charges of the system, referencing the subscription item they come from
    let charges = await w.listCharges();
    const janFee = charges.find((c) => c.name === 'Base fee' && c.service_period.from === '2026-01-01T00:00:00Z')!;
    const janTokens = charges.find((c) => c.name === 'Tokens' && c.service_period.from === '2026-01-01T00:00:00Z')!;
    expect(janFee).toMatchObject({
      type: 'flat_fee',
      lifecycle_controller: 'system',
      settlement_mode: 'credit_then_invoice',
      subscription: { id: sub.body.id, phase: { id: phaseId, item: { id: itemIds.base } } },
      amount_after_proration: { amount: '29' },
    });
    expect(janFee.unique_reference_id).toContain(sub.body.id);
    expect(janTokens).toMatchObject({ type: 'usage_based', lifecycle_controller: 'system', status: 'active', subscription: { id: sub.body.id, phase: { id: phaseId, item: { id: itemIds.tokens } } } });

    // the fee was realized at invoice_at (now): it drew A's 20 and its line was invoiced at once:
    // amount 29, credits 20, total 29 − 20 = 9, paid by the sandbox — so the fee charge is final
    let inv = await w.invoices();
    expect(inv.map((i) => [i.status, i.totals, i.lines.map((l) => [l.name, l.totals.amount, l.totals.creditsTotal, l.totals.total])])).toEqual([
      ['paid', expect.objectContaining({ amount: '29', creditsTotal: '20', total: '9' }), [['Base fee', '29', '20', '9']]],
    ]);
    expect(janFee.status).toBe('final');
    // settled 20 − 20 = 0; live 0 (the tokens charge has no usage yet)
    expect(await w.balance()).toEqual([{ currency: 'USD', live: '0', settled: '0', pending: '0' }]);

    // Jan 15: B, 10 of credit only for tokens; 1,500 tokens were used on Jan 14
    await w.advanceTo('2026-01-15T00:00:00Z');
    await w.grant({ name: 'B', amount: '10', filters: { features: ['tokens'] } });
    await w.ingest('2026-01-14T00:00:00Z', 1500);
    // live = 10 − min(1,500 × 0.01 = 15 outstanding, 10 usable) = 0
    expect(await w.balance()).toEqual([{ currency: 'USD', live: '0', settled: '10', pending: '0' }]);

    // Feb 1 00:00: February's fee is realized (B cannot pay a fee without a feature: no credit);
    // 01:00 (collection interval PT1H): January's tokens are realized, 15, B pays 10
    await w.advanceTo('2026-02-01T02:00:00Z');
    inv = await w.invoices();
    expect(inv).toHaveLength(2);
    // one invoice for both lines, as the gathering invoice collected them: 29 + 15 = 44, credits 0 + 10, total 44 − 10 = 34
    expect(inv[1]!.status).toBe('paid');
    expect(inv[1]!.totals).toMatchObject({ amount: '44', creditsTotal: '10', total: '34' });
    expect(inv[1]!.lines.map((l) => [l.name, l.totals.amount, l.totals.creditsTotal, l.totals.total]).sort()).toEqual([
      ['Base fee', '29', '0', '29'],
      ['Tokens', '15', '10', '5'],
    ]);
    // the v3 invoice list carries the same credits total
    const v3List = (await request(app).get(`${v3}/billing/invoices`).query({ 'filter[customer_id]': w.acmeId }).expect(200)).body.data;
    expect(v3List.map((i: { totals: { credits_total: string; total: string } }) => [i.totals.credits_total, i.totals.total])).toEqual([
      ['20', '9'],
      ['10', '34'],
    ]);

    // the charges by service period: January's two are paid (final), February's fee is paid,
    // February's tokens run; an in-advance fee is generated a period ahead, so March's waits
    charges = await w.listCharges({ sort: 'service_period.from' });
    expect(charges.map((c) => [c.name, c.service_period.from.slice(0, 10), c.status])).toEqual([
      ['Base fee', '2026-01-01', 'final'],
      ['Tokens', '2026-01-01', 'final'],
      ['Base fee', '2026-02-01', 'final'],
      ['Tokens', '2026-02-01', 'active'],
      ['Base fee', '2026-03-01', 'created'],
    ]);
    // January's tokens: booked 15, credits 10, total 15 − 10 = 5
    expect(charges[1]!.totals!.booked).toMatchObject({ amount: '15', credits_total: '10', total: '5' });
    // the status filter reads the same
    expect((await w.listCharges({ 'filter[status][oeq]': 'active' })).map((c) => c.name)).toEqual(['Tokens']);

    // the credit is spent: settled 0 + 10 − 10 = 0
    expect(await w.balance()).toEqual([{ currency: 'USD', live: '0', settled: '0', pending: '0' }]);
    // transactions, oldest first: funded A 20, the fee consumes 20 (0), funded B 10 (10), tokens consume 10 (0)
    const rows = await w.transactions();
    expect(rows.map((r) => [r.type, r.name, r.amount, r.available_balance.after])).toEqual([
      ['funded', 'A', '20', '20'],
      ['consumed', 'Base fee', '-20', '0'],
      ['funded', 'B', '10', '10'],
      ['consumed', 'Tokens', '-10', '0'],
    ]);
    // consumed rows name the charge and the subscription item it came from
    expect(rows[1]!.labels).toEqual({ charge_id: janFee.id, subscription_id: sub.body.id, subscription_phase_id: phaseId, subscription_item_id: itemIds.base });
    expect(rows[3]!.labels).toMatchObject({ charge_id: janTokens.id, subscription_item_id: itemIds.tokens });
  });
});

describe('credit_only subscription: charges only, never an invoice', () => {
  it('the fee and the tokens consume credit, the shortfall is an advance (settled goes negative), no invoice is made', async () => {
    const w = await world();
    const { app } = w;
    await w.grant({ name: 'A', amount: '20' });
    await request(app).post(`${v3}/subscriptions`).send({ customer: { key: 'acme' }, plan: { key: 'metered' }, settlement_mode: 'credit_only' }).expect(201);
    // the fee is realized now: 29 = 20 of A + 9 of advance → settled 20 − 29 = −9
    expect((await w.balance())[0]).toMatchObject({ settled: '-9' });
    // nothing is invoiced and no line waits for an invoice (billing/worker/subscriptionsync/service/creditsonly_test.go)
    expect(await w.invoices()).toEqual([]);
    expect(await w.gatheringLines()).toEqual([]);
    await w.ingest('2026-01-20T00:00:00Z', 1500);
    await w.advanceTo('2026-02-01T02:00:00Z');
    // February's fee 29 and January's tokens 1,500 × 0.01 = 15 are advances: −9 − 29 − 15 = −53
    expect((await w.balance())[0]).toMatchObject({ settled: '-53' });
    expect(await w.invoices()).toEqual([]);
    expect(await w.gatheringLines()).toEqual([]);
    const charges = await w.listCharges({ sort: 'service_period.from' });
    expect(charges.map((c) => [c.name, c.service_period.from.slice(0, 10), c.status, c.settlement_mode])).toEqual([
      ['Base fee', '2026-01-01', 'final', 'credit_only'],
      ['Tokens', '2026-01-01', 'final', 'credit_only'],
      ['Base fee', '2026-02-01', 'final', 'credit_only'],
      ['Tokens', '2026-02-01', 'active', 'credit_only'],
      ['Base fee', '2026-03-01', 'created', 'credit_only'],
    ]);
    // the consumed rows: A's 20 and the advance's 9 for January's fee, then two advances
    expect((await w.transactions()).map((r) => [r.type, r.name, r.amount, r.available_balance.after])).toEqual([
      ['funded', 'A', '20', '20'],
      ['consumed', 'Base fee', '-20', '0'],
      ['consumed', 'Base fee', '-9', '-9'],
      ['consumed', 'Base fee', '-29', '-38'],
      ['consumed', 'Tokens', '-15', '-53'],
    ]);
  });
});

describe('settlement mode not named: invoice lines as before (decision 0025)', () => {
  it('a subscription taking the plan default credit_then_invoice makes no charges; its invoice line draws the credit', async () => {
    const w = await world();
    await w.grant({ name: 'A', amount: '20' });
    await request(w.app).post(`${v3}/subscriptions`).send({ customer: { key: 'acme' }, plan: { key: 'metered' } }).expect(201);
    expect(await w.listCharges()).toEqual([]);
    const [inv] = await w.invoices();
    // 29 due, 20 of credit on the line → 9
    expect(inv!.totals).toMatchObject({ amount: '29', creditsTotal: '20', total: '9' });
    // the consumed row belongs to the invoice line, not a charge
    const rows = await w.transactions();
    expect(Object.keys(rows[1]!.labels ?? {})).toEqual(['invoice_line_id']);
  });
});

describe('a manual credit_then_invoice charge: what credit leaves is invoiced', () => {
  it('a $50 fee with 20 of credit: the charge draws 20 at invoice_at, its gathering line is invoiced 50 − 20 = 30, then the charge is final', async () => {
    const w = await world();
    const { app, acmeId } = w;
    await w.grant({ name: 'A', amount: '20' });
    const c = await request(app)
      .post(`${v3}/customers/${acmeId}/charges`)
      .send({
        type: 'flat_fee',
        name: 'Onboarding',
        currency: 'USD',
        invoice_at: '2026-01-01T00:00:00Z',
        service_period: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
        settlement_mode: 'credit_then_invoice',
        payment_term: 'in_advance',
        proration_configuration: { mode: 'no_proration' },
        amount_before_proration: { amount: '50', currency: 'USD' },
      })
      .expect(201);
    // realized at create (invoice_at is now): 20 of credit drawn, 30 owed to the invoice — active until paid
    expect(c.body).toMatchObject({ status: 'active', lifecycle_controller: 'manual' });
    expect(c.body.subscription).toBeUndefined();
    expect((await w.balance())[0]).toMatchObject({ settled: '0' });
    // the charge's line waits on the gathering invoice for the collection job (flatfee line engine)
    expect(await w.gatheringLines()).toEqual(['Onboarding']);
    await w.advanceTo('2026-01-01T00:00:01Z');
    const inv = await w.invoices();
    // 50 − 20 = 30, paid by the sandbox
    expect(inv.map((i) => [i.status, i.totals.amount, i.totals.creditsTotal, i.totals.total])).toEqual([['paid', '50', '20', '30']]);
    expect((await request(app).get(`${v3}/customers/${acmeId}/charges`).expect(200)).body.data[0].status).toBe('final');
    // the credit was drawn once, by the charge: settled still 0
    expect((await w.balance())[0]).toMatchObject({ settled: '0' });
  });
});

describe('a credit_then_invoice subscription canceled mid-period', () => {
  it('the realized fee is corrected to the prorated amount, the excess credit goes back, the draft line follows; the later fee is deleted', async () => {
    const w = await world();
    const { app } = w;
    // drafts wait for approval, so the cancel finds the January invoice mutable
    const p = (await request(app).get('/api/v1/billing/profiles').expect(200)).body.items.find((x: { default: boolean }) => x.default);
    await request(app)
      .put(`/api/v1/billing/profiles/${p.id}`)
      .send({ name: p.name, supplier: p.supplier, default: true, workflow: { ...p.workflow, invoicing: { ...p.workflow.invoicing, autoAdvance: false } } })
      .expect(200);
    await w.grant({ name: 'A', amount: '20' });
    const s = await request(app).post(`${v3}/subscriptions`).send({ customer: { key: 'acme' }, plan: { key: 'metered' }, settlement_mode: 'credit_then_invoice' }).expect(201);
    const drafts = async () => (await request(app).get('/api/v1/billing/invoices').query({ customers: w.acmeId, extendedStatuses: 'draft.manual_approval_needed', expand: 'lines' }).expect(200)).body.items as Inv[];
    // 29 due, the fee charge drew 20 → 9
    expect((await drafts())[0]!.totals).toMatchObject({ amount: '29', creditsTotal: '20', total: '9' });
    // cancel on Jan 11: the fee becomes 29 × 10/31 = 9.35 (reconciler shrink patch); the charge keeps
    // 9.35 of credit and gives 20 − 9.35 = 10.65 back
    await w.advanceTo('2026-01-11T00:00:00Z');
    await request(app).post(`${v3}/subscriptions/${s.body.id}/cancel`).send({}).expect(200);
    expect((await w.balance())[0]).toMatchObject({ settled: '10.65' });
    // the draft line follows: 9.35, all of it credit
    expect((await drafts())[0]!.totals).toMatchObject({ amount: '9.35', creditsTotal: '9.35', total: '0' });
    const all = await w.listCharges({ 'filter[status][oeq]': 'created,active,final,deleted', sort: 'service_period.from' });
    const fee = all.find((c) => c.name === 'Base fee' && c.service_period.from.startsWith('2026-01-01'))!;
    expect(fee).toMatchObject({ amount_after_proration: { amount: '9.35' }, service_period: { from: '2026-01-01T00:00:00Z', to: '2026-01-11T00:00:00Z' } });
    // February's fee, generated a period ahead, is gone with the item
    expect(all.filter((c) => c.service_period.from.startsWith('2026-02-01')).map((c) => [c.name, c.status])).toEqual([['Base fee', 'deleted']]);
    // the ledger: −20 consumed, +10.65 given back
    expect((await w.transactions()).map((r) => [r.type, r.amount, r.available_balance.after])).toEqual([
      ['funded', '20', '20'],
      ['consumed', '-20', '0'],
      ['consumed', '10.65', '10.65'],
    ]);
  });
});

import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { T0, advance, setupSubscriptions } from './subscriptionFixtures.ts';

/**
 * Add-on rate cards on invoices. OpenMeter applies a subscription add-on to the subscription spec
 * for as long as each quantity runs (subscription/addon/diff/apply.go): a rate card with the key of
 * a plan item is merged into it — flat amounts added once per instance (addon/extend.go Apply) —
 * splitting the item's version at the add-on's start; a rate card with a new key is an item of its
 * own, its flat amount applied quantity times. Billing then bills the items as any others
 * (targetstate: proration, in-advance lines due at the billing period's start).
 */

type Inv = { number: string; status: string; totals: { total: string }; issuedAt?: string; lines: Array<{ name: string; period: { from: string; to: string }; totals: { total: string } }>; validationIssues?: Array<{ message: string }> };

async function standardInvoices(app: Express, customerId: string): Promise<Inv[]> {
  const res = await request(app).get('/api/v1/billing/invoices').query({ customers: customerId, expand: 'lines', orderBy: 'createdAt' });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body).slice(0, 1500));
  const items = res.body.items as Inv[];
  return items.filter((i) => i.status !== 'gathering');
}

async function setup() {
  const t = await setupSubscriptions();
  const { app } = t;
  const addon = async (body: Record<string, unknown>) => {
    const r = await request(app).post('/api/v1/addons').send({ currency: 'USD', ...body });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    const pub = await request(app).post(`/api/v1/addons/${r.body.id}/publish`).send({});
    if (pub.status !== 200) throw new Error(JSON.stringify(pub.body));
    return r.body.id as string;
  };
  const seats = await addon({
    key: 'seats',
    name: 'Seats',
    instanceType: 'multiple',
    rateCards: [{ type: 'flat_fee', key: 'seat', name: 'Extra seat', billingCadence: 'P1M', price: { type: 'flat', amount: '5', paymentTerm: 'in_advance' } }],
  });
  const boost = await addon({
    key: 'boost',
    name: 'Boost',
    instanceType: 'single',
    rateCards: [{ type: 'flat_fee', key: 'base', name: 'Starter fee', billingCadence: 'P1M', price: { type: 'flat', amount: '10', paymentTerm: 'in_advance' } }],
  });
  const plan = await request(app)
    .post('/api/v1/plans')
    .send({
      key: 'starter',
      name: 'Starter',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [{ type: 'flat_fee', key: 'base', name: 'Starter fee', billingCadence: 'P1M', price: { type: 'flat', amount: '29', paymentTerm: 'in_advance' } }] }],
    })
    .expect(201);
  // a single-instance add-on takes no maxQuantity (planaddon.go)
  for (const [addonId, max] of [[seats, { maxQuantity: 10 }], [boost, {}]] as const) {
    const pa = await request(app).post(`/api/v1/plans/${plan.body.id}/addons`).send({ addonId, fromPlanPhase: 'default', ...max });
    if (pa.status !== 201) throw new Error(JSON.stringify(pa.body));
  }
  const pub = await request(app).post(`/api/v1/plans/${plan.body.id}/publish`).send({});
  if (pub.status !== 200) throw new Error(JSON.stringify(pub.body));
  const s = await request(app).post('/api/v1/subscriptions').send({ customerId: t.acmeId, plan: { key: 'starter' } }).expect(201);
  return { ...t, seats, boost, subscriptionId: s.body.id as string };
}

describe('add-on rate cards on invoices', () => {
  it('3 extra seats from Jan 11: a line of its own, 5 × 3 = 15 a month, the first month prorated and invoiced at once', async () => {
    const { app, acmeId, seats, subscriptionId } = await setup();
    await advance(app, 'P10D'); // 2026-01-11
    await request(app).post(`/api/v1/subscriptions/${subscriptionId}/addons`).send({ name: 'Seats', addon: { id: seats }, quantity: 3, timing: 'immediate' }).expect(201);
    let inv = await standardInvoices(app, acmeId);
    // 15 × 21/31 days (Jan 11 → Feb 1) = 10.161… → 10.16, due at the billing period's start, so at once
    expect(inv.map((i) => [i.number, i.totals.total, i.issuedAt, i.lines.map((l) => [l.name, l.period.from, l.totals.total])])).toEqual([
      ['OM-SANDBOX-ACME-1', '29', T0, [['Starter fee', T0, '29']]],
      ['OM-SANDBOX-ACME-2', '10.16', '2026-01-11T00:00:00Z', [['Extra seat', '2026-01-11T00:00:00Z', '10.16']]],
    ]);
    await advance(app, 'P21D'); // 2026-02-01
    inv = await standardInvoices(app, acmeId);
    // February: 29 + 5 × 3 = 44
    expect(inv[2]!.lines.map((l) => [l.name, l.totals.total]).sort()).toEqual([
      ['Extra seat', '15'],
      ['Starter fee', '29'],
    ]);
    expect(inv[2]!.totals.total).toBe('44');
  });

  it('a boost on the plan item’s key from Jan 11: merged into it (29 + 10 = 39); the paid fee gets the prorated warning, the rest of January is invoiced at once', async () => {
    const { app, acmeId, boost, subscriptionId } = await setup();
    await advance(app, 'P10D'); // 2026-01-11
    await request(app).post(`/api/v1/subscriptions/${subscriptionId}/addons`).send({ name: 'Boost', addon: { id: boost }, quantity: 1, timing: 'immediate' }).expect(201);
    let inv = await standardInvoices(app, acmeId);
    // the item is split at Jan 11: [Jan 1, Jan 11) at 29 → 29 × 10/31 = 9.35 (a warning on the paid invoice),
    // [Jan 11, Feb 1) at 39 → 39 × 21/31 = 26.419… → 26.42, invoiced now
    expect(inv[0]!.validationIssues?.map((i) => i.message)).toEqual(["flat fee line's per unit amount cannot be changed on immutable invoice (new per unit amount: 9.35)"]);
    expect(inv[1]!.lines.map((l) => [l.name, l.period, l.totals.total])).toEqual([['Starter fee', { from: '2026-01-11T00:00:00Z', to: '2026-02-01T00:00:00Z' }, '26.42']]);
    await advance(app, 'P21D'); // 2026-02-01
    inv = await standardInvoices(app, acmeId);
    expect(inv[2]!.lines.map((l) => [l.name, l.totals.total])).toEqual([['Starter fee', '39']]);
  });

  it('seats reduced to 1 from the next billing cycle: February bills 5 × 1', async () => {
    const { app, acmeId, seats, subscriptionId } = await setup();
    await advance(app, 'P10D');
    const a = await request(app).post(`/api/v1/subscriptions/${subscriptionId}/addons`).send({ name: 'Seats', addon: { id: seats }, quantity: 3, timing: 'immediate' }).expect(201);
    await request(app).patch(`/api/v1/subscriptions/${subscriptionId}/addons/${a.body.id}`).send({ quantity: 1, timing: 'next_billing_cycle' }).expect(200);
    await advance(app, 'P21D'); // 2026-02-01
    const inv = await standardInvoices(app, acmeId);
    expect(inv[2]!.lines.map((l) => [l.name, l.totals.total]).sort()).toEqual([
      ['Extra seat', '5'],
      ['Starter fee', '29'],
    ]);
  });
});

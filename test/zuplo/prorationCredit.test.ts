/**
 * Zuplo's `max_consumption_based` proration lands on invoices (reference zuplo-monetization.md §4
 * "Proration" and step 7; zuplo/docs subscription-lifecycle.md "Proration behavior"; decision 0032):
 * an immediate upgrade's credit = the old in-advance fee × (1 − max(time elapsed, quota used)),
 * recorded against the new subscription and taken by its in-advance fee lines as a
 * `proration_credit` discount (SEED DiscountReasonProrationCredit {previousSubscriptionId,
 * maxPercentage}), each line at most its amount, the surplus cascading to later invoices. The old
 * subscription's paid invoice is left as it was: the credit is the refund.
 */
import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';
import { advanceTo, base, fee, subscribe, usageCard, use } from './monetizationFixtures.ts';

const BUCKET = 'zprj-credit-working-copy';
const M = base(BUCKET);
const PORTAL = `/v3/zudoku-metering/${BUCKET}`;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** the portal's IdP token: the gateway service reads `sub` and `email` */
const U = { Authorization: `Bearer ${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: 'auth0|u1', email: 'u1@example.com' })}.c2lnbmF0dXJl` };
const U1 = { customerSub: 'auth0|u1', customerEmail: 'u1@example.com' };

type PlanKey = 'starter' | 'pro' | 'growth';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any


/**
 * The reference catalog, made as Zuplo's docs make plans (`proRatingConfig` mode
 * `max_consumption_based`, private-plans.md): starter $29 in advance + 10 requests, pro $99 + 50,
 * and `growth`, $50 + 100, last in the plan order (so reaching it is an upgrade) but cheaper than
 * pro — the case where a credit outgrows the next line.
 */
async function world(): Promise<{ app: Express; plans: Record<PlanKey, string> }> {
  const { app } = createTestEmulator();
  await request(app).post(`${M}/meters`).send({ slug: 'api_requests', name: 'API requests', eventType: 'api_requests', aggregation: 'COUNT' }).expect(201);
  await request(app).post(`${M}/features`).send({ key: 'api_requests', name: 'API requests', meterSlug: 'api_requests' }).expect(201);
  const cards: Record<PlanKey, unknown[]> = {
    starter: [fee('29'), usageCard({ included: 10, soft: false })],
    pro: [fee('99'), usageCard({ included: 50, soft: true })],
    growth: [fee('50'), usageCard({ included: 100, soft: true })],
  };
  const plans = {} as Record<PlanKey, string>;
  for (const key of ['starter', 'pro', 'growth'] as const) {
    const body = {
      key,
      name: key,
      currency: 'USD',
      billingCadence: 'P1M',
      proRatingConfig: { enabled: true, mode: 'max_consumption_based' },
      phases: [{ key: 'default', name: 'Default', duration: null, rateCards: cards[key] }],
    };
    const created = await request(app).post(`${M}/plans`).send(body).expect(201);
    expect(created.body.proRatingConfig).toEqual({ enabled: true, mode: 'max_consumption_based' });
    await request(app).post(`${M}/plans/${created.body.id}/publish`).expect(200);
    plans[key] = created.body.id;
  }
  await request(app).put(`${M}/monetization-configuration`).send({ planOrder: ['starter', 'pro', 'growth'] }).expect(200);
  // April has 30 days: the reference's "day 15 of 30"
  await advanceTo(app, '2026-04-01T00:00:00Z');
  return { app, plans };
}

/** the subscription's in-advance fee lines on standard invoices, by period start, with their invoice */
async function feeLines(app: Express, subscriptionId: string): Promise<Array<{ invoice: Json; line: Json; discount?: Json }>> {
  const invoices = (await request(app).get(`${M}/billing/invoices?expand=lines`).expect(200)).body.items as Json[];
  return invoices
    .filter((inv) => inv.status !== 'gathering')
    .flatMap((invoice) =>
      (invoice.lines as Json[])
        .filter((l) => l.name === 'Base fee' && l.subscription?.subscription?.id === subscriptionId)
        .map((line) => ({ invoice, line, discount: (line.children as Json[]).flatMap((c) => c.discounts?.amount ?? [])[0] })),
    )
    .sort((a, b) => String(a.line.period.from).localeCompare(String(b.line.period.from)));
}

const estimate = async (app: Express, id: string, body: Json) => (await request(app).post(`${M}/subscriptions/${id}/change/estimate-credit`).send(body).expect(200)).body;

describe('Zuplo proration credit: an upgrade credits the new subscription’s next in-advance line (decision 0032)', () => {
  it('reference step 7: starter → pro on day 15 of 30 with 7 of 10 used: 8.70 off pro’s $99 line; starter’s paid $29 unchanged', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter }, BUCKET);
    const [starterFee] = await feeLines(app, s.id);
    expect(starterFee).toMatchObject({ invoice: { status: 'paid', totals: { total: '29' } }, line: { totals: { total: '29' } } });
    await use(app, s.consumer, s.id, 7, BUCKET);
    await advanceTo(app, '2026-04-16T00:00:00Z'); // 15 of April's 30 days

    // B4: 29 × (1 − max(15/30, 7/10)) = 29 × 0.3 = 8.70
    expect(await estimate(app, s.id, { timing: 'immediate', plan: { key: 'pro' } })).toEqual({
      creditAmount: '8.7',
      currency: 'USD',
      maxPercentage: '0.7',
      timePercentage: '0.5',
      consumptionPercentage: '0.7',
      upfrontCost: '29',
      overflowCredit: '0',
    });
    // P6 (the portal sends only the timing) agrees
    expect((await request(app).post(`${PORTAL}/subscriptions/${s.id}/change/estimate-credit`).set(U).send({ timing: 'immediate' }).expect(200)).body).toEqual({
      creditAmount: '8.7',
      currency: 'USD',
    });

    // P7: the server picks `immediate` (pro is later in the plan order)
    const next = (await request(app).post(`${PORTAL}/subscriptions/${s.id}/change`).set(U).send({ planId: plans.pro }).expect(200)).body;
    expect(next).toMatchObject({ status: 'active', plan: { key: 'pro' }, annotations: { 'subscription.previous.id': s.id } });

    const [first, second] = await feeLines(app, next.id);
    // max_consumption_based never prorates a fee by time: pro's first line (Apr 16 – May 1) is the full $99
    expect(first!.line).toMatchObject({
      period: { from: '2026-04-16T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      totals: { amount: '99', discountsTotal: '8.7', total: '90.3' }, // 99 − 8.70
    });
    expect(first!.discount).toMatchObject({ amount: '8.7', reason: { type: 'proration_credit', previousSubscriptionId: s.id, maxPercentage: '0.7' } });
    expect(first!.invoice.totals).toMatchObject({ amount: '99', discountsTotal: '8.7', total: '90.3' });
    expect(second).toBeUndefined();

    // the old subscription's paid line is the same object it was: the credit is the refund
    const [starterAfter] = await feeLines(app, s.id);
    expect(starterAfter!.invoice).toMatchObject({ id: starterFee!.invoice.id, status: 'paid', totals: { total: '29', discountsTotal: '0' } });
    expect(starterAfter!.line).toMatchObject({ period: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' }, totals: { total: '29' } });

    // the credit is used up: May's $99 carries no discount
    await advanceTo(app, '2026-05-01T00:00:01Z');
    const may = (await feeLines(app, next.id)).find((f) => f.line.period.from === '2026-05-01T00:00:00Z');
    expect(may!.line.totals).toMatchObject({ amount: '99', discountsTotal: '0', total: '99' });
    expect(may!.discount).toBeUndefined();
  });

  it('time elapsed dominates: day 20 of 30 with 2 of 10 used credits 29 × (1 − 20/30) = 9.67', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.starter }, BUCKET);
    await use(app, s.consumer, s.id, 2, BUCKET);
    await advanceTo(app, '2026-04-21T00:00:00Z'); // 20 of 30 days
    const est = await estimate(app, s.id, { plan: { key: 'pro' } });
    // max(0.666667, 0.2) = 0.666667; 29 × 0.333333… = 9.6666… → 9.67
    expect(est).toMatchObject({ creditAmount: '9.67', maxPercentage: '0.666667', timePercentage: '0.666667', consumptionPercentage: '0.2', overflowCredit: '0' });
    const ch = (await request(app).post(`${M}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'pro' } }).expect(200)).body;
    const [first] = await feeLines(app, ch.next.id);
    expect(first!.line.totals).toMatchObject({ amount: '99', discountsTotal: '9.67', total: '89.33' }); // 99 − 9.67
    expect(first!.discount).toMatchObject({ amount: '9.67', reason: { type: 'proration_credit', previousSubscriptionId: s.id, maxPercentage: '0.666667' } });
  });

  it('a credit larger than the next line pays that line in full and cascades to the next cycles until used', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.pro }, BUCKET);
    await advanceTo(app, '2026-04-04T00:00:00Z'); // 3 of 30 days, nothing used
    // 99 × (1 − max(0.1, 0)) = 89.10
    expect(await estimate(app, s.id, { plan: { key: 'growth' } })).toMatchObject({ creditAmount: '89.1', timePercentage: '0.1', consumptionPercentage: '0', overflowCredit: '0' });
    const ch = (await request(app).post(`${M}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'growth' } }).expect(200)).body;
    expect(ch.next).toMatchObject({ status: 'active', plan: { key: 'growth' } });

    await advanceTo(app, '2026-06-01T00:00:01Z');
    const lines = await feeLines(app, ch.next.id);
    expect(lines.map((f) => [f.line.period.from, f.line.totals.amount, f.line.totals.discountsTotal, f.line.totals.total])).toEqual([
      ['2026-04-04T00:00:00Z', '50', '50', '0'], // 89.10 − 50 = 39.10 left
      ['2026-05-01T00:00:00Z', '50', '39.1', '10.9'], // 50 − 39.10; nothing left
      ['2026-06-01T00:00:00Z', '50', '0', '50'],
    ]);
    for (const f of lines.slice(0, 2)) expect(f.discount!.reason).toEqual({ type: 'proration_credit', previousSubscriptionId: s.id, maxPercentage: '0.1' });
  });

  it('multi-hop: a downgrade earns nothing itself but passes what the last credit left on (overflowCredit)', async () => {
    const { app, plans } = await world();
    const s = await subscribe(app, { ...U1, planId: plans.pro }, BUCKET);
    await advanceTo(app, '2026-04-04T00:00:00Z');
    const growth = (await request(app).post(`${M}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'growth' } }).expect(200)).body.next;
    // growth's first line took 50 of the 89.10: 39.10 is left
    await advanceTo(app, '2026-04-10T00:00:00Z');
    const est = await estimate(app, growth.id, { plan: { key: 'starter' } });
    expect(est).toMatchObject({ creditAmount: '39.1', overflowCredit: '39.1' }); // 0 (a downgrade) + 39.10 carried over
    const ch = (await request(app).post(`${M}/subscriptions/${growth.id}/change`).send({ timing: 'next_billing_cycle', plan: { key: 'starter' } }).expect(200)).body;
    expect(ch.next).toMatchObject({ status: 'scheduled', activeFrom: '2026-05-01T00:00:00Z', plan: { key: 'starter' } });

    await advanceTo(app, '2026-06-01T00:00:01Z');
    // growth ends on May 1 with no later fee; starter's fees take the 39.10: 29 in May, 10.10 in June
    expect((await feeLines(app, growth.id)).map((f) => f.line.totals.total)).toEqual(['0']);
    const starter = await feeLines(app, ch.next.id);
    expect(starter.map((f) => [f.line.period.from, f.line.totals.discountsTotal, f.line.totals.total])).toEqual([
      ['2026-05-01T00:00:00Z', '29', '0'], // 39.10 − 29 = 10.10 left
      ['2026-06-01T00:00:00Z', '10.1', '18.9'], // 29 − 10.10
    ]);
    // the carried part names the subscription that passed it on; the percentage is that change's (a downgrade: max(time, quota) as measured)
    expect(starter[0]!.discount!.reason).toMatchObject({ type: 'proration_credit', previousSubscriptionId: growth.id });
  });

  it('under OpenMeter’s prorate_prices a fee still on a draft is prorated by the sync instead: no credit on top', async () => {
    const { app } = createTestEmulator();
    // the shared fixture's catalog, with OpenMeter's mode named (a bucket's default is the fork's)
    const { seedMonetizedBucket, manualApproval } = await import('./monetizationFixtures.ts');
    const plans = await seedMonetizedBucket(app, BUCKET, { proRatingConfig: { enabled: true, mode: 'prorate_prices' } });
    await manualApproval(app, BUCKET);
    const s = await subscribe(app, { ...U1, planId: plans.starter }, BUCKET);
    await advanceTo(app, '2026-01-16T12:00:00Z'); // 15.5 of 31 days; starter's $29 still waits for approval
    expect(await estimate(app, s.id, { plan: { key: 'pro' } })).toMatchObject({ creditAmount: '0', timePercentage: '0.5' });
    const ch = (await request(app).post(`${M}/subscriptions/${s.id}/change`).send({ timing: 'immediate', plan: { key: 'pro' } }).expect(200)).body;
    await advanceTo(app, '2026-01-16T12:00:01Z');
    const [starterFee] = await feeLines(app, s.id);
    // the sync shortened the draft line to the switch and prorated it: 29 × 15.5/31 = 14.50
    expect(starterFee!.line).toMatchObject({ period: { to: '2026-01-16T12:00:00Z' }, totals: { total: '14.5' } });
    for (const f of await feeLines(app, ch.next.id)) expect(f.line.totals.discountsTotal).toBe('0');
  });
});

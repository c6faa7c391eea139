import request from 'supertest';
import type { Express } from 'express';
import type { Emulator } from '../../src/runtime/Emulator.ts';
import { bucketNamespace } from '../../src/surfaces/http/namespaces.ts';

export const BUCKET = 'zprj-shop-working-copy';
export const base = (bucket = BUCKET) => `/v3/metering/${bucket}`;

/** the reference's `api_requests` rate card: `included` requests a month, hard or soft limit */
export const usageCard = (opts: { included: number; soft: boolean; price?: unknown }) => ({
  type: 'usage_based',
  key: 'api_requests',
  name: 'API requests',
  featureKey: 'api_requests',
  billingCadence: 'P1M',
  price: opts.price ?? null,
  entitlementTemplate: { type: 'metered', isSoftLimit: opts.soft, issueAfterReset: opts.included, usagePeriod: 'P1M' },
});
/** a monthly flat fee paid in advance */
export const fee = (amount: string) => ({ type: 'flat_fee', key: 'base', name: 'Base fee', billingCadence: 'P1M', price: { type: 'flat', amount, paymentTerm: 'in_advance' } });
/** a one-phase monthly USD plan; the name defaults to the capitalised key */
export const plan = (key: string, rateCards: unknown[], opts: { name?: string; metadata?: Record<string, string>; proRatingConfig?: unknown } = {}) => ({
  key,
  name: opts.name ?? key[0]!.toUpperCase() + key.slice(1),
  currency: 'USD',
  billingCadence: 'P1M',
  ...(opts.metadata ? { metadata: opts.metadata } : {}),
  ...(opts.proRatingConfig ? { proRatingConfig: opts.proRatingConfig } : {}),
  phases: [{ key: 'default', name: 'Default', duration: null, rateCards }],
});

/**
 * The catalog of reference zuplo-monetization.md §4: meter and feature `api_requests`; `free`
 * (5 requests, hard, no price), `starter` ($29 in advance + 10 requests, hard), `pro` ($99 in
 * advance + 50 requests, soft, $0.01 per request over); plan order free < starter < pro. The plans
 * take the bucket's default proration (the fork's max_consumption_based) unless `proRatingConfig` says.
 */
export async function seedMonetizedBucket(
  app: Express,
  bucket = BUCKET,
  opts: { proRatingConfig?: { enabled: boolean; mode: string } } = {},
): Promise<Record<'free' | 'starter' | 'pro', string>> {
  const b = base(bucket);
  const pr = opts.proRatingConfig;
  await request(app).post(`${b}/meters`).send({ slug: 'api_requests', name: 'API requests', eventType: 'api_requests', aggregation: 'COUNT' }).expect(201);
  await request(app).post(`${b}/features`).send({ key: 'api_requests', name: 'API requests', meterSlug: 'api_requests' }).expect(201);
  const bodies = {
    free: plan('free', [usageCard({ included: 5, soft: false })], { proRatingConfig: pr }),
    starter: plan('starter', [fee('29'), usageCard({ included: 10, soft: false })], { proRatingConfig: pr }),
    pro: plan(
      'pro',
      [
        fee('99'),
        usageCard({
          included: 50,
          soft: true,
          price: { type: 'tiered', mode: 'graduated', tiers: [{ upToAmount: '50', flatPrice: null, unitPrice: { type: 'unit', amount: '0' } }, { flatPrice: null, unitPrice: { type: 'unit', amount: '0.01' } }] },
        }),
      ],
      { proRatingConfig: pr },
    ),
  };
  const ids = {} as Record<'free' | 'starter' | 'pro', string>;
  for (const k of ['free', 'starter', 'pro'] as const) {
    const created = await request(app).post(`${b}/plans`).send(bodies[k]);
    if (created.status !== 201) throw new Error(`plan ${k}: ${JSON.stringify(created.body)}`);
    await request(app).post(`${b}/plans/${created.body.id}/publish`).expect(200);
    ids[k] = created.body.id;
  }
  await request(app).put(`${b}/monetization-configuration`).send({ planOrder: ['free', 'starter', 'pro'] }).expect(200);
  return ids;
}

/** Subscribes a new customer (key = sub) through B1 and answers the subscription and its key. */
export async function subscribe(app: Express, body: Record<string, unknown>, bucket = BUCKET): Promise<{ id: string; key: string; consumer: string; body: Record<string, unknown> }> {
  const res = await request(app).post(`${base(bucket)}/subscriptions`).send(body).expect(201);
  return { id: res.body.id, key: res.body.consumer.apiKeys[0].key, consumer: res.body.consumer.name, body: res.body };
}

/** The gateway's calls: validate-api-key and one usage event per call. */
export const validate = (app: Express, apiKey: string, bucket = BUCKET) => request(app).post(`${base(bucket)}/validate-api-key`).send({ apiKey });

let eventSeq = 0;
export async function use(app: Express, consumer: string, subscription: string, n = 1, bucket = BUCKET): Promise<void> {
  const events = Array.from({ length: n }, () => ({
    id: `evt-${++eventSeq}`,
    specversion: '1.0',
    source: 'monetization-policy',
    type: 'api_requests',
    subject: consumer,
    subscription,
    data: { total: 1 },
  }));
  await request(app).post(`${base(bucket)}/events`).set('Content-Type', 'application/json').send(events).expect(204);
}

export const ACCOUNT = '/v1/accounts/localmeter';

export const advance = (app: Express, by: string) => request(app).post('/_emulator/clock/advance').send({ by }).expect(200);
export const advanceTo = (app: Express, to: string) => request(app).post('/_emulator/clock/advance').send({ to }).expect(200);

/** Invoices from now on wait for approval (B22 on the bucket's default profile), so a test can pick a payment outcome. */
export async function manualApproval(app: Express, bucket = BUCKET): Promise<void> {
  const p = (await request(app).get(`${base(bucket)}/billing/profiles`).expect(200)).body.items.find((x: { default: boolean }) => x.default);
  await request(app)
    .put(`${base(bucket)}/billing/profiles/${p.id}`)
    .send({ name: p.name, supplier: p.supplier, default: true, workflow: { ...p.workflow, invoicing: { ...p.workflow.invoicing, autoAdvance: false } } })
    .expect(200);
}

/** The bucket's invoices with a line of the subscription, oldest first (B35). */
export async function invoicesOf(app: Express, subscriptionId: string, bucket = BUCKET): Promise<Array<Record<string, any>>> {
  const items = (await request(app).get(`${base(bucket)}/billing/invoices?expand=lines`).expect(200)).body.items as Array<Record<string, any>>;
  return items
    .filter((i) => i.status !== 'gathering' && (i.lines ?? []).some((l: Record<string, any>) => l.subscription?.subscription?.id === subscriptionId))
    .sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
}

/**
 * Issues the bucket's invoice waiting for approval with the sandbox app's simulated payment
 * outcome (metadata `openmeter.io/sandbox/target-payment-status`, openmeter/app/sandbox/app.go):
 * the invoice routes a Zuplo bucket serves are read-only, so the draft is edited through the
 * invoice service as v1's PUT + approve would.
 */
export async function issueDraft(emulator: Emulator, outcome: 'paid' | 'failed' | 'uncollectible', bucket = BUCKET): Promise<string> {
  const id = await emulator.run(bucketNamespace(bucket), (tx) => {
    const inv = emulator.services.invoices.listInvoices(tx, { extendedStatuses: ['draft.manual_approval_needed'] }).items[0];
    if (!inv) throw new Error('no invoice waits for approval');
    emulator.services.invoices.updateInvoice(tx, {
      id: inv.id,
      metadata: { 'openmeter.io/sandbox/target-payment-status': outcome },
      supplier: inv.supplier,
      customer: { ...(inv.customer.key ? { key: inv.customer.key } : {}), name: inv.customer.name },
      workflow: { autoAdvance: false, draftPeriod: 'P0D', dueAfter: 'P30D' },
      lines: inv.lines.filter((l) => !l.deletedAt).map((l) => ({ id: l.id, name: l.name, period: l.period, invoiceAt: l.invoiceAt, price: l.price, ...(l.featureKey ? { featureKey: l.featureKey } : {}) })),
    });
    return inv.id;
  });
  await emulator.run(bucketNamespace(bucket), (tx) => emulator.services.invoices.approveInvoice(tx, { id }));
  return id;
}

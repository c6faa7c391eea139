import type { Express } from 'express';
import request from 'supertest';
import { createTestEmulator } from '../../src/harness/testEmulator.ts';

export const T0 = '2026-01-01T00:00:00Z';

export const advance = (app: Express, by: string) => request(app).post('/_emulator/clock/advance').send({ by }).expect(200);

const trialPhase = {
  key: 'trial',
  name: 'Trial',
  duration: 'P14D',
  rateCards: [{ type: 'flat_fee', key: 'sso', name: 'SSO', featureKey: 'sso', entitlementTemplate: { type: 'boolean' }, billingCadence: 'P1M', price: null }],
};
const paidPhase = {
  key: 'default',
  name: 'Default',
  duration: null,
  rateCards: [
    { type: 'flat_fee', key: 'base', name: 'Base fee', billingCadence: 'P1M', price: { type: 'flat', amount: '30', paymentTerm: 'in_advance' } },
    { type: 'flat_fee', key: 'sso', name: 'SSO', featureKey: 'sso', entitlementTemplate: { type: 'boolean' }, billingCadence: 'P1M', price: null },
    {
      type: 'usage_based',
      key: 'tokens',
      name: 'Tokens',
      featureKey: 'tokens',
      billingCadence: 'P1M',
      price: { type: 'unit', amount: '0.01' },
      entitlementTemplate: { type: 'metered', issueAfterReset: 1000, isSoftLimit: false },
    },
  ],
};

/** Publishes a plan and answers its id. */
/** Plan `metered`: a $29 monthly fee in advance and tokens at $0.01 each in arrears. */
export const meteredPlan = {
  key: 'metered',
  name: 'Metered',
  currency: 'USD',
  billingCadence: 'P1M',
  phases: [
    {
      key: 'default',
      name: 'Default',
      duration: null,
      rateCards: [
        { type: 'flat_fee', key: 'base', name: 'Base fee', billingCadence: 'P1M', price: { type: 'flat', amount: '29', paymentTerm: 'in_advance' } },
        { type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.01' } },
      ],
    },
  ],
};

export async function publishPlan(app: Express, body: Record<string, unknown>): Promise<string> {
  const p = await request(app).post('/api/v1/plans').send(body);
  if (p.status !== 201) throw new Error(`plan create ${p.status}: ${JSON.stringify(p.body)}`);
  await request(app).post(`/api/v1/plans/${p.body.id}/publish`).send({}).expect(200);
  return p.body.id as string;
}

/**
 * meter `tokens_total`, features `tokens` (metered) and `sso`; plan `pro` v1 (14-day trial
 * with SSO, then 30 USD/month + SSO + metered tokens with 1000 per period); plan `basic`
 * (10 USD/month); customers `acme` and `globex`.
 */
export async function setupSubscriptions(opts: { start?: Date; multiSubscriptionNamespaces?: string[] } = {}) {
  const t = createTestEmulator({
    ...(opts.start ? { start: opts.start } : {}),
    ...(opts.multiSubscriptionNamespaces ? { multiSubscriptionNamespaces: opts.multiSubscriptionNamespaces } : {}),
  });
  const { app } = t;
  await request(app).post('/api/v1/meters').send({ slug: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' }).expect(200);
  await request(app).post('/api/v1/features').send({ key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' }).expect(201);
  await request(app).post('/api/v1/features').send({ key: 'sso', name: 'SSO' }).expect(201);
  const proId = await publishPlan(app, { key: 'pro', name: 'Pro', currency: 'USD', billingCadence: 'P1M', phases: [trialPhase, paidPhase] });
  const basicId = await publishPlan(app, {
    key: 'basic',
    name: 'Basic',
    currency: 'USD',
    billingCadence: 'P1M',
    phases: [{ key: 'default', name: 'Default', duration: null, rateCards: [paidPhase.rateCards[0]!].map((r) => ({ ...r, price: { type: 'flat', amount: '10', paymentTerm: 'in_advance' } })) }],
  });
  const acme = await request(app).post('/api/v1/customers').send({ name: 'Acme', key: 'acme', usageAttribution: { subjectKeys: ['acme_prod'] } }).expect(201);
  const globex = await request(app).post('/api/v1/customers').send({ name: 'Globex', key: 'globex' }).expect(201);
  return { ...t, proId, basicId, acmeId: acme.body.id as string, globexId: globex.body.id as string, paidPhase, trialPhase };
}

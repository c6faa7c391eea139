import { performance } from 'node:perf_hooks';
import type { RateCard } from '../src/domain/catalog/types.ts';
import { Emulator } from '../src/runtime/Emulator.ts';
import type { BenchResult } from './types.ts';
import { isMain, round } from './util.ts';

/**
 * Target: creating N subscriptions and advancing the clock 12 months grows linearly — 4,000
 * subscriptions cost ≤ 4 × 1.5 the 1,000 figure (no invoicing yet: the clock work is the
 * entitlement job of each phase change). Plan: a 14-day trial with a boolean entitlement, then
 * a 30 USD monthly fee and the same entitlement. Customers sign up one minute apart, so every
 * subscription has its own instants (start, trial end): the worst case for the job drain.
 * In process, memory store, frozen clock; the domain is driven through `emulator.run`, as the
 * handlers do, without HTTP. The drain finds the next due instant from the subscriptions' sync
 * index (O(log n)); what still grows with the size of the namespace is each create's scans —
 * the one-subscription-per-customer check over the subscriptions and the entitlement service's
 * one-entitlement-per-feature check over all entitlements (the store has no secondary indexes).
 */
const NS = 'default';
const T0 = new Date('2026-01-01T00:00:00Z');
const TARGET_GROWTH = 1.5;

const sso = (price: RateCard['price']): RateCard =>
  ({ type: 'flat_fee', key: 'sso', name: 'SSO', featureKey: 'sso', billingCadence: 'P1M', price, entitlementTemplate: { type: 'boolean' } }) as RateCard;

interface Measured {
  n: number;
  createMs: number;
  advanceMs: number;
  jobs: number;
  entitlements: number;
}

async function measure(n: number): Promise<Measured> {
  const emulator = new Emulator({ dataDir: null, seed: 7, frozen: true, start: T0, quiet: true });
  const s = emulator.services;
  const customerIds: string[] = [];
  await emulator.run(NS, (tx) => {
    s.features.createFeature(tx, { key: 'sso', name: 'SSO' });
    const plan = s.plans.createPlan(tx, {
      key: 'pro',
      name: 'Pro',
      currency: 'USD',
      billingCadence: 'P1M',
      phases: [
        { key: 'trial', name: 'Trial', duration: 'P14D', rateCards: [sso(null)] },
        {
          key: 'default',
          name: 'Default',
          duration: null,
          rateCards: [{ type: 'flat_fee', key: 'base', name: 'Base', billingCadence: 'P1M', price: { type: 'flat', amount: '30', paymentTerm: 'in_advance' } }, sso(null)],
        },
      ],
    });
    s.plans.publishPlan(tx, { id: plan.id });
    for (let i = 0; i < n; i++) customerIds.push(s.customers.createCustomer(tx, { name: `Customer ${i}`, key: `c${i}` }).id);
  });
  const c0 = performance.now();
  for (let i = 0; i < n; i++) {
    const timing = i === 0 ? 'immediate' : new Date(T0.getTime() + i * 60_000).toISOString();
    await emulator.run(NS, (tx) => s.subscriptions.createSubscription(tx, { customer: { id: customerIds[i]! }, plan: { key: 'pro' }, timing }));
  }
  const createMs = performance.now() - c0;
  const a0 = performance.now();
  const ran = await emulator.advanceTo(new Date('2027-01-01T00:00:00Z'));
  const advanceMs = performance.now() - a0;
  const entitlements = emulator.read(NS, (tx) => tx.collection('entitlements').count());
  const active = emulator.read(NS, (tx) => s.subscriptions.listSubscriptions(tx, { unpaged: true, status: ['active'] }).totalCount);
  if (active !== n) throw new Error(`expected ${n} active subscriptions, found ${active}`);
  // every subscription: the trial entitlement and the paid one
  if (entitlements !== 2 * n) throw new Error(`expected ${2 * n} entitlements, found ${entitlements}`);
  await emulator.close();
  return { n, createMs, advanceMs, jobs: ran.length, entitlements };
}

export async function run(): Promise<BenchResult> {
  await measure(200); // warm-up: JIT and module loading
  const small = await measure(1_000);
  const large = await measure(4_000);
  const total = (m: Measured) => m.createMs + m.advanceMs;
  const growth = total(large) / total(small) / 4;
  const line = (m: Measured) =>
    `${m.n}: create ${round(m.createMs, 0)} ms + advance 12 months ${round(m.advanceMs, 0)} ms (${m.jobs} jobs, ${m.entitlements} entitlements)`;
  return {
    name: 'subscriptions: create 1,000 and advance 12 months',
    figure: round(total(small), 0),
    unit: 'ms',
    target: `4,000 cost ≤ ${TARGET_GROWTH} × 4 × the 1,000 figure`,
    baseline: { name: 'the same with 4,000 subscriptions', figure: round(total(large), 0), unit: 'ms' },
    ratio: round(growth),
    pass: growth <= TARGET_GROWTH,
    notes: `${line(small)}; ${line(large)}; ratio = (4k / 1k) / 4, 1 = linear`,
  };
}

if (isMain(import.meta.url)) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}

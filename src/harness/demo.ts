import { Decimal } from 'decimal.js';
import { addDuration, parseDuration } from '../domain/shared/recurrence.ts';
import { startEmulator, type RunningEmulator } from '../runtime/main.ts';
import { DEFAULT_NAMESPACE } from '../surfaces/http/namespaces.ts';
import { fromApiCustomerInput } from '../surfaces/openmeter-v1/convert/customers.ts';
import { fromApiSubscriptionCreate } from '../surfaces/openmeter-v1/convert/subscriptions.ts';
import { seededFaker } from './generate.ts';

/**
 * `localmeter demo`: a seeded catalog, N customers invented by @faker-js/faker on it, and their
 * usage, billed month by month by the real engine. The catalog goes through the OpenMeter v1 API
 * as a tenant would create it. Customers and subscriptions are the v1 request bodies a tenant
 * would POST, decoded by the API's own converters and handed to the services the API calls, in
 * process; so is the usage, and the clock is moved in process: hundreds of customers and a year
 * of their events through JSON over a socket would be most of the run.
 */
export interface DemoOptions {
  customers: number;
  months: number;
  seed: number;
  start: Date;
  /** each month as it closes */
  onMonth?: (row: DemoMonth, index: number) => void;
}

export interface DemoMonth {
  /** `2026-01` */
  month: string;
  invoices: number;
  /** invoiced in the month, by plan key: decimal strings */
  revenueByPlan: Record<string, string>;
  revenue: string;
  cumulative: string;
  events: number;
}

export interface DemoResult {
  months: DemoMonth[];
  customers: Array<{ key: string; name: string; plan: string }>;
  plans: string[];
  events: number;
  invoices: number;
  revenue: string;
}

const PLANS = [
  {
    key: 'starter',
    name: 'Starter',
    rateCards: [
      { type: 'flat_fee', key: 'platform', name: 'Platform', billingCadence: 'P1M', price: { type: 'flat', amount: '19', paymentTerm: 'in_advance' } },
      { type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.00002' } },
    ],
  },
  {
    key: 'growth',
    name: 'Growth',
    rateCards: [
      { type: 'flat_fee', key: 'platform', name: 'Platform', billingCadence: 'P1M', price: { type: 'flat', amount: '99', paymentTerm: 'in_advance' } },
      {
        type: 'usage_based',
        key: 'tokens',
        name: 'Tokens',
        featureKey: 'tokens',
        billingCadence: 'P1M',
        price: {
          type: 'tiered',
          mode: 'graduated',
          tiers: [
            { upToAmount: '1000000', unitPrice: { type: 'unit', amount: '0' }, flatPrice: null },
            { unitPrice: { type: 'unit', amount: '0.000015' }, flatPrice: null },
          ],
        },
      },
    ],
  },
  {
    key: 'scale',
    name: 'Scale',
    rateCards: [
      { type: 'flat_fee', key: 'platform', name: 'Platform', billingCadence: 'P1M', price: { type: 'flat', amount: '499', paymentTerm: 'in_advance' } },
      { type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.00001', minimumAmount: '100' } },
    ],
  },
] as const;

/** monthly token volume by plan: a customer's own size is drawn once, each day varies around it */
const DAILY_TOKENS: Record<string, [number, number]> = { starter: [2_000, 60_000], growth: [20_000, 400_000], scale: [200_000, 2_000_000] };

async function api(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

const DAY = 86_400_000;
const monthKey = (d: Date) => d.toISOString().slice(0, 7);

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const running: RunningEmulator = await startEmulator({ port: 0, host: '127.0.0.1', dataDir: null, seed: opts.seed, frozen: true, quiet: true, start: opts.start, validateResponses: false });
  try {
    const { emulator, url } = running;
    const faker = (await seededFaker(opts.seed)) as Awaited<ReturnType<typeof seededFaker>> & {
      company: { name(): string };
      internet: { domainWord(): string };
    };
    await api(url, 'POST', '/api/v1/meters', { slug: 'tokens', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens', groupBy: { model: '$.model' } });
    await api(url, 'POST', '/api/v1/features', { key: 'tokens', name: 'Tokens', meterSlug: 'tokens' });
    for (const p of PLANS) {
      const plan = await api(url, 'POST', '/api/v1/plans', { key: p.key, name: p.name, currency: 'USD', billingCadence: 'P1M', phases: [{ key: 'default', name: 'Default', duration: null, rateCards: p.rateCards }] });
      await api(url, 'POST', `/api/v1/plans/${String(plan.id)}/publish`);
    }
    // who they are, which plan and how big: drawn in one order from the seed
    const customers = Array.from({ length: opts.customers }, (_, i) => {
      const name = faker.company.name();
      const plan = faker.helpers.weightedArrayElement([
        { value: 'starter', weight: 6 },
        { value: 'growth', weight: 3 },
        { value: 'scale', weight: 1 },
      ]);
      const [lo, hi] = DAILY_TOKENS[plan]!;
      return { key: `c${String(i + 1).padStart(4, '0')}-${faker.internet.domainWord()}`.slice(0, 60), name, plan, daily: faker.number.int({ min: lo, max: hi }) };
    });
    const ns = DEFAULT_NAMESPACE;
    const { customers: customerService, subscriptions } = emulator.services;
    // a unit of work per customer, as one POST each would be (the schema's defaults written out);
    // billing syncs each new subscription after its commit
    for (const c of customers) {
      await emulator.run(ns, (tx) => {
        const created = customerService.createCustomer(tx, fromApiCustomerInput({ key: c.key, name: c.name, usageAttribution: { subjectKeys: [c.key] } }));
        subscriptions.createSubscription(tx, fromApiSubscriptionCreate({ customerId: created.id, plan: { key: c.plan }, timing: 'immediate', costBasisMode: 'dynamic' }));
      });
    }

    const planOf = new Map<string, string>();
    const months: DemoMonth[] = [];
    let cumulative = new Decimal(0);
    let events = 0;
    let invoices = 0;
    let monthStart = opts.start;
    const P1M = parseDuration('P1M')!;
    const models = ['gpt-4o', 'claude-sonnet', 'llama-3'];
    for (let m = 0; m < opts.months; m++) {
      const monthEnd = addDuration(monthStart, P1M);
      // one event a customer a day, at a seeded time, its size around the customer's own
      const batch: Array<Record<string, unknown>> = [];
      for (let day = monthStart.getTime(); day < monthEnd.getTime(); day += DAY) {
        for (const c of customers) {
          batch.push({
            specversion: '1.0',
            id: `d${m}-${day}-${c.key}`,
            source: 'demo',
            type: 'tokens',
            subject: c.key,
            time: new Date(faker.number.int({ min: day, max: day + DAY - 1 })).toISOString(),
            data: { tokens: Math.round(c.daily * faker.number.float({ min: 0.5, max: 1.5 })), model: faker.helpers.arrayElement(models) },
          });
        }
      }
      for (let i = 0; i < batch.length; i += 5000) {
        const part = batch.slice(i, i + 5000);
        await emulator.run(ns, (tx) => void emulator.services.metering.ingestEvents(tx, part));
      }
      events += batch.length;
      // usage lines close an hour after the month (the collection interval): bill through it
      await emulator.advanceTo(new Date(monthEnd.getTime() + 2 * 3_600_000));
      const issued = emulator.read(ns, (tx) => {
        const all = [];
        for (let page = 1; ; page++) {
          const { items } = emulator.services.invoices.listInvoices(tx, { issuedAfter: monthStart.toISOString(), issuedBefore: new Date(monthEnd.getTime() - 1).toISOString(), standardOnly: true, page, pageSize: 1000 });
          all.push(...items);
          if (items.length < 1000) return all;
        }
      });
      if (planOf.size === 0) {
        const byKey = new Map(customers.map((c) => [c.key, c.plan]));
        emulator.read(ns, (tx) => {
          for (const c of emulator.services.customers.liveCustomers(tx)) planOf.set(c.id, byKey.get(c.key ?? '') ?? '?');
        });
      }
      const byPlan = new Map<string, Decimal>(PLANS.map((p) => [p.key, new Decimal(0)]));
      let revenue = new Decimal(0);
      for (const inv of issued) {
        const total = new Decimal(inv.totals.total);
        revenue = revenue.add(total);
        const plan = planOf.get(inv.customerId) ?? '?';
        byPlan.set(plan, (byPlan.get(plan) ?? new Decimal(0)).add(total));
      }
      cumulative = cumulative.add(revenue);
      invoices += issued.length;
      const row: DemoMonth = {
        month: monthKey(monthStart),
        invoices: issued.length,
        revenueByPlan: Object.fromEntries([...byPlan].map(([k, v]) => [k, v.toFixed(2)])),
        revenue: revenue.toFixed(2),
        cumulative: cumulative.toFixed(2),
        events: batch.length,
      };
      months.push(row);
      opts.onMonth?.(row, m);
      monthStart = monthEnd;
    }
    return {
      months,
      customers: customers.map(({ key, name, plan }) => ({ key, name, plan })),
      plans: PLANS.map((p) => p.key),
      events,
      invoices,
      revenue: cumulative.toFixed(2),
    };
  } finally {
    await running.stop();
  }
}

/** `1234567.5` → `1,234,567.50` */
export const money = (s: string): string => {
  const [int, frac = '00'] = new Decimal(s).toFixed(2).split('.');
  return `${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
};

/** The table's header and one line per month, as printed by `localmeter demo`. */
export function demoHeader(plans: readonly string[]): string {
  return ['month  ', 'invoices', ...plans.map((p) => p.padStart(12)), '     revenue', '  cumulative'].join('  ');
}

export function demoRow(row: DemoMonth, plans: readonly string[]): string {
  return [row.month.padEnd(7), String(row.invoices).padStart(8), ...plans.map((p) => money(row.revenueByPlan[p] ?? '0').padStart(12)), money(row.revenue).padStart(12), money(row.cumulative).padStart(12)].join('  ');
}

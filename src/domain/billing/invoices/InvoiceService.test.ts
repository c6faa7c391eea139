import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../../runtime/serviceWorld.ts';
import type { Price } from '../../catalog/types.ts';
import { customerPrefix } from './numbering.ts';
import { findTransition, STATE_MACHINE } from './stateMachine.ts';
import { InvoiceStatus, InvoiceTrigger } from './types.ts';

/**
 * Whole invoices from the rating engine: given pending lines and usage, the standard invoice's
 * lines and totals (engine.md §1–§2). The arithmetic is beside each expected amount.
 */

function world() {
  const w = createServiceWorld({ start: new Date('2026-02-01T00:00:00Z') });
  const { services, tx } = w;
  services.metering.createMeter(tx, { key: 'tokens_total', name: 'Tokens', eventType: 'tokens', aggregation: 'SUM', valueProperty: '$.tokens' } as never);
  services.features.createFeature(tx, { key: 'tokens', name: 'Tokens', meterSlug: 'tokens_total' } as never);
  const customer = services.customers.createCustomer(tx, { name: 'Ábel Őri', key: 'abel', usageAttribution: { subjectKeys: ['abel'] } } as never);
  const usage = (tokens: number, time = '2026-01-15T00:00:00Z') =>
    services.metering.ingestEvents(tx, [{ specversion: '1.0', id: `${time}-${tokens}`, source: 't', type: 'tokens', subject: 'abel', time, data: { tokens } }]);
  return { ...w, customer, usage };
}

const JAN = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };

const line = (name: string, price: Price, extra: Record<string, unknown> = {}) => ({
  name,
  period: JAN,
  invoiceAt: JAN.to,
  price,
  ...(price.type === 'flat' ? {} : { featureKey: 'tokens' }),
  ...extra,
});

describe('customer prefix of invoice numbers (billing/sequence getCustomerPrefix)', () => {
  it.each([
    ['Peter Turi', 'PETU'],
    ['P Turi', 'PTU'],
    ['Jo', 'JO'],
    ['John', 'JOHN'],
    ['Ábel Őri', 'ABOR'],
    ['', 'UNKN'],
  ])('%s → %s', (name, prefix) => expect(customerPrefix(name)).toBe(prefix));
});

describe('the state machine as data', () => {
  it('every transition targets a known state and every non-final state but a few has a way out', () => {
    const known = new Set(Object.values(InvoiceStatus));
    for (const [state, def] of Object.entries(STATE_MACHINE)) {
      for (const t of def.on) if (!t.to.startsWith('dynamic:')) expect(known.has(t.to as InvoiceStatus), `${state} → ${t.to}`).toBe(true);
    }
    expect(STATE_MACHINE[InvoiceStatus.paid].on).toEqual([]);
    // delete is allowed from every draft and issuing state, never after issued
    for (const s of Object.values(InvoiceStatus)) {
      if (s === 'gathering') continue;
      const canDelete = findTransition(s, InvoiceTrigger.delete, () => true) !== undefined;
      const expected = (s.startsWith('draft.') || s.startsWith('issuing.') || s === InvoiceStatus.deleteFailed) && s !== InvoiceStatus.draftUpdating ? true : s === InvoiceStatus.draftUpdating;
      expect(canDelete, s).toBe(expected);
    }
  });
});

describe('standard invoices rated from pending lines', () => {
  it('several price types on one invoice, totals summed line by line', () => {
    const { services, tx, customer, usage } = world();
    usage(1500);
    services.invoices.createPendingLines(tx, {
      customerId: customer.id,
      currency: 'USD',
      lines: [
        line('Fee', { type: 'flat', amount: '19.99', paymentTerm: 'in_arrears' }),
        line('Unit', { type: 'unit', amount: '0.001' }),
        line('Package', { type: 'package', amount: '2', quantityPerPackage: '1000' }),
        line('Volume', { type: 'tiered', mode: 'volume', tiers: [{ upToAmount: '1000', unitPrice: { type: 'unit', amount: '0.01' } }, { unitPrice: { type: 'unit', amount: '0.005' } }] }),
        line('Dynamic', { type: 'dynamic', multiplier: '0.0101' }),
        line('Capped', { type: 'unit', amount: '0.01', maximumAmount: '10' }),
        line('Committed', { type: 'unit', amount: '0.001', minimumAmount: '5' }),
        line('Discounted', { type: 'unit', amount: '0.01' }, { discounts: { percentage: { percentage: 10 }, usage: { quantity: '500' } } }),
      ],
    });
    const [inv] = services.invoices.invoicePendingLines(tx, { customerId: customer.id });
    const totals = Object.fromEntries(inv!.lines.map((l) => [l.name, l.totals!.total]));
    expect(totals).toEqual({
      Fee: '19.99', // flat in arrears, last line in period
      Unit: '1.5', // 1500 × 0.001
      Package: '4', // ceil(1500 / 1000) = 2 packages × 2
      Volume: '7.5', // 1500 falls in tier 2: 1500 × 0.005
      Dynamic: '15.15', // round(1500 × 0.0101) = 15.15, quantity 1
      Capped: '10', // 1500 × 0.01 = 15, capped at 10 (5 maximum-spend discount)
      Committed: '5', // 1.5 usage + 3.5 minimum spend commitment
      Discounted: '9', // (1500 − 500 free) × 0.01 = 10, −10 % = 9
    });
    const committed = inv!.lines.find((l) => l.name === 'Committed')!;
    expect(committed.totals).toMatchObject({ amount: '1.5', chargesTotal: '3.5', total: '5' });
    const capped = inv!.lines.find((l) => l.name === 'Capped')!;
    expect(capped.totals).toMatchObject({ amount: '15', discountsTotal: '5', total: '10' });
    const discounted = inv!.lines.find((l) => l.name === 'Discounted')!;
    expect(discounted).toMatchObject({ quantity: '1000', meteredQuantity: '1500' });
    // 19.99 + 1.5 + 4 + 7.5 + 15.15 + 10 + 5 + 9 = 72.14
    expect(inv!.totals.total).toBe('72.14');
    expect(inv!.number).toBe('DRAFT-ABOR-1');
    // service period = min(from) .. max(to) of the lines
    expect(inv!.period).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
  });

  it('JPY has no minor unit: amounts round to whole yen, half away from zero', () => {
    const { services, tx, customer, usage } = world();
    usage(15);
    services.invoices.createPendingLines(tx, { customerId: customer.id, currency: 'JPY', lines: [line('Calls', { type: 'unit', amount: '0.1' })] });
    const [inv] = services.invoices.invoicePendingLines(tx, { customerId: customer.id });
    // 15 × 0.1 = 1.5 → 2
    expect(inv!.totals.total).toBe('2');
  });

  it('invoice now mid-period bills progressively: the line splits, the rest stays pending (engine.md §2.3)', () => {
    const { services, tx, customer, usage, clock } = world();
    usage(300, '2026-02-05T00:00:00Z');
    usage(700, '2026-02-20T00:00:00Z');
    const FEB = { from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z' };
    services.invoices.createPendingLines(tx, {
      customerId: customer.id,
      currency: 'USD',
      lines: [{ name: 'Graduated', period: FEB, invoiceAt: FEB.to, featureKey: 'tokens', price: { type: 'tiered', mode: 'graduated', tiers: [{ upToAmount: '500', unitPrice: { type: 'unit', amount: '1' } }, { unitPrice: { type: 'unit', amount: '0.5' } }] } }],
    });
    clock.set(new Date('2026-02-10T00:00:00Z'));
    const [first] = services.invoices.invoicePendingLines(tx, { customerId: customer.id });
    expect(first!.lines[0]!.period).toEqual({ from: '2026-02-01T00:00:00.000Z', to: '2026-02-10T00:00:00.000Z' });
    // 300 tokens in tier 1: 300 × 1
    expect(first!.totals.total).toBe('300');
    clock.set(new Date('2026-03-01T00:00:00Z'));
    const [second] = services.invoices.invoicePendingLines(tx, { customerId: customer.id });
    // pre-line usage 300, this line 700: (300, 500] × 1 = 200, (500, 1000] × 0.5 = 250
    expect(second!.lines[0]).toMatchObject({ quantity: '700', preLinePeriodQuantity: '300', period: { from: '2026-02-10T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' } });
    expect(second!.totals.total).toBe('450');
  });

  it('automatic collection never bills a partial period; invoice-now refuses unbillable line ids', () => {
    const { services, tx, customer } = world();
    const FEB = { from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z' };
    const { lines } = services.invoices.createPendingLines(tx, { customerId: customer.id, currency: 'USD', lines: [{ ...line('U', { type: 'unit', amount: '1' }), period: FEB, invoiceAt: FEB.to }] });
    expect(() => services.invoices.invoicePendingLines(tx, { customerId: customer.id, partialDisabled: true })).toThrow(/no lines/);
    expect(() => services.invoices.invoicePendingLines(tx, { customerId: customer.id, lineIds: ['nope'] })).toThrow(/not billable/);
    expect(lines).toHaveLength(1);
  });

  it('simulate rates the given quantities and stores nothing', () => {
    const { services, tx, customer } = world();
    const inv = services.invoices.simulateInvoice(tx, {
      customerId: customer.id,
      currency: 'USD',
      lines: [{ ...line('Sim', { type: 'package', amount: '3', quantityPerPackage: '10' }), quantity: '25', preLinePeriodQuantity: '5' }],
    });
    // packages(5 + 25) = 3 × 3 = 9 (first in period: the pre-line packages are not subtracted)
    expect(inv.totals.total).toBe('9');
    expect(inv.number).toBe('INV-SIMULATED');
    expect(inv.status).toBe('draft.created');
    expect(services.invoices.listInvoices(tx).totalCount).toBe(0);
  });
});

describe('subscription lines through SubscriptionBillingSource', () => {
  /** a monthly 30 flat fee in advance from 2026-02-01, as the subscriptions domain would describe it */
  const source = (customerId: string, until = '2026-12-01T00:00:00Z') => ({
    customersWithSubscriptions: () => [customerId],
    billableItems: (_tx: unknown, input: { customerId: string; asOf: string }) => {
      const out = [];
      for (let m = 1; m < 12; m++) {
        const from = new Date(Date.UTC(2026, m, 1)).toISOString();
        const to = new Date(Date.UTC(2026, m + 1, 1)).toISOString();
        // generation horizon: the end of the billing period containing asOf
        if (Date.parse(from) > Date.parse(input.asOf) || Date.parse(from) >= Date.parse(until)) break;
        out.push({
          childUniqueReferenceId: `sub1/default/fee/v[0]/period[${m - 1}]`,
          subscriptionId: 'sub1',
          phaseId: 'ph1',
          itemId: 'it1',
          name: 'Fee',
          currency: 'USD',
          price: { type: 'flat' as const, amount: '30', paymentTerm: 'in_advance' as const },
          servicePeriod: { from, to },
          billingPeriod: { from, to },
          invoiceAt: from,
        });
      }
      return out;
    },
  });

  it('materialises due items once, marks them subscription-managed, and drops pending ones that disappear', () => {
    const { services, tx, customer, clock } = world();
    services.invoices.useSubscriptionSource(source(customer.id));
    services.invoices.syncSubscriptionLines(tx, { customerId: customer.id, asOf: '2026-02-01T00:00:00Z' });
    services.invoices.syncSubscriptionLines(tx, { customerId: customer.id, asOf: '2026-02-01T00:00:00Z' });
    let gathering = services.invoices.listInvoices(tx).items;
    expect(gathering).toHaveLength(1);
    expect(gathering[0]!.lines.map((l) => [l.managedBy, l.childUniqueReferenceId])).toEqual([['subscription', 'sub1/default/fee/v[0]/period[0]']]);
    const [inv] = services.invoices.invoicePendingLines(tx, { customerId: customer.id });
    expect(inv!.lines[0]!.subscription).toMatchObject({ subscriptionId: 'sub1', phaseId: 'ph1', itemId: 'it1' });
    // an invoiced item is not added again
    services.invoices.syncSubscriptionLines(tx, { customerId: customer.id, asOf: '2026-02-01T00:00:00Z' });
    expect(services.invoices.listInvoices(tx).items.filter((i) => i.kind === 'gathering')).toHaveLength(0);
    // next month appears; then the subscription is cancelled before it is invoiced: the pending line goes
    clock.set(new Date('2026-03-01T00:00:00Z'));
    services.invoices.syncSubscriptionLines(tx, { customerId: customer.id });
    gathering = services.invoices.listInvoices(tx).items.filter((i) => i.kind === 'gathering');
    expect(gathering[0]!.lines).toHaveLength(1);
    services.invoices.useSubscriptionSource(source(customer.id, '2026-03-01T00:00:00Z'));
    services.invoices.syncSubscriptionLines(tx, { customerId: customer.id });
    expect(services.invoices.listInvoices(tx).items.filter((i) => i.kind === 'gathering')).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../../runtime/serviceWorld.ts';
import { dec } from '../../shared/money.ts';

/**
 * Progressive realization of a usage-based charge (the runs invoicing asks for before the
 * service period ends): each run books only the delta of the cumulative snapshot and draws
 * credit for it; a repricing run books a correction and gives credit back.
 */
function world() {
  const w = createServiceWorld({ start: new Date('2026-01-01T00:00:00Z') });
  const { services: s, tx } = w;
  s.metering.createMeter(tx, { key: 'tokens', eventType: 'prompt', aggregation: 'SUM', valueProperty: '$.n' });
  const feature = s.features.createFeature(tx, { key: 'tokens', name: 'Tokens', meterSlug: 'tokens' });
  const customer = s.customers.createCustomer(tx, { key: 'acme', name: 'Acme', currency: 'USD' });
  let n = 0;
  const ingest = (time: string, value: number) => s.metering.ingestEvents(tx, [{ specversion: '1.0', id: `e${++n}`, source: 't', type: 'prompt', subject: 'acme', time, data: { n: value } }]);
  return { ...w, feature, customer, ingest };
}

describe('ChargeService delta runs', () => {
  it('books 100.00 then the 50.00 delta of a unit price; credit pays each delta', () => {
    const { services: s, tx, feature, customer, ingest, clock } = world();
    s.credits.createGrant(tx, { customerId: customer.id, name: 'Promo', fundingMethod: 'none', currency: 'USD', amount: '120' });
    const c = s.charges.createCharge(tx, {
      type: 'usage_based',
      customerId: customer.id,
      name: 'Tokens',
      currency: 'USD',
      invoiceAt: '2026-02-01T00:00:00Z',
      servicePeriod: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      settlementMode: 'credit_then_invoice',
      featureId: feature.id,
      price: { type: 'unit', amount: '0.10' },
    }).charge;
    ingest('2026-01-05T00:00:00Z', 1000);
    clock.set(new Date('2026-01-10T00:00:00Z'));
    const r1 = s.charges.realizeUsageCharge(tx, { chargeId: c.id, until: new Date('2026-01-10T00:00:00Z') });
    // 1,000 × 0.10 = 100.00, all paid by credit
    expect(r1.lines.map((l) => [l.quantity, l.total])).toEqual([['1000', '100']]);
    expect([r1.creditsTotal, r1.total, r1.final]).toEqual(['100', '0', false]);
    ingest('2026-01-12T00:00:00Z', 500);
    clock.set(new Date('2026-01-15T00:00:00Z'));
    const r2 = s.charges.realizeUsageCharge(tx, { chargeId: c.id, until: new Date('2026-01-15T00:00:00Z') });
    // 1,500 × 0.10 = 150.00 − 100.00 booked = 50.00 (500 units); 20 credit left → 30.00 for the invoice
    expect(r2.lines.map((l) => [l.quantity, l.total])).toEqual([['500', '50']]);
    expect([r2.creditsTotal, r2.total]).toEqual(['20', '30']);
    expect(r2.period).toEqual({ from: '2026-01-10T00:00:00.000Z', to: '2026-01-15T00:00:00.000Z' });
    expect(s.credits.availableCredit(tx, { customerId: customer.id, currency: 'USD', at: clock.now() }).toString()).toBe('0');
  });

  it('a volume reprice books a reversal and the new line; the correction returns credit', () => {
    const { services: s, tx, feature, customer, ingest, clock } = world();
    s.credits.createGrant(tx, { customerId: customer.id, name: 'Promo', fundingMethod: 'none', currency: 'USD', amount: '500' });
    const c = s.charges.createCharge(tx, {
      type: 'usage_based',
      customerId: customer.id,
      name: 'Tokens',
      currency: 'USD',
      invoiceAt: '2026-02-01T00:00:00Z',
      servicePeriod: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      settlementMode: 'credit_only',
      featureId: feature.id,
      price: { type: 'tiered', mode: 'volume', tiers: [{ upToAmount: '15', unitPrice: { type: 'unit', amount: '10' } }, { unitPrice: { type: 'unit', amount: '5' } }] },
    }).charge;
    ingest('2026-01-02T00:00:00Z', 15);
    clock.set(new Date('2026-01-03T00:00:00Z'));
    const r1 = s.charges.realizeUsageCharge(tx, { chargeId: c.id, until: clock.now() });
    expect(r1.creditsTotal).toBe('150'); // 15 × 10
    ingest('2026-01-04T00:00:00Z', 1);
    clock.set(new Date('2026-01-05T00:00:00Z'));
    const r2 = s.charges.realizeUsageCharge(tx, { chargeId: c.id, until: clock.now() });
    // +16 × 5 = 80 and −15 × 10 = −150: net −70, given back to the grant
    expect(r2.lines.map((l) => [l.quantity, l.perUnitAmount, l.total])).toEqual([
      ['16', '5', '80'],
      ['-15', '10', '-150'],
    ]);
    expect(r2.creditsTotal).toBe('-70');
    // 500 − 150 + 70 = 420
    expect(s.credits.availableCredit(tx, { customerId: customer.id, currency: 'USD', at: clock.now() }).eq(dec(420))).toBe(true);
  });
});

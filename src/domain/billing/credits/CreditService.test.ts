import { describe, expect, it } from 'vitest';
import { createServiceWorld } from '../../../runtime/serviceWorld.ts';
import { dec } from '../../shared/money.ts';
import { rateLine } from '../rating/rateLine.ts';

describe('CreditService as the invoices port', () => {
  it('applyCreditsToLine feeds the rating engine: credit pays part of a line, the rest is charged', () => {
    const { services: s, tx, clock } = createServiceWorld({ start: new Date('2026-01-01T00:00:00Z') });
    const customer = s.customers.createCustomer(tx, { key: 'acme', name: 'Acme', currency: 'USD' });
    s.credits.createGrant(tx, { customerId: customer.id, name: 'Promo', fundingMethod: 'none', currency: 'USD', amount: '30' });
    const applied = s.credits.applyCreditsToLine(tx, { customerId: customer.id, currency: 'USD', amount: dec(100), at: clock.now(), lineId: 'line-1', name: 'API calls' });
    expect(applied).toEqual([expect.objectContaining({ amount: '30', description: 'credits applied' })]);
    const r = rateLine({
      lineName: 'API calls',
      currency: 'USD',
      price: { type: 'unit', amount: '0.10' },
      quantity: '1000',
      preLinePeriodQuantity: '0',
      isFirstInPeriod: true,
      isLastInPeriod: true,
      previouslyBilledAmount: '0',
      period: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      creditsApplied: applied,
    });
    // 1,000 × 0.10 = 100.00 − 30.00 credit = 70.00
    expect(r.totals).toMatchObject({ amount: '100', creditsTotal: '30', total: '70' });
    // the grant is spent: a second line gets nothing
    expect(s.credits.applyCreditsToLine(tx, { customerId: customer.id, currency: 'USD', amount: dec(5), at: clock.now(), lineId: 'line-2', name: 'x' })).toEqual([]);
    expect(s.credits.getBalance(tx, { customerId: customer.id }).balances).toEqual([{ currency: 'USD', live: '0', settled: '0', pending: '0' }]);
  });
});

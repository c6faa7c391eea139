import { describe, expect, it } from 'vitest';
import type { Price } from '../../../catalog/types.ts';
import { rate } from '../testSupport.ts';

const flat = (amount: string): Price => ({ type: 'flat', amount, paymentTerm: 'in_advance' });
const credit = (amount: string) => ({ amount, previousSubscriptionId: '01PREVIOUS', maxPercentage: '0.7' });

describe('prorationCreditMutator (decision 0032)', () => {
  const cases: { name: string; price: Price; pct?: number; credit: string; discountsTotal: string; total: string }[] = [
    // reference §4 step 7: 99 − 29 × (1 − max(0.5, 0.7)) = 99 − 8.70
    { name: 'the reference upgrade', price: flat('99'), credit: '8.7', discountsTotal: '8.7', total: '90.3' },
    // the allocator never gives more than the line charges; the whole line is then free
    { name: 'a credit as large as the line', price: flat('50'), credit: '50', discountsTotal: '50', total: '0' },
    // after the rate-card percentage: 100 − 10% = 90, then 90 − 20 = 70
    { name: 'after a percentage discount', price: flat('100'), pct: 10, credit: '20', discountsTotal: '30', total: '70' },
    // rounded to the currency: 12.345 → 12.35
    { name: 'rounded', price: flat('50'), credit: '12.345', discountsTotal: '12.35', total: '37.65' },
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price, {
      quantity: '1',
      prorationCredit: credit(c.credit),
      ...(c.pct !== undefined ? { discounts: { percentage: { percentage: c.pct, correlationId: 'C' } } } : {}),
    });
    expect(r.totals).toMatchObject({ discountsTotal: c.discountsTotal, total: c.total });
    const discount = r.detailedLines[0]!.amountDiscounts.find((a) => a.reason === 'proration_credit');
    expect(discount).toMatchObject({ childUniqueReferenceId: 'line_proration_credit', previousSubscriptionId: '01PREVIOUS', maxPercentage: '0.7' });
  });

  it('is refused when not positive', () => {
    expect(() => rate(flat('10'), { quantity: '1', prorationCredit: credit('0') })).toThrow(/positive/);
  });
});

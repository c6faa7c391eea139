import { describe, expect, it } from 'vitest';
import type { Price, TieredPrice } from '../../../catalog/types.ts';
import { errorCode, rate, rows, type LineRow } from '../testSupport.ts';

const unit = (amount: string): Price => ({ type: 'unit', amount });
// three tiers of one unit each at 0.67 → three detailed lines of 0.67
const threeLines: TieredPrice = {
  type: 'tiered',
  mode: 'graduated',
  tiers: [
    { upToAmount: '1', unitPrice: { type: 'unit', amount: '0.67' } },
    { upToAmount: '2', unitPrice: { type: 'unit', amount: '0.67' } },
    { unitPrice: { type: 'unit', amount: '0.67' } },
  ],
};

describe('percentageDiscountMutator', () => {
  const cases: { name: string; price: Price; qty: string; pct: number | string; currency?: string; lines: LineRow[]; total: string }[] = [
    // §7.7: rounded per detailed line
    { name: 'three lines of 0.335 discount each round separately', price: threeLines, qty: '3', pct: 50,
      lines: [
        { ref: 'graduated-tiered-1-price-usage', amount: '0.67', discounts: '0.34', total: '0.33' }, // 0.67 × 50% = 0.335 → 0.34
        { ref: 'graduated-tiered-2-price-usage', amount: '0.67', discounts: '0.34', total: '0.33' },
        { ref: 'graduated-tiered-3-price-usage', amount: '0.67', discounts: '0.34', total: '0.33' },
      ], total: '0.99' }, // 2.01 − 3 × 0.34 = 0.99 (not 2.01 − round(1.005) = 1.00)
    { name: 'on the rounded amount', price: unit('12.345'), qty: '1', pct: 10,
      lines: [{ ref: 'unit-price-usage', amount: '12.35', discounts: '1.24', total: '11.11' }], total: '11.11' }, // 12.345 → 12.35; 12.35 × 10% = 1.235 → 1.24
    { name: 'string percentage', price: unit('1'), qty: '30', pct: '33.3333',
      lines: [{ ref: 'unit-price-usage', amount: '30', discounts: '10', total: '20' }], total: '20' }, // 30 × 33.3333% = 9.99999 → 10.00
    { name: '0% still records a discount of 0', price: unit('1'), qty: '10', pct: 0,
      lines: [{ ref: 'unit-price-usage', amount: '10', discounts: '0', total: '10' }], total: '10' },
    { name: '100%', price: unit('1'), qty: '10', pct: 100,
      lines: [{ ref: 'unit-price-usage', amount: '10', discounts: '10', total: '0' }], total: '0' },
    { name: 'JPY', price: unit('0.5'), qty: '3', pct: 25, currency: 'JPY',
      lines: [{ ref: 'unit-price-usage', amount: '2', discounts: '1', total: '1' }], total: '1' }, // 3 × 0.5 = 1.5 → 2; 2 × 25% = 0.5 → 1
    { name: 'KWD', price: unit('1.2345'), qty: '1', pct: 50, currency: 'KWD',
      lines: [{ ref: 'unit-price-usage', amount: '1.235', discounts: '0.618', total: '0.617' }], total: '0.617' }, // 1.2345 → 1.235; × 50% = 0.6175 → 0.618
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price, {
      quantity: c.qty,
      currency: c.currency ?? 'USD',
      discounts: { percentage: { percentage: c.pct, correlationId: '01JCORRELATION' } },
    });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals.total).toBe(c.total);
    for (const l of r.detailedLines) {
      expect(l.amountDiscounts).toHaveLength(1);
      expect(l.amountDiscounts[0]).toMatchObject({
        reason: 'ratecard_percentage',
        childUniqueReferenceId: 'rateCardDiscount/correlationID=01JCORRELATION',
        correlationId: '01JCORRELATION',
      });
    }
  });

  it('sums per-line discounts into the parent totals', () => {
    const r = rate(threeLines, { quantity: '3', discounts: { percentage: { percentage: 50, correlationId: 'C' } } });
    expect(r.totals).toMatchObject({ amount: '2.01', discountsTotal: '1.02', total: '0.99' }); // 3 × 0.67; 3 × 0.34
  });

  it('correlationIds on the input win over the stored one', () => {
    const r = rate(unit('1'), {
      quantity: '1',
      discounts: { percentage: { percentage: 10, correlationId: 'OLD' } },
      correlationIds: { percentage: 'NEW' },
    });
    expect(r.detailedLines[0]?.amountDiscounts[0]?.childUniqueReferenceId).toBe('rateCardDiscount/correlationID=NEW');
  });

  it('needs a correlation id', () => {
    expect(errorCode(() => rate(unit('1'), { quantity: '1', discounts: { percentage: { percentage: 10 } } }))).toBe(
      'rating_discount_correlation_id_missing',
    );
  });

  it.each([-1, 100.01, 'abc'])('rejects %s (percentage_discount_invalid_value)', (pct) => {
    expect(errorCode(() => rate(unit('1'), { quantity: '1', discounts: { percentage: { percentage: pct, correlationId: 'C' } } }))).toBe(
      'percentage_discount_invalid_value',
    );
  });
});

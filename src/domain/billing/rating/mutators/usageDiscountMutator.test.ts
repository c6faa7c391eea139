import { describe, expect, it } from 'vitest';
import type { Price } from '../../../catalog/types.ts';
import { errorCode, rate, rows, type LineRow } from '../testSupport.ts';

const unit: Price = { type: 'unit', amount: '1' };

describe('usageDiscountMutator', () => {
  // §7.8: free units come out of the pre-line usage first; the rated quantity differs from the metered one
  const cases: {
    name: string;
    free: string;
    qty: string;
    pre?: string;
    rated: string;
    discount?: { quantity: string; preLinePeriodQuantity?: string; correlationId?: string };
    lines: LineRow[];
  }[] = [
    { name: 'non-split line', free: '10', qty: '25', rated: '15', discount: { quantity: '10', correlationId: 'U1' },
      lines: [{ ref: 'unit-price-usage', qty: '15', unit: '1', amount: '15' }] }, // (25 − 10) × 1 = 15
    { name: 'usage below the free units: no detailed line', free: '10', qty: '4', rated: '0',
      discount: { quantity: '4', correlationId: 'U1' }, lines: [] }, // (4 − 4) × 1 = 0
    { name: 'split child: earlier usage consumed part of it', free: '10', qty: '20', pre: '6', rated: '16',
      discount: { quantity: '4', preLinePeriodQuantity: '6', correlationId: 'U1' },
      lines: [{ ref: 'unit-price-usage', qty: '16', unit: '1', amount: '16' }] }, // min(10, 6) = 6 pre; min(10 − 6, 20) = 4; (20 − 4) × 1 = 16
    { name: 'split child: earlier usage consumed all of it', free: '10', qty: '5', pre: '12', rated: '5',
      lines: [{ ref: 'unit-price-usage', qty: '5', unit: '1', amount: '5' }] }, // min(10, 12) = 10 pre; nothing left; 5 × 1 = 5
    { name: 'zero free units', free: '0', qty: '5', rated: '5', lines: [{ ref: 'unit-price-usage', qty: '5', unit: '1', amount: '5' }] },
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(unit, {
      quantity: c.qty,
      preLinePeriodQuantity: c.pre ?? '0',
      isFirstInPeriod: !c.pre,
      discounts: { usage: { quantity: c.free, correlationId: 'U1' } },
    });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.ratedQuantity).toBe(c.rated);
    expect(r.meteredQuantity).toBe(c.qty);
    expect(r.meteredPreLinePeriodQuantity).toBe(c.pre ?? '0');
    expect(r.usageDiscount).toEqual(c.discount);
    // usage discounts never become amount discounts
    expect(r.detailedLines.flatMap((l) => l.amountDiscounts)).toEqual([]);
  });

  it('the pricer sees the discounted pre-line quantity (package)', () => {
    const r = rate(
      { type: 'package', amount: '5', quantityPerPackage: '10' },
      { quantity: '5', preLinePeriodQuantity: '8', isFirstInPeriod: false, discounts: { usage: { quantity: '5' } } },
    );
    // pre' = 8 − 5 = 3, qty' = 5: p(8) − p(3) = 1 − 1 = 0 packages (undiscounted it would be p(13) − p(8) = 1)
    expect(r.detailedLines).toEqual([]);
    expect(r.ratedQuantity).toBe('5');
    expect(r.usageDiscount).toBeUndefined();
  });

  it('the pricer sees the discounted pre-line quantity (graduated)', () => {
    const r = rate(
      {
        type: 'tiered',
        mode: 'graduated',
        tiers: [{ upToAmount: '10', unitPrice: { type: 'unit', amount: '1' } }, { unitPrice: { type: 'unit', amount: '0.5' } }],
      },
      { quantity: '6', preLinePeriodQuantity: '8', isFirstInPeriod: false, discounts: { usage: { quantity: '4' } } },
    );
    // pre' = 8 − 4 = 4, qty' = 6 → (4, 10] 6 × 1 = 6 (undiscounted: (8,10] 2 × 1 + (10,14] 4 × 0.5 = 4)
    const [actual, expected] = rows(r, [{ ref: 'graduated-tiered-1-price-usage', qty: '6', unit: '1', amount: '6' }]);
    expect(actual).toEqual(expected);
  });

  it('correlationIds on the input win over the stored one', () => {
    const r = rate(unit, { quantity: '5', discounts: { usage: { quantity: '1', correlationId: 'OLD' } }, correlationIds: { usage: 'NEW' } });
    expect(r.usageDiscount).toEqual({ quantity: '1', correlationId: 'NEW' });
  });

  it('rejects a negative quantity (usage_discount_negative_quantity)', () => {
    expect(errorCode(() => rate(unit, { quantity: '5', discounts: { usage: { quantity: '-1' } } }))).toBe('usage_discount_negative_quantity');
  });
});

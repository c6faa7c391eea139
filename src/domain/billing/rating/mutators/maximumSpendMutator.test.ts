import { describe, expect, it } from 'vitest';
import type { Discounts, Price } from '../../../catalog/types.ts';
import { rate, rows, type LineRow } from '../testSupport.ts';

const unit = (maximumAmount: string): Price => ({ type: 'unit', amount: '1', maximumAmount });
// tier 1 (0,10]: 5/unit + flat 20; tier 2: 1/unit → lines in order: usage t1, flat t1, usage t2
const graduated = (maximumAmount: string): Price => ({
  type: 'tiered',
  mode: 'graduated',
  maximumAmount,
  tiers: [
    { upToAmount: '10', unitPrice: { type: 'unit', amount: '5' }, flatPrice: { type: 'flat', amount: '20' } },
    { unitPrice: { type: 'unit', amount: '1' } },
  ],
});

describe('maximumSpendMutator', () => {
  const cases: {
    name: string;
    price: Price;
    qty: string;
    billed?: string;
    discounts?: Discounts;
    currency?: string;
    lines: LineRow[];
    total: string;
    description?: string;
  }[] = [
    { name: 'under the cap: no discount', price: unit('100'), qty: '80',
      lines: [{ ref: 'unit-price-usage', amount: '80', discounts: '0', total: '80' }], total: '80' }, // 80 ≤ 100
    { name: 'exactly at the cap: no discount', price: unit('100'), qty: '100',
      lines: [{ ref: 'unit-price-usage', amount: '100', discounts: '0', total: '100' }], total: '100' }, // 100 ≤ 100
    { name: 'over the cap', price: unit('100'), qty: '150', description: 'Maximum spend discount for charges over 100',
      lines: [{ ref: 'unit-price-usage', amount: '150', discounts: '50', total: '100' }], total: '100' }, // 150 − 100 = 50 off
    { name: 'previously billed counts towards the cap', price: unit('100'), qty: '30', billed: '90',
      lines: [{ ref: 'unit-price-usage', amount: '30', discounts: '20', total: '10' }], total: '10' }, // 90 + 30 − 100 = 20 off
    { name: 'cap already hit: 100% off', price: unit('100'), qty: '10', billed: '100',
      lines: [{ ref: 'unit-price-usage', amount: '10', discounts: '10', total: '0' }], total: '0' }, // billed 100 ≥ 100 → 10 off
    { name: 'cap exceeded earlier: 100% off', price: unit('100'), qty: '10', billed: '120',
      lines: [{ ref: 'unit-price-usage', amount: '10', discounts: '10', total: '0' }], total: '0' }, // billed 120 ≥ 100 → 10 off
    { name: 'per detailed line in order, flat tier fee included', price: graduated('55'), qty: '30',
      lines: [
        { ref: 'graduated-tiered-1-price-usage', amount: '50', discounts: '0', total: '50' }, // 10 × 5 = 50; billed 50 ≤ 55
        { ref: 'graduated-tiered-1-flat-price', amount: '20', discounts: '15', total: '5' }, // 50 + 20 − 55 = 15 off; billed 55
        { ref: 'graduated-tiered-2-price-usage', amount: '20', discounts: '20', total: '0' }, // 20 × 1; cap hit → 100% off
      ], total: '55' },
    // §7.5: after the percentage discount: 200 − 50% = 100 ≤ 120 → no cap (cap first would give 120 × 50% = 60)
    { name: 'applied after the percentage discount', price: unit('120'), qty: '200',
      discounts: { percentage: { percentage: 50, correlationId: 'P' } },
      lines: [{ ref: 'unit-price-usage', amount: '200', discounts: '100', total: '100' }], total: '100' },
    { name: 'percentage and cap on one line', price: unit('60'), qty: '200',
      discounts: { percentage: { percentage: 50, correlationId: 'P' } },
      lines: [{ ref: 'unit-price-usage', amount: '200', discounts: '140', total: '60' }], total: '60' }, // 100 off (50%) + (100 − 60) = 40 off
    { name: 'the cap is rounded to the currency and printed canonically', price: unit('125.50'), qty: '200',
      description: 'Maximum spend discount for charges over 125.5',
      lines: [{ ref: 'unit-price-usage', amount: '200', discounts: '74.5', total: '125.5' }], total: '125.5' }, // 200 − 125.50 = 74.50 off
    { name: 'JPY cap rounds to whole yen', price: unit('99.5'), qty: '150', currency: 'JPY',
      description: 'Maximum spend discount for charges over 100',
      lines: [{ ref: 'unit-price-usage', amount: '150', discounts: '50', total: '100' }], total: '100' }, // cap round(99.5) = 100; 150 − 100 = 50
    { name: 'KWD cap keeps three decimals', price: unit('10.0005'), qty: '12', currency: 'KWD',
      description: 'Maximum spend discount for charges over 10.001',
      lines: [{ ref: 'unit-price-usage', amount: '12', discounts: '1.999', total: '10.001' }], total: '10.001' }, // cap 10.001; 12 − 10.001 = 1.999
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price, {
      quantity: c.qty,
      previouslyBilledAmount: c.billed ?? '0',
      currency: c.currency ?? 'USD',
      ...(c.discounts ? { discounts: c.discounts } : {}),
    });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals.total).toBe(c.total);
    const capDiscounts = r.detailedLines.flatMap((l) => l.amountDiscounts).filter((d) => d.reason === 'maximum_spend');
    for (const d of capDiscounts) expect(d.childUniqueReferenceId).toBe('line_maximum_spend');
    if (c.description) expect(capDiscounts[0]?.description).toBe(c.description);
  });
});

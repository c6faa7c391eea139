import { describe, expect, it } from 'vitest';
import type { Discounts, Price } from '../../../catalog/types.ts';
import { JAN, rate, rows, type LineRow } from '../testSupport.ts';

const unit = (minimumAmount: string, amount = '1', maximumAmount?: string): Price => ({
  type: 'unit',
  amount,
  minimumAmount,
  ...(maximumAmount ? { maximumAmount } : {}),
});
const GROUP = { from: '2025-01-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' };
const LAST_CHILD = { from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' };
const min = (amount: string): LineRow => ({ ref: 'min-spend', name: 'api: minimum spend', qty: '1', unit: amount, amount, total: amount });

describe('minimumSpendMutator', () => {
  const cases: {
    name: string;
    price: Price;
    qty: string;
    billed?: string;
    last?: boolean;
    discounts?: Discounts;
    currency?: string;
    lines: LineRow[];
    totals: { amount: string; chargesTotal: string; total: string };
  }[] = [
    // §7.6: a separate commitment line in chargesTotal, even at zero usage
    { name: 'zero usage bills the whole commitment', price: unit('100'), qty: '0',
      lines: [min('100')], totals: { amount: '0', chargesTotal: '100', total: '100' } }, // 100 − 0 = 100
    { name: 'tops up to the commitment', price: unit('100'), qty: '30',
      lines: [{ ref: 'unit-price-usage', amount: '30' }, min('70')], totals: { amount: '30', chargesTotal: '70', total: '100' } }, // 100 − 30 = 70
    { name: 'spend over the commitment: no line', price: unit('100'), qty: '150',
      lines: [{ ref: 'unit-price-usage', amount: '150' }], totals: { amount: '150', chargesTotal: '0', total: '150' } },
    { name: 'exactly the commitment: no line', price: unit('100'), qty: '100',
      lines: [{ ref: 'unit-price-usage', amount: '100' }], totals: { amount: '100', chargesTotal: '0', total: '100' } },
    { name: 'not the last split child: no line', price: unit('100'), qty: '10', last: false,
      lines: [{ ref: 'unit-price-usage', amount: '10' }], totals: { amount: '10', chargesTotal: '0', total: '10' } },
    { name: 'last split child counts previously billed gross amounts', price: unit('100'), qty: '20', billed: '40',
      lines: [{ ref: 'unit-price-usage', amount: '20' }, min('40')], totals: { amount: '20', chargesTotal: '40', total: '60' } }, // 100 − (20 + 40) = 40
    { name: 'measured against the post-discount total; the top-up is not discounted', price: unit('100'), qty: '60',
      discounts: { percentage: { percentage: 50, correlationId: 'P' } },
      lines: [{ ref: 'unit-price-usage', amount: '60', discounts: '30', total: '30' }, { ...min('70'), discounts: '0' }],
      totals: { amount: '60', chargesTotal: '70', total: '100' } }, // 60 − 30 = 30; 100 − 30 = 70
    // catalog validation rejects min > max; the engine still orders max before min, so the top-up is never capped
    { name: 'never capped by maximum spend', price: unit('80', '1', '50'), qty: '100',
      lines: [{ ref: 'unit-price-usage', amount: '100', discounts: '50', total: '50' }, { ...min('30'), discounts: '0' }],
      totals: { amount: '100', chargesTotal: '30', total: '80' } }, // capped to 50; 80 − 50 = 30
    { name: 'JPY', price: unit('1000', '1.5'), qty: '333', currency: 'JPY',
      lines: [{ ref: 'unit-price-usage', amount: '500' }, min('500')], totals: { amount: '500', chargesTotal: '500', total: '1000' } }, // 333 × 1.5 = 499.5 → 500; 1000 − 500
    { name: 'KWD', price: unit('10', '1.1115'), qty: '3', currency: 'KWD',
      lines: [{ ref: 'unit-price-usage', amount: '3.335' }, min('6.665')], totals: { amount: '3.335', chargesTotal: '6.665', total: '10' } }, // 3 × 1.1115 = 3.3345 → 3.335; 10 − 3.335
    { name: 'the commitment itself is rounded', price: unit('100.004'), qty: '0',
      lines: [min('100')], totals: { amount: '0', chargesTotal: '100', total: '100' } }, // round(100.004) = 100.00
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price, {
      quantity: c.qty,
      previouslyBilledAmount: c.billed ?? '0',
      isLastInPeriod: c.last ?? true,
      currency: c.currency ?? 'USD',
      ...(c.discounts ? { discounts: c.discounts } : {}),
    });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals).toMatchObject(c.totals);
    const m = r.detailedLines.find((l) => l.childUniqueReferenceId === 'min-spend');
    if (m) {
      expect(m).toMatchObject({ category: 'commitment', paymentTerm: 'in_arrears', period: JAN, amountDiscounts: [] });
      expect(m.totals.amount).toBe('0');
    }
  });

  it('covers the full split-group period on the last child', () => {
    const r = rate(unit('100'), {
      quantity: '5',
      preLinePeriodQuantity: '10',
      isFirstInPeriod: false,
      previouslyBilledAmount: '10',
      period: LAST_CHILD,
      splitGroupPeriod: GROUP,
    });
    const m = r.detailedLines.find((l) => l.childUniqueReferenceId === 'min-spend');
    expect(m?.period).toEqual(GROUP);
    expect(m?.perUnitAmount).toBe('85'); // 100 − (5 + 10) = 85
    expect(r.detailedLines.find((l) => l.childUniqueReferenceId === 'unit-price-usage')?.period).toBeUndefined();
  });

  // `rating/service.go WithMinimumCommitmentIgnored`: the charges path rates every run whose period
  // ends before the service period end this way (`charges/usagebased/service/rating/delta/engine.go`)
  it.each([
    ['zero usage', '0', [], '0'],
    ['usage under the commitment', '30', [{ ref: 'unit-price-usage', amount: '30' }], '30'], // 30, no 100 − 30 = 70 top-up
  ] as const)('ignoreMinimumCommitment: no top-up line (%s)', (_name, qty, lines, total) => {
    const r = rate(unit('100'), { quantity: qty, ignoreMinimumCommitment: true });
    const [actual, expected] = rows(r, [...lines]);
    expect(actual).toEqual(expected);
    expect(r.totals).toMatchObject({ chargesTotal: '0', total });
  });

  it('ignoreMinimumCommitment keeps the maximum spend', () => {
    const r = rate(unit('10', '1', '50'), { quantity: '80', ignoreMinimumCommitment: true });
    expect(r.totals).toMatchObject({ amount: '80', discountsTotal: '30', chargesTotal: '0', total: '50' }); // capped: 80 − 50 = 30 off
  });

  it('ignoreMinimumCommitment: false is the default behaviour', () => {
    expect(rate(unit('100'), { quantity: '30', ignoreMinimumCommitment: false }).totals.total).toBe('100'); // 30 + 70
  });
});

import { describe, expect, it } from 'vitest';
import type { UnitPrice } from '../../catalog/types.ts';
import { rate, rows, type LineRow } from './testSupport.ts';

const unit = (amount: string): UnitPrice => ({ type: 'unit', amount });

describe('unitPricer', () => {
  const cases: { name: string; amount: string; qty: string; pre?: string; currency?: string; lines: LineRow[]; total: string }[] = [
    { name: 'zero usage: no detailed line, zero totals', amount: '1', qty: '0', lines: [], total: '0' },
    { name: 'negative usage: no detailed line', amount: '1', qty: '-5', lines: [], total: '0' },
    { name: 'plain usage', amount: '0.05', qty: '20',
      lines: [{ ref: 'unit-price-usage', name: 'api: usage in period', qty: '20', unit: '0.05', amount: '1' }], total: '1' }, // 20 × 0.05 = 1.00
    { name: 'half-cent rounds away from zero', amount: '0.335', qty: '3',
      lines: [{ ref: 'unit-price-usage', qty: '3', unit: '0.335', amount: '1.01' }], total: '1.01' }, // 3 × 0.335 = 1.005 → 1.01
    { name: 'fractional quantity', amount: '2', qty: '0.125',
      lines: [{ ref: 'unit-price-usage', qty: '0.125', unit: '2', amount: '0.25' }], total: '0.25' }, // 0.125 × 2 = 0.25
    { name: 'split child: pre-line usage does not matter', amount: '1', qty: '5', pre: '10',
      lines: [{ ref: 'unit-price-usage', qty: '5', unit: '1', amount: '5' }], total: '5' }, // 5 × 1 = 5
    { name: 'JPY has no decimals', amount: '0.5', qty: '3', currency: 'JPY',
      lines: [{ ref: 'unit-price-usage', qty: '3', unit: '0.5', amount: '2' }], total: '2' }, // 3 × 0.5 = 1.5 → 2
    { name: 'KWD has three decimals', amount: '0.3335', qty: '3', currency: 'KWD',
      lines: [{ ref: 'unit-price-usage', qty: '3', unit: '0.3335', amount: '1.001' }], total: '1.001' }, // 3 × 0.3335 = 1.0005 → 1.001
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(unit(c.amount), { quantity: c.qty, preLinePeriodQuantity: c.pre ?? '0', currency: c.currency ?? 'USD' });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals.total).toBe(c.total);
    expect(r.detailedLines.every((l) => l.paymentTerm === 'in_arrears' && l.category === 'regular')).toBe(true);
  });
});

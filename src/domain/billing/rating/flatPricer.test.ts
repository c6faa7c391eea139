import { describe, expect, it } from 'vitest';
import type { FlatPrice } from '../../catalog/types.ts';
import { errorCode, rate, rows, type LineRow } from './testSupport.ts';

const flat = (amount: string, paymentTerm?: FlatPrice['paymentTerm']): FlatPrice => ({
  type: 'flat',
  amount,
  ...(paymentTerm ? { paymentTerm } : {}),
});

describe('flatPricer', () => {
  const cases: {
    name: string;
    price: FlatPrice;
    first: boolean;
    last: boolean;
    quantity?: string;
    term?: string;
    lines: LineRow[];
    total: string;
  }[] = [
    // §7.1: no payment term means in advance
    { name: 'default term is in_advance', price: flat('100'), first: true, last: true, term: 'in_advance',
      lines: [{ ref: 'flat-price', name: 'api', qty: '1', unit: '100', amount: '100' }], total: '100' }, // 1 × 100 = 100
    { name: 'in advance, not first in period: already billed', price: flat('100'), first: false, last: true, lines: [], total: '0' },
    { name: 'in advance on the first split child', price: flat('100', 'in_advance'), first: true, last: false, term: 'in_advance',
      lines: [{ ref: 'flat-price', qty: '1', unit: '100', amount: '100' }], total: '100' }, // 1 × 100 = 100
    { name: 'in arrears, not last: not yet due', price: flat('100', 'in_arrears'), first: true, last: false, lines: [], total: '0' },
    { name: 'in arrears on the last line', price: flat('49.99', 'in_arrears'), first: false, last: true, term: 'in_arrears',
      lines: [{ ref: 'flat-price', name: 'api', qty: '1', unit: '49.99', amount: '49.99' }], total: '49.99' }, // 1 × 49.99 = 49.99
    { name: 'ignores the metered quantity', price: flat('10'), first: true, last: true, quantity: '7',
      lines: [{ ref: 'flat-price', qty: '1', unit: '10', amount: '10' }], total: '10' }, // 1 × 10 = 10, not 7 × 10
    { name: 'sub-cent amount rounds half away from zero', price: flat('10.005'), first: true, last: true,
      lines: [{ ref: 'flat-price', qty: '1', unit: '10.005', amount: '10.01' }], total: '10.01' }, // 1 × 10.005 = 10.005 → 10.01
    { name: 'free flat fee still emits its line', price: flat('0'), first: true, last: true,
      lines: [{ ref: 'flat-price', qty: '1', unit: '0', amount: '0' }], total: '0' }, // 1 × 0 = 0
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price, { isFirstInPeriod: c.first, isLastInPeriod: c.last, quantity: c.quantity ?? '1' });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals.total).toBe(c.total);
    if (c.term) expect(r.detailedLines[0]?.paymentTerm).toBe(c.term);
  });

  it('takes a percentage discount on the fee', () => {
    const r = rate(flat('99.99'), { discounts: { percentage: { percentage: 10, correlationId: 'C1' } } });
    // round(99.99 × 10%) = round(9.999) = 10.00; 99.99 − 10 = 89.99
    expect(r.detailedLines[0]?.amountDiscounts[0]?.amount).toBe('10');
    expect(r.totals).toMatchObject({ amount: '99.99', discountsTotal: '10', total: '89.99' });
  });

  it('rejects a usage discount (usage_discount_with_flat_price)', () => {
    expect(errorCode(() => rate(flat('10'), { discounts: { usage: { quantity: '5' } } }))).toBe('usage_discount_with_flat_price');
  });
});

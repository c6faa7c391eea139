import { describe, expect, it } from 'vitest';
import type { PackagePrice } from '../../catalog/types.ts';
import { rate, rows, type LineRow } from './testSupport.ts';

const pkg = (amount: string, quantityPerPackage: string): PackagePrice => ({ type: 'package', amount, quantityPerPackage });

describe('packagePricer', () => {
  // §7.4: packages round up; split children bill packages(pre + qty) − packages(pre)
  const cases: { name: string; qty: string; pre?: string; first?: boolean; size?: string; lines: LineRow[] }[] = [
    { name: 'zero usage: packages(0) = 0, no line', qty: '0', lines: [] },
    { name: 'one unit buys a whole package', qty: '1',
      lines: [{ ref: 'usage', name: 'api: usage in period', qty: '1', unit: '5', amount: '5' }] }, // ceil(1/10) = 1; 1 × 5 = 5
    { name: 'exactly one package', qty: '10', lines: [{ ref: 'usage', qty: '1', unit: '5', amount: '5' }] }, // 10/10 = 1; 1 × 5 = 5
    { name: 'one unit over rounds up', qty: '11', lines: [{ ref: 'usage', qty: '2', unit: '5', amount: '10' }] }, // ceil(11/10) = 2; 2 × 5 = 10
    { name: 'fractional usage', qty: '0.5', lines: [{ ref: 'usage', qty: '1', unit: '5', amount: '5' }] }, // ceil(0.05) = 1
    { name: 'fractional package size', qty: '1', size: '0.3', lines: [{ ref: 'usage', qty: '4', unit: '5', amount: '20' }] }, // ceil(1/0.3) = 4; 4 × 5 = 20
    { name: 'progressive: crosses a package boundary', qty: '5', pre: '8', first: false,
      lines: [{ ref: 'usage', qty: '1', unit: '5', amount: '5' }] }, // p(13) − p(8) = 2 − 1 = 1; 1 × 5 = 5
    { name: 'progressive: stays inside the package already billed', qty: '2', pre: '5', first: false, lines: [] }, // p(7) − p(5) = 1 − 1 = 0
    { name: 'progressive: a sliver over a full package', qty: '0.001', pre: '10', first: false,
      lines: [{ ref: 'usage', qty: '1', unit: '5', amount: '5' }] }, // p(10.001) − p(10) = 2 − 1 = 1
    { name: 'progressive: several packages', qty: '25', pre: '3', first: false,
      lines: [{ ref: 'usage', qty: '2', unit: '5', amount: '10' }] }, // p(28) − p(3) = 3 − 1 = 2; 2 × 5 = 10
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(pkg('5', c.size ?? '10'), {
      quantity: c.qty,
      preLinePeriodQuantity: c.pre ?? '0',
      isFirstInPeriod: c.first ?? true,
    });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
  });
});

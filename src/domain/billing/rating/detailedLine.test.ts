import { describe, expect, it } from 'vitest';
import { sumTotals } from './detailedLine.ts';
import type { Totals } from './types.ts';

const zero: Totals = { amount: '0', chargesTotal: '0', discountsTotal: '0', creditsTotal: '0', taxesInclusiveTotal: '0', taxesExclusiveTotal: '0', taxesTotal: '0', total: '0' };
const t = (over: Partial<Totals>): Totals => ({ ...zero, ...over });

// Parent totals: field-wise Σ, each field rounded at the currency (OpenMeter billing/rating/service/detailedline.go)
describe('sumTotals', () => {
  it.each([
    ['no lines', [], 'USD', zero],
    ['one line is its own sum', [t({ amount: '24.69', total: '24.69' })], 'USD', t({ amount: '24.69', total: '24.69' })],
    ['a lone value is still rounded and printed canonically', [t({ amount: '10.50', discountsTotal: '2.345', total: '1e3' })], 'USD', t({ amount: '10.5', discountsTotal: '2.35', total: '1000' })],
    ['several lines', [t({ amount: '19', total: '19' }), t({ amount: '21.84', chargesTotal: '0.5', total: '22.34' }), t({ amount: '0.005', total: '0.005' })], 'USD',
      t({ amount: '40.85', chargesTotal: '0.5', total: '41.35' })], // 19 + 21.84 + 0.005 = 40.845 → 40.85
    ['JPY rounds the sum to whole yen', [t({ amount: '0.4', total: '0.4' }), t({ amount: '0.4', total: '0.4' })], 'JPY', t({ amount: '1', total: '1' })], // 0.8 → 1
    ['a sum of zero prints 0', [t({ amount: '5', creditsTotal: '5' }), t({ amount: '-5', creditsTotal: '-5' })], 'USD', zero],
  ] as const)('%s', (_name, all, currency, want) => {
    expect(sumTotals([...all], currency)).toEqual(want);
  });
});

import { describe, expect, it } from 'vitest';
import type { DynamicPrice } from '../../catalog/types.ts';
import { rate, rows, type LineRow } from './testSupport.ts';

const dyn = (multiplier?: string): DynamicPrice => ({ type: 'dynamic', ...(multiplier ? { multiplier } : {}) });

describe('dynamicPricer', () => {
  // §7.3: the rounded amount is the per-unit amount, quantity is 1
  const cases: { name: string; qty: string; multiplier?: string; currency?: string; lines: LineRow[] }[] = [
    { name: 'zero usage: no line', qty: '0', lines: [] },
    { name: 'default multiplier 1, amount rounded into perUnit', qty: '12.345',
      lines: [{ ref: 'usage', name: 'api: usage in period', qty: '1', unit: '12.35', amount: '12.35' }] }, // round(12.345 × 1) = 12.35
    { name: 'multiplier', qty: '10', multiplier: '1.5', lines: [{ ref: 'usage', qty: '1', unit: '15', amount: '15' }] }, // round(10 × 1.5) = 15
    { name: 'rounds to zero but still emitted', qty: '0.004', lines: [{ ref: 'usage', qty: '1', unit: '0', amount: '0' }] }, // round(0.004) = 0.00
    { name: 'multiplier 0', qty: '100', multiplier: '0', lines: [{ ref: 'usage', qty: '1', unit: '0', amount: '0' }] }, // 100 × 0 = 0
    { name: 'JPY', qty: '100.5', currency: 'JPY', lines: [{ ref: 'usage', qty: '1', unit: '101', amount: '101' }] }, // round(100.5) = 101
    { name: 'KWD', qty: '1.2345', currency: 'KWD', lines: [{ ref: 'usage', qty: '1', unit: '1.235', amount: '1.235' }] }, // round(1.2345, 3) = 1.235
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(dyn(c.multiplier), { quantity: c.qty, currency: c.currency ?? 'USD' });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
  });
});

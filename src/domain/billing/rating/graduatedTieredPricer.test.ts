import { describe, expect, it } from 'vitest';
import type { TieredPrice } from '../../catalog/types.ts';
import { rate, rows, type LineRow } from './testSupport.ts';

// tier 1: (0, 10] flat 5 + 1/unit; tier 2: (10, 20] flat 3 + 0.8/unit; tier 3: (20, ∞) 0.5/unit
const graduated: TieredPrice = {
  type: 'tiered',
  mode: 'graduated',
  tiers: [
    { upToAmount: '20', flatPrice: { type: 'flat', amount: '3' }, unitPrice: { type: 'unit', amount: '0.8' } },
    { upToAmount: null, unitPrice: { type: 'unit', amount: '0.5' } },
    { upToAmount: '10', flatPrice: { type: 'flat', amount: '5' }, unitPrice: { type: 'unit', amount: '1' } },
  ],
};

const u = (tier: number, qty: string, unit: string, amount: string): LineRow => ({
  ref: `graduated-tiered-${tier}-price-usage`,
  name: `api: usage price for tier ${tier}`,
  qty,
  unit,
  amount,
});
const f = (tier: number, unit: string): LineRow => ({
  ref: `graduated-tiered-${tier}-flat-price`,
  name: `api: flat price for tier ${tier}`,
  qty: '1',
  unit,
  amount: unit,
});

describe('graduatedTieredPricer', () => {
  const cases: { name: string; qty: string; pre?: string; first?: boolean; price?: TieredPrice; lines: LineRow[]; total: string }[] = [
    // §7.2: tier-1 flat fee at zero usage, and a 0-qty tier-1 unit line
    { name: 'zero usage, first line: tier-1 unit line (0) + tier-1 flat fee', qty: '0',
      lines: [u(1, '0', '1', '0'), f(1, '5')], total: '5' }, // 0 × 1 + 5 = 5
    { name: 'zero usage, later split child: flat fee already billed', qty: '0', first: false,
      lines: [u(1, '0', '1', '0')], total: '0' }, // 0 × 1 = 0
    { name: 'inside tier 1', qty: '5', lines: [u(1, '5', '1', '5'), f(1, '5')], total: '10' }, // 5 × 1 + 5 = 10
    { name: 'upToAmount is inclusive: 10 stays in tier 1', qty: '10', lines: [u(1, '10', '1', '10'), f(1, '5')], total: '15' }, // 10 × 1 + 5 = 15
    { name: 'all three tiers', qty: '25',
      lines: [
        u(1, '10', '1', '10'), f(1, '5'), // 10 × 1 + 5 = 15
        u(2, '10', '0.8', '8'), f(2, '3'), // 10 × 0.8 + 3 = 11
        u(3, '5', '0.5', '2.5'), // 5 × 0.5 = 2.5
      ], total: '28.5' }, // 15 + 11 + 2.5 = 28.50
    { name: 'split child crossing into tier 2: no tier-1 flat fee, tier-2 flat fee', qty: '7', pre: '8', first: false,
      lines: [u(1, '2', '1', '2'), u(2, '5', '0.8', '4'), f(2, '3')], total: '9' }, // (8,10] 2 × 1 + (10,15] 5 × 0.8 + 3 = 9
    { name: 'split child starting exactly at a tier boundary bills that tier\'s flat fee', qty: '5', pre: '10', first: false,
      lines: [u(2, '5', '0.8', '4'), f(2, '3')], total: '7' }, // (10,15] 5 × 0.8 + 3 = 7
    { name: 'split child inside tier 2: no flat fee', qty: '4', pre: '12', first: false,
      lines: [u(2, '4', '0.8', '3.2')], total: '3.2' }, // (12,16] 4 × 0.8 = 3.20
    { name: 'split child without new usage (pre = pre + qty > 0): nothing', qty: '0', pre: '5', first: false, lines: [], total: '0' },
    { name: 'tier without unit price: only its flat fee', qty: '15',
      price: { type: 'tiered', mode: 'graduated', tiers: [
        { upToAmount: '10', flatPrice: { type: 'flat', amount: '10' } },
        { unitPrice: { type: 'unit', amount: '1' } },
      ] },
      lines: [f(1, '10'), u(2, '5', '1', '5')], total: '15' }, // 10 + 5 × 1 = 15
    { name: 'a zero unit price still emits the usage line', qty: '3',
      price: { type: 'tiered', mode: 'graduated', tiers: [{ unitPrice: { type: 'unit', amount: '0' } }] },
      lines: [u(1, '3', '0', '0')], total: '0' }, // 3 × 0 = 0
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price ?? graduated, {
      quantity: c.qty,
      preLinePeriodQuantity: c.pre ?? '0',
      isFirstInPeriod: c.first ?? true,
    });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals.total).toBe(c.total);
  });
});

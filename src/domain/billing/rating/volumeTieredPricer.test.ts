import { describe, expect, it } from 'vitest';
import type { TieredPrice } from '../../catalog/types.ts';
import { errorCode, rate, rows, type LineRow } from './testSupport.ts';

const volume: TieredPrice = {
  type: 'tiered',
  mode: 'volume',
  // deliberately unsorted: the open tier first
  tiers: [
    { upToAmount: null, flatPrice: { type: 'flat', amount: '20' }, unitPrice: { type: 'unit', amount: '0.5' } },
    { upToAmount: '10', flatPrice: { type: 'flat', amount: '5' }, unitPrice: { type: 'unit', amount: '1' } },
    { upToAmount: '20', unitPrice: { type: 'unit', amount: '0.8' } },
  ],
};

describe('volumeTieredPricer', () => {
  const cases: { name: string; qty: string; last?: boolean; lines: LineRow[]; total: string }[] = [
    // zero usage falls into tier 1: its flat fee is billed, no unit line at qty 0
    { name: 'zero usage bills the tier-1 flat fee', qty: '0',
      lines: [{ ref: 'volume-flat-price', name: 'api: flat price for tier 1', qty: '1', unit: '5', amount: '5' }], total: '5' }, // 1 × 5 = 5
    { name: 'upToAmount is inclusive', qty: '10',
      lines: [
        { ref: 'volume-flat-price', name: 'api: flat price for tier 1', qty: '1', unit: '5', amount: '5' }, // 1 × 5 = 5
        { ref: 'volume-tiered-price', name: 'api: unit price for tier 1', qty: '10', unit: '1', amount: '10' }, // 10 × 1 = 10
      ], total: '15' }, // 5 + 10 = 15
    { name: 'the whole quantity priced by tier 2 (no flat fee there)', qty: '15',
      lines: [{ ref: 'volume-tiered-price', name: 'api: unit price for tier 2', qty: '15', unit: '0.8', amount: '12' }], total: '12' }, // 15 × 0.8 = 12
    { name: 'open tier', qty: '25',
      lines: [
        { ref: 'volume-flat-price', name: 'api: flat price for tier 3', qty: '1', unit: '20', amount: '20' }, // 1 × 20 = 20
        { ref: 'volume-tiered-price', name: 'api: unit price for tier 3', qty: '25', unit: '0.5', amount: '12.5' }, // 25 × 0.5 = 12.5
      ], total: '32.5' }, // 20 + 12.5 = 32.50
    { name: 'not the last line in the period: nothing yet', qty: '15', last: false, lines: [], total: '0' },
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(volume, { quantity: c.qty, isLastInPeriod: c.last ?? true });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals.total).toBe(c.total);
  });

  // §7.1: volume tiers are never progressive
  it('pre-line usage is an error (invoice_line_graduated_split_not_supported)', () => {
    expect(errorCode(() => rate(volume, { quantity: '5', preLinePeriodQuantity: '5', isFirstInPeriod: false }))).toBe(
      'invoice_line_graduated_split_not_supported',
    );
  });

  it('requires an open-ended tier', () => {
    const closed: TieredPrice = { type: 'tiered', mode: 'volume', tiers: [{ upToAmount: '10', unitPrice: { type: 'unit', amount: '1' } }] };
    expect(errorCode(() => rate(closed, { quantity: '5' }))).toBe('invoice_line_missing_open_ended_tier');
  });
});

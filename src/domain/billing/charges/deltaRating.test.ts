import { describe, expect, it } from 'vitest';
import type { Price } from '../../catalog/types.ts';
import { deltaRate, rateCumulative, type ChargeLine } from './deltaRating.ts';

const servicePeriod = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
const unit: Price = { type: 'unit', amount: '0.10' };
const volume: Price = {
  type: 'tiered',
  mode: 'volume',
  tiers: [
    { upToAmount: '15', unitPrice: { type: 'unit', amount: '10' } },
    { unitPrice: { type: 'unit', amount: '5' } },
  ],
};
const run = (price: Price, cumulativeQuantity: string, booked: ChargeLine[], isFinal = false) =>
  deltaRate({ lineName: 'API', currency: 'USD', price, servicePeriod, cumulativeQuantity, isFinal, booked });
const book = (lines: ChargeLine[], idPrefix: string): ChargeLine[] => lines.map((l, i) => ({ ...l, id: `${idPrefix}-${i}` }));
const brief = (lines: ChargeLine[]) => lines.map((l) => [l.childUniqueReferenceId, l.quantity, l.perUnitAmount, l.total]);

// charges/usagebased/service/rating/delta/README.md and konnect-billing.md §5.1
describe('delta rating', () => {
  it('books only the additional usage of a linear price', () => {
    const r1 = run(unit, '1000', []);
    // 1,000 × 0.10 = 100.00
    expect(brief(r1)).toEqual([['unit-price-usage', '1000', '0.1', '100']]);
    const r2 = run(unit, '1500', book(r1, 'run1'));
    // cumulative 1,500 × 0.10 = 150.00 − 100.00 booked = 50.00 (500 units)
    expect(brief(r2)).toEqual([['unit-price-usage', '500', '0.1', '50']]);
    // nothing new → nothing booked
    expect(run(unit, '1500', [...book(r1, 'run1'), ...book(r2, 'run2')])).toEqual([]);
  });

  it('reprices a volume tier with a reversal and a new line on the current period', () => {
    const r1 = run(volume, '15', []);
    // 15 × 10 = 150
    expect(brief(r1)).toEqual([['volume-tiered-price', '15', '10', '150']]);
    const r2 = run(volume, '16', book(r1, 'phase-1-line'));
    // current 16 × 5 = 80; reversal −15 × 10 = −150; net −70
    expect(brief(r2)).toEqual([
      ['volume-tiered-price', '16', '5', '80'],
      ['volume-tiered-price#correction:detailed_line_id=phase-1-line-0', '-15', '10', '-150'],
    ]);
  });

  it('ignores the minimum commitment until the final run', () => {
    const min: Price = { type: 'unit', amount: '1', minimumAmount: '100' };
    // 10 × 1 = 10; no top-up before the service period end
    expect(brief(rateCumulative({ lineName: 'API', currency: 'USD', price: min, servicePeriod, cumulativeQuantity: '10', isFinal: false }))).toEqual([['unit-price-usage', '10', '1', '10']]);
    const r1 = run(min, '10', []);
    const r2 = run(min, '20', book(r1, 'r1'), true);
    // +10 units (20 − 10) and the top-up 100 − 20 = 80 on the final run
    expect(brief(r2)).toEqual([
      ['unit-price-usage', '10', '1', '10'],
      ['min-spend', '1', '80', '80'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Discounts, Price } from '../../catalog/types.ts';
import { D } from '../../shared/money.ts';
import { rateLine } from './rateLine.ts';
import { errorCode, input, rate, rows } from './testSupport.ts';
import type { RatingResult } from './types.ts';

const GROUP = { from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z' };
const BOUNDS = ['2025-01-01T00:00:00.000Z', '2025-01-11T00:00:00.000Z', '2025-01-21T00:00:00.000Z', '2025-02-01T00:00:00.000Z'];

/**
 * Rates the children of one split-line group the way the invoice engine feeds them (§1.6, §1.10):
 * pre = metered usage of earlier children, previously billed = Σ earlier children's gross `amount`.
 */
const rateSplitGroup = (price: Price, usages: string[], discounts?: Discounts): RatingResult[] => {
  const out: RatingResult[] = [];
  let pre = new D(0);
  let billed = new D(0);
  usages.forEach((qty, i) => {
    const r = rateLine(
      input(price, {
        quantity: qty,
        preLinePeriodQuantity: pre.toFixed(),
        isFirstInPeriod: i === 0,
        isLastInPeriod: i === usages.length - 1,
        previouslyBilledAmount: billed.toFixed(),
        period: { from: BOUNDS[i]!, to: BOUNDS[i + 1]! },
        splitGroupPeriod: GROUP,
        ...(discounts ? { discounts, correlationIds: { percentage: 'P', usage: 'U' } } : {}),
      }),
    );
    out.push(r);
    pre = pre.add(qty);
    billed = billed.add(r.totals.amount);
  });
  return out;
};
const totalsOf = (rs: RatingResult[]) => rs.map((r) => r.totals.total);

describe('rateLine totals (§1.9)', () => {
  it('parent totals are the field-wise sum of the detailed lines', () => {
    const r = rate(
      {
        type: 'tiered',
        mode: 'graduated',
        minimumAmount: '50',
        tiers: [{ upToAmount: '10', flatPrice: { type: 'flat', amount: '2.5' }, unitPrice: { type: 'unit', amount: '0.125' } }, { unitPrice: { type: 'unit', amount: '0.333' } }],
      },
      { quantity: '13', discounts: { percentage: { percentage: 10, correlationId: 'P' } } },
    );
    // t1 usage 10 × 0.125 = 1.25, 10% = 0.125 → 0.13; t1 flat 2.5, 10% = 0.25; t2 usage 3 × 0.333 = 0.999 → 1.00, 10% = 0.10
    // amount 1.25 + 2.5 + 1 = 4.75; discounts 0.13 + 0.25 + 0.10 = 0.48; net 4.27; min spend 50 − 4.27 = 45.73
    expect(r.totals).toEqual({
      amount: '4.75',
      chargesTotal: '45.73',
      discountsTotal: '0.48',
      creditsTotal: '0',
      taxesInclusiveTotal: '0',
      taxesExclusiveTotal: '0',
      taxesTotal: '0',
      total: '50',
    });
    expect(r.detailedLines.map((l) => l.totals.total)).toEqual(['1.12', '2.25', '0.9', '45.73']);
  });

  it('a negative line total is rejected', () => {
    const price: Price = { type: 'tiered', mode: 'volume', tiers: [{ upToAmount: '10', unitPrice: { type: 'unit', amount: '1' } }, { unitPrice: { type: 'unit', amount: '0.5' } }] };
    // −5 falls into tier 1: −5 × 1 = −5.00
    expect(errorCode(() => rate(price, { quantity: '-5' }))).toBe('invoice_line_total_negative');
  });

  it('rejects quantities that are not decimal strings', () => {
    expect(errorCode(() => rate({ type: 'unit', amount: '1' }, { quantity: '1e3' }))).toBe('rating_invalid_decimal');
  });

  it('reports metered and rated quantities separately', () => {
    const r = rate({ type: 'unit', amount: '1' }, { quantity: '12', discounts: { usage: { quantity: '5' } } });
    expect([r.meteredQuantity, r.ratedQuantity, r.totals.total]).toEqual(['12', '7', '7']); // (12 − 5) × 1 = 7
  });
});

describe('split-line groups (progressive billing)', () => {
  it('package: each child bills packages(total) − packages(pre)', () => {
    const rs = rateSplitGroup({ type: 'package', amount: '5', quantityPerPackage: '10' }, ['3', '8', '9']);
    // p(3) = 1 → 5; p(11) − p(3) = 2 − 1 = 1 → 5; p(20) − p(11) = 2 − 2 = 0 → 0; Σ 10 = p(20) × 5
    expect(totalsOf(rs)).toEqual(['5', '5', '0']);
    expect(rs[2]?.detailedLines).toEqual([]);
  });

  it('graduated: two children crossing a tier bill the same as one line', () => {
    const price: Price = {
      type: 'tiered',
      mode: 'graduated',
      tiers: [
        { upToAmount: '10', flatPrice: { type: 'flat', amount: '5' }, unitPrice: { type: 'unit', amount: '1' } },
        { flatPrice: { type: 'flat', amount: '3' }, unitPrice: { type: 'unit', amount: '0.8' } },
      ],
    };
    const [a, b] = rateSplitGroup(price, ['8', '7']);
    const [actual, expected] = rows(a!, [
      { ref: 'graduated-tiered-1-price-usage', qty: '8', amount: '8' }, // (0,8] 8 × 1
      { ref: 'graduated-tiered-1-flat-price', amount: '5' }, // tier-1 flat fee on the first child
    ]);
    expect(actual).toEqual(expected);
    expect(b!.detailedLines.map((l) => [l.childUniqueReferenceId, l.quantity, l.totals.amount])).toEqual([
      ['graduated-tiered-1-price-usage', '2', '2'], // (8,10] 2 × 1
      ['graduated-tiered-2-price-usage', '5', '4'], // (10,15] 5 × 0.8
      ['graduated-tiered-2-flat-price', '1', '3'], // crosses into tier 2
    ]);
    // 13 + 9 = 22 = one line of 15: 10 × 1 + 5 + 5 × 0.8 + 3
    expect(rate(price, { quantity: '15' }).totals.total).toBe('22');
    expect(totalsOf([a!, b!])).toEqual(['13', '9']);
  });

  it('graduated: a zero-usage first child still bills the tier-1 flat fee, once', () => {
    const price: Price = {
      type: 'tiered',
      mode: 'graduated',
      tiers: [{ upToAmount: '10', flatPrice: { type: 'flat', amount: '5' }, unitPrice: { type: 'unit', amount: '1' } }, { unitPrice: { type: 'unit', amount: '1' } }],
    };
    const rs = rateSplitGroup(price, ['0', '0', '4']);
    // child 1: 0 × 1 + 5; child 2: pre 0, not first → 0 × 1 only; child 3: (0,4] 4 × 1, no flat fee
    expect(totalsOf(rs)).toEqual(['5', '0', '4']);
  });

  it('max spend across children uses previously billed gross amounts, not totals (§7.5)', () => {
    const rs = rateSplitGroup({ type: 'unit', amount: '1', maximumAmount: '100' }, ['100', '40', '10'], {
      percentage: { percentage: 50 },
    });
    // child 1: 100 − 50% = 50 (billed gross 100); child 2: 40 − 20 = 20, billed 100 ≥ 100 → 100% off → 0
    // (with net semantics it would be 50 + 20 ≤ 100 → 20); child 3: same → 0
    expect(totalsOf(rs)).toEqual(['50', '0', '0']);
    expect(rs[1]?.detailedLines[0]?.amountDiscounts.map((d) => [d.reason, d.amount])).toEqual([
      ['ratecard_percentage', '20'],
      ['maximum_spend', '20'],
    ]);
  });

  it('max spend across children: the child crossing the cap is partially discounted', () => {
    const rs = rateSplitGroup({ type: 'unit', amount: '1', maximumAmount: '100' }, ['60', '70', '5']);
    // 60; 60 + 70 − 100 = 30 off → 40; billed 60 + 70 = 130 ≥ 100 → 5 off → 0
    expect(totalsOf(rs)).toEqual(['60', '40', '0']);
  });

  it('min spend only on the last child, against all children (§7.6)', () => {
    const rs = rateSplitGroup({ type: 'unit', amount: '1', minimumAmount: '100' }, ['10', '20', '5']);
    expect(rs.slice(0, 2).flatMap((r) => r.detailedLines.filter((l) => l.category === 'commitment'))).toEqual([]);
    const last = rs[2]!;
    const m = last.detailedLines.find((l) => l.childUniqueReferenceId === 'min-spend');
    expect(m?.perUnitAmount).toBe('65'); // 100 − (10 + 20 + 5) = 65
    expect(m?.period).toEqual(GROUP);
    expect(last.totals).toMatchObject({ amount: '5', chargesTotal: '65', total: '70' });
  });

  it('min spend on a zero-usage last child', () => {
    const rs = rateSplitGroup({ type: 'unit', amount: '1', minimumAmount: '100' }, ['30', '0']);
    expect(rs[1]?.detailedLines.map((l) => [l.name, l.perUnitAmount])).toEqual([['api: minimum spend', '70']]); // 100 − 30
  });

  it('usage discount is consumed by earlier children first (§7.8)', () => {
    const rs = rateSplitGroup({ type: 'unit', amount: '1' }, ['4', '10', '10'], { usage: { quantity: '10' } });
    // child 1: 4 free → rated 0; child 2: pre 4 consumed 4, 6 free → rated 4; child 3: pre 14 consumed all 10 → rated 10
    expect(rs.map((r) => [r.meteredQuantity, r.ratedQuantity, r.totals.total])).toEqual([
      ['4', '0', '0'],
      ['10', '4', '4'],
      ['10', '10', '10'],
    ]);
    expect(rs.map((r) => r.usageDiscount)).toEqual([
      { quantity: '4', correlationId: 'U' },
      { quantity: '6', preLinePeriodQuantity: '4', correlationId: 'U' },
      undefined,
    ]);
  });

  it('volume tiers cannot be split (§7.1)', () => {
    const price: Price = { type: 'tiered', mode: 'volume', tiers: [{ unitPrice: { type: 'unit', amount: '1' } }] };
    expect(errorCode(() => rateSplitGroup(price, ['5', '5']))).toBe('invoice_line_graduated_split_not_supported');
  });

  it('flat in advance bills on the first child, in arrears on the last', () => {
    expect(totalsOf(rateSplitGroup({ type: 'flat', amount: '10' }, ['1', '1', '1']))).toEqual(['10', '0', '0']);
    expect(totalsOf(rateSplitGroup({ type: 'flat', amount: '10', paymentTerm: 'in_arrears' }, ['1', '1', '1']))).toEqual(['0', '0', '10']);
  });
});

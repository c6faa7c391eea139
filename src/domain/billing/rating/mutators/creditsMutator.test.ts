import { describe, expect, it } from 'vitest';
import type { Discounts, Price } from '../../../catalog/types.ts';
import { errorCode, rate, rows, type LineRow } from '../testSupport.ts';
import type { CreditApplied } from '../types.ts';

// The real table (`rating/service/mutator/credits_test.go`): graduated, tier 1 (0,5] flat 100,
// tier 2 (5,10] flat 50, tier 3 1/unit. At 10 units: flat t1 100, flat t2 50 (no unit prices).
const tiers = (minimumAmount?: string): Price => ({
  type: 'tiered',
  mode: 'graduated',
  ...(minimumAmount ? { minimumAmount } : {}),
  tiers: [
    { upToAmount: '5', flatPrice: { type: 'flat', amount: '100' } },
    { upToAmount: '10', flatPrice: { type: 'flat', amount: '50' } },
    { unitPrice: { type: 'unit', amount: '1' } },
  ],
});
const credit = (amount: string, description = 'c1'): CreditApplied => ({ amount, description });

describe('creditsMutator (last step: after discounts and commitments)', () => {
  const cases: { name: string; price: Price; qty: string; credits: CreditApplied[]; discounts?: Discounts; lines: LineRow[]; total: string }[] = [
    { name: 'paid fully in credits', price: tiers(), qty: '10', credits: [credit('150')],
      lines: [
        { ref: 'graduated-tiered-1-flat-price', amount: '100', credits: '100', total: '0' }, // 150 → 100 here, 50 left
        { ref: 'graduated-tiered-2-flat-price', amount: '50', credits: '50', total: '0' }, // 50 → 50, 0 left
      ], total: '0' },
    { name: 'credit runs out: later lines still charge', price: tiers(), qty: '15', credits: [credit('150')],
      lines: [
        { ref: 'graduated-tiered-1-flat-price', amount: '100', credits: '100', total: '0' },
        { ref: 'graduated-tiered-2-flat-price', amount: '50', credits: '50', total: '0' },
        { ref: 'graduated-tiered-3-price-usage', amount: '5', credits: '0', total: '5' }, // 5 × 1; no credit left
      ], total: '5' },
    { name: 'paid partially', price: tiers(), qty: '10', credits: [credit('125')],
      lines: [
        { ref: 'graduated-tiered-1-flat-price', amount: '100', credits: '100', total: '0' }, // 125 → 100, 25 left
        { ref: 'graduated-tiered-2-flat-price', amount: '50', credits: '25', total: '25' }, // 50 − 25 = 25
      ], total: '25' },
    { name: 'the minimum-spend top-up is paid by credit too', price: tiers('200'), qty: '10', credits: [credit('175')],
      lines: [
        { ref: 'graduated-tiered-1-flat-price', amount: '100', credits: '100', total: '0' }, // 175 → 100, 75 left
        { ref: 'graduated-tiered-2-flat-price', amount: '50', credits: '50', total: '0' }, // 75 → 50, 25 left
        { ref: 'min-spend', amount: '50', credits: '25', total: '25' }, // top-up 200 − 150 = 50; 50 − 25 = 25
      ], total: '25' },
    { name: 'after the percentage discount: credit pays the discounted total', price: { type: 'unit', amount: '1' }, qty: '100',
      discounts: { percentage: { percentage: 10, correlationId: 'P' } }, credits: [credit('90')],
      lines: [{ ref: 'unit-price-usage', amount: '100', discounts: '10', credits: '90', total: '0' }], total: '0' }, // 100 − 10% = 90; 90 − 90 = 0
    { name: 'after the maximum spend: credit pays the capped total', price: { type: 'unit', amount: '1', maximumAmount: '60' }, qty: '100',
      credits: [credit('60')],
      lines: [{ ref: 'unit-price-usage', amount: '100', discounts: '40', credits: '60', total: '0' }], total: '0' }, // capped 100 − 40 = 60; 60 − 60 = 0
    { name: 'flat price: after the percentage discount', price: { type: 'flat', amount: '20' }, qty: '0',
      discounts: { percentage: { percentage: 50, correlationId: 'P' } }, credits: [credit('10')],
      lines: [{ ref: 'flat-price', amount: '20', discounts: '10', credits: '10', total: '0' }], total: '0' }, // 20 × 50% = 10 off; 10 − 10 = 0
    { name: 'credit amounts are rounded to the currency first', price: { type: 'unit', amount: '1' }, qty: '10', credits: [credit('2.345')],
      lines: [{ ref: 'unit-price-usage', amount: '10', credits: '2.35', total: '7.65' }], total: '7.65' }, // round(2.345) = 2.35; 10 − 2.35
  ];
  it.each(cases)('$name', (c) => {
    const r = rate(c.price, { quantity: c.qty, creditsApplied: c.credits, ...(c.discounts ? { discounts: c.discounts } : {}) });
    const [actual, expected] = rows(r, c.lines);
    expect(actual).toEqual(expected);
    expect(r.totals.total).toBe(c.total);
  });

  it('several credits are consumed in order, each carrying its own description', () => {
    const r = rate(tiers(), { quantity: '10', creditsApplied: [credit('75', 'promo'), { amount: '75', description: 'prepaid', creditRealizationId: 'R2' }] });
    expect(r.detailedLines.map((l) => l.creditsApplied)).toEqual([
      [{ amount: '75', description: 'promo' }, { amount: '25', description: 'prepaid', creditRealizationId: 'R2' }], // 100 = 75 + 25
      [{ amount: '50', description: 'prepaid', creditRealizationId: 'R2' }], // 75 − 25 = 50 left for the 50 line
    ]);
    expect(r.totals).toMatchObject({ amount: '150', creditsTotal: '150', total: '0' }); // 100 + 50 − 150
  });

  it('lines that charge nothing are skipped', () => {
    // 100% off the only line: its total is 0, so the credit has nowhere to go
    const r = () => rate({ type: 'unit', amount: '1' }, { quantity: '10', discounts: { percentage: { percentage: 100, correlationId: 'P' } }, creditsApplied: [credit('1')] });
    expect(errorCode(r)).toBe('invoice_line_credits_not_consumed_fully');
  });

  it('left-over credit is a critical validation issue, never a negative total', () => {
    // 100 + 50 = 150 < 300
    let err: unknown;
    try {
      rate(tiers(), { quantity: '10', creditsApplied: [credit('300')] });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      kind: 'validation',
      code: 'invoice_line_credits_not_consumed_fully',
      message: 'credits not consumed fully',
      issues: [{ code: 'invoice_line_credits_not_consumed_fully', severity: 'critical' }],
    });
  });

  it.each([['0', 'rating_credit_amount_not_positive'], ['-5', 'rating_credit_amount_not_positive'], ['ten', 'rating_invalid_decimal']])(
    'refuses a credit of %s',
    (amount, code) => {
      expect(errorCode(() => rate({ type: 'unit', amount: '1' }, { quantity: '10', creditsApplied: [credit(amount)] }))).toBe(code);
    },
  );
});

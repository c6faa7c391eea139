import type { Price } from '../../catalog/types.ts';
import { rateLine } from './rateLine.ts';
import type { DetailedLine, RatingInput, RatingResult } from './types.ts';

export const JAN = { from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z' };

/** A non-split line with zero usage; tests override what they exercise. */
export const input = (price: Price, over: Partial<RatingInput> = {}): RatingInput => ({
  lineName: 'api',
  currency: 'USD',
  price,
  quantity: '0',
  preLinePeriodQuantity: '0',
  isFirstInPeriod: true,
  isLastInPeriod: true,
  previouslyBilledAmount: '0',
  period: JAN,
  ...over,
});

export const rate = (price: Price, over: Partial<RatingInput> = {}): RatingResult => rateLine(input(price, over));

/** The fields a pricing table cares about, so one row reads like one invoice line. */
export interface LineRow {
  ref: string;
  name?: string;
  qty?: string;
  unit?: string;
  /** `amount` for regular lines, `chargesTotal` for commitment lines */
  amount?: string;
  discounts?: string;
  credits?: string;
  total?: string;
}

export const row = (l: DetailedLine): Required<LineRow> => ({
  ref: l.childUniqueReferenceId,
  name: l.name,
  qty: l.quantity,
  unit: l.perUnitAmount,
  amount: l.category === 'commitment' ? l.totals.chargesTotal : l.totals.amount,
  discounts: l.totals.discountsTotal,
  credits: l.totals.creditsTotal,
  total: l.totals.total,
});

/** Compares only the fields each expected row spells out. */
export const rows = (r: RatingResult, expected: LineRow[]): [Partial<LineRow>[], LineRow[]] => [
  r.detailedLines.map((l, i) => {
    const full = row(l);
    const want = expected[i];
    if (!want) return full;
    const out: Partial<LineRow> = {};
    for (const k of Object.keys(want) as (keyof LineRow)[]) out[k] = full[k];
    return out;
  }),
  expected,
];

export const errorCode = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

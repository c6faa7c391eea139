import { D, dec, roundMoney, toDecimalString, type Dec } from '../../shared/money.ts';
import type { PaymentTerm } from '../../catalog/types.ts';
import { DetailedLineCategory, type DetailedLine, type DraftDetailedLine, type Totals } from './types.ts';

export const regularLine = (l: {
  name: string;
  childUniqueReferenceId: string;
  quantity: Dec;
  perUnitAmount: Dec;
  paymentTerm: PaymentTerm;
}): DraftDetailedLine => ({
  name: l.name,
  childUniqueReferenceId: l.childUniqueReferenceId,
  quantity: toDecimalString(l.quantity),
  perUnitAmount: toDecimalString(l.perUnitAmount),
  paymentTerm: l.paymentTerm,
  category: DetailedLineCategory.regular,
  amountDiscounts: [],
  creditsApplied: [],
});

interface DecTotals {
  amount: Dec;
  chargesTotal: Dec;
  discountsTotal: Dec;
  creditsTotal: Dec;
  taxesInclusiveTotal: Dec;
  taxesExclusiveTotal: Dec;
  taxesTotal: Dec;
  total: Dec;
}

const ZERO = new D(0);
const sum = (xs: Dec[]): Dec => xs.reduce((a, b) => a.add(b), new D(0));

/** OpenMeter billing/rating/service/detailedline.go: each component rounded on its own, then combined. Taxes are always 0 here. */
const detailedTotals = (line: DraftDetailedLine, currency: string): DecTotals => {
  const x = roundMoney(dec(line.perUnitAmount).mul(dec(line.quantity)), currency);
  const isCommitment = line.category === DetailedLineCategory.commitment;
  const amount = isCommitment ? ZERO : x;
  const chargesTotal = isCommitment ? x : ZERO;
  // (Decimals are immutable: the shared zero is safe to hand out)
  const discountsTotal = line.amountDiscounts.length ? roundMoney(sum(line.amountDiscounts.map((d) => roundMoney(d.amount, currency))), currency) : ZERO;
  const creditsTotal = line.creditsApplied.length ? roundMoney(sum(line.creditsApplied.map((c) => roundMoney(c.amount, currency))), currency) : ZERO;
  const taxesInclusiveTotal = ZERO;
  const taxesExclusiveTotal = ZERO;
  const total = roundMoney(amount.add(chargesTotal).add(taxesExclusiveTotal).sub(discountsTotal).sub(creditsTotal), currency);
  return {
    amount,
    chargesTotal,
    discountsTotal,
    creditsTotal,
    taxesInclusiveTotal,
    taxesExclusiveTotal,
    taxesTotal: taxesInclusiveTotal.add(taxesExclusiveTotal),
    total,
  };
};

/** What the line still charges after the discounts/credits applied so far (mutators build on it). */
export const lineTotal = (line: DraftDetailedLine, currency: string): Dec => detailedTotals(line, currency).total;

const toTotals = (t: DecTotals): Totals => ({
  amount: toDecimalString(t.amount),
  chargesTotal: toDecimalString(t.chargesTotal),
  discountsTotal: toDecimalString(t.discountsTotal),
  creditsTotal: toDecimalString(t.creditsTotal),
  taxesInclusiveTotal: toDecimalString(t.taxesInclusiveTotal),
  taxesExclusiveTotal: toDecimalString(t.taxesExclusiveTotal),
  taxesTotal: toDecimalString(t.taxesTotal),
  total: toDecimalString(t.total),
});

export const finalizeDetailedLine = (line: DraftDetailedLine, currency: string): DetailedLine => ({
  ...line,
  totals: toTotals(detailedTotals(line, currency)),
});

const TOTAL_FIELDS = [
  'amount',
  'chargesTotal',
  'discountsTotal',
  'creditsTotal',
  'taxesInclusiveTotal',
  'taxesExclusiveTotal',
  'taxesTotal',
  'total',
] as const satisfies readonly (keyof Totals)[];

/** Parent-line totals: field-wise Σ of the detailed totals, each field rounded (OpenMeter billing/rating/service/detailedline.go). */
export const sumTotals = (all: Totals[], currency: string): Totals => {
  const out = {} as Totals;
  for (const f of TOTAL_FIELDS) {
    // most fields of most lines are "0" (no discounts, credits or taxes): only the others are summed
    let acc: Dec | undefined;
    for (const t of all) {
      const v = t[f];
      if (v === undefined || v === '0') continue;
      acc = (acc ?? ZERO).add(v);
    }
    out[f] = acc === undefined ? '0' : toDecimalString(roundMoney(acc, currency));
  }
  return out;
};

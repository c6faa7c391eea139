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
  total: Dec;
}

// (Decimals are immutable: the shared zero is safe to hand out; identity with it marks "nothing")
const ZERO = new D(0);
const sum = (xs: Dec[]): Dec => xs.reduce((a, b) => a.add(b), new D(0));

/**
 * round(perUnitAmount × quantity). Both are canonical strings (regularLine, the minimum-spend
 * line); a zero factor and quantity 1 skip the product, which could only differ in the sign of a
 * zero (never printed: toDecimalString writes "0") or, past 60 significant digits, in rounding.
 */
const charge = (line: DraftDetailedLine, currency: string): Dec => {
  const { quantity: q, perUnitAmount: p } = line;
  if (q === '0' || p === '0') return ZERO;
  if (q === '1' && p.length <= 60) return roundMoney(dec(p), currency);
  return roundMoney(dec(p).mul(dec(q)), currency);
};

/**
 * OpenMeter billing/rating/service/detailedline.go: each component rounded on its own, then
 * combined. Taxes are always 0 here. Without discounts and credits the total is the rounded
 * charge itself (rounding a rounded value changes nothing).
 */
const detailedTotals = (line: DraftDetailedLine, currency: string): DecTotals => {
  const x = charge(line, currency);
  const isCommitment = line.category === DetailedLineCategory.commitment;
  const amount = isCommitment ? ZERO : x;
  const chargesTotal = isCommitment ? x : ZERO;
  const discountsTotal = line.amountDiscounts.length ? roundMoney(sum(line.amountDiscounts.map((d) => roundMoney(d.amount, currency))), currency) : ZERO;
  const creditsTotal = line.creditsApplied.length ? roundMoney(sum(line.creditsApplied.map((c) => roundMoney(c.amount, currency))), currency) : ZERO;
  const total =
    discountsTotal === ZERO && creditsTotal === ZERO ? x : roundMoney(amount.add(chargesTotal).sub(discountsTotal).sub(creditsTotal), currency);
  return { amount, chargesTotal, discountsTotal, creditsTotal, total };
};

/** What the line still charges after the discounts/credits applied so far (mutators build on it). */
export const lineTotal = (line: DraftDetailedLine, currency: string): Dec => detailedTotals(line, currency).total;

const str = (d: Dec): string => (d === ZERO ? '0' : toDecimalString(d));

const toTotals = (t: DecTotals): Totals => {
  const amount = str(t.amount);
  return {
    amount,
    chargesTotal: str(t.chargesTotal),
    discountsTotal: str(t.discountsTotal),
    creditsTotal: str(t.creditsTotal),
    taxesInclusiveTotal: '0',
    taxesExclusiveTotal: '0',
    taxesTotal: '0',
    total: t.total === t.amount ? amount : str(t.total),
  };
};

/** the fields withTotals copies; a field added to DetailedLine makes its return type `never` until it is copied too */
type Copied = 'name' | 'childUniqueReferenceId' | 'quantity' | 'perUnitAmount' | 'paymentTerm' | 'category' | 'period' | 'amountDiscounts' | 'creditsApplied' | 'totals';
type EveryFieldCopied = [Exclude<keyof DetailedLine, Copied>] extends [never] ? DetailedLine : never;

/**
 * The line with its totals, as `{ ...line, totals }` would give it (same keys, same order), built
 * field by field: on Node 20 a key added after a spread (`{ ...o, newKey }`) measured about a
 * microsecond per object, listing the fields a few dozen nanoseconds. Lines come
 * from regularLine (no period) or the minimum-spend step (period after category); the mutators
 * replace fields in place, so these two orders are the only ones.
 */
const withTotals = (l: DraftDetailedLine, totals: Totals): EveryFieldCopied =>
  'period' in l
    ? {
        name: l.name,
        childUniqueReferenceId: l.childUniqueReferenceId,
        quantity: l.quantity,
        perUnitAmount: l.perUnitAmount,
        paymentTerm: l.paymentTerm,
        category: l.category,
        period: l.period,
        amountDiscounts: l.amountDiscounts,
        creditsApplied: l.creditsApplied,
        totals,
      }
    : {
        name: l.name,
        childUniqueReferenceId: l.childUniqueReferenceId,
        quantity: l.quantity,
        perUnitAmount: l.perUnitAmount,
        paymentTerm: l.paymentTerm,
        category: l.category,
        amountDiscounts: l.amountDiscounts,
        creditsApplied: l.creditsApplied,
        totals,
      };

/**
 * The detailed lines with their totals and the parent line's totals (what `sumTotals` of the
 * detailed totals gives), summed from the Decimals rather than re-parsed from the strings. One
 * detailed line is its own sum: its fields are already rounded canonical strings.
 */
export const finalizeDetailedLines = (lines: DraftDetailedLine[], currency: string): { detailedLines: DetailedLine[]; totals: Totals } => {
  if (lines.length === 0) return { detailedLines: [], totals: zeroTotals() };
  if (lines.length === 1) {
    const line = lines[0]!;
    const totals = toTotals(detailedTotals(line, currency));
    return { detailedLines: [withTotals(line, totals)], totals: { ...totals } };
  }
  const detailedLines: DetailedLine[] = [];
  let amount: Dec | undefined, chargesTotal: Dec | undefined, discountsTotal: Dec | undefined, creditsTotal: Dec | undefined, total: Dec | undefined;
  // zeros are skipped, as sumTotals skips "0"
  const add = (acc: Dec | undefined, v: Dec): Dec | undefined => (v.isZero() ? acc : (acc ?? ZERO).add(v));
  for (const line of lines) {
    const t = detailedTotals(line, currency);
    detailedLines.push(withTotals(line, toTotals(t)));
    amount = add(amount, t.amount);
    chargesTotal = add(chargesTotal, t.chargesTotal);
    discountsTotal = add(discountsTotal, t.discountsTotal);
    creditsTotal = add(creditsTotal, t.creditsTotal);
    total = add(total, t.total);
  }
  const field = (acc: Dec | undefined): string => (acc === undefined ? '0' : toDecimalString(roundMoney(acc, currency)));
  return {
    detailedLines,
    totals: {
      amount: field(amount),
      chargesTotal: field(chargesTotal),
      discountsTotal: field(discountsTotal),
      creditsTotal: field(creditsTotal),
      taxesInclusiveTotal: '0',
      taxesExclusiveTotal: '0',
      taxesTotal: '0',
      total: field(total),
    },
  };
};

export const zeroTotals = (): Totals => ({
  amount: '0',
  chargesTotal: '0',
  discountsTotal: '0',
  creditsTotal: '0',
  taxesInclusiveTotal: '0',
  taxesExclusiveTotal: '0',
  taxesTotal: '0',
  total: '0',
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
      // through dec's parse cache; up to 60 characters a value has at most 60 significant digits,
      // so the first sum (0 + v) would be v itself: one nonzero value needs no arithmetic at all
      acc = acc !== undefined ? acc.add(dec(v)) : typeof v === 'string' && v.length <= 60 ? dec(v) : ZERO.add(v);
    }
    out[f] = acc === undefined ? '0' : toDecimalString(roundMoney(acc, currency));
  }
  return out;
};

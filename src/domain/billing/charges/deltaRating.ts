/**
 * Delta rating of usage-based charges (konnect-billing.md §5.1; OpenMeter's
 * charges/usagebased/service/rating/delta): rate the cumulative usage of the service period up
 * to the run's end, subtract every line already booked for the charge, and book only the
 * difference on the run's period. A line whose per-unit amount changed is repriced: the booked
 * line is reversed and the new one booked whole. Pure.
 */
import type { Discounts, Price } from '../../catalog/types.ts';
import { D, dec, roundMoney, toDecimalString, type Dec } from '../../shared/money.ts';
import { rateLine } from '../rating/rateLine.ts';
import { DetailedLineCategory, type DetailedLine, type RatingPeriod } from '../rating/types.ts';

/** A booked (or to-be-booked) detailed line of a charge run. Decimal strings; credits excluded. */
export interface ChargeLine {
  name: string;
  /** the pricer's child reference; reversals add `#correction:detailed_line_id=<id>` */
  childUniqueReferenceId: string;
  /** the pricer's reference the arithmetic matches on */
  pricerReferenceId: string;
  category: DetailedLineCategory;
  quantity: string;
  perUnitAmount: string;
  /** gross amount of a regular line (0 for commitments) */
  amount: string;
  /** commitment top-up (minimum spend) */
  chargesTotal: string;
  discountsTotal: string;
  /** amount + chargesTotal − discountsTotal */
  total: string;
  /** set once stored: the id reversals point at */
  id?: string;
}

export interface DeltaInput {
  lineName: string;
  currency: string;
  price: Price;
  discounts?: Discounts;
  /** the charge's service period; the snapshot covers [servicePeriod.from, runEnd) */
  servicePeriod: RatingPeriod;
  /** metered quantity over [servicePeriod.from, runEnd) */
  cumulativeQuantity: string;
  /** false while the run ends before the service period end: minimum commitment is ignored */
  isFinal: boolean;
  /** every line earlier runs booked */
  booked: readonly ChargeLine[];
}

/** The cumulative state as billing rating produces it, without credits. */
export function rateCumulative(input: Omit<DeltaInput, 'booked'>): ChargeLine[] {
  const r = rateLine({
    lineName: input.lineName,
    currency: input.currency,
    price: input.price,
    ...(input.discounts ? { discounts: input.discounts } : {}),
    quantity: input.cumulativeQuantity,
    preLinePeriodQuantity: '0',
    isFirstInPeriod: true,
    isLastInPeriod: true,
    previouslyBilledAmount: '0',
    period: input.servicePeriod,
    ignoreMinimumCommitment: !input.isFinal,
  });
  return r.detailedLines.map(fromDetailedLine);
}

export function deltaRate(input: DeltaInput): ChargeLine[] {
  const current = rateCumulative(input);
  const out: ChargeLine[] = [];
  const remaining = [...input.booked];
  for (const line of current) {
    // already booked with the same reference and per-unit amount: only the difference
    const same = remaining.filter((b) => b.pricerReferenceId === line.pricerReferenceId && dec(b.perUnitAmount).eq(line.perUnitAmount));
    for (const b of same) remaining.splice(remaining.indexOf(b), 1);
    const diff = same.reduce((acc, b) => subtract(acc, b), line);
    if (!isZeroLine(diff)) out.push(diff);
  }
  // booked components the current snapshot no longer has (or has at another price): reversed
  const net = new Map<string, ChargeLine>();
  for (const b of remaining) {
    const key = `${b.pricerReferenceId}|${dec(b.perUnitAmount).toString()}`;
    const prev = net.get(key);
    net.set(key, prev ? add(prev, b) : b);
  }
  for (const b of net.values()) {
    if (isZeroLine(b)) continue;
    out.push({ ...negate(b), childUniqueReferenceId: `${b.pricerReferenceId}#correction:detailed_line_id=${b.id ?? b.childUniqueReferenceId}` });
  }
  return out.map(({ id: _id, ...l }) => l);
}

/** Σ of lines (what a run books, before credits). */
export function sumLines(lines: readonly ChargeLine[], currency: string): { amount: Dec; chargesTotal: Dec; discountsTotal: Dec; total: Dec } {
  const z = { amount: dec(0), chargesTotal: dec(0), discountsTotal: dec(0), total: dec(0) };
  for (const l of lines) {
    z.amount = z.amount.plus(l.amount);
    z.chargesTotal = z.chargesTotal.plus(l.chargesTotal);
    z.discountsTotal = z.discountsTotal.plus(l.discountsTotal);
    z.total = z.total.plus(l.total);
  }
  return {
    amount: roundMoney(z.amount, currency),
    chargesTotal: roundMoney(z.chargesTotal, currency),
    discountsTotal: roundMoney(z.discountsTotal, currency),
    total: roundMoney(z.total, currency),
  };
}

function fromDetailedLine(l: DetailedLine): ChargeLine {
  return {
    name: l.name,
    childUniqueReferenceId: l.childUniqueReferenceId,
    pricerReferenceId: l.childUniqueReferenceId,
    category: l.category,
    quantity: l.quantity,
    perUnitAmount: l.perUnitAmount,
    amount: l.totals.amount,
    chargesTotal: l.totals.chargesTotal,
    discountsTotal: l.totals.discountsTotal,
    total: toDecimalString(dec(l.totals.amount).plus(l.totals.chargesTotal).minus(l.totals.discountsTotal)),
  };
}

const combine = (a: ChargeLine, b: ChargeLine, sign: 1 | -1): ChargeLine => ({
  ...a,
  quantity: toDecimalString(dec(a.quantity).plus(dec(b.quantity).times(sign))),
  amount: toDecimalString(dec(a.amount).plus(dec(b.amount).times(sign))),
  chargesTotal: toDecimalString(dec(a.chargesTotal).plus(dec(b.chargesTotal).times(sign))),
  discountsTotal: toDecimalString(dec(a.discountsTotal).plus(dec(b.discountsTotal).times(sign))),
  total: toDecimalString(dec(a.total).plus(dec(b.total).times(sign))),
});
const subtract = (a: ChargeLine, b: ChargeLine): ChargeLine => combine(a, b, -1);
const add = (a: ChargeLine, b: ChargeLine): ChargeLine => combine(a, b, 1);
const negate = (a: ChargeLine): ChargeLine => ({
  ...a,
  quantity: toDecimalString(dec(a.quantity).neg()),
  amount: toDecimalString(dec(a.amount).neg()),
  chargesTotal: toDecimalString(dec(a.chargesTotal).neg()),
  discountsTotal: toDecimalString(dec(a.discountsTotal).neg()),
  total: toDecimalString(dec(a.total).neg()),
});
const isZeroLine = (l: ChargeLine): boolean =>
  dec(l.quantity).isZero() && dec(l.amount).isZero() && dec(l.chargesTotal).isZero() && dec(l.discountsTotal).isZero() && D.abs(dec(l.total)).isZero();

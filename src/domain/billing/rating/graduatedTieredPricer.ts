import { dec, ONE, ZERO, type Dec } from '../../shared/money.ts';
import { PaymentTerm, type PriceTier, type TieredPrice } from '../../catalog/types.ts';
import { regularLine } from './detailedLine.ts';
import { graduatedTierFlatRef, graduatedTierUsageRef } from './childReferenceIds.ts';
import { sortedTiers } from './tiers.ts';
import type { DraftDetailedLine } from './types.ts';
import type { Pricer } from './pricer.ts';

/** A quantity range `(from, to]` inside one tier. */
export interface TierRange {
  tier: PriceTier;
  /** 0-based */
  tierIndex: number;
  from: Dec;
  to: Dec;
  /** the range starts where the tier starts, i.e. this range crosses into the tier */
  atTierBoundary: boolean;
}

/**
 * The tier ranges of `(fromQty, toQty]` (rate/tieredgraduated.go TieredPriceCalculator): tier
 * ranges up to toQty, split at fromQty, keeping the ranges from fromQty on until one reaches toQty.
 */
export const graduatedRanges = (price: TieredPrice, fromQty: Dec, toQty: Dec): TierRange[] => {
  const tiers = sortedTiers(price);
  // Zero usage still "enters" tier 1: its flat fee (and a 0-qty unit line) are billed.
  if (toQty.isZero()) {
    const first = tiers[0];
    return first ? [{ tier: first.tier, tierIndex: 0, from: ZERO, to: ZERO, atTierBoundary: true }] : [];
  }
  let ranges: TierRange[] = [];
  let prev: Dec = ZERO;
  for (let tierIndex = 0; tierIndex < tiers.length; tierIndex++) {
    const t = tiers[tierIndex]!;
    if (prev.gte(toQty)) break;
    const end = t.upTo === null || toQty.lt(t.upTo) ? toQty : t.upTo;
    ranges.push({ tier: t.tier, tierIndex, from: prev, to: end, atTierBoundary: true });
    if (end.eq(toQty)) break;
    prev = end;
  }
  if (!fromQty.isZero()) {
    ranges = ranges.flatMap((r) =>
      r.from.lt(fromQty) && fromQty.lt(r.to)
        ? [
            { ...r, to: fromQty },
            { ...r, from: fromQty, atTierBoundary: false },
          ]
        : [r],
    );
  }
  const out: TierRange[] = [];
  for (const r of ranges) {
    if (r.from.lt(fromQty)) continue;
    out.push(r);
    if (r.to.gte(toQty)) break;
  }
  return out;
};

/**
 * Each unit is priced by the tier it falls into; a split child prices the units
 * `(pre, pre + qty]`. A tier's flat fee is billed by the line whose range crosses into it; tier
 * 1's fee belongs to the first line of the period (§7.2).
 */
export const graduatedTieredPricer: Pricer<TieredPrice> = {
  rate({ lineName, price, quantity, preLinePeriodQuantity, isFirstInPeriod }) {
    const out: DraftDetailedLine[] = [];
    const toQty = preLinePeriodQuantity.add(quantity);
    for (const r of graduatedRanges(price, preLinePeriodQuantity, toQty)) {
      const n = r.tierIndex + 1;
      if (r.tier.unitPrice) {
        out.push(
          regularLine({
            name: `${lineName}: usage price for tier ${n}`,
            childUniqueReferenceId: graduatedTierUsageRef(n),
            quantity: r.to.sub(r.from),
            perUnitAmount: dec(r.tier.unitPrice.amount),
            paymentTerm: PaymentTerm.inArrears,
          }),
        );
      }
      if (r.tier.flatPrice && r.atTierBoundary && !(r.tierIndex === 0 && !isFirstInPeriod)) {
        out.push(
          regularLine({
            name: `${lineName}: flat price for tier ${n}`,
            childUniqueReferenceId: graduatedTierFlatRef(n),
            quantity: ONE,
            perUnitAmount: dec(r.tier.flatPrice.amount),
            paymentTerm: PaymentTerm.inArrears,
          }),
        );
      }
    }
    return out;
  },
};

import { dec, ONE } from '../../shared/money.ts';
import { PaymentTerm, type TieredPrice } from '../../catalog/types.ts';
import { validationError } from '../../shared/errors.ts';
import { regularLine } from './detailedLine.ts';
import { ChildReferenceId } from './childReferenceIds.ts';
import { RatingErrorCode } from './errors.ts';
import { sortedTiers } from './tiers.ts';
import type { DraftDetailedLine } from './types.ts';
import type { Pricer } from './pricer.ts';

/**
 * The whole period's usage is priced by the single tier it falls into, so a volume line can only
 * be rated once, on the last line of its period, and never with pre-line usage (§7.1).
 */
export const volumeTieredPricer: Pricer<TieredPrice> = {
  rate({ lineName, price, quantity, preLinePeriodQuantity, isLastInPeriod }) {
    if (!preLinePeriodQuantity.isZero()) {
      throw validationError(
        RatingErrorCode.volumeSplitNotSupported,
        'volume tiered prices cannot be billed progressively (the line has pre-line-period usage)',
      );
    }
    if (!isLastInPeriod) return [];
    const tiers = sortedTiers(price);
    // Zero usage falls into tier 1, whose flat fee is still billed.
    const idx = tiers.findIndex((t) => t.upTo === null || quantity.lte(t.upTo));
    const found = tiers[idx];
    if (!found) return [];
    const n = idx + 1;
    const out: DraftDetailedLine[] = [];
    if (found.tier.flatPrice) {
      out.push(
        regularLine({
          name: `${lineName}: flat price for tier ${n}`,
          childUniqueReferenceId: ChildReferenceId.volumeFlatPrice,
          quantity: ONE,
          perUnitAmount: dec(found.tier.flatPrice.amount),
          paymentTerm: PaymentTerm.inArrears,
        }),
      );
    }
    if (found.tier.unitPrice && !quantity.isZero()) {
      out.push(
        regularLine({
          name: `${lineName}: unit price for tier ${n}`,
          childUniqueReferenceId: ChildReferenceId.volumeTieredPrice,
          quantity,
          perUnitAmount: dec(found.tier.unitPrice.amount),
          paymentTerm: PaymentTerm.inArrears,
        }),
      );
    }
    return out;
  },
};

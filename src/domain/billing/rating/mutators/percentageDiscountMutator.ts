import { dec, roundMoney, toDecimalString } from '../../../shared/money.ts';
import { validationError } from '../../../shared/errors.ts';
import { lineTotal } from '../detailedLine.ts';
import { rateCardDiscountRef } from '../childReferenceIds.ts';
import { RatingErrorCode } from '../errors.ts';
import { AmountDiscountReason } from '../types.ts';
import type { PostMutator } from './mutator.ts';

/**
 * Rounded per detailed line (§7.7): three lines of 0.67 at 50% give 3 × 0.34 = 1.02 off, not
 * round(2.01 × 50%) = 1.01. It runs before maximum spend and never sees the minimum-spend line.
 */
export const percentageDiscountMutator: PostMutator = {
  name: 'percentage_discount',
  mutate(ctx, lines) {
    const discount = ctx.discounts.percentage;
    if (!discount) return lines;
    const correlationId = ctx.percentageCorrelationId;
    if (!correlationId) {
      throw validationError(RatingErrorCode.discountCorrelationIdMissing, 'percentage discount has no correlation id');
    }
    const pct = dec(discount.percentage);
    return lines.map((line) => ({
      ...line,
      amountDiscounts: [
        ...line.amountDiscounts,
        {
          amount: toDecimalString(roundMoney(lineTotal(line, ctx.currency).mul(pct).div(100), ctx.currency)),
          reason: AmountDiscountReason.ratecardPercentage,
          childUniqueReferenceId: rateCardDiscountRef(correlationId),
          correlationId,
        },
      ],
    }));
  },
};

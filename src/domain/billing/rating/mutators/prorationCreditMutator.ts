import { roundMoney, toDecimalString } from '../../../shared/money.ts';
import { ChildReferenceId } from '../childReferenceIds.ts';
import { lineTotal } from '../detailedLine.ts';
import { AmountDiscountReason } from '../types.ts';
import type { PostMutator } from './mutator.ts';

/**
 * A plan change's proration credit (Zuplo's fork, decision 0032): an amount discount of reason
 * `proration_credit` on the line's detailed lines, in order, each taking at most what it still
 * charges. The invoice service allocates no more than the line is worth, so nothing is left over;
 * what a line cannot take stays with the credit for the subscription's next in-advance line.
 */
export const prorationCreditMutator: PostMutator = {
  name: 'proration_credit',
  mutate(ctx, lines) {
    const credit = ctx.prorationCredit;
    if (!credit) return lines;
    let left = roundMoney(credit.amount, ctx.currency);
    return lines.map((line) => {
      const total = lineTotal(line, ctx.currency);
      if (!left.gt(0) || !total.gt(0)) return line;
      const take = total.lte(left) ? total : left;
      left = roundMoney(left.sub(take), ctx.currency);
      return {
        ...line,
        amountDiscounts: [
          ...line.amountDiscounts,
          {
            amount: toDecimalString(take),
            reason: AmountDiscountReason.prorationCredit,
            childUniqueReferenceId: ChildReferenceId.prorationCreditDiscount,
            previousSubscriptionId: credit.previousSubscriptionId,
            maxPercentage: credit.maxPercentage,
          },
        ],
      };
    });
  },
};

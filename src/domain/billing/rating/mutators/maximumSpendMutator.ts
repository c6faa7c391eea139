import { roundMoney, toDecimalString } from '../../../shared/money.ts';
import { lineTotal } from '../detailedLine.ts';
import { ChildReferenceId } from '../childReferenceIds.ts';
import { AmountDiscountReason } from '../types.ts';
import type { PostMutator } from './mutator.ts';

/**
 * Caps what the split group charges across invoices (§1.4). "Already billed" starts at the
 * previously billed *gross* amount of earlier siblings (§1.6, §7.5) and grows by each detailed
 * line's post-discount total in order; once the cap is reached every further line is 100% off.
 */
export const maximumSpendMutator: PostMutator = {
  name: 'maximum_spend',
  mutate(ctx, lines) {
    if (ctx.price.type === 'flat' || ctx.price.maximumAmount === undefined) return lines;
    const max = roundMoney(ctx.price.maximumAmount, ctx.currency);
    let billed = ctx.previouslyBilledAmount;
    return lines.map((line) => {
      const total = lineTotal(line, ctx.currency);
      if (billed.add(total).lte(max)) {
        billed = billed.add(total);
        return line;
      }
      const discount = billed.gte(max) ? total : billed.add(total).sub(max);
      billed = billed.add(total).sub(discount);
      return {
        ...line,
        amountDiscounts: [
          ...line.amountDiscounts,
          {
            amount: toDecimalString(discount),
            reason: AmountDiscountReason.maximumSpend,
            description: `Maximum spend discount for charges over ${toDecimalString(max)}`,
            childUniqueReferenceId: ChildReferenceId.maximumSpendDiscount,
          },
        ],
      };
    });
  },
};

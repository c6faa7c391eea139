import { dec, roundMoney, toDecimalString, ZERO } from '../../../shared/money.ts';
import { PaymentTerm } from '../../../catalog/types.ts';
import { lineTotal } from '../detailedLine.ts';
import { ChildReferenceId } from '../childReferenceIds.ts';
import { DetailedLineCategory } from '../types.ts';
import type { PostMutator } from './mutator.ts';

/**
 * Tops the split group up to its commitment (§1.5, §7.6). Only the last line of the period knows
 * the final spend; the top-up is a `commitment` line (chargesTotal, not amount) covering the
 * whole group period, added after maximum spend so the cap never reduces it.
 */
export const minimumSpendMutator: PostMutator = {
  name: 'minimum_spend',
  mutate(ctx, lines) {
    if (!ctx.isLastInPeriod || ctx.price.type === 'flat' || ctx.price.minimumAmount === undefined) return lines;
    const spent = lines.reduce((acc, l) => acc.add(lineTotal(l, ctx.currency)), ZERO).add(ctx.previouslyBilledAmount);
    if (!spent.lt(dec(ctx.price.minimumAmount))) return lines;
    return [
      ...lines,
      {
        name: `${ctx.lineName}: minimum spend`,
        childUniqueReferenceId: ChildReferenceId.minimumSpend,
        quantity: '1',
        perUnitAmount: toDecimalString(roundMoney(dec(ctx.price.minimumAmount).sub(spent), ctx.currency)),
        paymentTerm: PaymentTerm.inArrears,
        category: DetailedLineCategory.commitment,
        period: { ...ctx.fullServicePeriod },
        amountDiscounts: [],
        creditsApplied: [],
      },
    ];
  },
};

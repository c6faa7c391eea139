import { D, dec, toDecimalString, type Dec } from '../../../shared/money.ts';
import type { PreMutator } from './mutator.ts';

const min = (a: Dec, b: Dec): Dec => (a.lt(b) ? a : b);
const nonNegative = (a: Dec): Dec => (a.isNegative() ? new D(0) : a);

/**
 * Free units (OpenMeter billing/rating/service/mutator/discountusage.go). They are consumed by the split group's earlier usage first, so a
 * later split child only gets what earlier children left; the discount never becomes an amount
 * discount, it lowers the quantity the pricer sees (§7.8).
 */
export const usageDiscountMutator: PreMutator = {
  name: 'usage_discount',
  mutate(ctx, usage) {
    const discount = ctx.discounts.usage;
    if (!discount) return usage;
    const free = dec(discount.quantity);
    const appliedPre = nonNegative(min(free, usage.preLinePeriodQuantity));
    const appliedCur = nonNegative(min(free.sub(appliedPre), usage.quantity));
    const next = {
      quantity: usage.quantity.sub(appliedCur),
      preLinePeriodQuantity: usage.preLinePeriodQuantity.sub(appliedPre),
    };
    if (!appliedCur.gt(0)) return next;
    return {
      ...next,
      usageDiscount: {
        quantity: toDecimalString(appliedCur),
        ...(appliedPre.isZero() ? {} : { preLinePeriodQuantity: toDecimalString(appliedPre) }),
        ...(ctx.usageCorrelationId ? { correlationId: ctx.usageCorrelationId } : {}),
      },
    };
  },
};

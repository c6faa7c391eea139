import { dec, ONE } from '../../shared/money.ts';
import { PaymentTerm, type FlatPrice } from '../../catalog/types.ts';
import { regularLine } from './detailedLine.ts';
import { ChildReferenceId } from './childReferenceIds.ts';
import type { Pricer } from './pricer.ts';

/**
 * In-advance fees are billed on the first line of the period, in-arrears fees on the last one, so
 * a (hypothetically) split flat line never bills twice. No payment term means in_advance (§7.1).
 */
export const flatPricer: Pricer<FlatPrice> = {
  rate({ lineName, price, isFirstInPeriod, isLastInPeriod }) {
    const paymentTerm = price.paymentTerm ?? PaymentTerm.inAdvance;
    const due = paymentTerm === PaymentTerm.inAdvance ? isFirstInPeriod : isLastInPeriod;
    if (!due) return [];
    return [
      regularLine({
        name: lineName,
        childUniqueReferenceId: ChildReferenceId.flatPrice,
        quantity: ONE,
        perUnitAmount: dec(price.amount),
        paymentTerm,
      }),
    ];
  },
};

import { dec, ONE, roundMoney } from '../../shared/money.ts';
import { PaymentTerm, type DynamicPrice } from '../../catalog/types.ts';
import { regularLine } from './detailedLine.ts';
import { ChildReferenceId } from './childReferenceIds.ts';
import type { Pricer } from './pricer.ts';

/**
 * The metered value already is money (e.g. an LLM cost); the line carries the rounded amount as
 * its per-unit amount with quantity 1 (§7.3).
 */
export const dynamicPricer: Pricer<DynamicPrice> = {
  rate({ lineName, price, quantity, currency }) {
    if (!quantity.gt(0)) return [];
    return [
      regularLine({
        name: `${lineName}: usage in period`,
        childUniqueReferenceId: ChildReferenceId.usage,
        quantity: ONE,
        perUnitAmount: roundMoney(quantity.mul(dec(price.multiplier ?? '1')), currency),
        paymentTerm: PaymentTerm.inArrears,
      }),
    ];
  },
};

import { dec } from '../../shared/money.ts';
import { PaymentTerm, type UnitPrice } from '../../catalog/types.ts';
import { regularLine } from './detailedLine.ts';
import { ChildReferenceId } from './childReferenceIds.ts';
import type { Pricer } from './pricer.ts';

/** Linear price: nothing at zero usage (the invoice line stays, with zero totals). */
export const unitPricer: Pricer<UnitPrice> = {
  rate({ lineName, price, quantity }) {
    if (!quantity.gt(0)) return [];
    return [
      regularLine({
        name: `${lineName}: usage in period`,
        childUniqueReferenceId: ChildReferenceId.unitPriceUsage,
        quantity,
        perUnitAmount: dec(price.amount),
        paymentTerm: PaymentTerm.inArrears,
      }),
    ];
  },
};

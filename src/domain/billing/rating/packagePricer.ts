import { D, dec, type Dec } from '../../shared/money.ts';
import { PaymentTerm, type PackagePrice } from '../../catalog/types.ts';
import { regularLine } from './detailedLine.ts';
import { ChildReferenceId } from './childReferenceIds.ts';
import type { Pricer } from './pricer.ts';

/** Packages needed for `qty`, rounded up; packages(0) = 0. */
export const packagesFor = (qty: Dec, quantityPerPackage: Dec): Dec => {
  const whole = qty.div(quantityPerPackage).floor();
  return qty.mod(quantityPerPackage).isZero() ? whole : whole.add(1);
};

/**
 * Package prices are not linear, so a split child bills the packages the group needs now minus
 * the ones earlier children already billed: packages(pre + qty) − packages(pre) (§7.4).
 */
export const packagePricer: Pricer<PackagePrice> = {
  rate({ lineName, price, quantity, preLinePeriodQuantity, isFirstInPeriod }) {
    const size = dec(price.quantityPerPackage);
    const after = packagesFor(preLinePeriodQuantity.add(quantity), size);
    const before = isFirstInPeriod ? new D(0) : packagesFor(preLinePeriodQuantity, size);
    const packages = after.sub(before);
    if (packages.isZero()) return [];
    return [
      regularLine({
        name: `${lineName}: usage in period`,
        childUniqueReferenceId: ChildReferenceId.usage,
        quantity: packages,
        perUnitAmount: dec(price.amount),
        paymentTerm: PaymentTerm.inArrears,
      }),
    ];
  },
};

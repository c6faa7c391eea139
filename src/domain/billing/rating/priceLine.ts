import { TieredPriceMode } from '../../catalog/types.ts';
import { flatPricer } from './flatPricer.ts';
import { unitPricer } from './unitPricer.ts';
import { packagePricer } from './packagePricer.ts';
import { dynamicPricer } from './dynamicPricer.ts';
import { volumeTieredPricer } from './volumeTieredPricer.ts';
import { graduatedTieredPricer } from './graduatedTieredPricer.ts';
import type { DraftDetailedLine } from './types.ts';
import type { PricerInput } from './pricer.ts';

/** Dispatches on the price type (and tiered mode), keeping each pricer typed to its own price. */
export const priceLine = (input: PricerInput): DraftDetailedLine[] => {
  const { price } = input;
  switch (price.type) {
    case 'flat':
      return flatPricer.rate({ ...input, price });
    case 'unit':
      return unitPricer.rate({ ...input, price });
    case 'package':
      return packagePricer.rate({ ...input, price });
    case 'dynamic':
      return dynamicPricer.rate({ ...input, price });
    case 'tiered':
      return price.mode === TieredPriceMode.volume
        ? volumeTieredPricer.rate({ ...input, price })
        : graduatedTieredPricer.rate({ ...input, price });
  }
};
